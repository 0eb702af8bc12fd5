#ifndef tesseraInference_h
#define tesseraInference_h

#include <functional>
#include <vector>

#include "tesseraSegmentationNetwork.h"
#include "tesseraTilePlacement.h"

namespace tessera
{
struct InferenceOptions
{
  /** Window (patch) size per spatial axis, (D,) H, W in pixels; empty or larger than the image:
   * one window covering the image. Rounded up to a multiple of the network's SizeMultiple(). */
  std::vector<int64_t> window;
  double               overlap = 0.5;     ///< fraction of the window shared by neighbours, [0, 1)
  bool                 gaussian = true;   ///< Gaussian importance weights (σ = window/8), else uniform
  double               sigmaScale = 0.125;
  /** Test-time augmentation, applied to each window (as nnU-Net mirrors each patch): 2D, the mean over
   * the 8 rotations/flips; 3D, over the 8 axis flips. */
  bool                 tta = false;
  int64_t              batchSize = 4;     ///< windows per forward pass
  torch::Device        device = torch::kCPU;
  /** A tile of a larger image (tiled runs): windows are placed on the whole image's grid and only
   * those meeting the kept part run, so that part's probabilities are the untiled run's. The tile
   * must reach a window's width past the kept part (where the whole image goes on). */
  TilePlacement        placement;
};

/** The device inference and training use: CUDA when torch::cuda::is_available(), else CPU. */
torch::Device DefaultDevice();

/** Sliding-window inference with Gaussian blending (as nnU-Net and MONAI).
 * image: [C, H, W] or [C, D, H, W] float, already normalised; any spatial size (the whole image is
 * padded with 0 at the end of each axis to a multiple of SizeMultiple() and at least the window,
 * then cropped back). Returns softmax probabilities [classes, H, W] / [classes, D, H, W] on the
 * CPU, float; with options.placement, pixels of the halo that no window met are 0.
 * The network is put in eval mode and run without gradients on options.device.
 * progress, when given, is called with the fraction of windows done.
 * \throws Error("image", ...) for a tile whose halo is narrower than the window. */
torch::Tensor PredictProbabilities(SegmentationNetworkImpl & network, const torch::Tensor & image,
                                   const InferenceOptions & options,
                                   const std::function<void(double)> & progress = nullptr);

/** Window origins along one axis of size `size` for windows of `window` pixels with the given
 * overlap: evenly spaced from 0 to size − window (one origin 0 when size ≤ window). */
std::vector<int64_t> WindowOrigins(int64_t size, int64_t window, double overlap);

/** Resamples an image [C, (D,) H, W] to the spatial size given: (bi/tri)linear, with
 * antialiasing when a 2D image shrinks; used for the model's input_scale. */
torch::Tensor ResizeImage(const torch::Tensor & image, const std::vector<int64_t> & size);
/** Resamples a label tensor [(D,) H, W] (any integer type) to the size given by nearest neighbour. */
torch::Tensor ResizeLabels(const torch::Tensor & labels, const std::vector<int64_t> & size);

/** The Gaussian importance map [window...] (max 1, no zeros). */
torch::Tensor GaussianImportance(const std::vector<int64_t> & window, double sigmaScale);
} // namespace tessera

#endif
