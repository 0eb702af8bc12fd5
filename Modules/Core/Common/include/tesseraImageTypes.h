#ifndef tesseraImageTypes_h
#define tesseraImageTypes_h

#include <cstdint>

#include "itkImage.h"
#include "itkVectorImage.h"

/** \file The image types every Tessera stage speaks (see DESIGN.md, "One currency").
 * All carry spacing (mm), origin (mm) and direction cosines; D is 2 or 3. */
namespace tessera
{
/** Scalar intensities, e.g. a T1 volume. */
template <unsigned int D>
using ScalarImage = itk::Image<float, D>;

/** Multichannel intensities or features: RGB, multispectral, multi-modal MRI. */
template <unsigned int D>
using VectorImage = itk::VectorImage<float, D>;

using LabelPixel = std::uint16_t;

/** One class id per pixel/voxel; 0 is background / outside the mask. */
template <unsigned int D>
using LabelImage = itk::Image<LabelPixel, D>;

/** Per-class probabilities, C components summing to 1 per pixel. Component c is the
 * probability of label c, so argmax over components is the label image. */
template <unsigned int D>
using ProbabilityImage = itk::VectorImage<float, D>;

/** Binary masks: non-zero = inside. */
template <unsigned int D>
using MaskImage = itk::Image<std::uint8_t, D>;
} // namespace tessera

#endif
