// tessera predict: sliding-window inference of a trained model (Documentation/Applications/predict.md).
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include "tesseraError.h"
#include "tesseraImageIO.h"
#include "tesseraImageTensor.h"
#include "tesseraImageUtilities.h"
#include "tesseraInference.h"
#include "tesseraLabelTable.h"
#include "tesseraModelFile.h"
#include "tesseraOverlay.h"
#include "tesseraProgress.h"
#include "tesseraTraining.h"
#include "tesseraTrainingConfig.h"

namespace fs = std::filesystem;

namespace tessera
{
namespace
{
struct Job
{
  std::string input, output, probabilities, overlay;
};

LabelTable
TableFromJson(const nlohmann::json & j)
{
  LabelTable t;
  if (!j.is_object() || !j.contains("labels"))
    return t;
  for (const auto & e : j["labels"])
  {
    LabelTable::Entry entry;
    entry.name = e.value("name", std::string());
    if (e.contains("color"))
      for (int k = 0; k < 3; ++k)
        entry.color[k] = e["color"][k].get<uint8_t>();
    entry.ignore = e.value("ignore", false);
    t.Add(e.at("id").get<LabelPixel>(), entry);
  }
  return t;
}

std::string
Lower(std::string s)
{
  std::transform(s.begin(), s.end(), s.begin(), ::tolower);
  return s;
}

/** "name.nii.gz" → ("name", ".nii.gz"). */
std::pair<std::string, std::string>
SplitName(const fs::path & p)
{
  const std::string name = p.filename().string();
  for (const char * multi : { ".nii.gz", ".nrrd.gz" })
  {
    const std::string m(multi);
    if (name.size() > m.size() && Lower(name.substr(name.size() - m.size())) == m)
      return { name.substr(0, name.size() - m.size()), name.substr(name.size() - m.size()) };
  }
  return { p.stem().string(), p.extension().string() };
}

template <unsigned int D>
void
PredictOne(LoadedModel & model, const Job & job, const PredictionRequest & r, const InferenceOptions & options)
{
  const ModelInfo & info = model.info;
  auto              image = ReadIntensityImage<D>(job.input);
  CheckFinite<D>(image.GetPointer(), job.input);
  const int channels = static_cast<int>(image->GetNumberOfComponentsPerPixel());
  if (channels != info.network.inChannels)
    throw Error(job.input, "has " + std::to_string(channels) + " channel(s) but the model " + r.model + " expects " +
                             std::to_string(info.network.inChannels));
  auto                 x = ImageToTensor<D>(image.GetPointer());
  std::vector<int64_t> size(x.sizes().begin() + 1, x.sizes().end()), shape(x.dim(), 1);
  shape[0] = channels;
  x = (x - torch::tensor(info.mean, torch::kDouble).to(torch::kFloat).reshape(shape)) /
      torch::tensor(info.std, torch::kDouble).to(torch::kFloat).reshape(shape);
  if (info.inputScale != 1.0)
  {
    std::vector<int64_t> scaled;
    for (auto v : size)
      scaled.push_back(std::max<int64_t>(1, std::llround(v * info.inputScale)));
    x = ResizeImage(x, scaled);
  }
  ProgressReporter progress("predict " + fs::path(job.input).filename().string(), r.quiet);
  auto             p = PredictProbabilities(*model.network, x, options, [&](double f) { progress.Report(f); });
  if (info.inputScale != 1.0)
  {
    p = ResizeImage(p, size);
    p = p / p.sum(0, true).clamp_min(1e-12);
  }
  const auto classes = p.argmax(0);
  torch::Tensor labels = classes;
  torch::Tensor probabilities = p;
  if (!r.classIndices)
  {
    std::vector<int64_t> values(info.outputValues.begin(), info.outputValues.end());
    const auto           lut = torch::tensor(values, torch::kLong);
    labels = lut.index_select(0, classes.reshape(-1)).reshape(classes.sizes());
    if (!job.probabilities.empty())
    {
      // Component v = p(label v): classes sharing an output value add up, other labels get 0.
      const int64_t        components = *std::max_element(values.begin(), values.end()) + 1;
      std::vector<int64_t> pshape(p.sizes().begin(), p.sizes().end());
      pshape[0] = components;
      probabilities = torch::zeros(pshape, torch::kFloat);
      probabilities.index_add_(0, lut, p);
    }
  }
  auto labelImage = TensorToLabels<D>(labels, image.GetPointer());
  WriteImageFile(labelImage.GetPointer(), job.output);
  if (!job.probabilities.empty())
    WriteImageFile(TensorToProbabilities<D>(probabilities, image.GetPointer()).GetPointer(), job.probabilities);
  if (!job.overlay.empty())
    WriteOverlay<D>(image.GetPointer(), labelImage.GetPointer(), r.classIndices ? LabelTable() : TableFromJson(info.labelTable),
                    job.overlay);
  progress.Done();
}
} // namespace

void
RunPrediction(const PredictionRequest & r)
{
  at::set_num_threads(static_cast<int>(r.threads ? r.threads : std::max(1u, std::thread::hardware_concurrency())));
  if (!(r.overlap >= 0 && r.overlap < 1))
    throw Error("--overlap", "must be in [0, 1), got " + std::to_string(r.overlap));
  if (r.batch < 1)
    throw Error("--batch", "must be at least 1");
  std::error_code ec;
  // Jobs: one file, or every image of a folder.
  std::vector<Job> jobs;
  if (fs::is_directory(r.input, ec))
  {
    if (fs::exists(r.output, ec) && !fs::is_directory(r.output, ec))
      throw Error(r.output, "must be a folder when the input " + r.input + " is a folder");
    const std::vector<std::pair<std::string, std::string>> folders{ { r.probabilities, "--probabilities" },
                                                                     { r.overlay, "--overlay" } };
    for (const auto & [path, name] : folders)
      if (!path.empty() && fs::exists(path, ec) && !fs::is_directory(path, ec))
        throw Error(path, name + " must be a folder when the input is a folder");
    const auto files = ListImageFiles(r.input);
    if (files.empty())
      throw Error(r.input, "the folder holds no image files");
    std::set<std::string> names;
    for (const auto & f : files)
    {
      auto [stem, ext] = SplitName(f);
      std::string e = r.extension.empty() ? ext : r.extension;
      if (!e.empty() && e[0] != '.')
        e = "." + e;
      const std::string le = Lower(e);
      if (le == ".jpg" || le == ".jpeg" || le == ".bmp")
        e = ".png"; // lossy or 8-bit-RGB formats cannot hold labels
      if (!names.insert(stem).second)
        throw Error(f, "two input files share the name " + stem + "; outputs would collide");
      Job j{ f, (fs::path(r.output) / (stem + e)).string(), "", "" };
      if (!r.probabilities.empty())
        j.probabilities = (fs::path(r.probabilities) / (stem + ".nii.gz")).string();
      if (!r.overlay.empty())
        j.overlay = (fs::path(r.overlay) / (stem + ".png")).string();
      jobs.push_back(j);
    }
  }
  else
  {
    if (!fs::exists(r.input, ec))
      throw Error(r.input, "input image not found");
    jobs.push_back({ r.input, r.output, r.probabilities, r.overlay });
  }
  std::vector<std::string> inputs{ r.model }, outputs;
  for (const auto & j : jobs)
  {
    inputs.push_back(j.input);
    for (const auto * o : { &j.output, &j.probabilities, &j.overlay })
      if (!o->empty())
        outputs.push_back(*o);
  }
  CheckOutputsDistinct(inputs, outputs);
  // Everything that can be checked is checked before any output is written.
  LoadedModel model = LoadModel(r.model);
  for (const auto & j : jobs)
  {
    const ImageInfo info = ReadImageInfo(j.input);
    if (static_cast<int>(info.dimension) != model.info.network.dimension)
      throw Error(j.input, "is " + std::to_string(info.dimension) + "D but the model " + r.model + " is " +
                             std::to_string(model.info.network.dimension) + "D");
  }
  InferenceOptions options;
  options.window = model.info.cropSize;
  if (!r.window.empty())
  {
    options.window.clear();
    std::stringstream s(r.window);
    std::string       part;
    while (std::getline(s, part, 'x'))
    {
      try
      {
        options.window.push_back(std::stoll(part));
      }
      catch (const std::exception &)
      {
        throw Error("--window", "expected sizes like 256x256, got " + r.window);
      }
      if (options.window.back() < 1)
        throw Error("--window", "sizes must be positive");
    }
    if (static_cast<int>(options.window.size()) != model.info.network.dimension)
      throw Error("--window", "needs " + std::to_string(model.info.network.dimension) + " sizes");
  }
  options.overlap = r.overlap;
  options.tta = r.tta;
  options.batchSize = r.batch;
  if (r.device == "cpu")
    options.device = torch::kCPU;
  else if (r.device == "cuda")
  {
    if (!torch::cuda::is_available())
      throw Error("--device", "CUDA is not available on this machine");
    options.device = torch::kCUDA;
  }
  else if (r.device == "auto")
    options.device = DefaultDevice();
  else
    throw Error("--device", "must be auto, cpu or cuda");
  for (const auto & j : jobs)
    for (const auto * o : { &j.output, &j.probabilities, &j.overlay })
      if (!o->empty())
      {
        const fs::path parent = fs::absolute(*o).parent_path();
        if (jobs.size() > 1 || fs::is_directory(r.input, ec))
          fs::create_directories(parent, ec);
        if (!fs::is_directory(parent, ec))
          throw Error(*o, "cannot be written: folder " + parent.string() + " does not exist");
      }
  for (const auto & j : jobs)
  {
    if (model.info.network.dimension == 2)
      PredictOne<2>(model, j, r, options);
    else
      PredictOne<3>(model, j, r, options);
    if (!r.quiet)
      std::cout << j.input << " -> " << j.output << std::endl;
  }
}
} // namespace tessera
