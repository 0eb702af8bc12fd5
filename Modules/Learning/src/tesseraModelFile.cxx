#include "tesseraModelFile.h"

#include <filesystem>

#include "tesseraError.h"
#include "tesseraImageIO.h"

namespace tessera
{
nlohmann::ordered_json
ModelInfo::ToJson() const
{
  nlohmann::ordered_json j;
  j["format"] = "tessera-model";
  j["version"] = 1;
  j["network"] = network.ToJson();
  j["mean"] = mean;
  j["std"] = std;
  j["output_values"] = outputValues;
  j["label_table"] = labelTable;
  j["crop_size"] = cropSize;
  j["input_scale"] = inputScale;
  j["training"] = training;
  return j;
}

ModelInfo
ModelInfo::FromJson(const nlohmann::json & j, const std::string & subject)
{
  ModelInfo m;
  try
  {
    if (j.value("format", std::string()) != "tessera-model")
      throw Error(subject, "not a Tessera model (no \"format\": \"tessera-model\" entry)");
    m.network = NetworkOptionsFromJson(j.at("network"), subject);
    m.mean = j.at("mean").get<std::vector<double>>();
    m.std = j.at("std").get<std::vector<double>>();
    m.outputValues = j.at("output_values").get<std::vector<LabelPixel>>();
    m.labelTable = j.value("label_table", nlohmann::json());
    m.cropSize = j.at("crop_size").get<std::vector<int64_t>>();
    m.inputScale = j.value("input_scale", 1.0);
    m.training = j.value("training", nlohmann::json());
  }
  catch (const nlohmann::json::exception & e)
  {
    throw Error(subject, std::string("malformed model description: ") + e.what());
  }
  ValidateNetworkOptions(m.network, subject);
  const size_t c = static_cast<size_t>(m.network.inChannels);
  if (m.mean.size() != c || m.std.size() != c)
    throw Error(subject, "mean/std must have one value per input channel");
  for (double s : m.std)
    if (!(s > 0))
      throw Error(subject, "std must be positive");
  if (m.outputValues.size() != static_cast<size_t>(m.network.classes))
    throw Error(subject, "output_values must have one value per class");
  if (m.cropSize.size() != static_cast<size_t>(m.network.dimension))
    throw Error(subject, "crop_size must have one value per axis");
  if (!(m.inputScale > 0))
    throw Error(subject, "input_scale must be positive");
  return m;
}

void
SaveModel(const std::string & path, SegmentationNetworkImpl & network, const ModelInfo & info,
          const torch::optim::Optimizer * optimizer, const nlohmann::json & trainingState)
{
  AtomicOutput out(path);
  try
  {
    torch::serialize::OutputArchive archive;
    torch::serialize::OutputArchive net;
    network.save(net);
    archive.write("network", net);
    archive.write("tessera_model", c10::IValue(info.ToJson().dump()));
    if (optimizer)
    {
      torch::serialize::OutputArchive opt;
      optimizer->save(opt);
      archive.write("optimizer", opt);
    }
    if (!trainingState.is_null())
      archive.write("training", c10::IValue(trainingState.dump()));
    archive.save_to(out.TemporaryPath());
  }
  catch (const c10::Error & e)
  {
    throw Error(path, std::string("cannot be written: ") + e.what_without_backtrace());
  }
  out.Commit();
}

namespace
{
torch::serialize::InputArchive
Open(const std::string & path)
{
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error(path, "model file not found");
  torch::serialize::InputArchive archive;
  try
  {
    archive.load_from(path, torch::Device(torch::kCPU));
  }
  catch (const c10::Error &)
  {
    throw Error(path, "not a readable model file (corrupt or not written by tessera train)");
  }
  return archive;
}
} // namespace

LoadedModel
LoadModel(const std::string & path)
{
  auto        archive = Open(path);
  LoadedModel m;
  try
  {
    c10::IValue text;
    if (!archive.try_read("tessera_model", text) || !text.isString())
      throw Error(path, "not a Tessera model (no tessera_model entry)");
    nlohmann::json j;
    try
    {
      j = nlohmann::json::parse(text.toStringRef());
    }
    catch (const nlohmann::json::exception & e)
    {
      throw Error(path, std::string("malformed model description: ") + e.what());
    }
    m.info = ModelInfo::FromJson(j, path);
    try
    {
      m.network = MakeNetwork(m.info.network);
    }
    catch (const Error & e)
    {
      throw Error(path, e.what());
    }
    torch::serialize::InputArchive net;
    if (!archive.try_read("network", net))
      throw Error(path, "no network weights in the model file");
    m.network->load(net);
    c10::IValue state;
    if (archive.try_read("training", state) && state.isString())
      m.trainingState = nlohmann::json::parse(state.toStringRef());
  }
  catch (const c10::Error & e)
  {
    throw Error(path, std::string("corrupt model file: ") + e.what_without_backtrace());
  }
  m.network->eval();
  return m;
}

void
LoadOptimizerState(const std::string & path, torch::optim::Optimizer & optimizer)
{
  auto archive = Open(path);
  try
  {
    torch::serialize::InputArchive opt;
    if (!archive.try_read("optimizer", opt))
      throw Error(path, "no optimizer state: not a training checkpoint (use last.pt)");
    optimizer.load(opt);
  }
  catch (const c10::Error & e)
  {
    throw Error(path, std::string("corrupt optimizer state: ") + e.what_without_backtrace());
  }
}
} // namespace tessera
