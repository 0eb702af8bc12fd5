#include "tesseraCNNImageFilter.h"

#include <algorithm>
#include <thread>

#include "tesseraError.h"
#include "tesseraImageTensor.h"
#include "tesseraInference.h"
#include "tesseraModelFile.h"
#include "tesseraProbabilityImage.h"
#include "tesseraTorchScript.h"

namespace tessera
{
struct CNNModel
{
  SegmentationNetworkPointer network;
  unsigned int               dimension = 2;
  int                        channels = -1; ///< -1: any (TorchScript with one normalisation for all)
  std::vector<double>        mean, std;     ///< per channel, or one value for all
  double                     inputScale = 1.0;
  std::vector<int64_t>       window;
  std::vector<LabelPixel>    outputValues;  ///< label of each network class
  LabelTable                 table;         ///< names and colours of the labels
};

std::shared_ptr<const CNNModel>
LoadCNNModel(const std::string & path)
{
  LoadedModel loaded = LoadModel(path);
  auto        m = std::make_shared<CNNModel>();
  m->network = loaded.network;
  m->dimension = static_cast<unsigned int>(loaded.info.network.dimension);
  m->channels = loaded.info.network.inChannels;
  m->mean = loaded.info.mean;
  m->std = loaded.info.std;
  m->inputScale = loaded.info.inputScale;
  m->window = loaded.info.cropSize;
  m->outputValues = loaded.info.outputValues;
  if (loaded.info.labelTable.is_object())
  {
    m->table = LabelTable::FromJson(loaded.info.labelTable.dump(), path);
  }
  return m;
}

std::shared_ptr<const CNNModel>
LoadTorchScriptCNNModel(const std::string & path, const TorchScriptModelOptions & options)
{
  if (options.labels.Size() < 2)
  {
    throw Error("labels", "a TorchScript model needs a label table with one label per output channel (at least 2)");
  }
  if (options.dimension != 2 && options.dimension != 3)
  {
    throw Error("dimension", "must be 2 or 3");
  }
  if (options.mean.empty() || options.mean.size() != options.std.size())
  {
    throw Error("std", "give as many std values as mean values (one, or one per channel)");
  }
  for (const double s : options.std)
  {
    if (!(s > 0))
    {
      throw Error("std", "must be positive");
    }
  }
  TorchScriptOptions ts;
  ts.sizeMultiple = options.sizeMultiple;
  auto m = std::make_shared<CNNModel>();
  m->network = LoadTorchScriptNetwork(path, ts);
  m->dimension = options.dimension;
  m->channels = options.mean.size() > 1 ? static_cast<int>(options.mean.size()) : -1;
  m->mean = options.mean;
  m->std = options.std;
  m->window = options.window;
  m->outputValues = options.labels.Labels();
  m->table = options.labels;
  return m;
}

int
CNNModelChannels(const CNNModel & model)
{
  return model.channels;
}

unsigned int
CNNModelDimension(const CNNModel & model)
{
  return model.dimension;
}

const std::vector<int64_t> &
CNNModelWindow(const CNNModel & model)
{
  return model.window;
}

LabelTable
CNNModelLabels(const CNNModel & model)
{
  std::vector<LabelPixel> labels = model.outputValues;
  std::sort(labels.begin(), labels.end());
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  LabelTable table = LabelTable::Numbered(labels);
  for (const LabelPixel l : labels)
  {
    if (model.table.Contains(l))
    {
      table.Add(l, model.table.Entries().at(l));
    }
  }
  return table;
}

CNNTiling
CNNModelTiling(const CNNModel & model, const std::vector<int64_t> & window, int batch, unsigned int channels)
{
  CNNTiling         t;
  const auto &      w = window.empty() ? model.window : window;
  const double      classes = static_cast<double>(CNNModelLabels(model).Size());
  // The input and its normalised and padded copies, the blended probabilities and their merged copies, the
  // outputs: a whole 4000 x 4000 RGB run of a 5-class U-Net peaks at 106 bytes per pixel above LibTorch.
  t.bytesPerPixel = 16.0 * channels + 14.0 * classes + 16.0;
  if (w.empty())
  {
    t.refusal = "run a TorchScript module without --window (the whole image would be one window)";
    return t;
  }
  if (model.inputScale != 1.0)
  {
    t.refusal = "run a model that resamples its input (input_scale " + std::to_string(model.inputScale) +
                "): its windows do not fall on the image's grid";
  }
  const int64_t m = model.network->SizeMultiple();
  double        windowPixels = 1.0;
  for (const auto v : w)
  {
    const int64_t rounded = (std::max<int64_t>(v, 1) + m - 1) / m * m;
    t.halo = std::max(t.halo, static_cast<unsigned int>(rounded));
    windowPixels *= static_cast<double>(rounded);
  }
  double weights = 0.0, width = 64.0;
  bool   first = true;
  for (const auto & p : model.network->parameters())
  {
    weights += static_cast<double>(p.numel()) * p.element_size();
    if (first && p.dim() >= 4)
    {
      width = static_cast<double>(p.size(0));
      first = false;
    }
  }
  constexpr double LibTorch = 256.0 * (1 << 20); // the CPU runtime's resident memory once loaded
  t.fixedBytes = LibTorch + 3.0 * weights + batch * windowPixels * 4.0 * (8.0 * width + 3.0 * classes + 4.0);
  return t;
}

template <unsigned int D>
CNNImageFilter<D>::CNNImageFilter()
{
  this->SetNumberOfRequiredOutputs(2);
  this->SetNthOutput(1, this->MakeOutput(1));
}

template <unsigned int D>
itk::ProcessObject::DataObjectPointer
CNNImageFilter<D>::MakeOutput(itk::ProcessObject::DataObjectPointerArraySizeType index)
{
  if (index == 1)
  {
    return LabelImage<D>::New().GetPointer();
  }
  return Superclass::MakeOutput(index);
}

template <unsigned int D>
LabelImage<D> *
CNNImageFilter<D>::GetLabelOutput()
{
  return dynamic_cast<LabelImage<D> *>(this->itk::ProcessObject::GetOutput(1));
}

template <unsigned int D>
void
CNNImageFilter<D>::GenerateOutputInformation()
{
  Superclass::GenerateOutputInformation();
  if (!m_Model)
  {
    throw Error("model", "no model set");
  }
  this->GetOutput()->SetNumberOfComponentsPerPixel(static_cast<unsigned int>(CNNModelLabels(*m_Model).Size()));
  auto * labels = this->GetLabelOutput();
  labels->CopyInformation(this->GetInput());
  labels->SetLargestPossibleRegion(this->GetInput()->GetLargestPossibleRegion());
}

template <unsigned int D>
void
CNNImageFilter<D>::EnlargeOutputRequestedRegion(itk::DataObject * output)
{
  // Sliding windows cover the whole image; tiling under a memory budget is the caller's.
  Superclass::EnlargeOutputRequestedRegion(output);
  output->SetRequestedRegionToLargestPossibleRegion();
}

template <unsigned int D>
void
CNNImageFilter<D>::GenerateData()
{
  const CNNModel &       model = *m_Model;
  const VectorImage<D> * image = this->GetInput();
  const int              channels = static_cast<int>(image->GetNumberOfComponentsPerPixel());
  if (model.dimension != D)
  {
    throw Error("input", "is " + std::to_string(D) + "D but the model is " + std::to_string(model.dimension) + "D");
  }
  if (model.channels >= 0 && channels != model.channels)
  {
    throw Error("input", "has " + std::to_string(channels) + " channel(s) but the model expects " +
                           std::to_string(model.channels));
  }
  if (!(m_Overlap >= 0.0 && m_Overlap <= 0.95))
  {
    throw Error("overlap", "must be in [0, 0.95]");
  }
  if (m_BatchSize < 1)
  {
    throw Error("batch", "must be at least 1");
  }
  InferenceOptions options;
  options.window = m_Window.empty() ? model.window : m_Window;
  if (!options.window.empty() && options.window.size() != D)
  {
    throw Error("window", "needs " + std::to_string(D) + " sizes");
  }
  for (const auto w : options.window)
  {
    if (w < 8 || w > 65536)
    {
      throw Error("window", "sizes must be in [8, 65536] pixels");
    }
  }
  options.overlap = m_Overlap;
  options.tta = m_TestTimeAugmentation;
  options.batchSize = m_BatchSize;
  options.placement = m_Placement;
  if (m_Placement.Tiled() && model.inputScale != 1.0)
  {
    throw Error("model", "resamples its input (input_scale " + std::to_string(model.inputScale) +
                           "), so its windows do not fall on the image's grid: it does not run tile by tile");
  }
  if (m_Device == "cpu")
  {
    options.device = torch::kCPU;
  }
  else if (m_Device == "cuda")
  {
    if (!torch::cuda::is_available())
    {
      throw Error("device", "CUDA is not available on this machine");
    }
    options.device = torch::kCUDA;
  }
  else if (m_Device == "auto")
  {
    options.device = DefaultDevice();
  }
  else
  {
    throw Error("device", "must be auto, cpu or cuda");
  }
  at::set_num_threads(static_cast<int>(m_Threads ? m_Threads : std::max(1u, std::thread::hardware_concurrency())));

  auto                 x = ImageToTensor<D>(image);
  std::vector<int64_t> size(x.sizes().begin() + 1, x.sizes().end()), shape(x.dim(), 1);
  shape[0] = model.mean.size() > 1 ? channels : 1;
  x = (x - torch::tensor(model.mean, torch::kDouble).to(torch::kFloat).reshape(shape)) /
      torch::tensor(model.std, torch::kDouble).to(torch::kFloat).reshape(shape);
  if (model.inputScale != 1.0)
  {
    std::vector<int64_t> scaled;
    for (auto v : size)
    {
      scaled.push_back(std::max<int64_t>(1, std::llround(v * model.inputScale)));
    }
    x = ResizeImage(x, scaled);
  }
  auto p = PredictProbabilities(*model.network, x, options,
                                [this](double f) { this->UpdateProgress(static_cast<float>(0.95 * f)); });
  if (model.inputScale != 1.0)
  {
    p = ResizeImage(p, size);
    p = p / p.sum(0, true).clamp_min(1e-12);
  }
  if (p.size(0) != static_cast<int64_t>(model.outputValues.size()))
  {
    throw Error("model", "gives " + std::to_string(p.size(0)) + " output channels for " +
                           std::to_string(model.outputValues.size()) + " labels");
  }
  // Classes sharing an output label add up: one component per distinct label, ascending.
  const LabelTable           table = CNNModelLabels(model);
  const auto                 labels = table.Labels();
  std::vector<int64_t>       component;
  for (const LabelPixel v : model.outputValues)
  {
    component.push_back(std::lower_bound(labels.begin(), labels.end(), v) - labels.begin());
  }
  std::vector<int64_t> mergedShape(p.sizes().begin(), p.sizes().end());
  mergedShape[0] = static_cast<int64_t>(labels.size());
  auto merged = torch::zeros(mergedShape, torch::kFloat);
  merged.index_add_(0, torch::tensor(component, torch::kLong), p);

  auto * output = this->GetOutput();
  output->SetBufferedRegion(output->GetLargestPossibleRegion());
  output->Allocate();
  const auto interleaved = merged.movedim(0, -1).contiguous();
  std::copy(interleaved.data_ptr<float>(), interleaved.data_ptr<float>() + interleaved.numel(),
            output->GetBufferPointer());
  const auto classes = merged.argmax(0).reshape(-1).contiguous();
  auto *     labelOutput = this->GetLabelOutput();
  labelOutput->SetBufferedRegion(labelOutput->GetLargestPossibleRegion());
  labelOutput->Allocate();
  const int64_t * c = classes.data_ptr<int64_t>();
  for (int64_t i = 0; i < classes.numel(); ++i)
  {
    labelOutput->GetBufferPointer()[i] = labels[c[i]];
  }
  SetLabelTable(output, table);
  SetLabelTable(labelOutput, table);
  this->UpdateProgress(1.0f);
}

template <unsigned int D>
void
CNNImageFilter<D>::PrintSelf(std::ostream & os, itk::Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "Model: " << (m_Model ? "set" : "none") << "\n"
     << indent << "Overlap: " << m_Overlap << "\n"
     << indent << "TestTimeAugmentation: " << m_TestTimeAugmentation << "\n"
     << indent << "BatchSize: " << m_BatchSize << "\n"
     << indent << "Device: " << m_Device << "\n";
}

template class CNNImageFilter<2>;
template class CNNImageFilter<3>;
} // namespace tessera
