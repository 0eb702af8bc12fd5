#ifndef tesseraRegionIO_h
#define tesseraRegionIO_h

// What the region applications (region-grow, watershed, superpixels, split-merge) read and
// write: intensities in; a label image and an optional boundary overlay out.
#include <sstream>

#include <CLI/CLI.hpp>

#include "tesseraImageUtilities.h"
#include "tesseraLabelTable.h"
#include "tesseraOverlay.h"

namespace tessera
{
struct RegionIO
{
  std::string input;
  std::string output;
  std::string overlay;

  void AddOptions(CLI::App & sub, const std::string & inputHelp)
  {
    sub.add_option("-i,--input", input, inputHelp)->required();
    sub.add_option("-o,--output", output,
                   "Label image (uint16, regions 1..N; format from the extension: .nii.gz, .mha, .nrrd, .png, ...)")
      ->required();
    sub.add_option("--overlay", overlay,
                   "Also write a PNG of the region borders over the input (3D: middle axial, coronal, sagittal slices)");
  }

  /** Before any work: no output may overwrite an input or another output. */
  void CheckOutputs(const std::vector<std::string> & extraInputs = {}, const std::vector<std::string> & extraOutputs = {}) const
  {
    std::vector<std::string> inputs{ input };
    inputs.insert(inputs.end(), extraInputs.begin(), extraInputs.end());
    std::vector<std::string> outputs{ output, overlay };
    outputs.insert(outputs.end(), extraOutputs.begin(), extraOutputs.end());
    CheckOutputsDistinct(inputs, outputs);
  }

  template <unsigned int D>
  typename VectorImage<D>::Pointer Read() const
  {
    auto image = ReadIntensityImage<D>(input);
    CheckFinite<D>(image.GetPointer(), input);
    return image;
  }

  template <unsigned int D>
  void Write(const VectorImage<D> * image, const LabelImage<D> * labels) const
  {
    WriteImageFile(labels, output);
    if (!overlay.empty())
    {
      WriteOverlay<D>(image, labels, LabelTable(), overlay, 0.3);
    }
  }
};

/** Parses "x,y[,z]" (D numbers) with an optional ":label" suffix (default 1).
 * \throws Error(option) for a malformed value. */
template <unsigned int D>
std::pair<std::array<double, D>, unsigned int>
ParsePointWithLabel(const std::string & text, const std::string & option)
{
  std::string coordinates = text;
  unsigned int label = 1;
  const auto   colon = text.find(':');
  const auto   bad = [&](const std::string & why) {
    return Error(option, "'" + text + "' " + why + " (expected " + (D == 2 ? "x,y" : "x,y,z") + " or " +
                           (D == 2 ? "x,y" : "x,y,z") + ":label)");
  };
  if (colon != std::string::npos)
  {
    coordinates = text.substr(0, colon);
    try
    {
      size_t     used = 0;
      const long l = std::stol(text.substr(colon + 1), &used);
      if (used != text.size() - colon - 1 || l < 1 || l > 65535)
      {
        throw bad("has a label that is not an integer in 1-65535");
      }
      label = static_cast<unsigned int>(l);
    }
    catch (const std::logic_error &)
    {
      throw bad("has a label that is not an integer in 1-65535");
    }
  }
  std::array<double, D> p{};
  std::istringstream    s(coordinates);
  std::string           item;
  unsigned int          count = 0;
  while (std::getline(s, item, ','))
  {
    if (count >= D)
    {
      throw bad("has more than " + std::to_string(D) + " coordinates for a " + std::to_string(D) + "D image");
    }
    try
    {
      size_t used = 0;
      p[count] = std::stod(item, &used);
      if (used != item.size())
      {
        throw bad("is not a list of numbers");
      }
    }
    catch (const std::logic_error &)
    {
      throw bad("is not a list of numbers");
    }
    ++count;
  }
  if (count != D)
  {
    throw bad("has " + std::to_string(count) + " coordinates for a " + std::to_string(D) + "D image");
  }
  return { p, label };
}
} // namespace tessera

#endif
