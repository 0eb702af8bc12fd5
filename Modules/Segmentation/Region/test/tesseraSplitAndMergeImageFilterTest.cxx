// Split-and-merge on piecewise-constant images: aligned blocks are exactly the leaves, and
// merging gives exactly the constant regions, in 2D and 3D, grey and colour.
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "tesseraError.h"
#include "tesseraRegionTestImages.h"
#include "tesseraSplitAndMergeImageFilter.h"

using namespace tessera;
using namespace tessera::testing;

namespace
{
// 4 x 4 blocks of values; no 2 x 2 quad of blocks is constant, so all 16 blocks are leaves.
// Constant regions (face-connected blocks of one value): 7.
const int kBlocks[4][4] = { { 1, 2, 2, 3 }, { 1, 1, 3, 3 }, { 4, 4, 5, 6 }, { 4, 7, 6, 6 } };

VectorImage<2>::Pointer
Blocks(long side, unsigned int channels)
{
  return MakeImage<2>({ { static_cast<itk::SizeValueType>(4 * side), static_cast<itk::SizeValueType>(4 * side) } }, channels,
                      [=](const itk::Index<2> & i, unsigned int c) {
                        return static_cast<float>(10 * kBlocks[i[1] / side][i[0] / side] + 3 * c);
                      });
}

/** True when two label images are the same partition (up to renumbering). */
template <unsigned int D>
bool
SamePartition(const LabelImage<D> * a, const LabelImage<D> * b)
{
  std::map<LabelPixel, LabelPixel> ab, ba;
  const size_t                     n = a->GetLargestPossibleRegion().GetNumberOfPixels();
  for (size_t i = 0; i < n; ++i)
  {
    const LabelPixel x = a->GetBufferPointer()[i], y = b->GetBufferPointer()[i];
    if (ab.emplace(x, y).first->second != y || ba.emplace(y, x).first->second != x)
    {
      return false;
    }
  }
  return true;
}

LabelImage<2>::Pointer
BlockPartition(const VectorImage<2> * image, long side)
{
  return MakeLabels<2>(image, [=](const itk::Index<2> & i) { return static_cast<LabelPixel>(1 + i[0] / side + 4 * (i[1] / side)); });
}

LabelImage<2>::Pointer
ConstantRegions(const VectorImage<2> * image, long side)
{
  // Region ids by hand from kBlocks: value → region, except that every value forms one connected
  // region here.
  return MakeLabels<2>(image, [=](const itk::Index<2> & i) { return static_cast<LabelPixel>(kBlocks[i[1] / side][i[0] / side]); });
}
} // namespace

TEST(SplitAndMerge, AlignedBlocksAreExactlyTheLeaves)
{
  for (unsigned int channels : { 1u, 3u })
  {
    auto image = Blocks(16, channels);
    for (auto predicate : { HomogeneityPredicate::Variance, HomogeneityPredicate::Range })
    {
      auto f = SplitAndMergeImageFilter<2>::New();
      f->SetInput(image);
      f->SetPredicate(predicate);
      f->SetThreshold(0.5);
      f->SetMinimumBlockSize(1);
      f->Update();
      EXPECT_EQ(f->GetNumberOfLeaves(), 16u);
      EXPECT_TRUE(SamePartition<2>(f->GetSplitLabels(), BlockPartition(image, 16)));
      EXPECT_EQ(f->GetNumberOfRegions(), 7u);
      EXPECT_TRUE(SamePartition<2>(f->GetOutput(), ConstantRegions(image, 16)));
      // Raster-order numbering: the first pixel is region 1.
      EXPECT_EQ(f->GetOutput()->GetPixel({ { 0, 0 } }), 1);
    }
  }
}

TEST(SplitAndMerge, WithoutMergeTheOutputIsTheLeaves)
{
  auto image = Blocks(16, 1);
  auto f = SplitAndMergeImageFilter<2>::New();
  f->SetInput(image);
  f->SetThreshold(1.0);
  f->MergeOff();
  f->Update();
  EXPECT_EQ(f->GetNumberOfRegions(), 16u);
  EXPECT_TRUE(SamePartition<2>(f->GetOutput(), BlockPartition(image, 16)));
}

TEST(SplitAndMerge, UnalignedBlocksMergeIntoTheConstantRegions)
{
  // 12-pixel blocks on a 48 x 48 image: the quadtree cuts them into many leaves, which merging
  // joins back into exactly the 7 constant regions.
  auto image = Blocks(12, 1);
  auto f = SplitAndMergeImageFilter<2>::New();
  f->SetInput(image);
  f->SetThreshold(1.0);
  f->SetMinimumBlockSize(1);
  f->Update();
  EXPECT_GT(f->GetNumberOfLeaves(), 16u);
  EXPECT_EQ(f->GetNumberOfRegions(), 7u);
  EXPECT_TRUE(SamePartition<2>(f->GetOutput(), ConstantRegions(image, 12)));
}

TEST(SplitAndMerge, OctreeIn3D)
{
  // 32^3 volume of 8^3 blocks, value by block parity pattern with some equal neighbours.
  auto value = [](const itk::Index<3> & i) { return static_cast<float>(((i[0] / 8) + 2 * (i[1] / 16) + 3 * (i[2] / 8)) % 5); };
  auto image = MakeImage<3>({ { 32, 32, 32 } }, 1, [&](const itk::Index<3> & i, unsigned int) { return 20.0f * value(i); });
  auto f = SplitAndMergeImageFilter<3>::New();
  f->SetInput(image);
  f->SetThreshold(1.0);
  f->SetMinimumBlockSize(1);
  f->Update();
  // Every region constant, and adjacent regions differ.
  std::map<LabelPixel, float> regionValue;
  const auto *                out = f->GetOutput();
  bool                        constant = true;
  itk::ImageRegionConstIteratorWithIndex<LabelImage<3>> it(out, out->GetLargestPossibleRegion());
  for (; !it.IsAtEnd(); ++it)
  {
    const float v = value(it.GetIndex());
    constant = constant && regionValue.emplace(it.Get(), v).first->second == v;
    for (unsigned int d = 0; d < 3; ++d)
    {
      auto j = it.GetIndex();
      if (++j[d] < 32 && out->GetPixel(j) != it.Get())
      {
        EXPECT_NE(value(j), v) << "adjacent regions of one value left unmerged";
      }
    }
  }
  EXPECT_TRUE(constant);
  EXPECT_GT(f->GetNumberOfLeaves(), f->GetNumberOfRegions());
}

TEST(SplitAndMerge, BadParameters)
{
  auto image = Blocks(4, 1);
  auto subject = [&](const std::function<void(SplitAndMergeImageFilter<2> *)> & setup) {
    auto f = SplitAndMergeImageFilter<2>::New();
    f->SetInput(image);
    setup(f);
    return ErrorSubject([&] { f->Update(); });
  };
  EXPECT_EQ(subject([](auto * f) { f->SetThreshold(0.0); }), "threshold");
  EXPECT_EQ(subject([](auto * f) { f->SetThreshold(-2.0); }), "threshold");
  EXPECT_EQ(subject([](auto * f) { f->SetMinimumBlockSize(0); }), "min-block-size");
  EXPECT_EQ(subject([](auto * f) { f->SetMergeThreshold(-1.0); }), "merge-threshold");
}

TEST(SplitAndMerge, PrintSelfListsTheParameters)
{
  auto f = SplitAndMergeImageFilter<2>::New();
  f->SetPredicate(HomogeneityPredicate::Range);
  f->SetThreshold(12.5);
  f->MergeOff();
  const std::string s = Printed(f);
  for (const char * line : { "Predicate: Range", "Threshold: 12.5", "MinimumBlockSize: 2", "MergeThreshold: 0",
                             "Merge: Off", "NumberOfLeaves: 0", "NumberOfRegions: 0" })
  {
    EXPECT_NE(s.find(line), std::string::npos) << line << " not in\n" << s;
  }
}
