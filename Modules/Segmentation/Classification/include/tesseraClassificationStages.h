#ifndef tesseraClassificationStages_h
#define tesseraClassificationStages_h

#include "tesseraBiasFieldCorrection.h"
#include "tesseraGaussianMixture.h"
#include "tesseraImageUtilities.h"
#include "tesseraStage.h"

namespace tessera
{
/** Registers kmeans, gmm, "knn train", "knn apply" and n4. */
void RegisterClassificationStages(StageRegistry & registry);

/** N4's parameters under `prefix` (n4 uses "", segment "n4-"): shrink-factor, levels, iterations, convergence. */
std::vector<ParameterDescription> BiasFieldParameters(const std::string & prefix);

/** N4 settings from values described by BiasFieldParameters(prefix). */
BiasFieldCorrectionSettings BiasFieldSettingsFrom(const ParameterValues & p, const std::string & prefix);

/** The ports every pixel classifier shares: intensities and an optional mask in; labels,
 * probabilities and an overlay out (with an optional label table naming the classes). */
void AddClassifierPorts(StageDescription & stage, const std::string & inputDoc);

/** "<objective> X nats per voxel after N EM iterations; classes (weight, mean): 1=(w, m) ...", for reports. */
std::string DescribeMixture(const GaussianMixtureModel & model, const std::string & objective = "log-likelihood");

/** The number of unsupervised classes K (labels 1..K), as kmeans, gmm and segment take it. */
ParameterDescription ClassesParameter();

/** A one-channel image input as a scalar image. \throws Error for more channels. */
template <unsigned int D>
typename ScalarImage<D>::Pointer
ScalarInput(StageContext & c, const std::string & port)
{
  const auto image = c.Input<VectorImage<D>>(port);
  if (image->GetNumberOfComponentsPerPixel() != 1)
  {
    throw Error(c.InputName(port), "has " + std::to_string(image->GetNumberOfComponentsPerPixel()) +
                                     " channels; bias-field correction takes one");
  }
  return MeanOfComponents<D>(image);
}
} // namespace tessera

#endif
