// tessera train: the training loop (see Documentation/Applications/train.md).
#include "tesseraTraining.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <future>
#include <iomanip>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <unistd.h>

#include "tesseraError.h"
#include "tesseraImageIO.h"
#include "tesseraImageTensor.h"
#include "tesseraImageUtilities.h"
#include "tesseraInference.h"
#include "tesseraLosses.h"
#include "tesseraModelFile.h"
#include "tesseraParameter.h"
#include "tesseraPlot.h"
#include "tesseraProgress.h"
#include "tesseraPseudoLabels.h"
#include "tesseraSemiSupervised.h"
#include "tesseraTrainingConfig.h"
#include "tesseraWeakSupervision.h"

namespace fs = std::filesystem;

namespace tessera
{
namespace
{
using Clock = std::chrono::steady_clock;

struct Sample
{
  torch::Tensor image; ///< [C, (D,) H, W] float, normalised
  torch::Tensor label; ///< [(D,) H, W] int16 class, -1 ignored (all for an unlabelled image); hidden labels under weak supervision
  torch::Tensor given; ///< the labels as read, kept when weak supervision replaces `label` by hidden labels
};

struct Batch
{
  torch::Tensor images;     ///< [B, C, ...]
  torch::Tensor labels;     ///< [B, ...] int64, -1 ignored
  torch::Tensor unlabelled; ///< [B, C, ...] weak views of unlabelled crops (semi-supervised), else undefined
};

uint64_t
Mix(uint64_t a, uint64_t b)
{
  uint64_t x = a * 0x9E3779B97F4A7C15ULL ^ (b + 0x632BE59BD9B4E019ULL + (a << 6) + (a >> 2));
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  return x;
}

void
SetThreads(unsigned int threads)
{
  const unsigned int n = threads ? threads : std::max(1u, std::thread::hardware_concurrency());
  at::set_num_threads(static_cast<int>(n));
}

/** Raw label values of a label file (grey indices, or colours mapped through the table) → class tensor. */
template <unsigned int D>
torch::Tensor
ReadClasses(const TrainingConfig & c, const std::string & file, const VectorImage<D> * image, const std::string & imageFile)
{
  const auto           imageSize = image->GetLargestPossibleRegion().GetSize();
  std::vector<int>     raw;
  itk::Size<D>         size;
  if (c.labelFormat == "rgb")
  {
    auto         colours = ReadImageFile<VectorImage<D>>(file);
    const auto   nc = colours->GetNumberOfComponentsPerPixel();
    if (nc < 3)
      throw Error(file, "expected an RGB colour mask (data.label_format is rgb), got " + std::to_string(nc) + " component(s)");
    size = colours->GetLargestPossibleRegion().GetSize();
    const size_t  n = colours->GetLargestPossibleRegion().GetNumberOfPixels();
    const float * p = colours->GetBufferPointer();
    raw.resize(n);
    for (size_t i = 0; i < n; ++i)
    {
      const uint32_t key = (static_cast<uint32_t>(p[i * nc]) << 16) | (static_cast<uint32_t>(p[i * nc + 1]) << 8) |
                           static_cast<uint32_t>(p[i * nc + 2]);
      auto it = c.colourToValue.find(key);
      if (it == c.colourToValue.end())
      {
        std::ostringstream s;
        s << "colour (" << p[i * nc] << "," << p[i * nc + 1] << "," << p[i * nc + 2] << ") at pixel "
          << colours->ComputeIndex(static_cast<typename VectorImage<D>::OffsetValueType>(i))
          << " is not in the label table " << c.labelTablePath;
        throw Error(file, s.str());
      }
      raw[i] = it->second;
    }
  }
  else
  {
    auto labels = ReadLabelImage<D>(file);
    size = labels->GetLargestPossibleRegion().GetSize();
    raw.assign(labels->GetBufferPointer(), labels->GetBufferPointer() + labels->GetLargestPossibleRegion().GetNumberOfPixels());
  }
  if (size != imageSize)
  {
    std::ostringstream s;
    s << "size " << size << " differs from the image " << imageFile << "'s " << imageSize;
    throw Error(file, s.str());
  }
  std::unordered_map<int, int> lut;
  std::vector<int64_t>         shape;
  for (int a = static_cast<int>(D) - 1; a >= 0; --a)
    shape.push_back(static_cast<int64_t>(size[a]));
  auto      out = torch::empty({ static_cast<int64_t>(raw.size()) }, torch::kShort);
  int16_t * o = out.data_ptr<int16_t>();
  for (size_t i = 0; i < raw.size(); ++i)
  {
    auto it = lut.find(raw[i]);
    if (it == lut.end())
      it = lut.emplace(raw[i], c.ClassOf(raw[i], file)).first;
    o[i] = static_cast<int16_t>(it->second);
  }
  return out.reshape(shape);
}

template <unsigned int D>
std::vector<Sample>
LoadSet(const TrainingConfig & c, const DatasetFiles & files, int & channels, ProgressReporter & progress)
{
  std::vector<Sample> set;
  for (size_t i = 0; i < files.images.size(); ++i)
  {
    const std::string & imageFile = files.images[i];
    const ImageInfo     info = ReadImageInfo(imageFile);
    if (info.dimension != D)
      throw Error(imageFile, "is " + std::to_string(info.dimension) + "D but network.dimension is " + std::to_string(D));
    auto image = ReadIntensityImage<D>(imageFile);
    CheckFinite<D>(image.GetPointer(), imageFile);
    const int nc = static_cast<int>(image->GetNumberOfComponentsPerPixel());
    if (channels == 0)
      channels = nc;
    if (nc != channels)
      throw Error(imageFile, "has " + std::to_string(nc) + " channel(s) but " +
                               (c.inChannelsGiven ? std::string("network.in_channels is ") : std::string("the first image has ")) +
                               std::to_string(channels));
    Sample s;
    s.image = ImageToTensor<D>(image.GetPointer());
    s.label = files.labels.empty() ? torch::full(s.image.sizes().slice(1), -1, torch::kShort)
                                   : ReadClasses<D>(c, files.labels[i], image.GetPointer(), imageFile);
    set.push_back(std::move(s));
    progress.Report(static_cast<double>(i + 1) / files.images.size());
  }
  return set;
}

std::vector<int64_t>
Scaled(const torch::Tensor & label, double scale)
{
  std::vector<int64_t> s;
  for (int64_t a = 0; a < label.dim(); ++a)
    s.push_back(std::max<int64_t>(1, std::llround(label.size(a) * scale)));
  return s;
}

/** One augmented training crop. */
Sample
MakeCrop(const std::vector<Sample> & set, const std::discrete_distribution<size_t> & pick, const TrainingConfig & c,
         std::mt19937_64 & rng)
{
  auto                 chooser = pick;
  const Sample &       s = set[chooser(rng)];
  const auto &         g = c.augmentation;
  const int64_t        dims = s.label.dim();
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double scale = g.scaleMin == g.scaleMax ? g.scaleMin
                                                : std::exp(std::log(g.scaleMin) + unit(rng) * (std::log(g.scaleMax) - std::log(g.scaleMin)));
  std::vector<int64_t> source(dims);
  auto                 image = s.image;
  auto                 label = s.label;
  std::vector<int64_t> padImage, padLabel;
  for (int64_t a = 0; a < dims; ++a)
  {
    source[a] = std::max<int64_t>(1, std::llround(c.cropSize[a] / scale));
    const int64_t size = s.label.size(a);
    int64_t       origin;
    if (size >= source[a])
      origin = std::uniform_int_distribution<int64_t>(0, size - source[a])(rng);
    else
      origin = -std::uniform_int_distribution<int64_t>(0, source[a] - size)(rng);
    const int64_t lo = std::max<int64_t>(0, origin), hi = std::min(size, origin + source[a]);
    image = image.slice(1 + a, lo, hi);
    label = label.slice(a, lo, hi);
    padImage.insert(padImage.begin(), { lo - origin, origin + source[a] - hi });
    padLabel.insert(padLabel.begin(), { lo - origin, origin + source[a] - hi });
  }
  image = torch::constant_pad_nd(image, padImage, 0);
  label = torch::constant_pad_nd(label, padLabel, -1);
  if (source != c.cropSize)
  {
    image = ResizeImage(image, c.cropSize);
    label = ResizeLabels(label, c.cropSize);
  }
  if (g.flip)
    for (int64_t a = 0; a < dims; ++a)
      if (unit(rng) < 0.5)
      {
        image = torch::flip(image, { 1 + a });
        label = torch::flip(label, { a });
      }
  if (g.rot90 && c.cropSize[dims - 1] == c.cropSize[dims - 2])
  {
    const int64_t k = std::uniform_int_distribution<int64_t>(0, 3)(rng);
    if (k)
    {
      image = torch::rot90(image, k, { dims - 1, dims });
      label = torch::rot90(label, k, { dims - 2, dims - 1 });
    }
  }
  if (g.contrast > 0 || g.brightness > 0)
  {
    const double contrast = 1.0 + (2 * unit(rng) - 1) * g.contrast;
    const double brightness = (2 * unit(rng) - 1) * g.brightness;
    image = image * contrast + brightness;
  }
  return { image.contiguous(), label.contiguous(), {} };
}

/** The data sets, normalised, and how training crops are drawn from them. */
struct TrainingData
{
  std::vector<Sample>                train, val, unlabelled;
  std::vector<double>                mean, stdev;     ///< per channel: the normalisation saved with the model
  std::discrete_distribution<size_t> pick;            ///< which training image a crop comes from
  std::discrete_distribution<size_t> pickUnlabelled;  ///< which unlabelled image a crop comes from
  int                                steps = 0;       ///< optimiser steps per epoch
};

// A batch of crops of the labelled images and, when semi-supervised, as many of the unlabelled ones.
Batch
MakeBatch(const TrainingData & data, const TrainingConfig & c, uint64_t seed, int epoch, int step)
{
  const int                  crops = data.unlabelled.empty() ? c.batchSize : 2 * c.batchSize;
  std::vector<torch::Tensor> images(crops), labels(crops);
  auto                       work = [&](int first, int stride) {
    for (int i = first; i < crops; i += stride)
    {
      // One generator per sample, seeded by (seed, epoch, step, i): the same crops whatever the thread count.
      std::mt19937_64 rng(Mix(Mix(Mix(seed, static_cast<uint64_t>(epoch)), static_cast<uint64_t>(step)), static_cast<uint64_t>(i)));
      auto            s = i < c.batchSize ? MakeCrop(data.train, data.pick, c, rng) : MakeCrop(data.unlabelled, data.pickUnlabelled, c, rng);
      images[i] = s.image;
      labels[i] = s.label;
    }
  };
  const int                threads = std::min(c.workers, crops);
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t)
    pool.emplace_back(work, t, threads);
  work(0, threads);
  for (auto & t : pool)
    t.join();
  Batch batch;
  batch.images = torch::stack(std::vector<torch::Tensor>(images.begin(), images.begin() + c.batchSize));
  batch.labels = torch::stack(std::vector<torch::Tensor>(labels.begin(), labels.begin() + c.batchSize)).to(torch::kLong);
  if (crops > c.batchSize)
    batch.unlabelled = torch::stack(std::vector<torch::Tensor>(images.begin() + c.batchSize, images.end()));
  return batch;
}

struct Validation
{
  double loss = NAN, mIoU = NAN, dice = NAN;
};

Validation
Validate(SegmentationNetworkImpl & net, const std::vector<Sample> & set, const CombinedLoss & loss,
         const TrainingConfig & c, torch::Device device)
{
  Validation v;
  if (set.empty())
    return v;
  const int64_t    K = c.Classes();
  InferenceOptions o;
  o.window = c.cropSize;
  o.overlap = c.valOverlap;
  o.batchSize = c.batchSize;
  o.device = device;
  auto   confusion = torch::zeros({ K * K }, torch::kLong);
  double lossSum = 0;
  for (const auto & s : set)
  {
    const auto p = PredictProbabilities(net, s.image, o);
    const auto target = s.label.to(torch::kLong);
    lossSum += loss(p.clamp_min(1e-8).log().unsqueeze(0), target.unsqueeze(0)).item<double>();
    const auto valid = target >= 0;
    const auto t = target.masked_select(valid), q = p.argmax(0).masked_select(valid);
    confusion += torch::bincount(t * K + q, {}, K * K);
  }
  v.loss = lossSum / set.size();
  const auto m = confusion.reshape({ K, K }).to(torch::kDouble);
  const auto tp = m.diag(), fn = m.sum(1) - tp, fp = m.sum(0) - tp;
  const auto present = (tp + fn + fp) > 0;
  if (present.any().item<bool>())
  {
    v.mIoU = (tp / (tp + fp + fn)).masked_select(present).mean().item<double>();
    v.dice = (2 * tp / (2 * tp + fp + fn)).masked_select(present).mean().item<double>();
  }
  net.train();
  return v;
}

std::string
Fixed(double v, int precision = 6)
{
  if (std::isnan(v))
    return "";
  std::ostringstream s;
  s << std::setprecision(precision) << v;
  return s.str();
}

// NaN (no validation set) is written as null.
nlohmann::json
JsonNumber(double v)
{
  return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v);
}

/** The files a run writes into its output folder. */
struct OutputFiles
{
  explicit OutputFiles(const fs::path & folder)
    : best((folder / "best.pt").string())
    , last((folder / "last.pt").string())
    , csv((folder / "training.csv").string())
    , curves((folder / "training-curves.png").string())
  {}
  std::string best, last, csv, curves;
};

// Nothing a run writes may be one of its inputs, e.g. the config kept as config.json in its own
// folder. (A resumed run reads last.pt and writes it again, by design.)
void
CheckOutputsAreNotInputs(const TrainingRequest & request, const TrainingConfig & c, const OutputFiles & files)
{
  std::vector<std::string> inputs{ request.config, c.labelTablePath };
  for (const auto * set : { &c.train, &c.val })
  {
    inputs.insert(inputs.end(), set->images.begin(), set->images.end());
    inputs.insert(inputs.end(), set->labels.begin(), set->labels.end());
  }
  inputs.insert(inputs.end(), c.semi.images.begin(), c.semi.images.end());
  const std::string config = (fs::path(c.output) / "config.json").string();
  for (const auto & output : { files.best, files.last, files.csv, files.curves, config })
  {
    for (const auto & input : inputs)
    {
      std::error_code ec;
      if (!input.empty() && fs::equivalent(input, output, ec))
        throw Error(input, "is an input of the run and would be overwritten by its " +
                             fs::path(output).filename().string() + " (choose another output folder)");
    }
  }
}

// The checkpoint decides a resumed run's state; its seed too, unless one is given.
LoadedModel
LoadResumeCheckpoint(const std::string & lastPath)
{
  LoadedModel resumed = LoadModel(lastPath);
  if (resumed.trainingState.is_null())
    throw Error(lastPath, "is not a training checkpoint (no training state)");
  return resumed;
}

// Seeds LibTorch (initialisation) with the run's seed, which also drives sampling and augmentation.
uint64_t
SeedRun(const TrainingRequest & request, const LoadedModel & resumed)
{
  uint64_t seed = request.seedGiven ? request.seed : std::random_device{}();
  if (request.resume && !request.seedGiven)
    seed = resumed.trainingState.value("seed", seed);
  torch::manual_seed(seed);
  if (torch::cuda::is_available())
    torch::cuda::manual_seed_all(seed);
  return seed;
}

// Reads the training and validation sets; all images must have the channels of network.in_channels,
// or of the first image when it is not given (then it is set from it).
template <unsigned int D>
void
ReadSets(const TrainingRequest & request, TrainingConfig & c, TrainingData & data)
{
  int channels = c.inChannelsGiven ? c.network.inChannels : 0;
  {
    ProgressReporter progress("train: reading " + std::to_string(c.train.images.size()) + " training images", request.quiet);
    data.train = LoadSet<D>(c, c.train, channels, progress);
    progress.Done();
  }
  if (!c.val.images.empty())
  {
    ProgressReporter progress("train: reading " + std::to_string(c.val.images.size()) + " validation images", request.quiet);
    data.val = LoadSet<D>(c, c.val, channels, progress);
    progress.Done();
  }
  if (!c.semi.images.empty())
  {
    ProgressReporter progress("train: reading " + std::to_string(c.semi.images.size()) + " unlabelled images", request.quiet);
    data.unlabelled = LoadSet<D>(c, DatasetFiles{ c.semi.images, {} }, channels, progress);
    progress.Done();
  }
  c.network.inChannels = channels;
}

// Per-channel mean and standard deviation of the training images; a constant channel gets
// deviation 1 so that normalising it cannot divide by zero.
void
ChannelStatistics(const std::vector<Sample> & train, int channels, std::vector<double> & mean, std::vector<double> & stdev)
{
  mean.assign(channels, 0.0);
  stdev.assign(channels, 0.0);
  std::vector<double> sum(channels, 0.0), sum2(channels, 0.0);
  double              count = 0;
  for (const auto & s : train)
  {
    const auto x = s.image.to(torch::kDouble).reshape({ channels, -1 });
    for (int k = 0; k < channels; ++k)
    {
      sum[k] += x[k].sum().item<double>();
      sum2[k] += (x[k] * x[k]).sum().item<double>();
    }
    count += static_cast<double>(x.size(1));
  }
  for (int k = 0; k < channels; ++k)
  {
    mean[k] = sum[k] / count;
    stdev[k] = std::sqrt(std::max(0.0, sum2[k] / count - mean[k] * mean[k]));
    if (!(stdev[k] > 1e-12))
      stdev[k] = 1.0;
  }
}

// Normalises every image with data.mean and data.stdev, then resamples images and labels by
// data.input_scale: once here rather than in every crop.
void
NormaliseSets(TrainingData & data, const TrainingConfig & c)
{
  const int  channels = c.network.inChannels;
  const auto m = torch::tensor(data.mean, torch::kDouble).to(torch::kFloat),
             sd = torch::tensor(data.stdev, torch::kDouble).to(torch::kFloat);
  for (auto * set : { &data.train, &data.val, &data.unlabelled })
    for (auto & s : *set)
    {
      std::vector<int64_t> shape(s.image.dim(), 1);
      shape[0] = channels;
      s.image = (s.image - m.reshape(shape)) / sd.reshape(shape);
      if (c.inputScale != 1.0)
      {
        const auto size = Scaled(s.label, c.inputScale);
        s.image = ResizeImage(s.image, size).contiguous();
        s.label = ResizeLabels(s.label, size).contiguous();
      }
    }
}

// Crops come from the training images in proportion to their pixels; by default an epoch
// covers as many pixels as the training set holds.
void
PlanCrops(TrainingData & data, const TrainingConfig & c)
{
  std::vector<double> weights;
  double              trainPixels = 0;
  for (const auto & s : data.train)
  {
    weights.push_back(static_cast<double>(s.label.numel()));
    trainPixels += static_cast<double>(s.label.numel());
  }
  data.pick = std::discrete_distribution<size_t>(weights.begin(), weights.end());
  std::vector<double> unlabelledWeights;
  for (const auto & s : data.unlabelled)
    unlabelledWeights.push_back(static_cast<double>(s.label.numel()));
  data.pickUnlabelled = std::discrete_distribution<size_t>(unlabelledWeights.begin(), unlabelledWeights.end());
  double cropPixels = 1;
  for (auto v : c.cropSize)
    cropPixels *= static_cast<double>(v);
  data.steps = c.stepsPerEpoch > 0 ? c.stepsPerEpoch
                                   : std::max(1, static_cast<int>(std::ceil(trainPixels / cropPixels / c.batchSize)));
}

// Reads and prepares the data; a resumed run keeps the checkpoint's normalisation.
template <unsigned int D>
TrainingData
LoadTrainingData(const TrainingRequest & request, TrainingConfig & c, const LoadedModel & resumed)
{
  TrainingData data;
  ReadSets<D>(request, c, data);
  if (request.resume)
  {
    data.mean = resumed.info.mean;
    data.stdev = resumed.info.std;
  }
  else
  {
    ChannelStatistics(data.train, c.network.inChannels, data.mean, data.stdev);
  }
  NormaliseSets(data, c);
  if (c.weak.pottsBeta > 0)
    for (auto & s : data.train)
      s.given = s.label;
  PlanCrops(data, c);
  return data;
}

// The network to train, on the device in training mode: the checkpoint's when resuming (the
// config must describe the same network), else a new one. Crops must fit its size multiple.
SegmentationNetworkPointer
PrepareNetwork(const TrainingRequest & request, const TrainingConfig & c, const LoadedModel & resumed,
               const std::string & lastPath, torch::Device device)
{
  SegmentationNetworkPointer net;
  if (request.resume)
  {
    if (resumed.info.network.ToJson().dump() != c.network.ToJson().dump())
      throw Error(request.config, "network: differs from the checkpoint " + lastPath + "'s; cannot resume");
    net = resumed.network;
  }
  else
  {
    net = MakeNetwork(c.network);
  }
  for (auto v : c.cropSize)
    if (v % net->SizeMultiple() != 0)
      throw Error(request.config, "crop_size: " + std::to_string(v) + " is not a multiple of " +
                                    std::to_string(net->SizeMultiple()) + " (2^depth for a U-Net)");
  net->to(device);
  net->train();
  return net;
}

// What a model file records besides the weights: how to prepare an image and read the output.
ModelInfo
DescribeModel(const TrainingConfig & c, const TrainingData & data)
{
  ModelInfo info;
  info.network = c.network;
  info.mean = data.mean;
  info.std = data.stdev;
  info.outputValues = c.outputValues;
  info.labelTable = c.labelTable;
  info.cropSize = c.cropSize;
  info.inputScale = c.inputScale;
  return info;
}

// The training state saved in last.pt for --resume: a fresh one, or the checkpoint's, whose
// optimiser state then is restored too.
nlohmann::json
InitialState(const TrainingRequest & request, const TrainingConfig & c, uint64_t seed, const LoadedModel & resumed,
             const std::string & lastPath, torch::optim::Adam & optimizer)
{
  if (request.resume)
  {
    LoadOptimizerState(lastPath, optimizer);
    optimizer.zero_grad();
    return resumed.trainingState;
  }
  nlohmann::json state;
  state["seed"] = seed;
  state["epoch"] = 0;
  state["lr"] = c.learningRate;
  state["best"] = nullptr;
  state["best_epoch"] = 0;
  state["plateau_best"] = nullptr;
  state["plateau_count"] = 0;
  state["rows"] = nlohmann::json::array();
  return state;
}

// Adam keeps its learning rate in every parameter group.
void
SetLearningRate(torch::optim::Adam & optimizer, double lr)
{
  for (auto & group : optimizer.param_groups())
    static_cast<torch::optim::AdamOptions &>(group.options()).lr(lr);
}

// Creates the output folder and keeps the config there beside the checkpoints.
void
PrepareOutputFolder(const TrainingRequest & request, const TrainingConfig & c)
{
  const fs::path  out(c.output);
  std::error_code ec;
  fs::create_directories(out, ec);
  if (!fs::is_directory(out))
    throw Error(c.output, "cannot create the output folder");
  std::ifstream     in(request.config);
  std::stringstream text;
  text << in.rdbuf();
  WriteTextFile((out / "config.json").string(), text.str());
}

// One line: data, classes, network size, device, threads, loss, steps per epoch and seed.
void
PrintRunSummary(const TrainingConfig & c, const TrainingData & data, SegmentationNetworkImpl & net, torch::Device device,
                const CombinedLoss & loss, uint64_t seed)
{
  std::cout << "train: " << data.train.size() << " training, " << data.val.size() << " validation images; "
            << c.Classes() << " classes; " << c.network.architecture
            << (c.network.equivariance == "none" ? "" : " of " + c.network.equivariance + " group convolutions") << " ("
            << net.parameters().size() << " tensors, ";
  int64_t n = 0;
  for (const auto & p : net.parameters())
    n += p.numel();
  std::cout << n << " parameters) on " << (device.is_cuda() ? "CUDA" : "CPU") << " with " << at::get_num_threads()
            << " threads; loss " << loss.Describe()
            << (c.equivarianceWeight > 0 ? " + " + FormatNumber(c.equivarianceWeight) + "*equivariance(" + c.equivarianceGroup + ")" : "")
            << (data.unlabelled.empty() ? ""
                                        : " + " + FormatNumber(c.semi.weight) + "*pseudo-labels(" + std::to_string(data.unlabelled.size()) +
                                            " unlabelled images, " + c.semi.teacher + " teacher, threshold " + FormatNumber(c.semi.threshold) + ")")
            << (c.weak.pottsBeta > 0 ? "; hidden labels by Potts graph cuts (beta " + FormatNumber(c.weak.pottsBeta) + ") after " +
                                         std::to_string(c.weak.warmupEpochs) + " epochs"
                                     : "")
            << "; " << data.steps << " steps of " << c.batchSize
            << " per epoch; seed " << seed << std::endl;
}

/** What every epoch of a run uses. */
struct TrainingContext
{
  const TrainingRequest &   request;
  const TrainingConfig &    c;
  const TrainingData &      data;
  SegmentationNetworkImpl & net;
  torch::optim::Adam &      optimizer;
  const CombinedLoss &      loss;
  torch::Device             device;
  uint64_t                  seed;
};

/** What one epoch's optimiser steps did. */
struct EpochResult
{
  double lossSum = 0;
  double confidentSum = 0; ///< semi-supervised: sum over steps of the fraction of unlabelled pixels given a pseudo-label
  int    steps = 0; ///< steps done: fewer than planned when the time ran out
  bool   outOfTime = false;
};

// One epoch of optimiser steps. The next batch is prepared on another thread while the network
// trains on this one; `next` carries it over into the next epoch. Stops once the time budget
// (max_minutes since `start`) would be spent before the epoch's validation, which is expected to
// take `validationSeconds` (the last one's duration), so that the whole run keeps to the budget.
EpochResult
TrainEpoch(const TrainingContext & run, int epoch, Clock::time_point start, double validationSeconds,
           std::future<Batch> & next, ProgressReporter & progress)
{
  const TrainingConfig & c = run.c;
  const TrainingData &   data = run.data;
  const double           budget = c.maxMinutes * 60.0;
  EpochResult            result;
  const std::optional<PlanarGroup> group = c.equivarianceWeight > 0 ? std::optional<PlanarGroup>(c.equivarianceGroup) : std::nullopt;
  const std::optional<PlanarGroup> teacher = c.semi.teacher != "weak" ? std::optional<PlanarGroup>(c.semi.teacher) : std::nullopt;
  const StrongAugmentation         strongView{ c.semi.brightness, c.semi.contrast, c.semi.blur, c.semi.cutmix };
  for (int step = 0; step < data.steps; ++step)
  {
    if (budget > 0 && std::chrono::duration<double>(Clock::now() - start).count() + validationSeconds > budget)
    {
      result.outOfTime = true;
      break;
    }
    Batch     batch = next.get();
    const int nextEpoch = step + 1 < data.steps ? epoch : epoch + 1, nextStep = step + 1 < data.steps ? step + 1 : 0;
    next = std::async(std::launch::async, MakeBatch, std::cref(data), std::cref(c), run.seed, nextEpoch, nextStep);
    run.optimizer.zero_grad();
    const auto images = batch.images.to(run.device);
    auto       logits = run.net.forward(images);
    auto l = run.loss(logits, batch.labels.to(run.device));
    if (group)
    {
      // A turn or mirror image other than the identity, drawn from the seed, epoch and step.
      std::mt19937_64 draw(run.seed ^ (static_cast<uint64_t>(epoch) * 1000003u + static_cast<uint64_t>(step)));
      const int64_t   g = 1 + static_cast<int64_t>(draw() % static_cast<uint64_t>(group->Order() - 1));
      l = l + c.equivarianceWeight *
                EquivarianceConsistencyLoss(logits, run.net.forward(group->Transform(images, g)), *group, g);
    }
    if (batch.unlabelled.defined())
    {
      // FixMatch: pseudo-labels of the teacher's weak view, learnt on the strong view.
      std::mt19937_64 draw(Mix(Mix(run.seed ^ 0x5EEDULL, static_cast<uint64_t>(epoch)), static_cast<uint64_t>(step)));
      const auto      weak = batch.unlabelled.to(run.device);
      const auto      pseudo = PseudoLabels(TeacherProbabilities(run.net, weak, teacher ? &*teacher : nullptr), c.semi.threshold);
      const auto [strong, target] = StrongView(weak, pseudo, strongView, draw);
      l = l + c.semi.weight * PseudoLabelLoss(run.net.forward(strong), target);
      result.confidentSum += (pseudo >= 0).to(torch::kDouble).mean().item<double>();
    }
    l.backward();
    run.optimizer.step();
    const double value = l.item<double>();
    if (!std::isfinite(value))
      throw Error(run.request.config, "the training loss became " + std::to_string(value) + " at epoch " +
                                        std::to_string(epoch) + "; lower optimizer.lr");
    result.lossSum += value;
    ++result.steps;
    progress.Report(static_cast<double>(step + 1) / data.steps);
  }
  return result;
}

// Weak supervision: every training image's hidden labels, from the network's probabilities and its given labels.
void
UpdateHiddenLabels(const TrainingContext & run, TrainingData & data, bool quiet)
{
  const auto       start = Clock::now();
  InferenceOptions o;
  o.window = run.c.cropSize;
  o.overlap = run.c.valOverlap;
  o.batchSize = run.c.batchSize;
  o.device = run.device;
  ProgressReporter progress("train: hidden labels (Potts, beta " + FormatNumber(run.c.weak.pottsBeta) + ")", quiet);
  int64_t          changed = 0, total = 0;
  for (size_t i = 0; i < data.train.size(); ++i)
  {
    auto &     s = data.train[i];
    const auto hidden = PottsHiddenLabels(PredictProbabilities(run.net, s.image, o), s.given, run.c.weak.pottsBeta);
    changed += (hidden != s.label).sum().item<int64_t>();
    total += hidden.numel();
    s.label = hidden;
    progress.Report(static_cast<double>(i + 1) / data.train.size());
  }
  run.net.train();
  progress.Done();
  if (!quiet)
    std::cout << "train: hidden labels updated: " << Fixed(100.0 * changed / std::max<int64_t>(1, total), 3)
              << " % of the pixels changed, " << Fixed(std::chrono::duration<double>(Clock::now() - start).count(), 3)
              << " s" << std::endl;
}

// Whether the monitored value beats the best so far (any value does when there is none yet).
bool
Improves(nlohmann::json & state, double monitored, bool higherIsBetter)
{
  return state["best"].is_null() ||
         (higherIsBetter ? monitored > state["best"].get<double>() : monitored < state["best"].get<double>());
}

// ReduceLROnPlateau on the validation loss (relative threshold 1e-4, as PyTorch's default);
// returns the learning rate of the next epoch.
double
ReduceOnPlateau(nlohmann::json & state, double value, double lr, const TrainingConfig & c, torch::optim::Adam & optimizer)
{
  if (state["plateau_best"].is_null() || value < state["plateau_best"].get<double>() * (1 - 1e-4))
  {
    state["plateau_best"] = value;
    state["plateau_count"] = 0;
  }
  else
  {
    state["plateau_count"] = state["plateau_count"].get<int>() + 1;
    if (state["plateau_count"].get<int>() > c.plateauPatience)
    {
      lr = std::max(c.minLearningRate, lr * c.plateauFactor);
      SetLearningRate(optimizer, lr);
      state["plateau_count"] = 0;
    }
  }
  return lr;
}

// training.csv: one row per epoch of the state's log.
std::string
TrainingCsv(const nlohmann::json & rows)
{
  std::ostringstream s;
  s << "epoch,train_loss,val_loss,val_miou,val_dice,lr,seconds\n";
  for (const auto & r : rows)
    s << r[0].get<int>() << "," << Fixed(r[1].get<double>()) << "," << (r[2].is_null() ? "" : Fixed(r[2].get<double>()))
      << "," << (r[3].is_null() ? "" : Fixed(r[3].get<double>())) << ","
      << (r[4].is_null() ? "" : Fixed(r[4].get<double>())) << "," << Fixed(r[5].get<double>()) << ","
      << Fixed(r[6].get<double>(), 4) << "\n";
  return s.str();
}

// training-curves.png: loss per epoch (training, and validation when there is a validation set)
// above validation mIoU (when there is one); empty when no epoch has a finite loss to draw.
cv::Mat
TrainingCurves(const nlohmann::json & rows)
{
  std::vector<double> epochs, trainLoss, valLoss, valMiou;
  const auto          value = [](const nlohmann::json & v) { return v.is_null() ? NAN : v.get<double>(); };
  for (const auto & r : rows)
  {
    epochs.push_back(r[0].get<int>());
    trainLoss.push_back(value(r[1]));
    valLoss.push_back(value(r[2]));
    valMiou.push_back(value(r[3]));
  }
  const auto drawable = [](const std::vector<double> & v) {
    return std::any_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
  };
  std::vector<Series> losses;
  if (drawable(trainLoss))
    losses.push_back({ "training loss", epochs, trainLoss, { { 31, 119, 180 } } });
  if (drawable(valLoss))
    losses.push_back({ "validation loss", epochs, valLoss, { { 255, 127, 14 } } });
  std::vector<cv::Mat> panels;
  if (!losses.empty())
    panels.push_back(DrawLineChart(losses, { "Loss per epoch", "epoch", "loss" }));
  if (drawable(valMiou))
    panels.push_back(DrawLineChart({ { "validation mIoU", epochs, valMiou, { { 44, 160, 44 } } } },
                                   { "Validation mIoU per epoch", "epoch", "mIoU" }, std::make_pair(0.0, 1.0)));
  return panels.empty() ? cv::Mat() : StackCharts(panels);
}

// Checkpoint after every epoch: last.pt (weights, optimiser and training state, for --resume),
// the log so far and its curves (each file replaced atomically, so they can be watched).
void
SaveLastCheckpoint(const TrainingContext & run, const OutputFiles & files, const ModelInfo & info, const nlohmann::json & state)
{
  SaveModel(files.last, run.net, info, &run.optimizer, state);
  WriteTextFile(files.csv, TrainingCsv(state["rows"]));
  const cv::Mat curves = TrainingCurves(state["rows"]);
  if (!curves.empty())
    WritePng(curves, files.curves);
}

// Pseudo-labels of a classical pipeline join the training set, their left-out pixels ignored.
void
AddPseudoLabels(const TrainingRequest & request, TrainingConfig & c)
{
  RunOptions options;
  options.quiet = true;
  options.threads = request.threads;
  options.seed = request.seed;
  options.seedGiven = request.seedGiven;
  const auto labels = WritePseudoLabels(c, (fs::path(c.output) / "pseudo-labels").string(), options, request.quiet);
  c.train.images.insert(c.train.images.end(), c.pseudo.images.begin(), c.pseudo.images.end());
  c.train.labels.insert(c.train.labels.end(), labels.begin(), labels.end());
  c.ignoreValues.push_back(PseudoLabelIgnoreValue);
}

// The run: data, network and state are set up (or resumed), then epochs run until c.epochs,
// early stopping or the time budget, with a checkpoint after each.
template <unsigned int D>
void
Train(const TrainingRequest & request, TrainingConfig c)
{
  const auto start = Clock::now();
  if (c.output.empty())
    throw Error(request.config, "output: no output folder (set \"output\" or --output)");
  const OutputFiles files(c.output);
  CheckOutputsAreNotInputs(request, c, files);
  if (!c.pseudo.pipeline.empty())
    AddPseudoLabels(request, c);
  auto              loss = CombinedLoss::FromJson(c.loss, request.config + ": loss", c.Classes());
  loss.SetIgnoreIndex(-1);
  const LoadedModel  resumed = request.resume ? LoadResumeCheckpoint(files.last) : LoadedModel{};
  const uint64_t     seed = SeedRun(request, resumed);
  TrainingData       data = LoadTrainingData<D>(request, c, resumed);

  const torch::Device              device = DefaultDevice();
  const SegmentationNetworkPointer net = PrepareNetwork(request, c, resumed, files.last, device);
  torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(c.learningRate).weight_decay(c.weightDecay));
  ModelInfo          info = DescribeModel(c, data);
  nlohmann::json     state = InitialState(request, c, seed, resumed, files.last, optimizer);
  double             lr = state["lr"].get<double>();
  SetLearningRate(optimizer, lr);
  PrepareOutputFolder(request, c);
  const bool higherIsBetter = c.monitor == "val_miou" && !data.val.empty();
  if (!request.quiet)
    PrintRunSummary(c, data, *net, device, loss, seed);

  const TrainingContext run{ request, c, data, *net, optimizer, loss, device, seed };
  bool                  outOfTime = false;
  double                validationSeconds = 0;
  int                   epoch = state["epoch"].get<int>();
  std::future<Batch>    next = std::async(std::launch::async, MakeBatch, std::cref(data), std::cref(c), seed, epoch + 1, 0);
  while (epoch < c.epochs && !outOfTime)
  {
    ++epoch;
    const auto epochStart = Clock::now();
    if (c.weak.pottsBeta > 0 && epoch > c.weak.warmupEpochs && (epoch - c.weak.warmupEpochs - 1) % c.weak.updateEvery == 0)
    {
      // The batch being made holds the old labels: wait for it, relabel, make it again (crops depend on the seed only).
      next.wait();
      UpdateHiddenLabels(run, data, request.quiet);
      next = std::async(std::launch::async, MakeBatch, std::cref(data), std::cref(c), seed, epoch, 0);
    }
    ProgressReporter progress("train: epoch " + std::to_string(epoch) + "/" + std::to_string(c.epochs), request.quiet);
    const EpochResult steps = TrainEpoch(run, epoch, start, validationSeconds, next, progress);
    outOfTime = steps.outOfTime;
    if (steps.steps == 0)
    {
      --epoch;
      break;
    }
    const double trainLoss = steps.lossSum / steps.steps;
    const auto   validationStart = Clock::now();
    Validation   v = Validate(*net, data.val, loss, c, device);
    validationSeconds = std::chrono::duration<double>(Clock::now() - validationStart).count();
    progress.Done();
    const double monitored = data.val.empty() ? trainLoss : (higherIsBetter ? v.mIoU : v.loss);
    const double plateauValue = data.val.empty() ? trainLoss : v.loss;
    // Best checkpoint.
    const bool better = Improves(state, monitored, higherIsBetter);
    // Field by field: in clang 14's sanitized build, assigning a braced list here left the replaced
    // object unfreed (LeakSanitizer: 560 bytes for each epoch after the first; Documentation/Sanitizers.md).
    info.training["epoch"] = epoch;
    info.training["train_loss"] = trainLoss;
    info.training["val_loss"] = JsonNumber(v.loss);
    info.training["val_miou"] = JsonNumber(v.mIoU);
    info.training["val_dice"] = JsonNumber(v.dice);
    info.training["config"] = request.config;
    if (better && std::isfinite(monitored))
    {
      state["best"] = monitored;
      state["best_epoch"] = epoch;
      SaveModel(files.best, *net, info);
    }
    const double epochLr = lr;
    lr = ReduceOnPlateau(state, plateauValue, lr, c, optimizer);
    const double seconds = std::chrono::duration<double>(Clock::now() - epochStart).count();
    state["rows"].push_back({ epoch, trainLoss, JsonNumber(v.loss), JsonNumber(v.mIoU), JsonNumber(v.dice), epochLr, seconds });
    state["epoch"] = epoch;
    state["lr"] = lr;
    SaveLastCheckpoint(run, files, info, state);
    if (!request.quiet)
      std::cout << "epoch " << epoch << ": train loss " << Fixed(trainLoss, 4) << ", val loss " << Fixed(v.loss, 4)
                << ", val mIoU " << Fixed(v.mIoU, 4) << ", val Dice " << Fixed(v.dice, 4) << ", lr " << epochLr << ", "
                << Fixed(seconds, 3) << " s"
                << (data.unlabelled.empty() ? "" : ", pseudo-labelled " + Fixed(100.0 * steps.confidentSum / steps.steps, 3) + " %")
                << (better ? " (best)" : "") << std::endl;
    if (c.earlyStopping > 0 && epoch - state["best_epoch"].get<int>() >= c.earlyStopping)
    {
      if (!request.quiet)
        std::cout << "train: early stopping: no improvement for " << c.earlyStopping << " epochs" << std::endl;
      break;
    }
  }
  next.wait();
  if (!request.quiet)
  {
    if (outOfTime)
      std::cout << "train: stopped after " << c.maxMinutes << " minutes (max_minutes)" << std::endl;
    std::cout << "train: best epoch " << state["best_epoch"].get<int>() << " ("
              << (higherIsBetter ? "val mIoU " : (data.val.empty() ? "train loss " : "val loss "))
              << (state["best"].is_null() ? std::string("-") : Fixed(state["best"].get<double>(), 4)) << "): " << files.best
              << std::endl;
  }
}
} // namespace

void
RunTraining(const TrainingRequest & request)
{
  SetThreads(request.threads);
  TrainingConfig c = ReadTrainingConfig(request.config);
  if (!request.output.empty())
    c.output = request.output;
  // Check the loss spec before reading any data.
  CombinedLoss::FromJson(c.loss, request.config + ": loss", c.Classes());
  // A batch the machine cannot hold would fail deep inside LibTorch after minutes (or swap for
  // hours): refuse it up front. The estimate is a lower bound: the batch plus 8 full-resolution
  // feature maps of the first level per crop (forward and backward keep several more).
  double voxels = 1.0;
  for (const auto s : c.cropSize)
    voxels *= static_cast<double>(s);
  const double bytes = c.batchSize * voxels * (std::max(c.network.inChannels, 1) + 8.0 * c.network.baseWidth) * 4.0;
  const double memory = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
  if (bytes > memory)
  {
    std::ostringstream m;
    m << std::setprecision(3) << "crop_size: a batch of " << c.batchSize << " crops of " << voxels
      << " voxels needs at least " << bytes / (1 << 30) << " GiB for the network's features; this machine has "
      << memory / (1 << 30) << " GiB";
    throw Error(request.config, m.str());
  }
  if (c.network.dimension == 2)
    Train<2>(request, c);
  else
    Train<3>(request, c);
}
} // namespace tessera
