#ifndef tesseraAtlasMirror_h
#define tesseraAtlasMirror_h

#include <map>

#include "itkImage.h"
#include "tesseraImageTypes.h"
#include "tesseraLabelTable.h"

/** \file Mirrored atlases: an atlas reflected left-right, its left and right labels swapped, is one
 * more plausible anatomy for multi-atlas segmentation (brains are nearly symmetric), so N atlases
 * give 2N registrations to fuse. The registration that follows absorbs where the mid-sagittal
 * plane lies, so the reflection is simply the voxel order reversed along the grid's left-right axis. */
namespace tessera
{
/** Pairs each label of a left/right pair with its other side, by name: "Left X"/"Right X" (also
 * "left-X", "left_X"), "X left"/"X right", "X_L"/"X_R" (case-insensitive). Labels without a
 * counterpart on the other side are absent (they stay themselves). */
std::map<LabelPixel, LabelPixel> LeftRightLabelPairs(const LabelTable & table);

/** The index axis whose direction lies closest to the physical left-right axis (LPS x). */
template <unsigned int D>
unsigned int LeftRightAxis(const itk::ImageBase<D> * image);

/** A copy of `image` on the same grid with the voxel order reversed along `axis`. */
template <typename TImage>
typename TImage::Pointer MirrorImage(const TImage * image, unsigned int axis);

/** MirrorImage of the labels with every label of `pairs` replaced by its other side. */
template <unsigned int D>
typename LabelImage<D>::Pointer MirrorLabels(const LabelImage<D> * labels, unsigned int axis,
                                             const std::map<LabelPixel, LabelPixel> & pairs);
} // namespace tessera

#endif
