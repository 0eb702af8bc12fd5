#ifndef tesseraImagePyramid_h
#define tesseraImagePyramid_h

#include "itkImage.h"

namespace tessera
{
/** One level of a Gaussian pyramid: the image smoothed with a Gaussian of `sigma` mm (recursive
 * filter, Deriche 1993; none when 0), then every `shrink`-th voxel kept along each axis
 * (ITK ShrinkImageFilter: voxel centres, so the physical extent is kept). Spacing, origin and
 * direction follow. Defined for float images and 8-bit masks (masks are not smoothed). */
template <typename TImage>
typename TImage::Pointer
PyramidLevel(const TImage * image, unsigned int shrink, double sigma);
} // namespace tessera

#endif
