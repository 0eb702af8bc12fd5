#include "tesseraPseudoLabels.h"

#include <filesystem>
#include <unistd.h>

#include "tesseraError.h"
#include "tesseraImageIO.h"
#include "tesseraImageTensor.h"
#include "tesseraImageUtilities.h"
#include "tesseraProgress.h"

namespace fs = std::filesystem;

namespace tessera
{
namespace
{
// A scratch folder for the pipelines' outputs, removed with everything in it.
struct ScratchFolder
{
  fs::path path = fs::temp_directory_path() / ("tessera-pseudo-labels-" + std::to_string(::getpid()));
  ScratchFolder() { fs::create_directories(path); }
  ~ScratchFolder()
  {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

torch::Tensor
MaxPool(const torch::Tensor & x, int64_t kernel)
{
  const int64_t pad = kernel / 2;
  return x.dim() == 4 ? torch::max_pool2d(x, kernel, 1, pad) : torch::max_pool3d(x, kernel, 1, pad);
}

// The pipeline's output as label values and, for probabilities, each pixel's largest probability.
template <unsigned int D>
std::pair<typename LabelImage<D>::Pointer, torch::Tensor>
ReadTeacherOutput(const std::string & path)
{
  if (ReadImageInfo(path).components == 1)
    return { ReadLabelImage<D>(path), torch::Tensor() };
  const auto probabilities = ReadProbabilityImage<D>(path);
  const auto tensor = ImageToTensor<D>(probabilities.GetPointer());
  return { ArgMaxLabels<D>(probabilities.GetPointer(), nullptr, path), std::get<0>(tensor.max(0)) };
}

template <unsigned int D>
typename LabelImage<D>::Pointer
PseudoLabelImage(const TrainingConfig & c, const std::string & image, const std::string & output)
{
  const auto [labels, confidence] = ReadTeacherOutput<D>(output);
  torch::Tensor values = LabelsToTensor<D>(labels.GetPointer());
  if (!c.pseudo.labelValues.empty())
  {
    auto mapped = torch::empty_like(values);
    const torch::Tensor present = std::get<0>(torch::_unique(values)).to(torch::kLong).contiguous();
    for (int64_t i = 0; i < present.numel(); ++i)
    {
      const int64_t v = present.data_ptr<int64_t>()[i];
      const auto it = c.pseudo.labelValues.find(static_cast<int>(v));
      if (it == c.pseudo.labelValues.end())
        throw Error(c.pseudo.pipeline, "gives label " + std::to_string(v) + " on " + image +
                                         ", which pseudo_labels.label_values does not map");
      mapped.masked_fill_(values == v, it->second);
    }
    values = mapped;
  }
  const auto confident = ConfidentPseudoLabels(values, confidence, c.pseudo.threshold, c.pseudo.margin);
  return TensorToLabels<D>(confident.masked_fill(confident < 0, PseudoLabelIgnoreValue), labels.GetPointer());
}
} // namespace

torch::Tensor
ConfidentPseudoLabels(const torch::Tensor & labels, const torch::Tensor & confidence, double threshold, int margin)
{
  auto out = labels.to(torch::kLong).clone();
  if (confidence.defined())
    out.masked_fill_(confidence < threshold, -1);
  if (margin > 0)
  {
    const auto values = labels.to(torch::kFloat).unsqueeze(0).unsqueeze(0);
    const auto highest = MaxPool(values, 2 * margin + 1), lowest = -MaxPool(-values, 2 * margin + 1);
    out.masked_fill_((highest != lowest).squeeze(0).squeeze(0), -1);
  }
  return out;
}

std::vector<std::string>
WritePseudoLabels(const TrainingConfig & c, const std::string & folder, const RunOptions & options, bool quiet)
{
  const ScratchFolder                      scratch;
  std::vector<itk::DataObject::Pointer>    images;
  std::vector<std::string>                 files;
  ProgressReporter progress("train: pseudo-labels of " + std::to_string(c.pseudo.images.size()) + " images by " +
                              fs::path(c.pseudo.pipeline).filename().string(),
                            quiet);
  for (size_t i = 0; i < c.pseudo.images.size(); ++i)
  {
    const std::string & image = c.pseudo.images[i];
    const std::string   output = (scratch.path / (std::to_string(i) + ".nrrd")).string();
    auto                variables = c.pseudo.variables;
    variables["input"] = image;
    variables["output"] = output;
    RunPipelineFile(c.pseudo.pipeline, variables, options);
    const unsigned int dimension = ReadImageInfo(output).dimension;
    if (dimension == 2)
      images.push_back(PseudoLabelImage<2>(c, image, output).GetPointer());
    else
      images.push_back(PseudoLabelImage<3>(c, image, output).GetPointer());
    files.push_back((fs::path(folder) / (SplitExtension(fs::path(image).filename().string()).first +
                                          (dimension == 2 ? ".png" : ".nii.gz")))
                      .string());
    progress.Report(static_cast<double>(i + 1) / c.pseudo.images.size());
  }
  progress.Done();
  fs::create_directories(folder);
  for (size_t i = 0; i < images.size(); ++i)
  {
    if (auto * image2 = dynamic_cast<LabelImage<2> *>(images[i].GetPointer()))
      WriteImageFile<LabelImage<2>>(image2, files[i]);
    else
      WriteImageFile<LabelImage<3>>(dynamic_cast<LabelImage<3> *>(images[i].GetPointer()), files[i]);
  }
  return files;
}
} // namespace tessera
