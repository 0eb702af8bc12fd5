// Group-equivariant convolutions (p4, p4m) and the group U-Net: the group tables, and exact
// equivariance of every layer and of the whole network, f(T_g x) = g·f(x), for every element.
#include <iostream>

#include <gtest/gtest.h>

#include "tesseraError.h"
#include "tesseraGroupConvolution.h"
#include "tesseraGroupUNet.h"
#include "tesseraLosses.h"
#include "tesseraUNet.h"

using namespace tessera;

namespace
{
double
MaxDifference(const torch::Tensor & a, const torch::Tensor & b)
{
  EXPECT_EQ(a.sizes(), b.sizes());
  return (a - b).abs().max().item<double>();
}

NetworkOptions
Options(const std::string & equivariance)
{
  NetworkOptions o;
  o.inChannels = 3;
  o.classes = 4;
  o.baseWidth = 8;
  o.depth = 2;
  o.equivariance = equivariance;
  return o;
}

int64_t
Parameters(const torch::nn::Module & m)
{
  int64_t n = 0;
  for (const auto & p : m.parameters())
  {
    n += p.numel();
  }
  return n;
}
} // namespace

// The elements' transforms compose as the table says; 0 is the identity; p4 is closed inside p4m;
// turning once maps the pattern's top-right corner to its top-left (torch::rot90, counterclockwise).
TEST(PlanarGroup, TablesMatchTheTransforms)
{
  torch::manual_seed(1);
  const auto x = torch::randn({ 2, 5, 7 });
  for (const std::string name : { "p4", "p4m" })
  {
    const PlanarGroup g(name);
    ASSERT_EQ(g.Order(), name == "p4" ? 4 : 8);
    for (int64_t a = 0; a < g.Order(); ++a)
    {
      EXPECT_EQ(g.Compose(a, 0), a);
      EXPECT_EQ(g.Compose(a, g.Inverse(a)), 0);
      for (int64_t b = 0; b < g.Order(); ++b)
      {
        EXPECT_TRUE(torch::equal(g.Transform(x, g.Compose(a, b)), g.Transform(g.Transform(x, b), a))) << a << "·" << b;
      }
    }
  }
  const PlanarGroup p4m("p4m");
  for (int64_t a = 0; a < 4; ++a)
  {
    for (int64_t b = 0; b < 4; ++b)
    {
      EXPECT_LT(p4m.Compose(a, b), 4);
    }
  }
  const auto corner = torch::arange(4, torch::kFloat).view({ 2, 2 });
  EXPECT_EQ(p4m.Transform(corner, 1)[0][0].item<float>(), 1.0f);
  EXPECT_EQ(p4m.Transform(corner, 4)[0][0].item<float>(), 1.0f); // mirrored: the width axis reversed
  EXPECT_THROW(PlanarGroup("p6"), Error);
}

// Lifting and group layers: f(T_g x) = g·f(x) for every element, square and oblong inputs, odd kernels.
TEST(GroupConvolution, LayersAreExactlyEquivariant)
{
  torch::manual_seed(2);
  for (const std::string name : { "p4", "p4m" })
  {
    const PlanarGroup group(name);
    LiftingConv2d     lift(group, 3, 5, 3);
    GroupConv2d       conv(group, 5, 2, 5);
    for (const auto & size : { std::vector<int64_t>{ 2, 3, 9, 9 }, std::vector<int64_t>{ 1, 3, 7, 12 } })
    {
      const auto x = torch::randn(size);
      const auto y = lift(x);
      ASSERT_EQ(y.sizes(), (std::vector<int64_t>{ size[0], 5, group.Order(), size[2], size[3] }));
      const auto z = conv(y);
      for (int64_t g = 0; g < group.Order(); ++g)
      {
        EXPECT_LT(MaxDifference(lift(group.Transform(x, g)), group.Act(y, g)), 1e-5) << name << " element " << g;
        EXPECT_LT(MaxDifference(conv(group.Act(y, g)), group.Act(z, g)), 1e-5) << name << " element " << g;
        if (g != 0)
        {
          // The group axis must be permuted too: turning the planes alone is not the action.
          EXPECT_GT(MaxDifference(lift(group.Transform(x, g)), group.Transform(y, g)), 1e-2) << name << " element " << g;
        }
        // Pooled over the group axis, the maps turn as the plane does.
        EXPECT_LT(MaxDifference(GroupPool(group.Act(z, g)), group.Transform(GroupPool(z), g)), 1e-5);
      }
    }
  }
  EXPECT_THROW(GroupConv2d(PlanarGroup("p4"), 2, 2, 4), Error);
}

// The group U-Net's logits turn and mirror with the image, in training (batch statistics) and
// evaluation; the plain U-Net's do not. Sizes must be multiples of 2^depth.
TEST(GroupUNet, LogitsAreExactlyEquivariantAndTheWidthRuleKeepsTheParameters)
{
  torch::manual_seed(3);
  for (const std::string name : { "p4", "p4m" })
  {
    auto        network = MakeNetwork(Options(name));
    const auto & group = dynamic_cast<GroupUNetImpl &>(*network).Group();
    const auto  x = torch::randn({ 2, 3, 16, 24 });
    for (const bool training : { true, false })
    {
      network->train(training);
      torch::NoGradGuard noGrad;
      const auto         logits = network->forward(x);
      ASSERT_EQ(logits.sizes(), (std::vector<int64_t>{ 2, 4, 16, 24 }));
      for (int64_t g = 0; g < group.Order(); ++g)
      {
        EXPECT_LT(MaxDifference(network->forward(group.Transform(x, g)), group.Transform(logits, g)), 1e-5)
          << name << " element " << g << (training ? " training" : " evaluation");
      }
    }
    EXPECT_THROW(network->forward(torch::randn({ 1, 3, 16, 18 })), Error);
    // Channels ÷ √|G|: within 20 % of the plain U-Net's weights.
    const double ratio = static_cast<double>(Parameters(*network)) / static_cast<double>(Parameters(*MakeNetwork(Options("none"))));
    EXPECT_NEAR(ratio, 1.0, 0.2) << name;
    std::cout << name << ": " << Parameters(*network) << " weights, " << ratio << " of the plain U-Net's" << std::endl;
  }
  auto plain = MakeNetwork(Options("none"));
  plain->eval();
  torch::NoGradGuard noGrad;
  const auto         x = torch::randn({ 1, 3, 16, 16 });
  const PlanarGroup  p4("p4");
  EXPECT_GT(MaxDifference(plain->forward(p4.Transform(x, 1)), p4.Transform(plain->forward(x), 1)), 1e-3);
}

// Equivariance by loss: the consistency term is zero for the group U-Net, not for the plain one, and
// its gradient reaches the plain network's weights.
TEST(GroupUNet, EquivarianceConsistencyLossIsZeroOnlyForAnEquivariantNetwork)
{
  torch::manual_seed(4);
  const PlanarGroup group("p4m");
  const auto        x = torch::randn({ 2, 3, 16, 16 });
  auto              equivariant = MakeNetwork(Options("p4m"));
  auto              plain = MakeNetwork(Options("none"));
  equivariant->eval();
  plain->eval();
  for (int64_t g = 1; g < group.Order(); ++g)
  {
    torch::NoGradGuard noGrad;
    EXPECT_LT(EquivarianceConsistencyLoss(equivariant->forward(x), equivariant->forward(group.Transform(x, g)), group, g)
                .item<double>(), 1e-12);
  }
  const auto loss = EquivarianceConsistencyLoss(plain->forward(x), plain->forward(group.Transform(x, 1)), group, 1);
  EXPECT_GT(loss.item<double>(), 1e-8);
  loss.backward();
  EXPECT_GT(plain->parameters()[0].grad().abs().sum().item<double>(), 0.0);
}

TEST(GroupUNet, OptionsAreChecked)
{
  auto o = Options("p4m");
  EXPECT_EQ(NetworkOptionsFromJson(o.ToJson(), "test").equivariance, "p4m");
  EXPECT_FALSE(Options("none").ToJson().contains("equivariance"));
  o.equivariance = "p6";
  EXPECT_THROW(ValidateNetworkOptions(o, "test"), Error);
  o.equivariance = "p4";
  o.architecture = "fpn";
  EXPECT_THROW(ValidateNetworkOptions(o, "test"), Error);
  o.architecture = "unet";
  o.dimension = 3;
  EXPECT_THROW(ValidateNetworkOptions(o, "test"), Error);
}
