#ifndef tesseraOverlay_h
#define tesseraOverlay_h

#include <string>

#include "tesseraImageTypes.h"
#include "tesseraLabelTable.h"

namespace tessera
{
/** Writes a PNG with label colours blended over the intensities, region borders drawn in full
 * colour, for a quick look. A 2D image is shown whole; a 3D volume as its middle axial,
 * coronal and sagittal slices side by side (voxel index axes, each view stretched to its
 * physical aspect from the spacing). Intensities are
 * stretched from their 1st to 99th percentile; one-component images are grey, three or more
 * components show the first three as RGB. Label 0 is left uncoloured unless the table lists it
 * (e.g. ISBI's membrane class); labels the table marks ignored are never coloured.
 * \param opacity colour weight in [0, 1] inside the regions.
 * \throws Error naming the output when it cannot be written; written atomically. */
template <unsigned int D>
void WriteOverlay(const VectorImage<D> * image, const LabelImage<D> * labels, const LabelTable & table,
                  const std::string & path, double opacity = 0.45);

extern template void WriteOverlay<2>(const VectorImage<2> *, const LabelImage<2> *, const LabelTable &,
                                     const std::string &, double);
extern template void WriteOverlay<3>(const VectorImage<3> *, const LabelImage<3> *, const LabelTable &,
                                     const std::string &, double);
} // namespace tessera

#endif
