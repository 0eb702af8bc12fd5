#include "tesseraLabelFusion.h"

#include <numeric>
#include <random>

#include <gtest/gtest.h>

#include "itkLabelVotingImageFilter.h"
#include "itkMultiLabelSTAPLEImageFilter.h"
#include "itkMultiThreaderBase.h"
#include "tesseraError.h"

namespace tessera
{
namespace
{
LabelImage<2>::Pointer
MakeLabels(unsigned int w, unsigned int h)
{
  auto image = LabelImage<2>::New();
  image->SetRegions(LabelImage<2>::SizeType{ { w, h } });
  image->Allocate(true);
  return image;
}

ScalarImage<2>::Pointer
MakeImage(const std::vector<float> & values, unsigned int w)
{
  auto image = ScalarImage<2>::New();
  image->SetRegions(ScalarImage<2>::SizeType{ { w, static_cast<unsigned int>(values.size() / w) } });
  image->Allocate();
  std::copy(values.begin(), values.end(), image->GetBufferPointer());
  return image;
}

/** Raters that copy a random truth (labels 0, 3, 7) and err with probability 0.25; a voxel is
 * drawn again while its votes tie, because ITK's voting marks ties with an extra label that its
 * STAPLE cannot index. */
std::vector<LabelImage<2>::Pointer>
NoisyRaters(unsigned int raters, unsigned int w, unsigned int h, unsigned int seed)
{
  std::mt19937                       rng(seed);
  const LabelPixel                   values[3] = { 0, 3, 7 };
  std::uniform_int_distribution<int> pick(0, 2);
  std::bernoulli_distribution        err(0.25);
  std::vector<LabelImage<2>::Pointer> images;
  for (unsigned int r = 0; r < raters; ++r)
    images.push_back(MakeLabels(w, h));
  for (size_t i = 0; i < size_t{ w } * h; ++i)
  {
    for (;;)
    {
      const LabelPixel truth = values[pick(rng)];
      int              count[8] = { 0 };
      for (auto & image : images)
      {
        image->GetBufferPointer()[i] = err(rng) ? values[pick(rng)] : truth;
        ++count[image->GetBufferPointer()[i]];
      }
      std::vector<int> c{ count[0], count[3], count[7] };
      std::sort(c.begin(), c.end());
      if (c[2] != c[1])
        break;
    }
  }
  return images;
}

TEST(LabelFusion, ParsesMethodNames)
{
  for (const auto * name : { "majority", "weighted", "local", "staple", "jlf" })
    EXPECT_EQ(FusionMethodName(ParseFusionMethod(name)), name);
  EXPECT_THROW(ParseFusionMethod("vote"), Error);
}

TEST(LabelFusion, MajorityVoteAgreesWithItkLabelVoting)
{
  const auto raters = NoisyRaters(5, 40, 30, 1);
  auto       itkVote = itk::LabelVotingImageFilter<LabelImage<2>, LabelImage<2>>::New();
  LabelFusion<2> fusion;
  FusionSettings s;
  s.method = FusionMethod::Majority;
  fusion.SetSettings(s);
  for (unsigned int r = 0; r < raters.size(); ++r)
  {
    itkVote->SetInput(r, raters[r]);
    fusion.AddAtlas(raters[r]);
  }
  itkVote->Update();
  fusion.Update();
  const auto * expected = itkVote->GetOutput()->GetBufferPointer();
  const auto * actual = fusion.GetLabels()->GetBufferPointer();
  for (size_t i = 0; i < 40 * 30; ++i)
    ASSERT_EQ(actual[i], expected[i]) << "voxel " << i;
  EXPECT_EQ(fusion.GetLabelSet(), (std::vector<LabelPixel>{ 0, 3, 7 }));
  EXPECT_EQ(fusion.GetConsensusVoxels() + fusion.GetFusedVoxels(), 40u * 30u);
  EXPECT_GT(fusion.GetConsensusVoxels(), 0u);
}

TEST(LabelFusion, MajorityTiesGoToTheSmallestLabel)
{
  std::vector<LabelImage<2>::Pointer> raters;
  LabelFusion<2>                      fusion;
  FusionSettings                      s;
  s.method = FusionMethod::Majority;
  fusion.SetSettings(s);
  for (LabelPixel v : { 5, 2, 5, 2 })
  {
    raters.push_back(MakeLabels(1, 1));
    raters.back()->GetBufferPointer()[0] = v;
    fusion.AddAtlas(raters.back());
  }
  fusion.SetComputeProbabilities(true);
  fusion.SetComputeConfidence(true);
  fusion.Update();
  EXPECT_EQ(fusion.GetLabels()->GetBufferPointer()[0], 2);
  EXPECT_FLOAT_EQ(fusion.GetConfidence()->GetBufferPointer()[0], 0.5f);
  EXPECT_FLOAT_EQ(fusion.GetProbabilities()->GetBufferPointer()[0], 0.5f);
  EXPECT_FLOAT_EQ(fusion.GetProbabilities()->GetBufferPointer()[1], 0.5f);
}

TEST(LabelFusion, StapleAgreesWithItkMultiLabelStapleInDouble)
{
  const auto raters = NoisyRaters(7, 30, 20, 2);
  auto       itkStaple = itk::MultiLabelSTAPLEImageFilter<LabelImage<2>, LabelImage<2>, double>::New();
  itkStaple->SetMaximumNumberOfIterations(50);
  LabelFusion<2> fusion;
  FusionSettings s;
  s.method = FusionMethod::Staple;
  s.stapleIterations = 50;
  fusion.SetSettings(s);
  fusion.SetComputeProbabilities(true);
  fusion.SetComputeConfidence(true);
  for (unsigned int r = 0; r < raters.size(); ++r)
  {
    itkStaple->SetInput(r, raters[r]);
    fusion.AddAtlas(raters[r]);
  }
  itkStaple->Update();
  fusion.Update();
  const auto * expected = itkStaple->GetOutput()->GetBufferPointer();
  const auto * actual = fusion.GetLabels()->GetBufferPointer();
  const auto * p = fusion.GetProbabilities()->GetBufferPointer();
  const auto * confidence = fusion.GetConfidence()->GetBufferPointer();
  size_t       differing = 0;
  for (size_t i = 0; i < 30 * 20; ++i)
  {
    // ITK marks exact ties with label 8 (its maximum + 1); there is none here.
    differing += actual[i] != expected[i];
    EXPECT_NEAR(p[3 * i] + p[3 * i + 1] + p[3 * i + 2], 1.0f, 1e-5f);
    EXPECT_EQ(confidence[i], *std::max_element(p + 3 * i, p + 3 * i + 3));
  }
  EXPECT_EQ(differing, 0u);
}

TEST(LabelFusion, JointFusionWeightsMatchTheClosedForm)
{
  // d1 = |1 1 0|, d2 = |2 0 0|, n = 3: M = [[(2/2)^2, (2/2)^2], [(2/2)^2, (4/2)^2]] = [[1, 1], [1, 4]];
  // (M + 0.1 I) x = 1 gives x = (3.1, 0.1) / 3.51, normalised (31/32, 1/32).
  const auto w = JointFusionWeights({ { 1, 1, 0 }, { 2, 0, 0 } }, 0.1, 2);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_NEAR(w[0], 31.0 / 32.0, 1e-12);
  EXPECT_NEAR(w[1], 1.0 / 32.0, 1e-12);
  // Beta 1: M = [[1, 1], [1, 2]]; (M + I) x = 1: x = (2, 1) / 5 -> (1/3... ) normalised (2/3, 1/3).
  const auto w1 = JointFusionWeights({ { 1, 1, 0 }, { 2, 0, 0 } }, 1.0, 1);
  EXPECT_NEAR(w1[0], 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(w1[1], 1.0 / 3.0, 1e-12);
  // Two atlases making the same errors share their weight; a third, independent, one gains:
  // solving gives it a larger weight than either twin.
  const auto w3 = JointFusionWeights({ { 1, 1, 0, 0 }, { 1, 1, 0, 0 }, { 0, 0, 1, 1 } }, 0.1, 1);
  EXPECT_NEAR(w3[0], w3[1], 1e-12);
  EXPECT_GT(w3[2], w3[0] * 1.5);
  EXPECT_NEAR(w3[0] + w3[1] + w3[2], 1.0, 1e-12);
}

TEST(LabelFusion, JointLabelFusionOnAHandComputedImage)
{
  // A 5x1 target 0 1 2 3 4; atlas A equals it, atlas B is its reverse. Patch radius 1 in 2D, no
  // search: at voxel 2 the patch is the row (1, 2, 3) three times (clamped), n = 9. Standardised
  // (sample sd) the target and A are +-sqrt(4/3) at 6 places, B the opposite: d_A = 0, d_B = 2 sqrt(4/3)
  // at 6 places, so M(B,B) = (6 * 16/3 / 8)^2 = 16, M(A,.) = 0 and w = (1/0.1, 1/16.1) normalised.
  auto target = MakeImage({ 0, 1, 2, 3, 4 }, 5);
  auto a = MakeImage({ 0, 1, 2, 3, 4 }, 5);
  auto b = MakeImage({ 4, 3, 2, 1, 0 }, 5);
  auto la = MakeLabels(5, 1);
  auto lb = MakeLabels(5, 1);
  for (int i = 0; i < 5; ++i)
  {
    la->GetBufferPointer()[i] = 1;
    lb->GetBufferPointer()[i] = 2;
  }
  LabelFusion<2> fusion;
  FusionSettings s;
  s.method = FusionMethod::JointLabelFusion;
  s.patchRadius = 1;
  s.searchRadius = 0;
  fusion.SetSettings(s);
  fusion.SetTargetImage(target);
  fusion.AddAtlas(la, a);
  fusion.AddAtlas(lb, b);
  fusion.SetComputeProbabilities(true);
  fusion.Update();
  const double wa = 10.0 / (10.0 + 1.0 / 16.1);
  EXPECT_EQ(fusion.GetLabels()->GetBufferPointer()[2], 1);
  EXPECT_NEAR(fusion.GetProbabilities()->GetBufferPointer()[2 * 2 + 0], wa, 1e-5);
  EXPECT_NEAR(fusion.GetProbabilities()->GetBufferPointer()[2 * 2 + 1], 1 - wa, 1e-5);
}

TEST(LabelFusion, JointLabelFusionSearchFindsAShiftedAtlas)
{
  // The atlas is the target shifted by one voxel, with labels shifted alike: search radius 1
  // finds the match and votes with the label at the matched voxel. A second atlas (constant
  // image, label 3) keeps the voxels from consensus and gets almost no weight.
  std::vector<float> t(12 * 12), a(12 * 12);
  auto               lt = MakeLabels(12, 12), la = MakeLabels(12, 12), lz = MakeLabels(12, 12);
  for (unsigned y = 0; y < 12; ++y)
    for (unsigned x = 0; x < 12; ++x)
    {
      t[y * 12 + x] = float((x * 7 + y * 3) % 11) + (x > 5 ? 20.0f : 0.0f);
      const unsigned xs = x > 0 ? x - 1 : 0;
      a[y * 12 + x] = float((xs * 7 + y * 3) % 11) + (xs > 5 ? 20.0f : 0.0f);
      la->GetBufferPointer()[y * 12 + x] = xs > 5 ? 2 : 1;
      lz->GetBufferPointer()[y * 12 + x] = 3;
    }
  LabelFusion<2> fusion;
  FusionSettings s;
  s.method = FusionMethod::JointLabelFusion;
  s.patchRadius = 1;
  s.searchRadius = 1;
  fusion.SetSettings(s);
  auto target = MakeImage(t, 12);
  auto atlas = MakeImage(a, 12);
  auto zero = MakeImage(std::vector<float>(144, 0.0f), 12);
  fusion.SetTargetImage(target);
  fusion.AddAtlas(la, atlas);
  fusion.AddAtlas(lz, zero);
  fusion.Update();
  // Voxel (6, 5) is class 2 in the target (x > 5); the atlas says 1 there but 2 one voxel right.
  EXPECT_EQ(fusion.GetLabels()->GetBufferPointer()[5 * 12 + 6], 2);
}

TEST(LabelFusion, MaskProbabilitiesAndThreadInvariance)
{
  const auto          raters = NoisyRaters(5, 32, 32, 3);
  std::mt19937        rng(4);
  std::normal_distribution<float> noise(0, 1);
  std::vector<float>  t(32 * 32);
  for (auto & v : t)
    v = noise(rng);
  auto target = MakeImage(t, 32);
  std::vector<ScalarImage<2>::Pointer> images;
  auto mask = MaskImage<2>::New();
  mask->SetRegions(MaskImage<2>::SizeType{ { 32, 32 } });
  mask->Allocate(true);
  for (size_t i = 0; i < 32 * 16; ++i)
    mask->GetBufferPointer()[i] = 1;
  for (unsigned r = 0; r < raters.size(); ++r)
  {
    for (auto & v : t)
      v += 0.3f * noise(rng);
    images.push_back(MakeImage(t, 32));
  }
  for (const auto method : { FusionMethod::GlobalWeighted, FusionMethod::LocalWeighted, FusionMethod::JointLabelFusion })
  {
    std::vector<LabelImage<2>::Pointer> results;
    for (const unsigned threads : { 1u, 2u })
    {
      itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(threads);
      LabelFusion<2> fusion;
      FusionSettings s;
      s.method = method;
      fusion.SetSettings(s);
      fusion.SetTargetImage(target);
      fusion.SetMask(mask);
      fusion.SetComputeProbabilities(true);
      fusion.SetComputeConfidence(true);
      for (unsigned r = 0; r < raters.size(); ++r)
        fusion.AddAtlas(raters[r], images[r]);
      fusion.Update();
      const auto * l = fusion.GetLabels()->GetBufferPointer();
      const auto * p = fusion.GetProbabilities()->GetBufferPointer();
      const auto * confidence = fusion.GetConfidence()->GetBufferPointer();
      for (size_t i = 0; i < 32 * 32; ++i)
      {
        const float sum = p[3 * i] + p[3 * i + 1] + p[3 * i + 2];
        if (i < 32 * 16)
        {
          ASSERT_NEAR(sum, 1.0f, 1e-5f);
          const auto best = std::max_element(p + 3 * i, p + 3 * i + 3) - (p + 3 * i);
          ASSERT_EQ(l[i], fusion.GetLabelSet()[best]);
          ASSERT_EQ(confidence[i], p[3 * i + best]);
        }
        else
        {
          ASSERT_EQ(sum, 0.0f);
          ASSERT_EQ(confidence[i], 0.0f);
          ASSERT_EQ(l[i], 0);
        }
      }
      if (method == FusionMethod::GlobalWeighted)
      {
        const auto & w = fusion.GetAtlasWeights();
        EXPECT_NEAR(std::accumulate(w.begin(), w.end(), 0.0), 1.0, 1e-9);
      }
      results.push_back(fusion.GetLabels());
    }
    EXPECT_TRUE(std::equal(results[0]->GetBufferPointer(), results[0]->GetBufferPointer() + 32 * 32,
                           results[1]->GetBufferPointer()))
      << FusionMethodName(method);
  }
}

TEST(LabelFusion, RefusesMissingIntensitiesAndOtherGrids)
{
  LabelFusion<2> fusion;
  FusionSettings s;
  s.method = FusionMethod::JointLabelFusion;
  fusion.SetSettings(s);
  auto labels = MakeLabels(4, 4);
  fusion.AddAtlas(labels);
  EXPECT_THROW(fusion.Update(), Error);
  EXPECT_THROW(fusion.AddAtlas(MakeLabels(5, 4)), Error);
  LabelFusion<2> empty;
  EXPECT_THROW(empty.Update(), Error);
}
} // namespace
} // namespace tessera
