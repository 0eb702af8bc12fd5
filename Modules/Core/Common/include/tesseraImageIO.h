#ifndef tesseraImageIO_h
#define tesseraImageIO_h

#include <filesystem>
#include <string>
#include <vector>

#include "itkImageIOBase.h"
#include "itkImageIOFactory.h"
#include "itkProcessObject.h"
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
  std::string                  crs;           ///< WKT of a georeferenced raster's CRS ("" for others)
};

/** Metadata key of the coordinate reference system (WKT) of a georeferenced raster: read from
 * GeoTIFF and GDAL's other formats, passed from a stage's primary input to its outputs, written back. */
inline constexpr const char * GeoCrsKey = "tessera:crs";

/** The ITK ImageIO that reads (or writes) `path`, or null when no format fits. Single-raster TIFF
 * and VRT files are read through GDAL (module TesseraGDALIO: all bands, georeference and CRS), as
 * are 2D TIFF outputs (`dimension` 2: tiled, compressed GeoTIFF); multi-page TIFFs and 3D TIFF
 * outputs stay with ITK. ITK's light formats (NIfTI, NRRD, MetaImage, PNG, JPEG, TIFF, BMP, VTK,
 * GIPL, ...) are registered on the first call; when none of them fits, RegisterExtraIOFactories
 * adds DICOM, HDF5 and MINC and the lookup is repeated. Every image read and write of Tessera goes
 * through here. \throws Error when a module cannot be loaded. */
itk::ImageIOBase::Pointer CreateImageIO(const std::string & path, itk::ImageIOFactory::IOFileModeEnum mode,
                                        unsigned int dimension = 0);

/** Registers ITK's heavy IO, once: DICOM (GDCM), HDF5 and MINC images and HDF5 transforms, from
 * module TesseraExtraIO (tesseraModuleLoader.h), so that commands on other formats do not load
 * those libraries. \throws Error when the module cannot be loaded. */
void RegisterExtraIOFactories();

/** Reads the header of any ITK-readable file (NIfTI, MetaImage, NRRD, PNG, JPEG, TIFF, ...).
 * \throws Error naming the file when it is missing or no ITK reader accepts it. */
ImageInfo ReadImageInfo(const std::string & path);

namespace detail
{
/** Runs an image reader, turning ITK exceptions and MetaIO's report of voxel data cut short
 * (printed on std::cerr only) into an Error naming the file. */
void UpdateReader(itk::ProcessObject * reader, const std::string & path);
/** True for the photographic formats (.png, .jpg, .jpeg, .bmp): their DPI is not a physical
 * spacing (a JPEG's 72 dpi would read as 0.352778 mm, and PNG rounds it), so they are read with
 * 1 mm pixels and origin 0, and images in them always share a grid with their masks and labels. */
bool IsPhotographicPath(const std::string & path);
/** True for .nii and .nii.gz. */
bool IsNiftiPath(const std::string & path);
/** ITK 5.2's NIfTI reader turns NaN and infinite voxels into 0; this puts them back into the
 * buffer read (`voxels` × `components`, components per voxel), so the finiteness checks see them. */
void RestoreNiftiNonFinite(const std::string & path, float * buffer, std::uint64_t voxels, unsigned int components);
void RestoreNiftiNonFinite(const std::string & path, double * buffer, std::uint64_t voxels, unsigned int components);
} // namespace detail

/** Reads an image, converting its pixels to TImage's pixel type.
 * Rejects files whose dimension differs from TImage's and, for scalar TImage, files with more
 * than one component; for itk::VectorImage any number of components is accepted. Photographic
 * formats (PNG, JPEG, BMP) are read with 1 mm pixels and origin 0 (detail::IsPhotographicPath).
 * With `region` (voxels of the file's grid), only that region is read where the format streams
 * (GDAL rasters, MetaImage; others are read whole and cropped), and the image returned is the
 * region alone: index 0, origin at the region's first voxel (a tile for TiledRun).
 * \throws Error naming the file and the problem (missing, corrupt, wrong dimension, a region
 * outside the image, a NIfTI region, ...). */
template <typename TImage>
typename TImage::Pointer
ReadImageFile(const std::string & path, const typename TImage::RegionType * region = nullptr);

/** Writes an image in the format its extension names, atomically: the data go to a temporary
 * folder beside the output and are renamed into place only when complete, so a failed write
 * leaves nothing behind and a reader never sees a half-written file. An image carrying a label
 * table (LabelTableKey in its dictionary) keeps it in the header (NRRD, MetaImage) or in a
 * sidecar JSON written and committed with it (LabelTableSidecarPath()).
 * \throws Error naming the file when no ITK writer handles the extension or the write fails. */
template <typename TImage>
void
WriteImageFile(const TImage * image, const std::string & path);

class AtomicOutput;
/** The same, into an AtomicOutput that the caller commits (several outputs committed together). */
template <typename TImage>
void
WriteImageFile(const TImage * image, AtomicOutput & output);

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
  /** The path the output will have once committed. */
  std::string FinalPath() const { return m_FinalPath.string(); }
  /** Moves every file written into the temporary folder next to the final path. */
  void Commit();

private:
  std::filesystem::path m_FinalPath;
  std::filesystem::path m_TempDir;
  bool                  m_Committed = false;
};

/** The key of the image metadata (itk::MetaDataDictionary) that carries an image's label table
 * as JSON (LabelTable::ToJson()): for a ProbabilityImage, component i is the probability of the
 * i-th label of that table in ascending label order. */
inline constexpr const char * LabelTableKey = "tessera_label_table";

/** "dir/p.nii.gz" → ("dir/p", ".nii.gz"): the extension, double ones (.nii.gz) included. */
std::pair<std::string, std::string> SplitExtension(const std::string & path);
/** The extension in lower case: "dir/P.NII.GZ" → ".nii.gz". */
std::string LowerCaseExtension(const std::string & path);
/** True for formats whose header keeps string metadata: NRRD (.nrrd, .nhdr) and MetaImage (.mha, .mhd). */
bool FormatKeepsMetaData(const std::string & path);
/** Where the label table of an image in another format travels: "p.nii.gz" → "p.labels.json". */
std::string LabelTableSidecarPath(const std::string & imagePath);
/** Writes a file that travels with output's file (`sidecarPath`, beside its final path) into its
 * temporary folder, so it is committed with it. \throws Error naming sidecarPath on failure. */
void WriteSidecarFile(AtomicOutput & output, const std::string & sidecarPath, const std::string & text);
/** Writes a label table JSON as the sidecar of output's image, into its temporary folder. */
void WriteLabelTableSidecar(AtomicOutput & output, const std::string & json);
/** The label table JSON an image file carries: its header's LabelTableKey entry, else its
 * sidecar's text; empty when it has none. */
std::string ReadLabelTableText(const std::string & imagePath, const itk::MetaDataDictionary & header);

/** The image files of a folder (by the extensions of the formats ITK reads), sorted by name;
 * hidden files are skipped. */
std::vector<std::string> ListImageFiles(const std::string & folder);

/** A whole file as text (bytes unchanged). \throws Error naming the file when it cannot be read. */
std::string ReadTextFile(const std::string & path);

/** Writes text (CSV, JSON, Markdown) atomically. \throws Error naming the file on failure. */
void WriteTextFile(const std::string & path, const std::string & text);
/** The same, into an AtomicOutput that the caller commits. */
void WriteTextFile(AtomicOutput & output, const std::string & text);

/** Throws Error if any output names the same file as an input or another output: Tessera
 * never overwrites its inputs. Empty paths are ignored. */
void CheckOutputsDistinct(const std::vector<std::string> & inputs, const std::vector<std::string> & outputs);

/** Throws Error(path, ...) when the file's format holds only 8/16-bit integers (PNG, JPEG, BMP):
 * floating-point results (resampled intensities, templates, probabilities) cannot go there. */
void CheckFloatFormat(const std::string & path);
} // namespace tessera

#ifndef ITK_MANUAL_INSTANTIATION
#  include "tesseraImageIO.hxx"
#endif

#endif
