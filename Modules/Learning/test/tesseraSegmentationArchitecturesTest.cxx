// FPN, LinkNet and GridNet through MakeNetwork: output shapes in 2D and 3D for several input
// sizes (including sizes that are not multiples of SizeMultiple()), option errors, dropout, and
// a few training steps on random data reducing the loss.
#include <gtest/gtest.h>

#include "tesseraError.h"
#include "tesseraGridNet.h"
#include "tesseraSegmentationNetwork.h"

namespace
{
using namespace tessera;

NetworkOptions
Options(const std::string & architecture, int dimension, int classes = 3)
{
  NetworkOptions o;
  o.architecture = architecture;
  o.dimension = dimension;
  o.inChannels = 2;
  o.classes = classes;
  o.baseWidth = architecture == "gridnet" ? 4 : 8;
  o.depth = 3;
  return o;
}

void
ExpectShapes(const NetworkOptions & options, const std::vector<std::vector<int64_t>> & sizes, int64_t batch)
{
  torch::manual_seed(0);
  const auto network = MakeNetwork(options);
  network->eval();
  torch::NoGradGuard noGrad;
  for (const auto & size : sizes)
  {
    std::vector<int64_t> shape{ batch, options.inChannels };
    shape.insert(shape.end(), size.begin(), size.end());
    const torch::Tensor logits = network->forward(torch::randn(shape));
    shape[1] = options.classes;
    EXPECT_EQ(logits.sizes(), shape) << options.architecture << " " << options.dimension << "D";
    EXPECT_TRUE(torch::isfinite(logits).all().item<bool>());
  }
}

TEST(SegmentationArchitectures, SizeMultiple)
{
  EXPECT_EQ(MakeNetwork(Options("fpn", 2))->SizeMultiple(), 32);
  EXPECT_EQ(MakeNetwork(Options("linknet", 2))->SizeMultiple(), 32);
  EXPECT_EQ(MakeNetwork(Options("gridnet", 2))->SizeMultiple(), 8); // 2^depth
}

TEST(SegmentationArchitectures, FPNShapes2D)
{
  ExpectShapes(Options("fpn", 2), { { 64, 96 }, { 32, 32 }, { 128, 64 }, { 50, 70 }, { 33, 17 } }, 2);
  NetworkOptions resnet34 = Options("fpn", 2, 5);
  resnet34.encoder = "resnet34";
  resnet34.normalization = "instance";
  ExpectShapes(resnet34, { { 64, 96 } }, 2);
}

TEST(SegmentationArchitectures, LinkNetShapes2D)
{
  ExpectShapes(Options("linknet", 2), { { 64, 96 }, { 32, 32 }, { 96, 160 }, { 50, 70 }, { 33, 17 } }, 2);
  NetworkOptions resnet34 = Options("linknet", 2, 2);
  resnet34.encoder = "resnet34";
  resnet34.normalization = "none";
  ExpectShapes(resnet34, { { 64, 96 } }, 1);
}

TEST(SegmentationArchitectures, GridNetShapes2D)
{
  ExpectShapes(Options("gridnet", 2), { { 64, 96 }, { 8, 8 }, { 40, 24 }, { 50, 70 }, { 3, 5 } }, 2);
  for (int columns : { 2, 4, 8 })
  {
    const auto network = MakeGridNet(Options("gridnet", 2), columns);
    network->eval();
    torch::NoGradGuard noGrad;
    EXPECT_EQ(network->forward(torch::randn({ 1, 2, 64, 96 })).sizes(), (std::vector<int64_t>{ 1, 3, 64, 96 }));
  }
}

TEST(SegmentationArchitectures, Shapes3D)
{
  ExpectShapes(Options("fpn", 3), { { 32, 64, 32 }, { 20, 30, 40 } }, 1);
  ExpectShapes(Options("linknet", 3), { { 32, 64, 32 }, { 20, 30, 40 } }, 1);
  NetworkOptions grid = Options("gridnet", 3);
  grid.depth = 2;
  ExpectShapes(grid, { { 16, 16, 16 }, { 8, 16, 24 }, { 10, 11, 12 } }, 2);
}

TEST(SegmentationArchitectures, BadOptions)
{
  NetworkOptions o = Options("fpn", 2);
  o.encoder = "resnet50";
  EXPECT_THROW(MakeNetwork(o), Error);
  o = Options("gridnet", 2);
  EXPECT_THROW(MakeGridNet(o, 3), Error);
  EXPECT_THROW(MakeGridNet(o, 0), Error);
  o.depth = 0;
  EXPECT_THROW(MakeNetwork(o), Error);
  o = Options("linknet", 2);
  o.baseWidth = 0;
  EXPECT_THROW(MakeNetwork(o), Error);
  o.architecture = "segnet";
  EXPECT_THROW(MakeNetwork(o), Error);
}

TEST(SegmentationArchitectures, DropoutOnlyInTraining)
{
  for (const std::string architecture : { "fpn", "linknet", "gridnet" })
  {
    NetworkOptions o = Options(architecture, 2);
    o.dropout = 0.5;
    o.normalization = "instance"; // no running statistics: eval and train differ by dropout only
    torch::manual_seed(0);
    const auto          network = MakeNetwork(o);
    const torch::Tensor x = torch::randn({ 2, 2, 32, 32 });
    torch::NoGradGuard  noGrad;
    network->eval();
    const torch::Tensor a = network->forward(x), b = network->forward(x);
    EXPECT_TRUE(torch::equal(a, b)) << architecture;
    network->train();
    const torch::Tensor c = network->forward(x);
    EXPECT_FALSE(torch::allclose(a, c)) << architecture;
  }
}

TEST(SegmentationArchitectures, TrainingReducesLoss)
{
  for (const std::string architecture : { "fpn", "linknet", "gridnet" })
  {
    for (int dimension : { 2, 3 })
    {
      if (dimension == 3 && architecture != "gridnet")
      {
        continue; // a 3D ResNet-18 is 33M parameters: the 2D runs cover the decoders' training
      }
      SCOPED_TRACE(architecture + " " + std::to_string(dimension) + "D");
      torch::manual_seed(0);
      NetworkOptions o = Options(architecture, dimension);
      o.dropout = architecture == "gridnet" ? 0.1 : 0.0;
      if (dimension == 3)
      {
        o.depth = 2;
      }
      const auto network = MakeNetwork(o);
      network->train();
      const std::vector<int64_t> size = dimension == 2 ? std::vector<int64_t>{ 64, 64 } : std::vector<int64_t>{ 16, 16, 16 };
      std::vector<int64_t>       shape{ 2, o.inChannels };
      shape.insert(shape.end(), size.begin(), size.end());
      const torch::Tensor x = torch::randn(shape);
      std::vector<int64_t> targetShape{ 2 };
      targetShape.insert(targetShape.end(), size.begin(), size.end());
      const torch::Tensor target = torch::randint(0, o.classes, targetShape, torch::kLong);
      torch::optim::Adam  optimizer(network->parameters(), torch::optim::AdamOptions(1e-3));
      std::vector<double> losses;
      for (int step = 0; step < 12; ++step)
      {
        optimizer.zero_grad();
        const torch::Tensor loss = torch::nn::functional::cross_entropy(network->forward(x), target);
        loss.backward();
        optimizer.step();
        losses.push_back(loss.item<double>());
      }
      EXPECT_LT(losses.back(), 0.9 * losses.front()) << "first " << losses.front() << ", last " << losses.back();
    }
  }
}
} // namespace
