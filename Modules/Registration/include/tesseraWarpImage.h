#ifndef tesseraWarpImage_h
#define tesseraWarpImage_h

#include <string>

#include "itkTransform.h"
#include "tesseraImageTypes.h"

namespace tessera
{
enum class Interpolation
{
  Linear,
  BSpline, ///< cubic B-spline (Unser 1999), per component
  Nearest,
  Label    ///< per-label Gaussian vote (ITK LabelImageGaussianInterpolateImageFunction): labels never mix
};

/** "linear", "bspline", "nearest", "label". \throws Error("interpolation", ...). */
Interpolation ParseInterpolation(const std::string & name);

/** Resamples intensities onto the grid of `reference` through `transform` (reference points to
 * image points, as registration writes it); every component alike; 0 outside the image.
 * Linear, B-spline or nearest interpolation. */
template <unsigned int D>
typename VectorImage<D>::Pointer
WarpImage(const VectorImage<D> * image, const itk::ImageBase<D> * reference,
          const itk::Transform<double, D, D> * transform, Interpolation interpolation);

/** Resamples labels (nearest or label interpolation; 0 outside), keeping the metadata (label
 * table). The label interpolator's Gaussian has sigma = half the image's spacing per axis, cut
 * at 3 sigma. */
template <unsigned int D>
typename LabelImage<D>::Pointer
WarpLabels(const LabelImage<D> * labels, const itk::ImageBase<D> * reference,
           const itk::Transform<double, D, D> * transform, Interpolation interpolation);
} // namespace tessera

#endif
