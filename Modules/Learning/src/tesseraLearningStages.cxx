// The learned stage: `predict` is the CNN filter as a stage (a folder of inputs is processed in
// turn by the command-line layer), `train` fits a network from a JSON config.
#include "tesseraLearningStages.h"

#include <mutex>
#include <sstream>

#include "tesseraCNNImageFilter.h"
#include "tesseraTraining.h"

namespace tessera
{
namespace
{
/** Models by file, so that a folder of inputs loads the model once. */
std::shared_ptr<const CNNModel>
CachedModel(StageContext & c, unsigned int dimension)
{
  static std::mutex                                             mutex;
  static std::map<std::string, std::shared_ptr<const CNNModel>> cache;
  const auto &                                                  p = c.Parameters();
  const bool        script = c.HasInput("torchscript");
  const std::string path = script ? c.InputPaths("torchscript").at(0) : c.InputPaths("model").at(0);
  const std::string key = path + (script ? "|" + std::to_string(dimension) + "|" + p.ToJson().dump() : "");
  std::lock_guard<std::mutex> lock(mutex);
  auto &                      model = cache[key];
  if (!model)
  {
    if (script)
    {
      TorchScriptModelOptions o;
      o.labels = c.InputLabelTable("labels");
      o.dimension = dimension;
      o.mean = p.RealList("mean");
      o.std = p.RealList("std");
      o.sizeMultiple = p.Integer("size-multiple");
      model = LoadTorchScriptCNNModel(path, o);
    }
    else
    {
      model = LoadCNNModel(path);
    }
  }
  return model;
}

std::vector<int64_t>
ParseWindow(const std::string & text, unsigned int dimension)
{
  std::vector<int64_t> window;
  std::stringstream    s(text);
  for (std::string part; std::getline(s, part, 'x');)
  {
    std::size_t used = 0;
    long long   v = 0;
    try
    {
      v = std::stoll(part, &used);
    }
    catch (const std::exception &)
    {
      used = 0;
    }
    if (used == 0 || used != part.size())
    {
      throw Error("window", "expected sizes like 256x256, got " + text);
    }
    window.push_back(v);
  }
  if (window.size() != dimension)
  {
    throw Error("window", "needs " + std::to_string(dimension) + " sizes for a " + std::to_string(dimension) + "D model");
  }
  return window;
}

template <unsigned int D>
void
Predict(StageContext & c)
{
  const auto & p = c.Parameters();
  if (c.HasInput("model") == c.HasInput("torchscript"))
  {
    throw Error("model", "give either a Tessera model (--model) or a TorchScript module (--torchscript)");
  }
  const auto model = CachedModel(c, D);
  if (CNNModelDimension(*model) != D)
  {
    throw Error(c.InputName("input"), "is " + std::to_string(D) + "D but the model is " +
                                        std::to_string(CNNModelDimension(*model)) + "D");
  }
  auto image = c.Input<VectorImage<D>>("input");
  if (CNNModelChannels(*model) >= 0 && static_cast<int>(image->GetNumberOfComponentsPerPixel()) != CNNModelChannels(*model))
  {
    throw Error(c.InputName("input"), "has " + std::to_string(image->GetNumberOfComponentsPerPixel()) +
                                        " channel(s) but the model expects " + std::to_string(CNNModelChannels(*model)));
  }
  auto filter = CNNImageFilter<D>::New();
  filter->SetInput(image);
  filter->SetModel(model);
  if (p.Has("window"))
  {
    filter->SetWindow(ParseWindow(p.Text("window"), D));
  }
  filter->SetOverlap(p.Real("overlap"));
  filter->SetTestTimeAugmentation(p.Boolean("tta"));
  filter->SetBatchSize(static_cast<int>(p.Integer("batch")));
  filter->SetDevice(p.Text("device"));
  filter->SetThreads(c.Options().threads);
  c.Progress().Watch(filter, "");
  filter->Update();
  ProbabilityImage<D> * probabilities = filter->GetOutput();
  LabelImage<D> *       labels = filter->GetLabelOutput();
  if (p.Boolean("class-indices"))
  {
    // Labels 0..C-1 in the order of the table's labels.
    const auto values = GetLabelTable(labels, "labels").Labels();
    std::vector<LabelPixel> index(65536, 0);
    for (size_t k = 0; k < values.size(); ++k)
    {
      index[values[k]] = static_cast<LabelPixel>(k);
    }
    const size_t n = labels->GetLargestPossibleRegion().GetNumberOfPixels();
    for (size_t i = 0; i < n; ++i)
    {
      labels->GetBufferPointer()[i] = index[labels->GetBufferPointer()[i]];
    }
    std::vector<LabelPixel> indices(values.size());
    for (size_t k = 0; k < values.size(); ++k)
    {
      indices[k] = static_cast<LabelPixel>(k);
    }
    SetLabelTable(labels, LabelTable::Numbered(indices));
    SetLabelTable(probabilities, LabelTable::Numbered(indices));
  }
  c.SetOutput("output", labels);
  c.SetOutput("probabilities", probabilities);
}
} // namespace

void
RegisterLearningStages(StageRegistry & registry)
{
  {
    StageDescription s;
    s.name = "predict";
    s.summary = "Segment images with a trained network (sliding windows, Gaussian blending, TTA)";
    s.source = "Sliding-window inference as nnU-Net (Isensee et al. 2021) and MONAI";
    s.inputs = {
      InputPort("input", PortKind::Image, "Image (2D/3D, the channels the model was trained on), or a folder of images")
        .Alias("i"),
      InputPort("model", PortKind::File, "Model file written by `tessera train` (best.pt or last.pt)").Alias("m").Optional(),
      InputPort("torchscript", PortKind::File,
                "Instead of --model: a TorchScript module from PyTorch (forward: [N, C, ...] -> logits [N, K, ...]); "
                "needs --labels")
        .Optional(),
      InputPort("labels", PortKind::LabelTable,
                "Label table of the output classes (TorchScript: one label per output channel, in ascending order)")
        .Optional(),
    };
    s.outputs = {
      OutputPort("output", PortKind::Labels, "Label image on the input's grid (the model's label values)").Alias("o"),
      OutputPort("probabilities", PortKind::Probabilities,
                 "Also write the probabilities: one component per label of the model's table")
        .Optional(),
      OverlayPort("overlay", "output"),
    };
    s.parameters = {
      BooleanParameter("tta", "Test-time augmentation: average over 8 rotations/flips (2D) or 8 axis flips (3D)"),
      BooleanParameter("class-indices", "Write class indices 0..C-1 instead of the model's label values"),
      RealParameter("overlap", "0.5", "fraction", "Overlap of neighbouring windows").AtLeast(0).AtMost(0.95),
      TextParameter("window", "", "Window size, e.g. 512x512 or 96x96x96").WhenAbsent("the training crop"),
      ChoiceParameter("device", "auto", { "auto", "cpu", "cuda" }, "auto (CUDA when available), cpu or cuda"),
      IntegerParameter("batch", "4", "windows", "Windows per forward pass").AtLeast(1).AtMost(256),
      ListParameter("mean", ParameterType::RealList, "intensity",
                    "TorchScript: per-channel mean subtracted before the network (one value: all channels)")
        .AtLeast(-1e30)
        .AtMost(1e30)
        .WhenAbsent("0"),
      ListParameter("std", ParameterType::RealList, "intensity",
                    "TorchScript: per-channel standard deviation divided after the mean (one value: all channels)")
        .Above(0)
        .AtMost(1e30)
        .WhenAbsent("1"),
      IntegerParameter("size-multiple", "32", "pixels", "TorchScript: spatial sizes the module needs a multiple of")
        .AtLeast(1)
        .AtMost(1024),
    };
    s.parameters[6].defaultValue = "0";
    s.parameters[7].defaultValue = "1";
    s.run = RunByDimension<Predict<2>, Predict<3>>;
    registry.Add(s);
  }
  {
    StageDescription s;
    s.name = "export";
    s.summary = "Export a trained model to TorchScript for PyTorch: torch.jit.load(file)(x) gives the probabilities";
    s.perImage = false;
    s.inputs = { InputPort("model", PortKind::File, "Model file written by `tessera train`").Alias("m") };
    s.outputs = { OutputPort("output", PortKind::File,
                             "TorchScript file: forward(x [N, C, (D,) H, W] raw intensities) -> softmax "
                             "probabilities [N, classes, ...]; the model description is its extra file "
                             "tessera_model.json")
                    .Alias("o")
                    .Extensions({ ".pt", ".pth", ".ts" }) };
    s.run = [](StageContext & c) {
      const std::string model = c.InputPaths("model").at(0);
      c.SetWriter("output", [model](const std::string & path) { ExportModelToTorchScript(model, path); });
    };
    registry.Add(s);
  }
  {
    StageDescription s;
    s.name = "train";
    s.summary = "Train a segmentation network (U-Net, FPN, LinkNet, GridNet) with LibTorch from a JSON config";
    s.perImage = false;
    s.seeded = true;
    s.inputs = { InputPort("config", PortKind::File,
                           "Training config (JSON): data, label mapping, network, loss, optimiser, schedule, augmentation")
                   .Positional() };
    s.parameters = {
      TextParameter("output", "", "Output folder for best.pt, last.pt, training.csv, training-curves.png and config.json")
        .Alias("o")
        .WhenAbsent("the config's \"output\""),
      BooleanParameter("resume", "Continue from <output>/last.pt (its epoch, weights, optimiser and schedule)"),
    };
    s.run = [](StageContext & c) {
      TrainingRequest r;
      r.config = c.InputPaths("config").at(0);
      r.output = c.Parameters().Has("output") ? c.Parameters().Text("output") : "";
      r.seedGiven = c.Options().seedGiven;
      r.seed = c.Options().seed;
      r.resume = c.Parameters().Boolean("resume");
      r.threads = c.Options().threads;
      r.quiet = c.Options().quiet;
      RunTraining(r);
    };
    registry.Add(s);
  }
}
} // namespace tessera
