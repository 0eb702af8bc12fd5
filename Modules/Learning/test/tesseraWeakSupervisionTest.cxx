// Hidden labels of weak supervision: the Potts labelling of the network's probabilities that keeps the given labels,
// checked against hand-computed minima on a row of pixels.
#include <cmath>

#include <gtest/gtest.h>

#include "tesseraError.h"
#include "tesseraWeakSupervision.h"

using namespace tessera;

namespace
{
// [K=2, H=1, W=10]: P(class 1) = 0.6 everywhere.
torch::Tensor
Row()
{
  return torch::stack({ torch::full({ 1, 10 }, 0.4f), torch::full({ 1, 10 }, 0.6f) });
}
} // namespace

TEST(WeakSupervision, HiddenLabelsAreTheHandComputedPottsMinimum)
{
  // Pixel 0 is given class 0. All 0 costs 9 (-log 0.4) = 8.25 nats; 0 then nine 1s costs 9 (-log 0.6) + beta = 4.60 + beta.
  auto given = torch::full({ 1, 10 }, -1, torch::kShort);
  given[0][0] = 0;
  auto ones = torch::ones({ 1, 10 }, torch::kShort);
  ones[0][0] = 0;
  EXPECT_TRUE(torch::equal(PottsHiddenLabels(Row(), given, 0.0), ones));
  EXPECT_TRUE(torch::equal(PottsHiddenLabels(Row(), given, 3.5), ones));                         // 8.10 < 8.25
  EXPECT_TRUE(torch::equal(PottsHiddenLabels(Row(), given, 3.8), torch::zeros({ 1, 10 }, torch::kShort))); // 8.40 > 8.25
}

TEST(WeakSupervision, GivenLabelsAreKeptWhateverTheNetworkAndBeta)
{
  auto given = torch::full({ 1, 10 }, -1, torch::kShort);
  given[0][0] = 0;
  given[0][9] = 1;
  auto p = Row();
  p[0][0][5] = 1.0f; // the network is sure pixel 5 is class 0 ...
  p[1][0][5] = 0.0f;
  given[0][5] = 1;   // ... but it is given class 1
  for (const double beta : { 0.0, 1.0, 100.0 })
  {
    const auto hidden = PottsHiddenLabels(p, given, beta);
    EXPECT_EQ(hidden[0][0].item<int>(), 0) << beta;
    EXPECT_EQ(hidden[0][5].item<int>(), 1) << beta;
    EXPECT_EQ(hidden[0][9].item<int>(), 1) << beta;
  }
  // With a strong Potts term one label change only, right after the given 0.
  auto expected = torch::ones({ 1, 10 }, torch::kShort);
  expected[0][0] = 0;
  EXPECT_TRUE(torch::equal(PottsHiddenLabels(p, given, 100.0), expected));
}

TEST(WeakSupervision, VolumesAndErrors)
{
  // 3D: one given voxel and a strong Potts term label the whole 2×2×2 volume.
  const auto p = torch::stack({ torch::full({ 2, 2, 2 }, 0.45f), torch::full({ 2, 2, 2 }, 0.55f) });
  auto       given = torch::full({ 2, 2, 2 }, -1, torch::kShort);
  given[1][1][1] = 0;
  EXPECT_TRUE(torch::equal(PottsHiddenLabels(p, given, 5.0), torch::zeros({ 2, 2, 2 }, torch::kShort)));
  given[0][0][0] = 2;
  EXPECT_THROW(PottsHiddenLabels(p, given, 1.0), Error);
  EXPECT_THROW(PottsHiddenLabels(p, torch::full({ 2, 2 }, -1, torch::kShort), 1.0), Error);
}
