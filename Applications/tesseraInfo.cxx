// tessera info: what an image file holds (size, spacing, pixel type) and, for label images,
// how many voxels each label has.
#include <iomanip>
#include <map>
#include <sstream>

#include "tesseraApplication.h"
#include "tesseraImageUtilities.h"
#include "tesseraLabelTable.h"

namespace tessera
{
namespace
{
struct InfoOptions
{
  std::string   input;
  std::string   labels;
  CommonOptions common;
};

template <typename T>
std::string
Join(const std::vector<T> & values, const char * sep)
{
  std::ostringstream s;
  for (size_t i = 0; i < values.size(); ++i)
  {
    s << (i ? sep : "") << values[i];
  }
  return s.str();
}

template <unsigned int D>
void
PrintValues(const InfoOptions & o, const ImageInfo & info)
{
  const bool integral = info.componentType.find("float") == std::string::npos &&
                        info.componentType.find("double") == std::string::npos;
  if (info.components != 1)
  {
    return;
  }
  const auto image = ReadImageFile<ScalarImage<D>>(o.input);
  const float * data = image->GetBufferPointer();
  const size_t  n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  std::map<float, size_t> histogram;
  double                  sum = 0.0;
  float                   lo = data[0], hi = data[0];
  for (size_t i = 0; i < n; ++i)
  {
    sum += data[i];
    lo = std::min(lo, data[i]);
    hi = std::max(hi, data[i]);
    if (integral && histogram.size() <= 256)
    {
      ++histogram[data[i]];
    }
  }
  std::cout << "intensity: min " << lo << ", max " << hi << ", mean " << sum / static_cast<double>(n) << "\n";
  if (!integral || histogram.size() > 256)
  {
    return;
  }
  const LabelTable table = o.labels.empty() ? LabelTable() : LabelTable::Load(o.labels);
  std::cout << "label histogram (" << histogram.size() << " values):\n";
  for (const auto & [value, count] : histogram)
  {
    const auto label = static_cast<LabelPixel>(value);
    std::cout << "  " << std::setw(6) << value << "  " << std::setw(10) << count << "  " << std::fixed
              << std::setprecision(2) << std::setw(6) << 100.0 * static_cast<double>(count) / static_cast<double>(n)
              << "%  " << (table.Contains(label) ? table.Name(label) : "") << std::defaultfloat << "\n";
  }
}

void
Run(const InfoOptions & o)
{
  ApplyCommonOptions(o.common);
  const ImageInfo info = ReadImageInfo(o.input);
  std::cout << "file: " << o.input << "\n"
            << "dimension: " << info.dimension << "\n"
            << "size: " << Join(info.size, " x ") << " voxels\n"
            << "spacing: " << Join(info.spacing, " x ") << " mm\n"
            << "origin: " << Join(info.origin, ", ") << " mm\n"
            << "direction:";
  for (const auto & row : info.direction)
  {
    std::cout << " [" << Join(row, ", ") << "]";
  }
  std::cout << "\npixel: " << info.pixelType << " of " << info.componentType << ", " << info.components
            << " component(s)\n";
  if (info.dimension == 2 || info.dimension == 3)
  {
    DispatchDimension(o.input, [&](auto d) { PrintValues<decltype(d)::value>(o, info); });
  }
}

void
Setup(CLI::App & sub)
{
  auto o = std::make_shared<InfoOptions>();
  sub.add_option("-i,--input,input", o->input, "Image file (any ITK-readable format)")->required();
  sub.add_option("--labels", o->labels, "Label table (JSON) to name the labels in the histogram");
  AddCommonOptions(sub, o->common);
  sub.callback([o] { Run(*o); });
}

const ApplicationRegistration registration{ "info",
                                            "Size, spacing, origin, direction, pixel type and label histogram of an image",
                                            Setup };
} // namespace
} // namespace tessera
