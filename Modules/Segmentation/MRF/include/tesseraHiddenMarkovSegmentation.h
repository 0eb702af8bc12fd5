#ifndef tesseraHiddenMarkovSegmentation_h
#define tesseraHiddenMarkovSegmentation_h

#include <functional>
#include <string>

#include "tesseraHiddenMarkovChain.h"
#include "tesseraHiddenMarkovRandomField.h"
#include "tesseraImageTypes.h"

namespace tessera
{
/** The hidden Markov models of an image's labels. */
enum class HiddenMarkovModel
{
  RandomField, ///< HMRF-EM: FitHiddenMarkovRandomField()
  Chain        ///< a chain along the Hilbert–Peano scan: HilbertPeanoOrder(), FitHiddenMarkovChain()
};

struct HiddenMarkovSegmentationSettings
{
  HiddenMarkovModel      model = HiddenMarkovModel::RandomField;
  unsigned int           classes = 3;  ///< K (ignored with priors: their components)
  unsigned int           seed = 0;     ///< k-means++ seeding of the start
  GaussianMixtureOptions em = [] {
    GaussianMixtureOptions o;
    o.maximumIterations = 500;
    o.tolerance = 1e-6;
    return o;
  }();
  double                 smoothness = 0.6;  ///< random field: Potts β (nats)
  double                 priorWeight = 0.5; ///< with priors: w of the external field q' = (1 − w) / K + w q
  bool                   viterbi = false;   ///< chain: labels by Viterbi instead of the posterior mode (MPM)
};

/** The fitted model and its results on the image's grid (spacing, origin, direction kept). */
template <unsigned int D>
struct HiddenMarkovSegmentation
{
  typename ProbabilityImage<D>::Pointer probabilities; ///< p(class | image) per pixel, 0 outside the mask; label table
  typename LabelImage<D>::Pointer       labels;        ///< MPM (argmax) or Viterbi labels, 0 outside the mask
  GaussianMixtureModel                  model;         ///< class densities; objective per EM iteration
  MarkovChain                           chain;         ///< chain only
};

/** Segments an image (scalar or multi-channel) inside a mask with a hidden Markov random field or chain. Without
 * priors, EM starts from k-means (one-hot, classes by increasing luminance) and classes are renumbered by increasing
 * luminance after EM, as labels 1..K; with priors (atlas probability maps on the image's grid, with a label table)
 * EM starts from the priors and the classes are theirs.
 * \throws Error for an empty mask, priors off the image's grid, or as KMeans(). */
template <unsigned int D>
HiddenMarkovSegmentation<D> SegmentHiddenMarkov(const VectorImage<D> * image, const MaskImage<D> * mask,
                                                const HiddenMarkovSegmentationSettings & settings,
                                                const ProbabilityImage<D> * priors = nullptr);

/** "hmrf" or "hmc" ↔ the model; Parse throws Error(option, ...) for anything else. */
HiddenMarkovModel  ParseHiddenMarkovModel(const std::string & name, const std::string & option);
std::string        HiddenMarkovModelName(HiddenMarkovModel model);
} // namespace tessera

#endif
