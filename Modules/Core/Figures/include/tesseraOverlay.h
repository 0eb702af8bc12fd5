#ifndef tesseraOverlay_h
#define tesseraOverlay_h

#include <set>

#include <opencv2/core.hpp>

#include "tesseraFigureFiles.h"

namespace tessera
{
/** Draws label colours blended over the intensities, region borders in full colour, for a quick
 * look. A 2D image is shown whole. A 3D volume is shown as its axial, coronal and sagittal
 * middle slices, titled, whatever the storage order: the direction matrix names each voxel axis
 * by the patient axis it runs closest to (LPS), and views follow the radiological convention
 * (patient's right on the viewer's left, anterior up in axial, superior up otherwise). Views are
 * stretched to their physical aspect (spacing) and enlarged to `minimumPanel`. Intensities are
 * stretched from their 1st to 99th percentile; one-component images are grey, three or more
 * components show the first three as RGB. Label 0 is left uncoloured unless the table lists it
 * (e.g. ISBI's membrane class); labels the table marks ignored are never coloured.
 * \returns a BGR 8-bit image. \throws Error when image and labels differ in grid. */
template <unsigned int D>
cv::Mat RenderOverlay(const VectorImage<D> * image, const LabelImage<D> * labels, const LabelTable & table,
                      const OverlayOptions & options = {});

/** A legend: a colour swatch and "label name" per label, wrapped to `width` px; more than 40
 * labels (superpixels, instances) are summarised by their count. \returns BGR 8-bit. */
cv::Mat RenderLegend(const std::set<LabelPixel> & labels, const LabelTable & table, int width);

extern template cv::Mat RenderOverlay<2>(const VectorImage<2> *, const LabelImage<2> *, const LabelTable &,
                                         const OverlayOptions &);
extern template cv::Mat RenderOverlay<3>(const VectorImage<3> *, const LabelImage<3> *, const LabelTable &,
                                         const OverlayOptions &);
} // namespace tessera

#endif
