#ifndef tesseraTransformFile_h
#define tesseraTransformFile_h

#include <string>

#include "itkCompositeTransform.h"

namespace tessera
{
/** Reads an ITK transform file (.h5/.hdf5 HDF5, .tfm/.txt text, .mat Matlab), as ANTs, 3D Slicer
 * and ITK-SNAP write them: one transform, a list, or a composite (ANTs'
 * `--write-composite-transform`), returned as one composite applied in the file's order (the
 * last transform first, ITK's convention).
 * \throws Error naming the file: missing, unreadable, or a transform of another dimension. */
template <unsigned int D>
typename itk::CompositeTransform<double, D>::Pointer
ReadTransformFile(const std::string & path);

/** Writes a composite transform, kept as one composite in the file.
 * \throws Error naming the file for a dense displacement field in a text format (.tfm/.txt:
 * gigabytes of text; use .h5) or a write failure. */
template <unsigned int D>
void
WriteTransformFile(const itk::CompositeTransform<double, D> * transform, const std::string & path);

/** True for the extensions WriteTransformFile writes (".h5", ".hdf5", ".tfm", ".txt", ".mat"). */
bool IsTransformFileName(const std::string & path);
} // namespace tessera

#endif
