#ifndef tesseraSegmentationOutputs_h
#define tesseraSegmentationOutputs_h

// What every labelling application reads and writes: an intensity image with an optional mask
// in, a label image with optional probabilities and overlay out.
#include <CLI/CLI.hpp>

#include "tesseraImageUtilities.h"
#include "tesseraLabelTable.h"
#include "tesseraOverlay.h"

namespace tessera
{
struct SegmentationIO
{
  std::string input;
  std::string mask;
  std::string output;
  std::string probabilities;
  std::string overlay;
  std::string labels;

  void AddOptions(CLI::App & sub, const std::string & inputHelp)
  {
    sub.add_option("-i,--input", input, inputHelp)->required();
    sub.add_option("--mask", mask, "Mask on the input's grid: only non-zero voxels are labelled, the rest get 0");
    sub.add_option("-o,--output", output,
                   "Label image (uint16; format from the extension: .nii.gz, .mha, .nrrd, .png, ...)")
      ->required();
    sub.add_option("--probabilities", probabilities,
                   "Also write the per-class probabilities (component c = p(label c)) as a multi-component "
                   "image, e.g. .nii.gz or .mha");
    sub.add_option("--overlay", overlay,
                   "Also write a PNG of the labels over the input (3D: middle axial, coronal, sagittal slices)");
    sub.add_option("--labels", labels, "Label table (JSON) giving the overlay's names and colours");
  }

  /** Checks the outputs before any work: none may overwrite an input or another output. */
  void CheckOutputs(const std::vector<std::string> & extraInputs = {}) const
  {
    std::vector<std::string> inputs{ input, mask, labels };
    inputs.insert(inputs.end(), extraInputs.begin(), extraInputs.end());
    CheckOutputsDistinct(inputs, { output, probabilities, overlay });
    if (!labels.empty())
    {
      LabelTable::Load(labels); // a bad table fails now, not after the work
    }
  }

  /** The input intensities (checked finite inside the mask) and the mask, if any. */
  template <unsigned int D>
  std::pair<typename VectorImage<D>::Pointer, typename MaskImage<D>::Pointer> Read() const
  {
    auto                            image = ReadIntensityImage<D>(input);
    typename MaskImage<D>::Pointer  m;
    if (!mask.empty())
    {
      m = ReadMask<D>(mask, image.GetPointer(), input);
    }
    CheckFinite<D>(image.GetPointer(), input, m.GetPointer());
    return { image, m };
  }

  template <unsigned int D>
  void Write(const VectorImage<D> * image, const LabelImage<D> * labelImage, const ProbabilityImage<D> * p) const
  {
    const LabelTable table = labels.empty() ? LabelTable() : LabelTable::Load(labels);
    WriteImageFile(labelImage, output);
    if (!probabilities.empty() && p)
    {
      WriteImageFile(p, probabilities);
    }
    if (!overlay.empty())
    {
      WriteOverlay<D>(image, labelImage, table, overlay);
    }
  }
};
} // namespace tessera

#endif
