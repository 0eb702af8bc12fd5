#ifndef tesseraFeatureImage_h
#define tesseraFeatureImage_h

#include "tesseraImageTypes.h"
#include "tesseraKNNClassifier.h"

namespace tessera
{
/** Per-pixel features for the kNN classifier: the image's channels, then (if asked) each
 * channel's local mean over a (2r+1)^D box (ITK MeanImageFilter), then (if asked) the pixel's
 * physical position in mm (D values, from origin, spacing and direction).
 * Output: a VectorImage on the input's grid with C·(1 + [r > 0]) + D·[position] components. */
template <unsigned int D>
typename VectorImage<D>::Pointer BuildFeatureImage(const VectorImage<D> * image, const FeatureOptions & options);

extern template typename VectorImage<2>::Pointer BuildFeatureImage<2>(const VectorImage<2> *, const FeatureOptions &);
extern template typename VectorImage<3>::Pointer BuildFeatureImage<3>(const VectorImage<3> *, const FeatureOptions &);
} // namespace tessera

#endif
