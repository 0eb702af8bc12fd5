#ifndef tesseraImageIO_h
#define tesseraImageIO_h

#include <filesystem>
#include <string>
#include <vector>

#include "itkImageIOBase.h"
#include "tesseraError.h"
#include "tesseraImageTypes.h"

namespace tessera
{
/** What an image file holds, read from its header only. */
struct ImageInfo
{
  unsigned int                 dimension = 0;
  unsigned int                 components = 1;
  std::string                  componentType; ///< ITK's name: "unsigned_char", "short", "float", ...
  std::string                  pixelType;     ///< ITK's name: "scalar", "rgb", "vector", ...
  std::vector<itk::SizeValueType> size;        ///< voxels per axis
  std::vector<double>          spacing;       ///< mm per axis
  std::vector<double>          origin;        ///< mm
  std::vector<std::vector<double>> direction;  ///< direction cosines, one row per axis
};

/** Reads the header of any ITK-readable file (NIfTI, MetaImage, NRRD, PNG, JPEG, TIFF, ...).
 * \throws Error naming the file when it is missing or no ITK reader accepts it. */
ImageInfo ReadImageInfo(const std::string & path);

/** Reads an image, converting its pixels to TImage's pixel type.
 * Rejects files whose dimension differs from TImage's and, for scalar TImage, files with more
 * than one component; for itk::VectorImage any number of components is accepted.
 * \throws Error naming the file and the problem (missing, corrupt, wrong dimension, ...). */
template <typename TImage>
typename TImage::Pointer
ReadImageFile(const std::string & path);

/** Writes an image in the format its extension names, atomically: the data go to a temporary
 * folder beside the output and are renamed into place only when complete, so a failed write
 * leaves nothing behind and a reader never sees a half-written file.
 * \throws Error naming the file when no ITK writer handles the extension or the write fails. */
template <typename TImage>
void
WriteImageFile(const TImage * image, const std::string & path);

/** A temporary folder beside the final output; Commit() moves what was written there into
 * place by rename (same file system, so atomic per file). Without Commit() the destructor
 * removes everything, so an exception never leaves a partial output behind. */
class AtomicOutput
{
public:
  explicit AtomicOutput(const std::string & finalPath);
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput &) = delete;
  AtomicOutput & operator=(const AtomicOutput &) = delete;

  /** Where to write: a path inside the temporary folder with the final file name. */
  std::string TemporaryPath() const { return (m_TempDir / m_FinalPath.filename()).string(); }
  /** Moves every file written into the temporary folder next to the final path. */
  void Commit();

private:
  std::filesystem::path m_FinalPath;
  std::filesystem::path m_TempDir;
  bool                  m_Committed = false;
};

/** Writes text (CSV, JSON, Markdown) atomically. \throws Error naming the file on failure. */
void WriteTextFile(const std::string & path, const std::string & text);

/** Throws Error if any output names the same file as an input or another output: Tessera
 * never overwrites its inputs. Empty paths are ignored. */
void CheckOutputsDistinct(const std::vector<std::string> & inputs, const std::vector<std::string> & outputs);
} // namespace tessera

#ifndef ITK_MANUAL_INSTANTIATION
#  include "tesseraImageIO.hxx"
#endif

#endif
