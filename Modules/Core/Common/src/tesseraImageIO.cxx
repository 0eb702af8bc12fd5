#include "tesseraImageIO.h"

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <csetjmp>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <jpeglib.h>
#include <png.h>
#include <sstream>
#include <random>
#include <set>
#include <unistd.h>
#include <vector>
#include <zlib.h>

#include "itkBMPImageIOFactory.h"
#include "itkBioRadImageIOFactory.h"
#include "itkBruker2dseqImageIOFactory.h"
#include "itkGE4ImageIOFactory.h"
#include "itkGE5ImageIOFactory.h"
#include "itkGiplImageIOFactory.h"
#include "itkJPEG2000ImageIOFactory.h"
#include "itkJPEGImageIOFactory.h"
#include "itkLSMImageIOFactory.h"
#include "itkMRCImageIOFactory.h"
#include "itkMetaDataObject.h"
#include "itkMetaImageIOFactory.h"
#include "itkNiftiImageIO.h"
#include "itkNiftiImageIOFactory.h"
#include "itkNrrdImageIOFactory.h"
#include "itkPNGImageIOFactory.h"
#include "itkStimulateImageIOFactory.h"
#include "itkTIFFImageIOFactory.h"
#include "itkVTKImageIOFactory.h"
#include "tesseraModuleLoader.h"

namespace fs = std::filesystem;

namespace tessera
{
namespace
{
/** ITK's NIfTI writer, with .nii.gz deflated at zlib's fastest level. Its NIfTI library deflates at zlib's default
 * level (6) and ignores ImageIOBase's compression level: `tessera kmeans` on a brain took 0.32 s instead of 0.24 s
 * for a file of 292 KB instead of 515 KB. Writes the .nii beside the target (in the output's temporary folder, so
 * the uncompressed size is on disk for a moment), deflates it, and removes it. */
class FastDeflateNiftiImageIO : public itk::NiftiImageIO
{
public:
  using Self = FastDeflateNiftiImageIO;
  using Superclass = itk::NiftiImageIO;
  using Pointer = itk::SmartPointer<Self>;
  itkNewMacro(Self);

  void
  Write(const void * buffer) override
  {
    const std::string gz = GetFileName();
    const std::string nii = gz.substr(0, gz.size() - 3);
    struct Restore
    {
      Self *            io;
      const std::string gz, nii;
      ~Restore()
      {
        io->SetFileName(gz);
        std::remove(nii.c_str());
      }
    } restore{ this, gz, nii };
    SetFileName(nii);
    Superclass::Write(buffer);
    std::ifstream in(nii, std::ios::binary);
    gzFile        out = gzopen(gz.c_str(), "wb1");
    if (!in || !out)
    {
      if (out)
      {
        gzclose(out);
      }
      itkExceptionMacro("cannot open " << (in ? gz : nii));
    }
    std::vector<char> chunk(std::size_t{ 1 } << 22);
    bool              written = true;
    while (written && in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())).gcount() > 0)
    {
      written = gzwrite(out, chunk.data(), static_cast<unsigned>(in.gcount())) == in.gcount();
    }
    if (gzclose(out) != Z_OK || !written || in.bad())
    {
      itkExceptionMacro("cannot deflate " << nii << " into " << gz);
    }
  }
};

/** ITK's image formats whose libraries load in well under a millisecond, in the order of ITK's
 * own registration (alphabetical), which decides who reads a file several formats accept. */
void
RegisterLightIOFactories()
{
  static std::once_flag once;
  std::call_once(once, [] {
    itk::BMPImageIOFactory::RegisterOneFactory();
    itk::BioRadImageIOFactory::RegisterOneFactory();
    itk::Bruker2dseqImageIOFactory::RegisterOneFactory();
    itk::GE4ImageIOFactory::RegisterOneFactory();
    itk::GE5ImageIOFactory::RegisterOneFactory();
    itk::GiplImageIOFactory::RegisterOneFactory();
    itk::JPEGImageIOFactory::RegisterOneFactory();
    itk::JPEG2000ImageIOFactory::RegisterOneFactory();
    itk::LSMImageIOFactory::RegisterOneFactory();
    itk::MRCImageIOFactory::RegisterOneFactory();
    itk::MetaImageIOFactory::RegisterOneFactory();
    itk::NiftiImageIOFactory::RegisterOneFactory();
    itk::NrrdImageIOFactory::RegisterOneFactory();
    itk::PNGImageIOFactory::RegisterOneFactory();
    itk::StimulateImageIOFactory::RegisterOneFactory();
    itk::TIFFImageIOFactory::RegisterOneFactory();
    itk::VTKImageIOFactory::RegisterOneFactory();
  });
}

std::string
FirstLineOf(const std::string & text)
{
  std::string line = text.substr(0, text.find('\n'));
  line.erase(0, line.find_first_not_of(" \t"));
  return line;
}

/** An ITK exception's message on one line, without its "ITK ERROR: MetaImageIO(0x55...): " prefix. */
std::string
ReasonOf(const itk::ExceptionObject & e)
{
  std::string reason = FirstLineOf(e.GetDescription());
  if (const auto at = reason.find("): "); reason.rfind("ITK ERROR: ", 0) == 0 && at != std::string::npos)
  {
    reason = reason.substr(at + 3);
  }
  return reason;
}

/** Where a NIfTI-1/-2 file's voxels start, their NIfTI datatype code and byte order, from the
 * header read through zlib (which reads .nii and .nii.gz alike). offset 0: not a NIfTI header. */
struct NiftiLayout
{
  std::uint64_t offset = 0;
  int           datatype = 0;
  bool          swap = false;
  bool          finite = true; ///< NIfTI-1: pixdim, quaternion, offsets and srow all finite
};

NiftiLayout
ReadNiftiLayout(gzFile file)
{
  unsigned char header[540] = {};
  const int     got = gzread(file, header, sizeof header);
  NiftiLayout   layout;
  for (const bool swap : { false, true })
  {
    auto read = [&](int at, auto value) {
      std::memcpy(&value, header + at, sizeof value);
      if (swap)
      {
        auto * bytes = reinterpret_cast<unsigned char *>(&value);
        std::reverse(bytes, bytes + sizeof value);
      }
      return value;
    };
    // NIfTI-1 by its size field or, as niftilib also accepts, by its magic (NIFTI_VERSION: "n+" or "ni", a digit
    // 1-9, NUL) with dim[0] in 1..7 in this byte order (found by tesseraImageReaderFuzzer: headers with a wrong
    // size field, magic "n+1" or "n+2", that ITK still reads).
    const std::int16_t dim0 = read(40, std::int16_t{});
    const bool         magic = got >= 348 && header[344] == 'n' && (header[345] == '+' || header[345] == 'i') &&
                       header[346] >= '1' && header[346] <= '9' && header[347] == '\0';
    if (got >= 348 && (read(0, std::int32_t{}) == 348 || (magic && dim0 >= 1 && dim0 <= 7))) // NIfTI-1: datatype at 70, vox_offset (float) at 108
    {
      // A float: one beyond any file (or infinite) reads as 2^60 bytes, so that the file is refused
      // as truncated; converting it to an integer would be undefined.
      const float         offset = read(108, float{});
      const std::uint64_t bytes = !(offset > 0) ? 352u : offset < 1e18f ? static_cast<std::uint64_t>(offset) : 1ull << 60;
      layout = { bytes, read(70, std::int16_t{}), swap };
      for (const auto & [first, last] : { std::pair{ 76, 108 }, std::pair{ 256, 328 } })
      {
        for (int at = first; at < last; at += 4)
        {
          layout.finite = layout.finite && std::isfinite(read(at, float{}));
        }
      }
    }
    else if (got >= 540 && read(0, std::int32_t{}) == 540) // NIfTI-2: datatype at 12, vox_offset (int64) at 168
    {
      layout = { static_cast<std::uint64_t>(read(168, std::int64_t{})), read(12, std::int16_t{}), swap };
    }
  }
  return layout;
}

/** The last 4 bytes of a .gz file, gzip's ISIZE (little-endian uncompressed size mod 2^32) when the
 * file is whole; 0 for other files. */
std::uint32_t
GzipTrailerSize(const std::string & path)
{
  if (LowerCaseExtension(path) != ".nii.gz")
  {
    return 0;
  }
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  unsigned char bytes[4] = {};
  if (!file || file.tellg() < 18 || !file.seekg(-4, std::ios::end) || !file.read(reinterpret_cast<char *>(bytes), 4))
  {
    return 0;
  }
  return bytes[0] | bytes[1] << 8 | bytes[2] << 16 | static_cast<std::uint32_t>(bytes[3]) << 24;
}

/** Throws Error(path, ...) unless a NIfTI file holds its header's voxel offset plus `dataBytes`:
 * ITK's reader fills a file cut short with zeros. */
void
CheckNiftiComplete(const std::string & path, std::uint64_t dataBytes)
{
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file)
  {
    throw Error(path, "cannot be opened");
  }
  const NiftiLayout layout = ReadNiftiLayout(file);
  bool              complete = true;
  // A whole .nii.gz ends with a gzip trailer stating the uncompressed size (mod 2^32); a file cut
  // short ends inside the compressed data, which matches by chance once in 2^32. That spares
  // decompressing the file a second time; any other ending is checked by seeking to the last byte.
  const bool trailerSaysWhole = GzipTrailerSize(path) == static_cast<std::uint32_t>(layout.offset + dataBytes);
  if (layout.offset > 0 && !trailerSaysWhole)
  {
    unsigned char last = 0;
    const z_off_t target = static_cast<z_off_t>(layout.offset + dataBytes - 1);
    complete = gzseek(file, target, SEEK_SET) == target && gzread(file, &last, 1) == 1;
  }
  gzclose(file);
  if (!complete)
  {
    throw Error(path, "is truncated: the header promises " + std::to_string(layout.offset + dataBytes) +
                        " bytes of header and voxels, the file holds fewer");
  }
}

/** Where libpng's errors go while CheckPngHeader reads: the message, then back to its setjmp. */
[[noreturn]] void
OnPngError(png_structp png, png_const_charp message)
{
  std::snprintf(static_cast<char *>(png_get_error_ptr(png)), 256, "%s", message);
  png_longjmp(png, 1);
}

/** Throws Error(path, ...) for a PNG whose header libpng refuses. ITK 5.2's PNGImageIO reads the
 * header with libpng's default error handler, which calls abort() on a corrupt chunk (its Read()
 * catches errors; ReadImageInformation() does not): the same calls run here first, with a handler
 * that returns. Only plain data lives between setjmp and longjmp. */
void
CheckPngHeader(const std::string & path)
{
  FILE * file = std::fopen(path.c_str(), "rb");
  if (!file)
  {
    throw Error(path, "cannot be opened");
  }
  char          message[256] = "";
  png_structp   png = png_create_read_struct(PNG_LIBPNG_VER_STRING, message, OnPngError, [](png_structp, png_const_charp) {});
  png_infop     info = png ? png_create_info_struct(png) : nullptr;
  if (!info)
  {
    png_destroy_read_struct(&png, nullptr, nullptr);
    std::fclose(file);
    throw Error(path, "cannot be read: libpng is out of memory");
  }
  volatile bool corrupt = true;
  if (setjmp(png_jmpbuf(png)) == 0)
  {
    png_init_io(png, file);
    png_read_info(png, info);
    // ITK's transformations, so that png_read_update_info checks what ITK's will.
    const int colorType = png_get_color_type(png, info);
    if (colorType == PNG_COLOR_TYPE_PALETTE)
    {
      png_set_palette_to_rgb(png);
    }
    if (colorType == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8)
    {
      png_set_expand_gray_1_2_4_to_8(png);
    }
    if (png_get_valid(png, info, PNG_INFO_tRNS))
    {
      png_set_tRNS_to_alpha(png);
    }
    png_read_update_info(png, info);
    corrupt = false;
  }
  png_destroy_read_struct(&png, &info, nullptr);
  std::fclose(file);
  if (corrupt)
  {
    throw Error(path, std::string("is a corrupt PNG: ") + (message[0] ? message : "libpng cannot read it"));
  }
}

/** libjpeg's error manager for CheckJpegHeader, with where to jump back and the message. */
struct JpegErrors
{
  jpeg_error_mgr manager;
  std::jmp_buf   jump;
  char           message[JMSG_LENGTH_MAX];
};

[[noreturn]] void
OnJpegError(j_common_ptr jpeg)
{
  auto * errors = reinterpret_cast<JpegErrors *>(jpeg->err);
  (*jpeg->err->format_message)(jpeg, errors->message);
  std::longjmp(errors->jump, 1);
}

/** Throws Error(path, ...) for a JPEG (a file that starts with its marker) whose header, or with
 * `scanlines` whose compressed data, libjpeg refuses. ITK 5.2's JPEGImageIO crashes (SIGSEGV)
 * after such errors: in CanReadFile, which ITK calls before choosing a reader for a .jpg or .jpeg
 * file, on a corrupt header, and in Read on corrupt data. The same is read here first, the
 * decompressor made before setjmp, only plain data in between, the row in libjpeg's own pool. */
void
CheckJpeg(const std::string & path, bool scanlines)
{
  FILE * file = std::fopen(path.c_str(), "rb");
  if (!file)
  {
    throw Error(path, "cannot be opened");
  }
  unsigned char marker[2] = {};
  if (std::fread(marker, 1, 2, file) != 2 || marker[0] != 0xFF || marker[1] != 0xD8)
  {
    std::fclose(file); // not a JPEG: ITK tries the other formats
    return;
  }
  std::rewind(file);
  jpeg_decompress_struct jpeg;
  JpegErrors             errors;
  jpeg.err = jpeg_std_error(&errors.manager);
  errors.manager.error_exit = OnJpegError;
  errors.manager.output_message = [](j_common_ptr) {}; // warnings: what ITK reads decides
  errors.message[0] = '\0';
  jpeg_create_decompress(&jpeg);
  volatile bool corrupt = true;
  if (setjmp(errors.jump) == 0)
  {
    jpeg_stdio_src(&jpeg, file);
    jpeg_read_header(&jpeg, TRUE);
    jpeg_calc_output_dimensions(&jpeg);
    if (scanlines)
    {
      jpeg_start_decompress(&jpeg);
      const JSAMPARRAY row = (*jpeg.mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(&jpeg), JPOOL_IMAGE,
                                                       jpeg.output_width * jpeg.output_components, 1);
      while (jpeg.output_scanline < jpeg.output_height)
      {
        jpeg_read_scanlines(&jpeg, row, 1);
      }
      jpeg_finish_decompress(&jpeg);
    }
    corrupt = false;
  }
  jpeg_destroy_decompress(&jpeg);
  std::fclose(file);
  if (corrupt)
  {
    throw Error(path, std::string("is a corrupt JPEG: ") + errors.message);
  }
}

/** Throws Error(path, ...) for a BMP shorter than its two headers (14 + 40 bytes): ITK 5.2's
 * BMPImageIO reads on past the end and takes whatever its fields held for the size (a 24-byte
 * BMP asked for 97 GB, tesseraImageReaderFuzzer); or whose run-length encoding does not fit its
 * bit depth (RLE8 needs 8 bits per pixel, RLE4 4): ITK decodes it all the same and writes past its
 * buffer (a 24-bit "RLE8" BMP of 104 bytes, tesseraImageReaderFuzzer). */
void
CheckBmpHeader(const std::string & path)
{
  unsigned char header[54] = {};
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char *>(header), sizeof header);
  if (in.gcount() < 2 || header[0] != 'B' || header[1] != 'M')
  {
    return; // not a BMP: ITK's reader does not take it
  }
  if (in.gcount() < static_cast<std::streamsize>(sizeof header))
  {
    throw Error(path, "is a truncated BMP: " + std::to_string(in.gcount()) + " bytes, less than its headers' 54");
  }
  const unsigned bits = header[28] | (header[29] << 8);
  const unsigned compression = header[30] | (header[31] << 8) | (header[32] << 16) | (unsigned{ header[33] } << 24);
  if ((compression == 1 && bits != 8) || (compression == 2 && bits != 4))
  {
    throw Error(path, "is a damaged BMP: run-length encoding " + std::string(compression == 1 ? "RLE8" : "RLE4") +
                        " with " + std::to_string(bits) + " bits per pixel");
  }
}

/** Throws Error(path, ...) for a MetaImage header with a key of 255 characters or more: ITK 5.2's
 * MetaIO copies each key into a 255-byte field name with strcpy (MET_InitReadField), so a longer
 * one overflows it (glibc's fortify aborts the process); with NDims outside 1-4; or with control
 * characters in its ElementDataFile. A key ends at '=', ':' or the end of its line; the header
 * ends at ElementDataFile. */
void
CheckMetaImageKeys(const std::string & path)
{
  std::ifstream in(path, std::ios::binary);
  std::string   line;
  while (std::getline(in, line))
  {
    const std::string key = line.substr(0, line.find_first_of("=:\r"));
    if (key.size() >= 255)
    {
      throw Error(path, "has a MetaImage header key of " + std::to_string(key.size()) +
                          " characters (ITK's reader takes at most 254)");
    }
    // MetaIO reads NDims values per array field: a negative count makes it read without end (fuzzer finding).
    if (key.find_first_not_of(' ') != std::string::npos && key.substr(key.find_first_not_of(' '), 5) == "NDims")
    {
      const auto at = line.find_first_of("=:");
      const int  ndims = at == std::string::npos ? 0 : std::atoi(line.c_str() + at + 1);
      if (ndims < 1 || ndims > 4)
      {
        throw Error(path, "has a MetaImage header with NDims " + (at == std::string::npos ? std::string("missing") : line.substr(at + 1)) +
                            " (1 to 4 expected)");
      }
    }
    if (key.find("ElementDataFile") != std::string::npos)
    {
      // A data file name with control characters made MetaIO read past its buffer (ASan heap-buffer-overflow
      // in MetaImage::ReadStream, fuzzer finding); no file is named so.
      if (std::any_of(line.begin(), line.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\r'; }))
      {
        throw Error(path, "has a MetaImage ElementDataFile with control characters in its name");
      }
      return;
    }
  }
}

template <typename T>
void
RestoreNonFinite(const std::string & path, T * buffer, std::uint64_t voxels, unsigned int components)
{
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file)
  {
    return;
  }
  const NiftiLayout layout = ReadNiftiLayout(file);
  const size_t      bytes = layout.datatype == 16 ? 4 : (layout.datatype == 64 ? 8 : 0); // FLOAT32, FLOAT64
  if (bytes == 0 || gzseek(file, static_cast<z_off_t>(layout.offset), SEEK_SET) < 0)
  {
    gzclose(file);
    return;
  }
  // NIfTI stores components slowest (dim 5); ITK's buffer holds them per voxel.
  const std::uint64_t        total = voxels * components;
  std::vector<unsigned char> chunk((1u << 20) / bytes * bytes);
  for (std::uint64_t k = 0; k < total;)
  {
    const int got = gzread(file, chunk.data(), static_cast<unsigned>(std::min<std::uint64_t>(chunk.size(), (total - k) * bytes)));
    if (got <= 0)
    {
      break;
    }
    for (size_t at = 0; at + bytes <= static_cast<size_t>(got); at += bytes, ++k)
    {
      unsigned char value[8];
      std::memcpy(value, chunk.data() + at, bytes);
      if (layout.swap)
      {
        std::reverse(value, value + bytes);
      }
      double v;
      if (bytes == 4)
      {
        float f;
        std::memcpy(&f, value, 4);
        v = f;
      }
      else
      {
        std::memcpy(&v, value, 8);
      }
      if (!std::isfinite(v))
      {
        buffer[(k % voxels) * components + k / voxels] = static_cast<T>(v);
      }
    }
  }
  gzclose(file);
}

/** What readers print on std::cerr while alive (MetaIO reports problems only there). */
class CapturedErrorStream
{
public:
  CapturedErrorStream()
    : m_Previous(std::cerr.rdbuf(m_Text.rdbuf()))
  {}
  ~CapturedErrorStream() { std::cerr.rdbuf(m_Previous); }
  std::string Text() const { return m_Text.str(); }

private:
  std::stringstream m_Text;
  std::streambuf *  m_Previous;
};
} // namespace

bool
detail::IsPhotographicPath(const std::string & path)
{
  const std::string ext = LowerCaseExtension(path);
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

bool
detail::IsNiftiPath(const std::string & path)
{
  const std::string ext = LowerCaseExtension(path);
  return ext == ".nii" || ext == ".nii.gz";
}

void
detail::RestoreNiftiNonFinite(const std::string & path, float * buffer, std::uint64_t voxels, unsigned int components)
{
  RestoreNonFinite(path, buffer, voxels, components);
}

void
detail::RestoreNiftiNonFinite(const std::string & path, double * buffer, std::uint64_t voxels, unsigned int components)
{
  RestoreNonFinite(path, buffer, voxels, components);
}

void
detail::UpdateReader(itk::ProcessObject * reader, const std::string & path)
{
  const std::string extension = LowerCaseExtension(path);
  if (extension == ".jpg" || extension == ".jpeg")
  {
    CheckJpeg(path, true);
  }
  std::string messages;
  {
    CapturedErrorStream captured;
    try
    {
      reader->Update();
    }
    catch (const itk::ExceptionObject & e)
    {
      throw Error(path, "cannot be read: " + ReasonOf(e));
    }
    messages = captured.Text();
  }
  if (messages.find("not read completely") != std::string::npos)
  {
    throw Error(path, "is truncated: its voxel data end early (" + FirstLineOf(messages) + ")");
  }
  std::cerr << messages;
}

void
RegisterExtraIOFactories()
{
  static std::once_flag once;
  std::call_once(once, [] { ModuleFunction<void()>("TesseraExtraIO", "tesseraRegisterExtraIOFactories")(); });
}

itk::ImageIOBase::Pointer
CreateImageIO(const std::string & path, itk::ImageIOFactory::IOFileModeEnum mode, unsigned int dimension)
{
  const std::string extension = LowerCaseExtension(path);
  const bool        reading = mode == itk::ImageIOFactory::IOFileModeEnum::ReadMode;
  if (((extension == ".tif" || extension == ".tiff") && (reading || dimension == 2)) ||
      (extension == ".vrt" && reading))
  {
    itk::ImageIOBase::Pointer io;
    ModuleFunction<void(itk::ImageIOBase::Pointer *)>("TesseraGDALIO", "tesseraCreateGDALImageIO")(&io);
    if (!reading || io->CanReadFile(path.c_str()))
    {
      return io;
    }
    // Multi-page TIFFs go on to ITK's reader; TIFFs that GDAL cannot open at all do not (tesseraGDALOpenFailure).
    std::string reason;
    ModuleFunction<void(const char *, std::string *)>("TesseraGDALIO", "tesseraGDALOpenFailure")(path.c_str(), &reason);
    if (!reason.empty())
    {
      throw Error(path, "is not a raster GDAL can read: " + reason);
    }
  }
  if (!reading && detail::IsNiftiPath(path))
  {
    const std::string given = path.substr(path.size() - extension.size());
    if (given != extension)
    {
      // ITK's NIfTI writer takes lower-case extensions only (its reader takes both): refused here, before the work.
      throw Error(path, "a NIfTI output needs a lower-case extension: '" + extension + "', not '" + given + "'");
    }
    if (extension == ".nii.gz")
    {
      return FastDeflateNiftiImageIO::New().GetPointer();
    }
  }
  RegisterLightIOFactories();
  auto io = itk::ImageIOFactory::CreateImageIO(path.c_str(), mode);
  if (!io)
  {
    RegisterExtraIOFactories();
    io = itk::ImageIOFactory::CreateImageIO(path.c_str(), mode);
  }
  return io;
}

ImageInfo
ReadImageInfo(const std::string & path)
{
  std::error_code ec;
  if (!fs::exists(path, ec))
  {
    throw Error(path, "no such file");
  }
  if (fs::is_directory(path, ec))
  {
    throw Error(path, "is a folder, not an image file");
  }
  if (!fs::is_regular_file(path, ec))
  {
    throw Error(path, "is not a regular file (a pipe or device would block the reader)");
  }
  const std::string extension = LowerCaseExtension(path);
  if (extension == ".jpg" || extension == ".jpeg")
  {
    CheckJpeg(path, false);
  }
  auto io = CreateImageIO(path, itk::ImageIOFactory::IOFileModeEnum::ReadMode);
  if (!io)
  {
    throw Error(path, "is not an image format ITK can read (corrupt, or unknown extension)");
  }
  io->SetFileName(path);
  if (detail::IsNiftiPath(path))
  {
    // ITK 5.2 takes the SVD of the orientation, and VNL aborts on a value that is not finite.
    gzFile     file = gzopen(path.c_str(), "rb");
    const bool finite = !file || ReadNiftiLayout(file).finite;
    if (file)
    {
      gzclose(file);
    }
    if (!finite)
    {
      throw Error(path, "has an unreadable header: spacing or orientation values that are not finite");
    }
  }
  if (std::string(io->GetNameOfClass()) == "PNGImageIO")
  {
    CheckPngHeader(path);
  }
  else if (std::string(io->GetNameOfClass()) == "MetaImageIO")
  {
    CheckMetaImageKeys(path);
  }
  else if (std::string(io->GetNameOfClass()) == "BMPImageIO")
  {
    CheckBmpHeader(path);
  }
  try
  {
    const CapturedErrorStream captured; // MetaIO's parse messages: the exception says enough
    io->ReadImageInformation();
  }
  catch (const itk::ExceptionObject & e)
  {
    throw Error(path, "has an unreadable header: " + ReasonOf(e));
  }
  if (detail::IsNiftiPath(path))
  {
    CheckNiftiComplete(path, io->GetImageSizeInBytes());
  }
  ImageInfo info;
  info.dimension = io->GetNumberOfDimensions();
  info.components = io->GetNumberOfComponents();
  info.componentType = itk::ImageIOBase::GetComponentTypeAsString(io->GetComponentType());
  info.pixelType = itk::ImageIOBase::GetPixelTypeAsString(io->GetPixelType());
  for (unsigned int d = 0; d < info.dimension; ++d)
  {
    const bool photo = detail::IsPhotographicPath(path);
    info.size.push_back(io->GetDimensions(d));
    info.spacing.push_back(photo ? 1.0 : io->GetSpacing(d));
    info.origin.push_back(photo ? 0.0 : io->GetOrigin(d));
    info.direction.push_back(io->GetDirection(d));
  }
  // ITK reads an image with an empty axis row by row all the same: a BMP of width 0 and
  // 150 million rows took 48 s (tesseraImageReaderFuzzer).
  for (unsigned int d = 0; d < info.dimension; ++d)
  {
    if (info.size[d] == 0)
    {
      throw Error(path, "has no voxels (size 0 along axis " + std::to_string(d) + ")");
    }
  }
  // Some formats (2D slices stored as 3D with one slice) report a trailing axis of size 1.
  while (info.dimension > 2 && info.size.back() == 1)
  {
    --info.dimension;
    info.size.pop_back();
    info.spacing.pop_back();
    info.origin.pop_back();
    info.direction.pop_back();
  }
  itk::ExposeMetaData<std::string>(io->GetMetaDataDictionary(), GeoCrsKey, info.crs);
  return info;
}

namespace
{
constexpr const char * TemporaryPrefix = ".tessera-tmp-";

/** Removes the temporary folders that runs killed before their commit (SIGKILL, power loss)
 * left in dir: each is named after its process, and a process that no longer exists will never
 * commit it. */
void
RemoveStaleTemporaries(const fs::path & dir)
{
  std::error_code ec;
  for (const auto & entry : fs::directory_iterator(dir, ec))
  {
    const std::string name = entry.path().filename().string();
    if (name.rfind(TemporaryPrefix, 0) != 0 || !entry.is_directory(ec))
    {
      continue;
    }
    const long pid = std::strtol(name.c_str() + std::strlen(TemporaryPrefix), nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
    {
      fs::remove_all(entry.path(), ec);
    }
  }
}
} // namespace

AtomicOutput::AtomicOutput(const std::string & finalPath)
  : m_FinalPath(fs::absolute(finalPath))
{
  const fs::path dir = m_FinalPath.parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
  {
    throw Error(finalPath, "cannot be written: folder " + dir.string() + " does not exist");
  }
  RemoveStaleTemporaries(dir);
  std::random_device rd;
  for (int attempt = 0; attempt < 16; ++attempt)
  {
    const fs::path candidate = dir / (TemporaryPrefix + std::to_string(::getpid()) + "-" + std::to_string(rd()) + "-" +
                                      m_FinalPath.filename().string());
    if (fs::create_directory(candidate, ec))
    {
      m_TempDir = candidate;
      return;
    }
  }
  throw Error(finalPath, "cannot be written: no temporary folder can be made in " + dir.string());
}

AtomicOutput::~AtomicOutput()
{
  std::error_code ec;
  fs::remove_all(m_TempDir, ec);
}

void
AtomicOutput::Commit()
{
  if (m_Committed)
  {
    return;
  }
  // Multi-file formats (.mhd + .zraw, .hdr + .img, .nhdr + .raw) write several files of the same
  // stem: the data go into place before the header that names them, and the file itself last of
  // all (after sidecars), so a reader never pairs a new header with old or missing data.
  std::vector<fs::path> files;
  for (const auto & entry : fs::directory_iterator(m_TempDir))
  {
    files.push_back(entry.path());
  }
  const auto rank = [this](const fs::path & f) {
    const std::string ext = SplitExtension(f.filename().string()).second;
    return f.filename() == m_FinalPath.filename() ? 2 : (ext == ".mhd" || ext == ".hdr" || ext == ".nhdr" ? 1 : 0);
  };
  std::stable_sort(files.begin(), files.end(), [&](const fs::path & a, const fs::path & b) { return rank(a) < rank(b); });
  for (const auto & file : files)
  {
    std::error_code ec;
    fs::rename(file, m_FinalPath.parent_path() / file.filename(), ec);
    if (ec)
    {
      throw Error(m_FinalPath.string(), "cannot be moved into place: " + ec.message());
    }
  }
  m_Committed = true;
}

std::pair<std::string, std::string>
SplitExtension(const std::string & path)
{
  const fs::path p(path);
  const std::string name = p.filename().string();
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  // A compressed (".gz") or Slicer segmentation (".seg.nrrd") extension takes the one before it too.
  const auto dot = name.rfind('.');
  size_t     cut = dot == std::string::npos || dot == 0 ? name.size() : dot;
  const bool twice = lower.compare(cut, std::string::npos, ".gz") == 0 ||
                     (lower.size() > 9 && lower.compare(lower.size() - 9, 9, ".seg.nrrd") == 0);
  if (twice && cut != name.size())
  {
    const auto before = name.rfind('.', cut - 1);
    cut = before == std::string::npos || before == 0 ? cut : before;
  }
  const std::string stem = (p.parent_path() / name.substr(0, cut)).string();
  return { stem, name.substr(cut) };
}

std::string
LowerCaseExtension(const std::string & path)
{
  std::string ext = SplitExtension(path).second;
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return ext;
}

bool
FormatKeepsMetaData(const std::string & path)
{
  const std::string ext = LowerCaseExtension(path);
  return ext == ".nrrd" || ext == ".nhdr" || ext == ".mha" || ext == ".mhd";
}

std::string
LabelTableSidecarPath(const std::string & imagePath)
{
  return SplitExtension(imagePath).first + ".labels.json";
}

std::string
ReadTextFile(const std::string & path)
{
  std::ifstream file(path, std::ios::binary);
  if (!file)
  {
    throw Error(path, "cannot be read");
  }
  std::stringstream s;
  s << file.rdbuf();
  return s.str();
}

void
WriteSidecarFile(AtomicOutput & output, const std::string & sidecarPath, const std::string & text)
{
  const fs::path temporary = fs::path(output.TemporaryPath()).parent_path() / fs::path(sidecarPath).filename();
  std::ofstream  file(temporary, std::ios::binary);
  file << text;
  file.close();
  if (!file)
  {
    throw Error(sidecarPath, "cannot be written");
  }
}

void
WriteLabelTableSidecar(AtomicOutput & output, const std::string & json)
{
  WriteSidecarFile(output, LabelTableSidecarPath(output.FinalPath()), json);
}

std::string
ReadLabelTableText(const std::string & imagePath, const itk::MetaDataDictionary & header)
{
  std::string text;
  if (itk::ExposeMetaData<std::string>(header, LabelTableKey, text))
  {
    return text;
  }
  const std::string sidecar = LabelTableSidecarPath(imagePath);
  std::ifstream     file(sidecar);
  if (!file)
  {
    return "";
  }
  std::stringstream s;
  s << file.rdbuf();
  return s.str();
}

std::vector<std::string>
ListImageFiles(const std::string & folder)
{
  static const std::set<std::string> extensions{ ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".nii", ".nii.gz",
                                                 ".mha", ".mhd", ".nrrd", ".nhdr", ".vtk" };
  std::vector<std::string> files;
  std::error_code          ec;
  for (const auto & e : fs::directory_iterator(folder, ec))
  {
    const std::string name = e.path().filename().string();
    const std::string ext = LowerCaseExtension(name);
    if (e.is_regular_file() && name[0] != '.' && extensions.count(ext))
    {
      files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

void
WriteTextFile(AtomicOutput & out, const std::string & text)
{
  std::ofstream file(out.TemporaryPath(), std::ios::binary);
  file << text;
  file.close();
  if (!file)
  {
    throw Error(out.FinalPath(), "cannot be written");
  }
}

void
WriteTextFile(const std::string & path, const std::string & text)
{
  AtomicOutput out(path);
  WriteTextFile(out, text);
  out.Commit();
}

void
CheckOutputsDistinct(const std::vector<std::string> & inputs, const std::vector<std::string> & outputs)
{
  auto same = [](const std::string & a, const std::string & b) {
    std::error_code ec;
    if (fs::exists(a, ec) && fs::exists(b, ec))
    {
      return fs::equivalent(a, b, ec);
    }
    return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
  };
  for (size_t i = 0; i < outputs.size(); ++i)
  {
    if (outputs[i].empty())
    {
      continue;
    }
    for (const auto & in : inputs)
    {
      if (!in.empty() && same(in, outputs[i]))
      {
        throw Error(outputs[i], "is also an input; Tessera never overwrites its inputs");
      }
    }
    for (size_t j = i + 1; j < outputs.size(); ++j)
    {
      if (!outputs[j].empty() && same(outputs[i], outputs[j]))
      {
        throw Error(outputs[i], "is named for two outputs");
      }
    }
  }
}
void
CheckFloatFormat(const std::string & path)
{
  const std::string ext = LowerCaseExtension(path);
  if (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp")
  {
    throw Error(path, "floating-point values, which " + ext.substr(1) +
                        " cannot hold (use .nii.gz, .nrrd, .mha or .tif)");
  }
}
} // namespace tessera
