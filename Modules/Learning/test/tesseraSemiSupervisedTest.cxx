// Semi-supervised training's pieces: pseudo-labels and their threshold, the strong view (CutMix keeps each label on
// the pixel it came with), the loss's normalisation, and the multi-transform teacher (an exactly equivariant network
// gains nothing from it, a plain one does change).
#include <cmath>

#include <gtest/gtest.h>

#include "tesseraSemiSupervised.h"

using namespace tessera;

TEST(SemiSupervised, PseudoLabelsKeepOnlyConfidentClasses)
{
  // [B=1, K=2, H=1, W=3]: confidences 0.96, 0.5, 0.95.
  const auto p = torch::tensor({ 0.96f, 0.5f, 0.05f, 0.04f, 0.5f, 0.95f }).reshape({ 1, 2, 1, 3 });
  EXPECT_TRUE(torch::equal(PseudoLabels(p, 0.9), torch::tensor({ 0L, -1L, 1L }).reshape({ 1, 1, 3 })));
  EXPECT_TRUE(torch::equal(PseudoLabels(p, 0.955), torch::tensor({ 0L, -1L, -1L }).reshape({ 1, 1, 3 })));
  EXPECT_TRUE(torch::equal(PseudoLabels(p, 0.0), torch::tensor({ 0L, 0L, 1L }).reshape({ 1, 1, 3 })));
}

TEST(SemiSupervised, CutMixMovesLabelsWithTheirPixels)
{
  // Image b holds 100 b + the pixel's index, its labels b: after CutMix every label must still be its pixel's source.
  const int64_t B = 3, H = 8, W = 8;
  const auto    index = torch::arange(H * W, torch::kFloat).reshape({ 1, 1, H, W });
  const auto    images = torch::cat({ index, index + 100, index + 200 });
  const auto    labels = torch::arange(B, torch::kLong).reshape({ B, 1, 1 }).expand({ B, H, W }).contiguous();
  std::mt19937_64 rng(7);
  const auto [mixed, mixedLabels] = StrongView(images, labels, { 0.0, 0.0, 0.0, 1.0 }, rng);
  EXPECT_TRUE(torch::equal(mixedLabels, torch::div(mixed.squeeze(1), 100, "floor").to(torch::kLong)));
  // Pixels stay in place (the box is copied from the same place), and a quarter of each image comes from the next.
  EXPECT_TRUE(torch::equal(torch::remainder(mixed, 100), index.expand({ B, 1, H, W })));
  for (int64_t b = 0; b < B; ++b)
  {
    EXPECT_EQ((mixedLabels[b] == (b + 1) % B).sum().item<int64_t>(), H * W / 4) << "image " << b;
    EXPECT_EQ((mixedLabels[b] == b).sum().item<int64_t>(), 3 * H * W / 4) << "image " << b;
  }
}

TEST(SemiSupervised, PhotometricChangesLeaveLabelsAndConstantsAlone)
{
  const auto      images = torch::full({ 2, 1, 12, 12 }, 3.0f);
  const auto      labels = torch::randint(-1, 2, { 2, 12, 12 }, torch::kLong);
  std::mt19937_64 rng(3);
  // Blur alone: a normalised kernel with replicated borders keeps a constant image.
  const auto [blurred, same] = StrongView(images, labels, { 0.0, 0.0, 1.0, 0.0 }, rng);
  EXPECT_TRUE(torch::equal(same, labels));
  EXPECT_LT((blurred - 3.0).abs().max().item<double>(), 1e-5);
  // ... and spreads a point, keeping its sum (σ is drawn in [0.1, 2] pixels: σ = 0.1 hardly spreads it).
  auto point = torch::zeros({ 1, 1, 32, 32 });
  point[0][0][16][16] = 1.0;
  int spreadOut = 0;
  for (int draw = 0; draw < 5; ++draw)
  {
    const auto spread = StrongView(point, torch::zeros({ 1, 32, 32 }, torch::kLong), { 0.0, 0.0, 1.0, 0.0 }, rng).first;
    spreadOut += spread.max().item<double>() < 0.5;
    EXPECT_NEAR(spread.sum().item<double>(), 1.0, 1e-5);
  }
  EXPECT_GE(spreadOut, 1);
  // Contrast and brightness: one affine change per image, within the ranges.
  const auto ramp = torch::arange(144, torch::kFloat).reshape({ 1, 1, 12, 12 }).expand({ 2, 1, 12, 12 }).contiguous();
  const auto jittered = StrongView(ramp, labels, { 0.5, 0.3, 0.0, 0.0 }, rng).first;
  for (int64_t b = 0; b < 2; ++b)
  {
    const double factor = (jittered[b][0][0][1] - jittered[b][0][0][0]).item<double>(), shift = jittered[b][0][0][0].item<double>();
    EXPECT_GE(factor, 0.7 - 1e-6);
    EXPECT_LE(factor, 1.3 + 1e-6);
    EXPECT_LE(std::abs(shift), 0.5 + 1e-6);
    EXPECT_LT((jittered[b] - (ramp[b] * factor + shift)).abs().max().item<double>(), 1e-3);
  }
}

TEST(SemiSupervised, PseudoLabelLossAveragesOverAllPixels)
{
  // Equal logits: log 2 nats at each of the 2 labelled pixels of 4.
  const auto logits = torch::zeros({ 1, 2, 2, 2 });
  const auto labels = torch::tensor({ 0L, -1L, 1L, -1L }).reshape({ 1, 2, 2 });
  EXPECT_NEAR(PseudoLabelLoss(logits, labels).item<double>(), std::log(2.0) / 2, 1e-6);
  EXPECT_EQ(PseudoLabelLoss(logits, torch::full({ 1, 2, 2 }, -1L)).item<double>(), 0.0);
}

TEST(SemiSupervised, GroupTeacherChangesNothingForAnEquivariantNetwork)
{
  torch::manual_seed(5);
  NetworkOptions o;
  o.inChannels = 1;
  o.classes = 3;
  o.baseWidth = 8;
  o.depth = 2;
  const PlanarGroup p4m("p4m");
  const auto        images = torch::randn({ 2, 1, 16, 16 });
  o.equivariance = "p4m";
  auto equivariant = MakeNetwork(o);
  equivariant->eval();
  const auto single = TeacherProbabilities(*equivariant, images, nullptr);
  EXPECT_LT((TeacherProbabilities(*equivariant, images, &p4m) - single).abs().max().item<double>(), 1e-5);
  EXPECT_LT((single.sum(1) - 1).abs().max().item<double>(), 1e-5);
  o.equivariance = "none";
  auto plain = MakeNetwork(o);
  plain->eval();
  const auto ensemble = TeacherProbabilities(*plain, images, &p4m);
  EXPECT_GT((ensemble - TeacherProbabilities(*plain, images, nullptr)).abs().max().item<double>(), 1e-4);
  // The ensemble of the plain network is invariant: the same for the turned input, turned back.
  const auto turned = TeacherProbabilities(*plain, p4m.Transform(images, 1), &p4m);
  EXPECT_LT((p4m.Transform(turned, p4m.Inverse(1)) - ensemble).abs().max().item<double>(), 1e-5);
}
