#ifndef tesseraPseudoLabels_h
#define tesseraPseudoLabels_h

#include <string>
#include <vector>

#include <torch/torch.h>

#include "tesseraPipelineRunner.h"
#include "tesseraTrainingConfig.h"

/** \file Pseudo-labels from a classical pipeline (config key pseudo_labels): a pipeline file of registered stages
 * (e.g. GMM → Potts, watershed, superpixels + RAG merging) labels images that have no manual labels, and its
 * confident pixels supervise the network (self-training on a teacher's labels, as in Lee, "Pseudo-Label", ICML 2013
 * Workshop on Challenges in Representation Learning, with a classical segmentation as the teacher). */
namespace tessera
{
/** Label value of the pixels a pseudo-label file leaves out; the run ignores it (data.ignore_values). */
constexpr int PseudoLabelIgnoreValue = 65535;

/** The confident part of a classical segmentation. labels: [(D,) H, W] int64 label values; confidence: the
 * probability of each pixel's label (same shape), or undefined for a label output (every pixel confident). Pixels
 * whose confidence is below threshold, or with another label within margin pixels (chessboard distance: pixels near a
 * boundary, where classical methods err most), become -1. \returns [(D,) H, W] int64. */
torch::Tensor ConfidentPseudoLabels(const torch::Tensor & labels, const torch::Tensor & confidence, double threshold,
                                    int margin);

/** Runs c.pseudo.pipeline on each of c.pseudo.images ($input = the image, $output = a scratch NRRD that receives its
 * labels or probabilities, plus c.pseudo.variables) and writes folder/<image name>.png (.nii.gz for volumes): the
 * confident labels (ConfidentPseudoLabels) mapped by c.pseudo.labelValues, PseudoLabelIgnoreValue elsewhere, on the
 * pipeline output's grid. Every pipeline runs before the first file is written; the scratch folder is removed.
 * \returns the label files, in the order of the images.
 * \throws Error naming the pipeline or image (a pipeline error, a label without a label_values entry). */
std::vector<std::string> WritePseudoLabels(const TrainingConfig & c, const std::string & folder, const RunOptions & options,
                                           bool quiet);
} // namespace tessera

#endif
