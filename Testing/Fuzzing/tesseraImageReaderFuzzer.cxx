// Fuzz target of the image readers Tessera wraps around ITK's: the first byte picks the file's
// extension (and so the ITK ImageIO tried first), the rest is the file. ReadImageInfo reads the
// header; a 2D or 3D image is then read as intensities and as labels. tessera::Error, or any
// std::exception, is a clean refusal; a crash, an abort or a sanitizer report is a finding.
#include <array>
#include <cstdint>
#include <exception>

#include "tesseraFuzzInputFile.h"
#include "tesseraImageUtilities.h"

namespace
{
const std::array<const char *, 14> Extensions{ ".nii", ".nii.gz", ".mha", ".mhd", ".nrrd", ".nhdr", ".png",
                                               ".jpg",  ".tif",    ".bmp", ".vtk", ".gipl", ".hdr",  ".dcm" };

/** Headers may promise any size; pixels are read only up to this many values, so that
 * libFuzzer's 2 GB malloc limit catches reader bugs rather than headers' promises. */
constexpr double MaximumValues = 1 << 22;

template <unsigned int D>
void
ReadPixels(const std::string & path)
{
  tessera::ReadIntensityImage<D>(path);
  tessera::ReadLabelImage<D>(path);
}
} // namespace

extern "C" int
LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
  if (size == 0)
  {
    return 0;
  }
  const std::string path = tessera::WriteFuzzFile(std::string("input") + Extensions[data[0] % Extensions.size()],
                                                  data + 1, size - 1);
  try
  {
    const tessera::ImageInfo info = tessera::ReadImageInfo(path);
    double                   values = info.components;
    for (const auto s : info.size)
    {
      values *= static_cast<double>(s);
    }
    if (values > MaximumValues)
    {
      return 0;
    }
    if (info.dimension == 2)
    {
      ReadPixels<2>(path);
    }
    else if (info.dimension == 3)
    {
      ReadPixels<3>(path);
    }
  }
  catch (const std::exception &) // tessera::Error and what escapes from ITK or the STL
  {
  }
  return 0;
}
