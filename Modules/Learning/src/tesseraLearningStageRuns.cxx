// The learned stages' run functions, in module TesseraLearning with LibTorch: the stage
// descriptions (tesseraLearningStages.cxx) call them through ModuleRun, so only commands that run
// a network load LibTorch.
#include <map>
#include <mutex>
#include <sstream>

#include "tesseraCNNImageFilter.h"
#include "tesseraStage.h"
#include "tesseraTraining.h"

namespace tessera
{
namespace
{
/** Models by file, so that a folder of inputs (and a tiled run's plan) loads the model once. */
std::shared_ptr<const CNNModel>
CachedModel(const ParameterValues & p, const PortFiles & files, unsigned int dimension)
{
  static std::mutex                                             mutex;
  static std::map<std::string, std::shared_ptr<const CNNModel>> cache;
  const auto        given = [&](const std::string & port) { return files.count(port) && !files.at(port).empty(); };
  if (given("model") == given("torchscript"))
  {
    throw Error("model", "give either a Tessera model (--model) or a TorchScript module (--torchscript)");
  }
  const bool        script = given("torchscript");
  const std::string path = files.at(script ? "torchscript" : "model").at(0);
  const std::string key = path + (script ? "|" + std::to_string(dimension) + "|" + p.ToJson().dump() : "");
  std::lock_guard<std::mutex> lock(mutex);
  auto &                      model = cache[key];
  if (!model)
  {
    if (script)
    {
      TorchScriptModelOptions o;
      o.labels = given("labels") ? LabelTable::Load(files.at("labels").at(0)) : LabelTable();
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
  PortFiles    files;
  for (const std::string port : { "model", "torchscript", "labels" })
  {
    if (c.HasInput(port))
    {
      files[port] = c.InputPaths(port);
    }
  }
  const auto model = CachedModel(p, files, D);
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
  filter->SetPlacement(c.Placement());
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
} // namespace tessera

extern "C" void
tesseraRunPredict(tessera::StageContext & c)
{
  tessera::RunByDimension<tessera::Predict<2>, tessera::Predict<3>>(c);
}

/** A tiled run's plan of predict (TilingDescription, tesseraLearningStages.cxx): its model's reach and memory. */
extern "C" void
tesseraPredictTiling(const tessera::ParameterValues & p, const tessera::PortFiles & files, unsigned int components,
                     tessera::CNNTiling & tiling)
{
  using namespace tessera;
  const auto model = CachedModel(p, files, 2);
  tiling = CNNModelTiling(*model, p.Has("window") ? ParseWindow(p.Text("window"), 2) : std::vector<int64_t>{},
                          static_cast<int>(p.Integer("batch")), components);
}

extern "C" void
tesseraRunExport(tessera::StageContext & c)
{
  using namespace tessera;
  const std::string model = c.InputPaths("model").at(0);
  c.SetWriter("output", [model](const std::string & path) { ExportModelToTorchScript(model, path); });
}

extern "C" void
tesseraRunTrain(tessera::StageContext & c)
{
  using namespace tessera;
  TrainingRequest r;
  r.config = c.InputPaths("config").at(0);
  r.output = c.Parameters().Has("output") ? c.Parameters().Text("output") : "";
  r.seedGiven = c.Options().seedGiven;
  r.seed = c.Options().seed;
  r.resume = c.Parameters().Boolean("resume");
  r.threads = c.Options().threads;
  r.quiet = c.Options().quiet;
  RunTraining(r);
}
