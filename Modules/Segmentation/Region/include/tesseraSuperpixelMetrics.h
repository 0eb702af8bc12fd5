#ifndef tesseraSuperpixelMetrics_h
#define tesseraSuperpixelMetrics_h

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "tesseraImageTypes.h"

namespace tessera
{
/** Standard superpixel quality figures against a ground-truth label image (Stutz, Hermans &
 * Leibe, "Superpixels: an evaluation of the state-of-the-art", CVIU 166, 2018). */
struct SuperpixelQuality
{
  std::size_t segments = 0; ///< distinct superpixel labels
  /** Fraction of ground-truth boundary pixels with a superpixel boundary pixel within
   * `tolerance` pixels (Chebyshev distance). A pixel is a boundary pixel when a face neighbour
   * has another label (both sides are marked). */
  double boundaryRecall = 0;
  /** Undersegmentation error, Neubert & Protzel's form (which does not over-count superpixels
   * that barely cross a boundary): (1/N) Σ_S Σ_{G ∩ S ≠ ∅} min(|S ∩ G|, |S \ G|). */
  double undersegmentationError = 0;
  /** Achievable segmentation accuracy: (1/N) Σ_S max_G |S ∩ G|, the pixel accuracy of labelling
   * each superpixel with its majority ground-truth class. */
  double achievableAccuracy = 0;
};

/** Quality of superpixels against ground truth on the same grid (sizes must match).
 * \throws Error("ground truth") when the sizes differ. */
template <unsigned int D>
SuperpixelQuality EvaluateSuperpixels(const LabelImage<D> * superpixels, const LabelImage<D> * truth,
                                      unsigned int tolerance = 2);

/** Decodes a colour-coded mask (RGB, values 0–255) into class labels by exact colour.
 * \throws Error(name) naming the first pixel with a colour not in the table. */
LabelImage<2>::Pointer LabelsFromColours(const VectorImage<2> * rgb, const std::map<std::array<int, 3>, LabelPixel> & table,
                                         const std::string & name);

extern template SuperpixelQuality EvaluateSuperpixels<2>(const LabelImage<2> *, const LabelImage<2> *, unsigned int);
extern template SuperpixelQuality EvaluateSuperpixels<3>(const LabelImage<3> *, const LabelImage<3> *, unsigned int);
} // namespace tessera

#endif
