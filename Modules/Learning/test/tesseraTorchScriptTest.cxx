// TorchScript models exported from PyTorch at test time load, run (directly and through
// PredictProbabilities, the inference path of `tessera predict`) and give Python's output.
#include <gtest/gtest.h>

#include <torch/script.h>

#include "tesseraError.h"
#include "tesseraInference.h"
#include "tesseraLearningTestPython.h"
#include "tesseraTorchScript.h"

namespace
{
using namespace tessera;

// A tiny conv net, scripted (returns a tensor) and traced inside a dict-returning wrapper (as
// torchvision's segmentation models return {"out": ...}); the input and Python's logits as raw float32.
const char * const TinyNetScript = R"PY(
import sys
from typing import Dict
import torch
import torch.nn as nn

out = sys.argv[1]
torch.manual_seed(0)

class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 3, 1)

    def forward(self, x):
        return self.conv2(torch.relu(self.bn(self.conv1(x))))

class DictOut(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x) -> Dict[str, torch.Tensor]:
        y = self.net(x)
        return {"out": y, "aux": y * 2}

net = Tiny()
with torch.no_grad():
    net.bn.running_mean.normal_(0, 0.2)
    net.bn.running_var.uniform_(0.5, 2.0)
net.eval()
torch.jit.script(net).save(f"{out}/tiny.pt")
torch.jit.script(DictOut(net)).save(f"{out}/tiny_dict.pt")
x = torch.randn(1, 2, 24, 40)
with torch.no_grad():
    y = net(x)
x.numpy().astype("<f4").tofile(f"{out}/input.bin")
y.numpy().astype("<f4").tofile(f"{out}/output.bin")
)PY";

// Python runs once for the suite (it takes seconds to import torch).
class TorchScriptTest : public ::testing::Test
{
protected:
  static void SetUpTestSuite()
  {
    if (!test::PythonTorchAvailable())
    {
      return;
    }
    s_Folder = std::make_unique<test::TemporaryFolder>();
    s_PythonStatus = test::RunPython(*s_Folder, "tiny.py", TinyNetScript, s_Folder->Path().string());
    if (s_PythonStatus == 0)
    {
      s_Input = test::ReadRawFloat(*s_Folder / "input.bin", { 1, 2, 24, 40 });
      s_Expected = test::ReadRawFloat(*s_Folder / "output.bin", { 1, 3, 24, 40 });
    }
  }
  static void TearDownTestSuite()
  {
    s_Folder.reset();
    s_Input = s_Expected = torch::Tensor();
  }
  void SetUp() override
  {
    if (!test::PythonTorchAvailable())
    {
      GTEST_SKIP() << "/usr/bin/python3 cannot import torch";
    }
    ASSERT_EQ(s_PythonStatus, 0) << "the Python script failed";
  }

  static inline std::unique_ptr<test::TemporaryFolder> s_Folder;
  static inline int                                    s_PythonStatus = -1;
  static inline torch::Tensor                          s_Input, s_Expected;
};

TEST_F(TorchScriptTest, OutputEqualsPython)
{
  TorchScriptOptions options;
  options.sizeMultiple = 8;
  for (const std::string file : { "tiny.pt", "tiny_dict.pt" })
  {
    SCOPED_TRACE(file);
    const auto network = LoadTorchScriptNetwork(*s_Folder / file, options);
    EXPECT_EQ(network->SizeMultiple(), 8);
    network->eval();
    torch::NoGradGuard  noGrad;
    const torch::Tensor logits = network->forward(s_Input);
    ASSERT_EQ(logits.sizes(), s_Expected.sizes());
    EXPECT_TRUE(torch::allclose(logits, s_Expected, 1e-5, 1e-5))
      << "max difference " << (logits - s_Expected).abs().max().item<float>();

    // The inference path of `tessera predict`: one window covering the image.
    InferenceOptions inference;
    const torch::Tensor probabilities = PredictProbabilities(*network, s_Input[0], inference);
    EXPECT_TRUE(torch::allclose(probabilities, torch::softmax(s_Expected[0], 0), 1e-5, 1e-5));
  }
  TorchScriptOptions aux;
  aux.output = "aux";
  torch::NoGradGuard noGrad;
  EXPECT_TRUE(torch::allclose(LoadTorchScriptNetwork(*s_Folder / "tiny_dict.pt", aux)->forward(s_Input),
                              2 * s_Expected, 1e-5, 1e-5));
  aux.output = "missing";
  EXPECT_THROW(LoadTorchScriptNetwork(*s_Folder / "tiny_dict.pt", aux)->forward(s_Input), Error);
}

TEST_F(TorchScriptTest, ParametersAreSharedAndTrainable)
{
  const auto network = std::make_shared<TorchScriptNetworkImpl>(*s_Folder / "tiny.pt");
  EXPECT_EQ(network->SizeMultiple(), 32);
  const auto parameters = network->named_parameters();
  EXPECT_EQ(parameters.size(), 6u); // conv1, bn, conv2: weight and bias each
  EXPECT_TRUE(parameters.contains("conv1__weight"));
  EXPECT_TRUE(network->named_buffers().contains("bn__running_mean"));

  // One optimiser step on our parameters changes the script module's output.
  network->train();
  EXPECT_TRUE(network->ScriptModule().is_training());
  torch::optim::SGD   optimizer(network->parameters(), torch::optim::SGDOptions(0.1));
  const torch::Tensor target = torch::randint(0, 3, { 1, 24, 40 }, torch::kLong);
  optimizer.zero_grad();
  torch::nn::functional::cross_entropy(network->forward(s_Input), target).backward();
  optimizer.step();
  network->eval();
  EXPECT_FALSE(network->ScriptModule().is_training());
  torch::NoGradGuard noGrad;
  const torch::Tensor changed = network->forward(s_Input);
  EXPECT_FALSE(torch::allclose(changed, s_Expected, 1e-4, 1e-4));

  // SaveModule writes the TorchScript file with the new parameters.
  network->SaveModule(*s_Folder / "saved.pt");
  EXPECT_TRUE(torch::allclose(LoadTorchScriptNetwork(*s_Folder / "saved.pt")->forward(s_Input), changed));
}

TEST_F(TorchScriptTest, BadFiles)
{
  std::ofstream(*s_Folder / "junk.pt") << "not a model";
  EXPECT_THROW(LoadTorchScriptNetwork(*s_Folder / "junk.pt"), Error);
  EXPECT_THROW(LoadTorchScriptNetwork(*s_Folder / "missing.pt"), Error);
  TorchScriptOptions zero;
  zero.sizeMultiple = 0;
  EXPECT_THROW(LoadTorchScriptNetwork(*s_Folder / "tiny.pt", zero), Error);
}
} // namespace
