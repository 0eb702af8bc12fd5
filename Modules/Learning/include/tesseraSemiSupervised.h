#ifndef tesseraSemiSupervised_h
#define tesseraSemiSupervised_h

#include <random>
#include <utility>

#include <torch/torch.h>

#include "tesseraGroupConvolution.h"
#include "tesseraSegmentationNetwork.h"

/** \file Semi-supervised training on unlabelled images: FixMatch-style consistency (Sohn et al., NeurIPS 2020;
 * for segmentation as in UniMatch, Yang et al., CVPR 2023). A teacher pass on the weak view (a crop with the
 * training augmentation's flips and quarter turns) gives pseudo-labels where it is confident; the network is then
 * trained to give them on a strong view of the same crop (colour jitter, blur, CutMix). The teacher may average the
 * views of a group (data distillation by multi-transform ensembles, Radosavovic et al., CVPR 2018). */
namespace tessera
{
/** Photometric and mixing changes of the strong view. */
struct StrongAugmentation
{
  double brightness = 0.4; ///< ± additive shift, in standard deviations of the normalised image
  double contrast = 0.4;   ///< ± relative contrast change (0.4 = factor in [0.6, 1.4])
  double blur = 0.5;       ///< probability of a Gaussian blur, σ uniform in [0.1, 2] pixels
  double cutmix = 0.5;     ///< probability of CutMix: a box of a quarter of the crop from the next image of the batch
};

/** The teacher's class probabilities, without gradients: softmax f(x), or with a group the mean over its elements g
 * of T_g⁻¹ softmax f(T_g x) (2D, square). images [B, C, (D,) H, W] → [B, K, (D,) H, W]. The network's mode is kept. */
torch::Tensor TeacherProbabilities(SegmentationNetworkImpl & network, const torch::Tensor & images, const PlanarGroup * group);

/** Pseudo-labels from probabilities [B, K, ...]: the argmax class where its probability is ≥ threshold, else -1
 * (ignored). \returns [B, ...] int64. */
torch::Tensor PseudoLabels(const torch::Tensor & probabilities, double threshold);

/** The strong view of a batch and its labels, drawn from rng: per image a contrast factor and brightness shift
 * (uniform within ±), a Gaussian blur along every spatial axis (with probability a.blur; σ uniform in [0.1, 2]
 * pixels, replicate borders), then CutMix (Yun et al., ICCV 2019; French et al., BMVC 2020): with probability
 * a.cutmix a box of a quarter of the crop's pixels (side × 0.25^(1/dims) per axis, placed at random) is copied from
 * the next image of the batch (the last takes from the first), in the images and the labels alike. The labels follow
 * the images, so a label stays the pseudo-label of the pixel it lies on.
 * images [B, C, (D,) H, W] float; labels [B, (D,) H, W] int64 → {images, labels}, same shapes. */
std::pair<torch::Tensor, torch::Tensor> StrongView(const torch::Tensor & images, const torch::Tensor & labels,
                                                   const StrongAugmentation & a, std::mt19937_64 & rng);

/** Cross-entropy of logits [B, K, ...] against pseudo-labels [B, ...] (-1 ignored), averaged over all pixels, the
 * ignored ones counting as 0 (FixMatch's normalisation: few confident pixels, small loss). */
torch::Tensor PseudoLabelLoss(const torch::Tensor & logits, const torch::Tensor & labels);
} // namespace tessera

#endif
