// Networks exported with ExportTorchScript give the C++ network's probabilities (normalisation
// included) when loaded back with torch::jit::load and with torch.jit.load in /usr/bin/python3,
// at sizes other than the traced one, and carry their ModelInfo as an extra file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <torch/script.h>

#include "tesseraError.h"
#include "tesseraLearningTestPython.h"
#include "tesseraTorchScriptExport.h"

namespace
{
using namespace tessera;

// Loads each exported model, checks its ModelInfo and buffers, and writes its probabilities for
// the raw float32 input beside it. Arguments: folder, then name:N×C×(D×)H×W per model.
const char * const LoadScript = R"PY(
import json
import sys
import numpy as np
import torch

folder = sys.argv[1]
for spec in sys.argv[2:]:
    name, shape = spec.split(":")
    shape = [int(s) for s in shape.split("x")]
    files = {"tessera_model.json": ""}
    model = torch.jit.load(f"{folder}/{name}.pt", _extra_files=files)
    model.train()  # the usual nn.Module calls work (the graph stays the eval-mode one)
    assert model.training and "mean" in model.state_dict(), list(model.state_dict())[:5]
    model.eval()
    info = json.loads(files["tessera_model.json"])
    assert info["format"] == "tessera-model", info
    assert torch.equal(model.mean.flatten(), torch.tensor(info["mean"], dtype=torch.float32)), model.mean
    assert torch.equal(model.std.flatten(), torch.tensor(info["std"], dtype=torch.float32)), model.std
    x = torch.from_numpy(np.fromfile(f"{folder}/{name}.in.bin", dtype="<f4").reshape(shape))
    with torch.no_grad():
        y = model(x)
    assert y.dtype == torch.float32 and y.shape[1] == len(info["output_values"]), y.shape
    y.numpy().astype("<f4").tofile(f"{folder}/{name}.out.bin")
    with open(f"{folder}/{name}.json", "wb") as f:  # extra files come back as bytes
        f.write(files["tessera_model.json"])
)PY";

struct Case
{
  std::string          name;
  NetworkOptions       network;
  std::vector<int64_t> crop;  // traced size (rounded up to SizeMultiple())
  std::vector<int64_t> input; // the size compared: N, C, spatial (not the traced size)
};

std::vector<Case>
Cases()
{
  NetworkOptions unet2;
  unet2.inChannels = 2;
  unet2.classes = 3;
  unet2.baseWidth = 4;
  unet2.depth = 2;
  NetworkOptions unet3 = unet2;
  unet3.dimension = 3;
  unet3.inChannels = 1;
  unet3.depth = 1;
  unet3.normalization = "instance";
  NetworkOptions fpn = unet2;
  fpn.architecture = "fpn";
  fpn.baseWidth = 8;
  NetworkOptions linknet = fpn;
  linknet.architecture = "linknet";
  linknet.classes = 2;
  linknet.normalization = "none";
  NetworkOptions gridnet = unet2;
  gridnet.architecture = "gridnet";
  return { { "unet2d", unet2, { 16, 24 }, { 2, 2, 20, 36 } },
           { "unet3d", unet3, { 8, 8, 8 }, { 1, 1, 6, 10, 12 } },
           { "fpn", fpn, { 64, 64 }, { 1, 2, 32, 96 } },
           { "linknet", linknet, { 32, 32 }, { 2, 2, 96, 64 } },
           { "gridnet", gridnet, { 16, 16 }, { 1, 2, 12, 20 } } };
}

ModelInfo
Info(const Case & c)
{
  ModelInfo info;
  info.network = c.network;
  for (int i = 0; i < c.network.inChannels; ++i)
  {
    info.mean.push_back(100.0 + 20 * i);
    info.std.push_back(30.0 + 5 * i);
  }
  for (int k = 0; k < c.network.classes; ++k)
  {
    info.outputValues.push_back(static_cast<LabelPixel>(k == 0 ? 0 : 10 * k));
  }
  info.labelTable = { { "labels", { { { "value", 10 }, { "name", "cell" } } } } };
  info.cropSize = c.crop;
  info.inputScale = 0.5;
  info.training = { { "epoch", 3 } };
  return info;
}

void
WriteRawFloat(const std::string & path, const torch::Tensor & t)
{
  const torch::Tensor c = t.contiguous();
  std::ofstream(path, std::ios::binary).write(static_cast<const char *>(c.data_ptr()), c.numel() * 4);
}

// The suite exports every case once and computes the C++ network's probabilities; one Python run
// checks all (importing torch takes seconds).
class TorchScriptExportTest : public ::testing::Test
{
protected:
  static void SetUpTestSuite()
  {
    torch::manual_seed(0);
    s_Folder = std::make_unique<test::TemporaryFolder>();
    s_PythonArguments = s_Folder->Path().string();
    for (const Case & c : Cases())
    {
      auto network = MakeNetwork(c.network);
      torch::NoGradGuard noGrad;
      for (auto & b : network->named_buffers()) // non-trivial batch norm statistics
      {
        if (b.key().find("running_mean") != std::string::npos)
          b.value().normal_(0, 0.2);
        if (b.key().find("running_var") != std::string::npos)
          b.value().uniform_(0.5, 2.0);
      }
      const ModelInfo info = Info(c);
      network->train(); // the export traces in eval mode and restores this
      ExportTorchScript(*network, info, *s_Folder / (c.name + ".pt"));
      s_StillTraining = s_StillTraining && network->is_training();

      network->eval();
      std::vector<int64_t> channelShape(c.input.size(), 1);
      channelShape[1] = c.network.inChannels;
      const torch::Tensor mean = torch::tensor(info.mean, torch::kDouble).to(torch::kFloat).reshape(channelShape);
      const torch::Tensor std = torch::tensor(info.std, torch::kDouble).to(torch::kFloat).reshape(channelShape);
      const torch::Tensor x = torch::randn(c.input) * std + mean;
      s_Inputs.push_back(x);
      s_Expected.push_back(torch::softmax(network->forward((x - mean) / std), 1));
      WriteRawFloat(*s_Folder / (c.name + ".in.bin"), x);
      std::string shape;
      for (int64_t s : c.input)
        shape += (shape.empty() ? "" : "x") + std::to_string(s);
      s_PythonArguments += " " + c.name + ":" + shape;
    }
  }
  static void TearDownTestSuite()
  {
    s_Folder.reset();
    s_Inputs.clear();
    s_Expected.clear();
  }

  static inline std::unique_ptr<test::TemporaryFolder> s_Folder;
  static inline std::vector<torch::Tensor>             s_Inputs, s_Expected;
  static inline bool                                   s_StillTraining = true;
  static inline std::string                            s_PythonArguments;
};

TEST_F(TorchScriptExportTest, ReloadInCppGivesTheNetworksProbabilities)
{
  EXPECT_TRUE(s_StillTraining);
  const auto cases = Cases();
  for (size_t i = 0; i < cases.size(); ++i)
  {
    SCOPED_TRACE(cases[i].name);
    torch::jit::Module module = torch::jit::load(*s_Folder / (cases[i].name + ".pt"));
    module.eval();
    torch::NoGradGuard  noGrad;
    const torch::Tensor p = module.forward({ s_Inputs[i] }).toTensor();
    ASSERT_EQ(p.sizes(), s_Expected[i].sizes());
    const float difference = (p - s_Expected[i]).abs().max().item<float>();
    EXPECT_LE(difference, 1e-5);
    std::cout << cases[i].name << " " << s_Inputs[i].sizes() << ": C++ reload max |difference| " << difference
              << "\n";
    // Parameters keep their C++ names; the normalisation is a pair of buffers.
    EXPECT_EQ(module.named_parameters().size(), MakeNetwork(cases[i].network)->named_parameters().size());
    EXPECT_TRUE(module.attr("mean").isTensor());
  }
}

TEST_F(TorchScriptExportTest, PythonGivesTheNetworksProbabilitiesAndModelInfo)
{
  if (!test::PythonTorchAvailable())
  {
    GTEST_SKIP() << "/usr/bin/python3 cannot import torch";
  }
  ASSERT_EQ(test::RunPython(*s_Folder, "load.py", LoadScript, s_PythonArguments), 0) << "the Python script failed";
  const auto cases = Cases();
  for (size_t i = 0; i < cases.size(); ++i)
  {
    SCOPED_TRACE(cases[i].name);
    const torch::Tensor p = test::ReadRawFloat(*s_Folder / (cases[i].name + ".out.bin"), s_Expected[i].sizes().vec());
    const float         difference = (p - s_Expected[i]).abs().max().item<float>();
    EXPECT_LE(difference, 1e-5);
    std::cout << cases[i].name << " " << s_Inputs[i].sizes() << ": Python max |difference| " << difference << "\n";

    std::ifstream  file(*s_Folder / (cases[i].name + ".json"));
    nlohmann::json json = nlohmann::json::parse(file);
    EXPECT_EQ(json, nlohmann::json(Info(cases[i]).ToJson()));
    EXPECT_EQ(ModelInfo::FromJson(json, "python").outputValues, Info(cases[i]).outputValues);
  }
}

// The problem ExportTorchScript reports, or "" when it writes the file.
std::string
Problem(SegmentationNetworkImpl & network, const ModelInfo & info, const std::string & path)
{
  try
  {
    ExportTorchScript(network, info, path);
  }
  catch (const Error & e)
  {
    EXPECT_EQ(e.Subject(), path);
    return e.Problem();
  }
  return "";
}

TEST(TorchScriptExport, Errors)
{
  const Case        c = Cases()[0];
  const auto        network = MakeNetwork(c.network);
  const ModelInfo   good = Info(c);
  test::TemporaryFolder folder;
  const std::string path = folder / "bad.pt";
  ModelInfo         bad = good;
  bad.mean.pop_back();
  EXPECT_NE(Problem(*network, bad, path).find("mean/std"), std::string::npos);
  bad = good;
  bad.network.classes = 4;
  bad.outputValues.push_back(40);
  EXPECT_NE(Problem(*network, bad, path).find("returns 3 channels"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path));
  const std::string missing = folder / "missing/x.pt";
  EXPECT_NE(Problem(*network, good, missing).find("does not exist"), std::string::npos);
  network->to(torch::kDouble);
  EXPECT_NE(Problem(*network, good, path).find("float32"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path));
}
} // namespace
