#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tesseraError.h"
#include "tesseraLosses.h"

using namespace tessera;

namespace
{
using LossFunction = std::function<torch::Tensor(const torch::Tensor &, const torch::Tensor &)>;

struct Named
{
  std::string  name;
  LossFunction f;
};

std::vector<Named>
AllLosses(int64_t ignore)
{
  return {
    { "cross_entropy", [=](auto & l, auto & t) { return CrossEntropyLoss(l, t, {}, ignore); } },
    { "cross_entropy_weighted", [=](auto & l, auto & t) { return CrossEntropyLoss(l, t, { 1.0, 2.5, 0.5 }, ignore); } },
    { "dice", [=](auto & l, auto & t) { return DiceLoss(l, t, {}, 1.0, ignore); } },
    { "dice_weighted_nosmooth", [=](auto & l, auto & t) { return DiceLoss(l, t, { 0.2, 1.0, 3.0 }, 0.0, ignore); } },
    { "focal", [=](auto & l, auto & t) { return FocalLoss(l, t, 2.0, {}, ignore); } },
    { "focal_alpha", [=](auto & l, auto & t) { return FocalLoss(l, t, 1.5, { 0.25, 0.5, 0.75 }, ignore); } },
    { "lovasz", [=](auto & l, auto & t) { return LovaszSoftmaxLoss(l, t, false, ignore); } },
    { "lovasz_per_image", [=](auto & l, auto & t) { return LovaszSoftmaxLoss(l, t, true, ignore); } },
    { "jaccard", [=](auto & l, auto & t) { return SoftJaccardLoss(l, t, {}, 1.0, ignore); } },
    { "jaccard_weighted", [=](auto & l, auto & t) { return SoftJaccardLoss(l, t, { 1.0, 0.0, 2.0 }, 0.5, ignore); } },
    { "combined", [=](auto & l, auto & t) {
       CombinedLoss c = CombinedLoss::FromJson(nlohmann::json::parse(
                                                 R"([{"name":"ce","weight":0.5},{"name":"dice"},{"name":"lovasz","per_image":true}])"),
                                               "test", 3);
       c.SetIgnoreIndex(ignore);
       return c(l, t);
     } },
  };
}

torch::Tensor
Gradient(const LossFunction & f, const torch::Tensor & logits, const torch::Tensor & target)
{
  auto x = logits.clone().requires_grad_(true);
  auto l = f(x, target);
  return torch::autograd::grad({ l }, { x })[0];
}
} // namespace

// Every loss: autograd gradient = central finite differences, in double, 2D and 3D, with ignored pixels.
TEST(Losses, GradientsMatchFiniteDifferences)
{
  torch::manual_seed(3);
  const int64_t ignore = 255;
  for (const auto & shape : std::vector<std::vector<int64_t>>{ { 2, 3, 3, 4 }, { 1, 3, 2, 3, 2 } })
  {
    auto logits = torch::randn(shape, torch::kDouble);
    std::vector<int64_t> tshape(shape);
    tshape.erase(tshape.begin() + 1);
    auto target = torch::randint(0, 3, tshape, torch::kLong);
    target.view(-1)[1] = ignore;
    target.view(-1)[4] = ignore;
    for (const auto & [name, f] : AllLosses(ignore))
    {
      const auto   analytic = Gradient(f, logits, target);
      auto         numeric = torch::zeros_like(logits);
      const double h = 1e-6;
      auto         flat = logits.view(-1);
      for (int64_t i = 0; i < logits.numel(); ++i)
      {
        auto plus = logits.clone(), minus = logits.clone();
        plus.view(-1)[i] += h;
        minus.view(-1)[i] -= h;
        numeric.view(-1)[i] = (f(plus, target).item<double>() - f(minus, target).item<double>()) / (2 * h);
      }
      (void)flat;
      EXPECT_TRUE(torch::allclose(analytic, numeric, 1e-5, 1e-7))
        << name << " shape dims " << shape.size() << " max difference "
        << (analytic - numeric).abs().max().item<double>();
    }
  }
}

// Hand-computed values on two pixels: a has logits (0, 0), target 0; b has (ln 3, 0), target 1.
TEST(Losses, KnownValues)
{
  auto logits = torch::tensor({ 0.0, std::log(3.0), 0.0, 0.0 }, torch::kDouble).reshape({ 1, 2, 1, 2 });
  auto target = torch::tensor({ 0, 1 }, torch::kLong).reshape({ 1, 1, 2 });
  const double ln2 = std::log(2.0);
  EXPECT_NEAR(CrossEntropyLoss(logits, target).item<double>(), 1.5 * ln2, 1e-12);
  EXPECT_NEAR(CrossEntropyLoss(logits, target, { 1, 3 }).item<double>(), 7.0 / 4.0 * ln2, 1e-12);
  // p = (0.5, 0.5) and (0.75, 0.25): dice_0 = 1/2.25 = 4/9, dice_1 = 0.5/1.75 = 2/7.
  EXPECT_NEAR(DiceLoss(logits, target, {}, 0.0).item<double>(), 40.0 / 63.0, 1e-12);
  EXPECT_NEAR(DiceLoss(logits, target, { 1, 0 }, 0.0).item<double>(), 5.0 / 9.0, 1e-12);
  // J_0 = 0.5/1.75 = 2/7, J_1 = 0.25/1.5 = 1/6.
  EXPECT_NEAR(SoftJaccardLoss(logits, target, {}, 0.0).item<double>(), 65.0 / 84.0, 1e-12);
  // Focal γ = 2: 0.25·ln 2 and 0.5625·ln 4.
  EXPECT_NEAR(FocalLoss(logits, target, 2.0).item<double>(), 0.6875 * ln2, 1e-12);
  EXPECT_NEAR(FocalLoss(logits, target, 0.0).item<double>(), 1.5 * ln2, 1e-12);
  EXPECT_NEAR(FocalLoss(logits, target, 2.0, { 2.0, 0.0 }).item<double>(), 0.25 * ln2, 1e-12);
  // Lovász: class 0 errors (0.75, 0.5) sorted with fg (0, 1): grad (0.5, 0.5) → 0.625;
  // class 1 errors (0.75, 0.5) with fg (1, 0): grad (1, 0) → 0.75. Mean 0.6875.
  EXPECT_NEAR(LovaszSoftmaxLoss(logits, target).item<double>(), 0.6875, 1e-12);
  // Combined: CE + Dice.
  auto c = CombinedLoss::FromJson("cross_entropy+dice", "test");
  EXPECT_EQ(c.Terms().size(), 2u);
  EXPECT_NEAR(c(logits, target).item<double>(), 1.5 * ln2 + DiceLoss(logits, target).item<double>(), 1e-12);
}

// On one-hot probabilities Lovász-softmax is exactly 1 − mean IoU over the classes present.
TEST(Losses, LovaszOnOneHotIsOneMinusIoU)
{
  torch::manual_seed(5);
  for (int trial = 0; trial < 20; ++trial)
  {
    const int64_t C = 4;
    auto          target = torch::randint(0, C - 1, { 2, 5, 7 }, torch::kLong); // class 3 never present
    auto          prediction = torch::randint(0, C, { 2, 5, 7 }, torch::kLong);
    prediction.masked_fill_(torch::rand({ 2, 5, 7 }) < 0.5, 0);
    target.view(-1)[0] = 255;
    // exp(-1000) is 0 in double: softmax gives exact one-hot probabilities.
    auto   logits = torch::one_hot(prediction, C).permute({ 0, 3, 1, 2 }).to(torch::kDouble) * 1000.0;
    auto   valid = target != 255;
    double sum = 0;
    int    present = 0;
    for (int64_t c = 0; c < C; ++c)
    {
      auto gt = (target == c) & valid, pr = (prediction == c) & valid;
      if (gt.sum().item<int64_t>() == 0)
        continue;
      sum += static_cast<double>((gt & pr).sum().item<int64_t>()) / static_cast<double>((gt | pr).sum().item<int64_t>());
      ++present;
    }
    EXPECT_DOUBLE_EQ(LovaszSoftmaxLoss(logits, target, false, 255).item<double>(), 1.0 - sum / present);
  }
}

// Changing logits at ignored pixels changes neither the loss nor its gradient; their gradient is 0.
TEST(Losses, IgnoredPixelsContributeNothing)
{
  torch::manual_seed(7);
  auto logits = torch::randn({ 2, 3, 4, 5 }, torch::kDouble);
  auto target = torch::randint(0, 3, { 2, 4, 5 }, torch::kLong);
  auto ignored = torch::rand({ 2, 4, 5 }) < 0.3;
  target.masked_fill_(ignored, -100);
  auto changed = logits.clone();
  auto mask = ignored.unsqueeze(1).expand_as(logits);
  changed.masked_scatter_(mask, torch::randn({ mask.sum().item<int64_t>() }, torch::kDouble) * 10);
  ASSERT_FALSE(torch::equal(changed, logits));
  for (const auto & [name, f] : AllLosses(-100))
  {
    const auto g1 = Gradient(f, logits, target), g2 = Gradient(f, changed, target);
    EXPECT_NEAR(f(logits, target).item<double>(), f(changed, target).item<double>(), 1e-14) << name;
    EXPECT_TRUE(torch::allclose(g1, g2, 0, 1e-14)) << name;
    EXPECT_EQ(g1.masked_select(mask).abs().max().item<double>(), 0.0) << name;
  }
  // Everything ignored: zero loss, zero gradient.
  auto all = torch::full({ 2, 4, 5 }, -100, torch::kLong);
  for (const auto & [name, f] : AllLosses(-100))
  {
    EXPECT_EQ(f(logits, all).item<double>(), 0.0) << name;
    EXPECT_EQ(Gradient(f, logits, all).abs().max().item<double>(), 0.0) << name;
  }
}

TEST(Losses, BadInputThrows)
{
  auto logits = torch::randn({ 1, 2, 3, 3 });
  EXPECT_THROW(CrossEntropyLoss(logits, torch::full({ 1, 3, 3 }, 2, torch::kLong)), Error);   // class 2 of 2
  EXPECT_THROW(CrossEntropyLoss(logits, torch::zeros({ 1, 3, 4 }, torch::kLong)), Error);     // shape
  EXPECT_THROW(DiceLoss(logits, torch::zeros({ 1, 3, 3 }, torch::kLong), { 1, 2, 3 }), Error); // weights
  EXPECT_THROW(CombinedLoss::FromJson("cross_entropy+bogus", "cfg"), Error);
  try
  {
    CombinedLoss::FromJson(nlohmann::json::parse(R"([{"name":"dice","gamma":2}])"), "cfg.json");
    FAIL();
  }
  catch (const Error & e)
  {
    EXPECT_NE(std::string(e.what()).find("dice.gamma"), std::string::npos) << e.what();
  }
  EXPECT_THROW(CombinedLoss::FromJson(nlohmann::json::parse(R"([{"name":"ce","class_weights":[1]}])"), "cfg", 2), Error);
}

// The transformed Lovász loss: its value is the Lovász extension of the IoU loss on F_Δ(errors),
// computed here pixel by pixel (sorted errors, IoU differences); its gradient matches central finite
// differences; a very wide Gaussian is the uniform distribution, i.e. Lovász-softmax.
TEST(Losses, TransformedLovaszFollowsItsThresholdDistribution)
{
  torch::manual_seed(7);
  const auto logits = torch::randn({ 2, 3, 4, 5 }, torch::kDouble);
  const auto target = torch::randint(0, 3, { 2, 4, 5 }, torch::kLong);
  ThresholdDistribution gaussian, step, wide;
  gaussian.name = wide.name = "gaussian";
  gaussian.mean = 0.8;
  gaussian.sigma = 0.1;
  wide.sigma = 1e4;
  step.name = "step";
  step.low = 0.2;
  step.high = 0.9;
  const auto cdf = [](const ThresholdDistribution & d, double x) {
    if (d.name == "step")
      return std::clamp((x - d.low) / (d.high - d.low), 0.0, 1.0);
    const auto phi = [&](double v) { return 0.5 * (1 + std::erf((v - d.mean) / (d.sigma * std::sqrt(2.0)))); };
    return (phi(x) - phi(0)) / (phi(1) - phi(0));
  };
  const auto p = torch::softmax(logits, 1).permute({ 0, 2, 3, 1 }).reshape({ -1, 3 });
  const auto t = target.reshape({ -1 });
  for (const auto & d : { gaussian, step })
  {
    double loss = 0;
    int    present = 0;
    for (int64_t c = 0; c < 3; ++c)
    {
      std::vector<std::pair<double, bool>> errors; // F(error), foreground
      double                               foreground = 0;
      for (int64_t i = 0; i < t.size(0); ++i)
      {
        const bool fg = t[i].item<int64_t>() == c;
        errors.emplace_back(cdf(d, std::abs((fg ? 1.0 : 0.0) - p[i][c].item<double>())), fg);
        foreground += fg;
      }
      if (foreground == 0)
        continue;
      std::sort(errors.begin(), errors.end(), [](const auto & a, const auto & b) { return a.first > b.first; });
      double missed = 0, wrong = 0, previous = 0;
      for (const auto & [x, fg] : errors)
      {
        (fg ? missed : wrong) += 1;
        const double iouLoss = 1 - (foreground - missed) / (foreground + wrong);
        loss += x * (iouLoss - previous);
        previous = iouLoss;
      }
      ++present;
    }
    EXPECT_NEAR(LovaszSoftmaxLoss(logits, target, false, 255, d).item<double>(), loss / present, 1e-12) << d.name;

    auto leaf = logits.clone().requires_grad_(true);
    LovaszSoftmaxLoss(leaf, target, false, 255, d).backward();
    const auto gradient = leaf.grad();
    for (int64_t k = 0; k < logits.numel(); k += 7)
    {
      auto up = logits.clone(), down = logits.clone();
      up.view(-1)[k] += 1e-6;
      down.view(-1)[k] -= 1e-6;
      const double numeric = (LovaszSoftmaxLoss(up, target, false, 255, d) - LovaszSoftmaxLoss(down, target, false, 255, d))
                               .item<double>() / 2e-6;
      EXPECT_NEAR(gradient.view(-1)[k].item<double>(), numeric, 1e-6) << d.name << " logit " << k;
    }
  }
  EXPECT_NEAR(LovaszSoftmaxLoss(logits, target, false, 255, wide).item<double>(),
              LovaszSoftmaxLoss(logits, target).item<double>(), 1e-6);
  EXPECT_GT(std::abs(LovaszSoftmaxLoss(logits, target, false, 255, gaussian).item<double>() -
                     LovaszSoftmaxLoss(logits, target).item<double>()), 1e-3);
  // Through a config, and refused with bad parameters.
  const auto c = CombinedLoss::FromJson(nlohmann::json::parse(R"([{"name": "lovasz", "distribution": "step", "low": 0.2, "high": 0.9}])"), "test");
  EXPECT_NEAR(c(logits, target).item<double>(), LovaszSoftmaxLoss(logits, target, false, c.IgnoreIndex(), step).item<double>(), 1e-12);
  for (const char * bad : { R"({"name": "lovasz", "distribution": "cauchy"})", R"({"name": "lovasz", "distribution": "gaussian", "sigma": 0})",
                            R"({"name": "lovasz", "distribution": "step", "low": 0.5, "high": 0.5})", R"({"name": "dice", "mean": 0.5})" })
  {
    EXPECT_THROW(CombinedLoss::FromJson(nlohmann::json::parse(bad), "test"), Error) << bad;
  }
}
