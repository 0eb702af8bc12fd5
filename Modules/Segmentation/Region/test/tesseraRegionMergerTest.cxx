#include "tesseraRegionMerger.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tesseraError.h"
#include "tesseraImageUtilities.h"
#include "tesseraRegionTestImages.h"

namespace
{
using tessera::testing::MakeLabels;

template <unsigned int D>
typename tessera::VectorImage<D>::Pointer
MakeFeatures(const tessera::LabelImage<D> * labels, const std::function<float(const itk::Index<D> &)> & f)
{
  auto image = tessera::VectorImage<D>::New();
  image->CopyInformation(labels);
  image->SetRegions(labels->GetBufferedRegion());
  image->SetNumberOfComponentsPerPixel(1);
  image->Allocate();
  itk::ImageRegionIteratorWithIndex<tessera::VectorImage<D>> it(image, image->GetBufferedRegion());
  for (; !it.IsAtEnd(); ++it)
  {
    itk::VariableLengthVector<float> v(1);
    v[0] = f(it.GetIndex());
    it.Set(v);
  }
  return image;
}

/** True when a and b are the same partition of the pixels up to renumbering (a bijection
 * between their label sets). */
template <typename TA, typename TB>
::testing::AssertionResult
SamePartition(const TA * a, const TB * b)
{
  const std::size_t n = a->GetBufferedRegion().GetNumberOfPixels();
  if (n != b->GetBufferedRegion().GetNumberOfPixels())
  {
    return ::testing::AssertionFailure() << "different sizes";
  }
  std::map<long, long> ab, ba;
  std::size_t          mismatches = 0;
  for (std::size_t i = 0; i < n; ++i)
  {
    const long x = a->GetBufferPointer()[i], y = b->GetBufferPointer()[i];
    auto       p = ab.emplace(x, y).first;
    auto       q = ba.emplace(y, x).first;
    mismatches += p->second != y || q->second != x;
  }
  if (mismatches)
  {
    return ::testing::AssertionFailure() << mismatches << " of " << n << " pixels break the bijection (" << ab.size()
                                         << " vs " << ba.size() << " labels)";
  }
  return ::testing::AssertionSuccess() << ab.size() << " regions";
}

std::string
SourceDir()
{
  return TESSERA_TEST_SOURCE_DIR;
}
} // namespace

// Two blocks of one region each, two regions in a third block with a small one in the middle.
TEST(RegionMerger, SizeConstrainedMergingAbsorbsSmallRegions)
{
  // 20x10: left half label 1 (value 0), right half label 2 (value 100); a 2x2 label 3 (value 90)
  // inside the left half; a 3x3 label 4 (value 5) inside the right half.
  auto labels = MakeLabels<2>({ 20, 10 }, [](const itk::Index<2> & i) {
    if (i[0] >= 3 && i[0] < 5 && i[1] >= 3 && i[1] < 5)
    {
      return tessera::LabelPixel{ 3 };
    }
    if (i[0] >= 14 && i[0] < 17 && i[1] >= 4 && i[1] < 7)
    {
      return tessera::LabelPixel{ 4 };
    }
    return tessera::LabelPixel(i[0] < 10 ? 1 : 2);
  });
  auto features = MakeFeatures<2>(labels, [&](const itk::Index<2> & i) {
    const int l = labels->GetPixel(i);
    return l == 1 ? 0.0f : l == 2 ? 100.0f : l == 3 ? 90.0f : 5.0f;
  });
  tessera::RegionAdjacencyGraph<2> rag(labels, features, 1);
  tessera::RegionMerger<2>         merger(rag, tessera::MeanColorWeight<2>());
  EXPECT_EQ(merger.MergeSmallRegions(10), 2u);
  EXPECT_EQ(merger.CurrentRegions(), (std::vector<tessera::LabelPixel>{ 1, 2 }));
  // each small region had one neighbour: absorbed regardless of colour
  EXPECT_EQ(merger.Region(1).size, 100u);
  EXPECT_EQ(merger.Region(2).size, 100u);
  const auto & steps = merger.Hierarchy().Steps();
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].from, 3); // the smallest first
  EXPECT_EQ(steps[0].into, 1);
  EXPECT_EQ(steps[1].from, 4);
  EXPECT_EQ(steps[1].into, 2);
  EXPECT_THROW(merger.MergeSmallRegions(0), tessera::Error);
}

TEST(RegionMerger, SmallRegionJoinsMostSimilarNeighbour)
{
  // three vertical stripes 1 | 3 | 2; stripe 3 (value 60) is small and nearer 2 (value 100) than 1 (0)
  auto labels = MakeLabels<2>({ 21, 10 }, [](const itk::Index<2> & i) {
    return tessera::LabelPixel(i[0] < 10 ? 1 : i[0] == 10 ? 3 : 2);
  });
  auto features = MakeFeatures<2>(labels, [](const itk::Index<2> & i) {
    return i[0] < 10 ? 0.0f : i[0] == 10 ? 60.0f : 100.0f;
  });
  tessera::RegionAdjacencyGraph<2> rag(labels, features, 1);
  tessera::RegionMerger<2>         merger(rag, tessera::MeanColorWeight<2>());
  merger.MergeSmallRegions(11);
  EXPECT_EQ(merger.Region(2).size, 110u);
  EXPECT_DOUBLE_EQ(merger.Region(2).Mean(0), (100.0 * 100 + 60.0 * 10) / 110);
  EXPECT_EQ(merger.Neighbours(1).size(), 1u);
  EXPECT_EQ(merger.Neighbours(1)[0].second.size, 10u);
}

// A 6x6 grid of blocks with random-ish means: the hierarchy cut at level k reproduces the
// partition after k merges of a fresh merger stopped there.
TEST(RegionMerger, HierarchyCutReproducesPartitionAfterKMerges)
{
  auto labels = MakeLabels<2>({ 30, 30 }, [](const itk::Index<2> & i) {
    return static_cast<tessera::LabelPixel>(1 + i[0] / 5 + 6 * (i[1] / 5));
  });
  auto features = MakeFeatures<2>(labels, [&](const itk::Index<2> & i) {
    const unsigned l = labels->GetPixel(i);
    return static_cast<float>((l * 37u) % 101u) + 0.01f * static_cast<float>(i[0] % 3);
  });
  tessera::RegionAdjacencyGraph<2> rag(labels, features, 1);
  tessera::RegionMerger<2>         full(rag, tessera::MeanColorWeight<2>());
  full.MergeHierarchical();
  const auto & h = full.Hierarchy();
  ASSERT_EQ(h.NumberOfMerges(), 35u); // down to one region
  for (std::size_t k : { 0u, 1u, 7u, 20u, 35u })
  {
    // the k-th merge's weight as threshold just above it stops after exactly k merges when the
    // merge weights up to there are increasing; use a manual stepper otherwise
    tessera::RegionMerger<2> partial(rag, tessera::MeanColorWeight<2>());
    for (std::size_t s = 0; s < k; ++s)
    {
      partial.Merge(h.Steps()[s].from, h.Steps()[s].into, h.Steps()[s].weight);
    }
    EXPECT_EQ(partial.NumberOfRegions(), 36u - k);
    EXPECT_TRUE(SamePartition(h.Apply<2>(labels, k).GetPointer(), partial.Labels().GetPointer()));
  }
  // Cutting at a threshold equals merging with that threshold.
  for (double t : { 5.0, 20.0, 40.0 })
  {
    tessera::RegionMerger<2> thresholded(rag, tessera::MeanColorWeight<2>());
    const std::size_t        merges = thresholded.MergeHierarchical(t);
    EXPECT_EQ(merges, h.LevelForThreshold(t));
    EXPECT_TRUE(SamePartition(h.Apply<2>(labels, merges).GetPointer(), thresholded.Labels().GetPointer()));
  }
  EXPECT_THROW(h.LabelMap(36), tessera::Error);
  // CSV / JSON
  const std::string csv = h.ToCsv();
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "step,from,into,weight,size");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 36);
  EXPECT_NE(h.ToJson().find("\"merges\""), std::string::npos);
}

TEST(RegionMerger, BoundaryWeightMergesAcrossWeakEdgesFirst)
{
  // 4 stripes: values 0, 10, 100, 110; weak boundaries 1|2 and 3|4, strong 2|3.
  auto labels = MakeLabels<2>({ 40, 8 }, [](const itk::Index<2> & i) { return tessera::LabelPixel(1 + i[0] / 10); });
  auto features = MakeFeatures<2>(labels, [](const itk::Index<2> & i) {
    const int s = i[0] / 10;
    return static_cast<float>(s == 0 ? 0 : s == 1 ? 10 : s == 2 ? 100 : 110);
  });
  tessera::RegionAdjacencyGraph<2> rag(labels, features, 1);
  tessera::RegionMerger<2>         merger(rag, tessera::BoundaryWeight<2>());
  EXPECT_EQ(merger.MergeHierarchical(50.0), 2u);
  EXPECT_EQ(merger.NumberOfRegions(), 2u);
  EXPECT_DOUBLE_EQ(merger.Weight(merger.CurrentRegions()[0], merger.CurrentRegions()[1]), 90.0);
}

TEST(RegionMerger, ThresholdCutIsConnectedComponentsOfLightEdges)
{
  // chain 1-2-3-4 with mean steps 5, 30, 5: cut at 10 gives {1,2} {3,4} (no recomputation)
  auto labels = MakeLabels<2>({ 40, 4 }, [](const itk::Index<2> & i) { return tessera::LabelPixel(1 + i[0] / 10); });
  auto features = MakeFeatures<2>(labels, [](const itk::Index<2> & i) {
    const int s = i[0] / 10;
    return static_cast<float>(s == 0 ? 0 : s == 1 ? 5 : s == 2 ? 35 : 40);
  });
  tessera::RegionAdjacencyGraph<2> rag(labels, features, 1);
  tessera::RegionMerger<2>         merger(rag, tessera::MeanColorWeight<2>());
  EXPECT_EQ(merger.ThresholdCut(10.0), 2u);
  EXPECT_EQ(merger.NumberOfRegions(), 2u);
  EXPECT_THROW(merger.ThresholdCut(0.0), tessera::Error);
  EXPECT_THROW(merger.ThresholdCut(-1.0), tessera::Error);
  EXPECT_THROW(merger.MergeHierarchical(0.0), tessera::Error);
  EXPECT_THROW(merger.MergeHierarchical(std::nan("")), tessera::Error);
}

// Two blobs (bright disc on a dark background) cut into superpixel-like tiles: the
// normalized cut separates exactly the disc's tiles from the background's.
TEST(RegionMerger, NormalizedCutSplitsTwoBlobs)
{
  const int n = 48, tile = 4;
  auto      inside = [&](const itk::Index<2> & i) {
    const double dx = i[0] - 24.0, dy = i[1] - 24.0;
    return dx * dx + dy * dy < 12.0 * 12.0;
  };
  // tiles of 4x4, split in two where the disc boundary crosses them, so that no tile mixes
  auto labels = MakeLabels<2>({ n, n }, [&](const itk::Index<2> & i) {
    const int t = 1 + i[0] / tile + (n / tile) * (i[1] / tile);
    return static_cast<tessera::LabelPixel>(inside(i) ? t : t + 200);
  });
  auto features = MakeFeatures<2>(labels, [&](const itk::Index<2> & i) {
    // two intensities with a little deterministic texture
    return (inside(i) ? 200.0f : 20.0f) + static_cast<float>((i[0] * 7 + i[1] * 3) % 5);
  });
  tessera::RegionAdjacencyGraph<2> rag(labels, features, 1);
  tessera::RegionMerger<2>         merger(rag, tessera::MeanColorWeight<2>());
  tessera::NormalizedCutOptions    options;
  options.sigma = 100.0;
  options.threshold = 0.01;
  merger.NormalizedCut(options);
  auto truth = MakeLabels<2>({ n, n }, [&](const itk::Index<2> & i) { return tessera::LabelPixel(inside(i) ? 1 : 2); });
  EXPECT_EQ(merger.NumberOfRegions(), 2u);
  EXPECT_TRUE(SamePartition(merger.Labels().GetPointer(), truth.GetPointer()));
}

TEST(RegionMerger, BadInput)
{
  auto labels = MakeLabels<2>({ 8, 8 }, [](const itk::Index<2> & i) { return tessera::LabelPixel(1 + (i[0] > 3)); });
  tessera::RegionAdjacencyGraph<2> rag(labels, nullptr);
  EXPECT_THROW(tessera::RegionMerger<2>(rag, nullptr), tessera::Error);
  tessera::RegionMerger<2> merger(rag, tessera::BoundaryWeight<2>());
  EXPECT_THROW(merger.Merge(1, 1, 0.0), tessera::Error);
  EXPECT_THROW(merger.Merge(1, 9, 0.0), tessera::Error);
  tessera::NormalizedCutOptions bad;
  bad.threshold = -1;
  EXPECT_THROW(merger.NormalizedCut(bad), tessera::Error);
  merger.Merge(1, 2, 0.0);
  EXPECT_THROW(merger.Region(1), tessera::Error);
}

// Same partitions as scikit-image 0.19 (skimage.future.graph) on coffee.png with SLIC labels:
// rag_mean_color (connectivity 2) + merge_hierarchical (mean colour) and cut_threshold.
TEST(RegionMerger, SkimageEquivalence)
{
  const std::string python = "/usr/bin/python3";
  if (std::system((python + " -c 'import skimage.future.graph' 2>/dev/null").c_str()) != 0)
  {
    GTEST_SKIP() << "scikit-image is not installed for " << python;
  }
  const std::string image = std::string(TESSERA_SKIMAGE_DATA_DIR) + "/coffee.png";
  const auto        out = std::filesystem::temp_directory_path() / ("tessera-rag-skimage-" + std::to_string(::getpid()));
  std::filesystem::remove_all(out);
  const std::vector<double> thresholds{ 10, 20, 35, 60 };
  std::string               command = python + " " + SourceDir() + "/skimage_rag_reference.py " + image + " " + out.string() + " 1000";
  for (double t : thresholds)
  {
    std::ostringstream s;
    s << " " << t;
    command += s.str();
  }
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  auto rgb = tessera::ReadIntensityImage<2>(image);
  ASSERT_EQ(rgb->GetNumberOfComponentsPerPixel(), 3u);
  auto labels = tessera::ReadLabelImage<2>((out / "labels.png").string());
  // The PNG written by scikit-image has no spacing info; both are on the unit grid.
  tessera::RegionAdjacencyGraph<2> rag(labels, rgb, 2);

  // Same edges as networkx's RAG.
  std::set<std::pair<int, int>> expectedEdges, edges;
  std::ifstream                 csv(out / "edges.csv");
  for (std::string line; std::getline(csv, line);)
  {
    const auto comma = line.find(',');
    expectedEdges.emplace(std::stoi(line.substr(0, comma)), std::stoi(line.substr(comma + 1)));
  }
  const auto & g = rag.Graph();
  for (auto [e, end] = boost::edges(g); e != end; ++e)
  {
    const int a = g[boost::source(*e, g)].label, b = g[boost::target(*e, g)].label;
    edges.emplace(std::min(a, b), std::max(a, b));
  }
  EXPECT_EQ(edges, expectedEdges);

  // One full hierarchy, cut at each threshold without recomputing.
  tessera::RegionMerger<2> full(rag, tessera::MeanColorWeight<2>());
  full.MergeHierarchical();
  for (double t : thresholds)
  {
    std::ostringstream name;
    name << t;
    auto reference = tessera::ReadLabelImage<2>((out / ("hierarchical_" + name.str() + ".png")).string());
    const std::size_t level = full.Hierarchy().LevelForThreshold(t);
    EXPECT_TRUE(SamePartition(full.Hierarchy().Apply<2>(labels, level).GetPointer(), reference.GetPointer()))
      << "merge_hierarchical thresh " << t;
    tessera::RegionMerger<2> direct(rag, tessera::MeanColorWeight<2>());
    direct.MergeHierarchical(t);
    EXPECT_TRUE(SamePartition(direct.Labels().GetPointer(), reference.GetPointer())) << "thresh " << t;

    auto                     cutReference = tessera::ReadLabelImage<2>((out / ("cut_" + name.str() + ".png")).string());
    tessera::RegionMerger<2> cut(rag, tessera::MeanColorWeight<2>());
    cut.ThresholdCut(t);
    EXPECT_TRUE(SamePartition(cut.Labels().GetPointer(), cutReference.GetPointer())) << "cut_threshold " << t;
  }
  std::filesystem::remove_all(out);
}

// 3D in one run: supervoxels (ITK SLIC) on a real T1 volume, RAG, greedy merging, small-region
// absorption; statistics of the merged regions checked against a direct computation.
TEST(RegionMerger, SupervoxelMergingOnMiccaiT1)
{
  const std::string path = std::string(TESSERA_DATA_DIR) + "/miccai2012-multiatlas/1000_SS.nii.gz";
  using Scalar = itk::Image<float, 3>;
  auto scalar = tessera::ReadImageFile<Scalar>(path);
  auto t1 = tessera::ReadIntensityImage<3>(path);
  tessera::LabelImage<3>::Pointer labels = tessera::testing::SlicSupervoxels(scalar, 10);
  tessera::RegionAdjacencyGraph<3> rag(labels, t1, 1);
  const std::size_t                initial = rag.NumberOfRegions();
  tessera::RegionMerger<3>         merger(rag, tessera::MeanColorWeight<3>());
  merger.MergeHierarchical(15.0);
  merger.MergeSmallRegions(500);
  EXPECT_LT(merger.NumberOfRegions(), initial / 4);
  EXPECT_EQ(merger.Hierarchy().NumberOfMerges(), initial - merger.NumberOfRegions());
  auto merged = merger.Labels();
  std::map<int, std::pair<std::uint64_t, double>> direct;
  for (std::size_t i = 0; i < merged->GetBufferedRegion().GetNumberOfPixels(); ++i)
  {
    auto & r = direct[merged->GetBufferPointer()[i]];
    ++r.first;
    r.second += scalar->GetBufferPointer()[i];
  }
  ASSERT_EQ(direct.size(), merger.NumberOfRegions());
  for (const auto & [label, r] : direct)
  {
    const auto & s = merger.Region(static_cast<tessera::LabelPixel>(label));
    EXPECT_EQ(s.size, r.first);
    EXPECT_NEAR(s.Mean(0), r.second / r.first, 1e-6 * std::max(1.0, std::abs(r.second / r.first)));
    // no region left under 500 voxels unless it has no neighbour
    if (s.size < 500)
    {
      EXPECT_TRUE(merger.Neighbours(static_cast<tessera::LabelPixel>(label)).empty());
    }
  }
  // A RAG of the merged labels agrees with the merger's boundaries.
  tessera::RegionAdjacencyGraph<3> after(merged, t1, 1);
  EXPECT_EQ(after.NumberOfRegions(), merger.NumberOfRegions());
  const auto & g = after.Graph();
  for (auto [e, end] = boost::edges(g); e != end; ++e)
  {
    const auto a = g[boost::source(*e, g)].label, b = g[boost::target(*e, g)].label;
    bool       found = false;
    for (const auto & [n, boundary] : merger.Neighbours(a))
    {
      if (n == b)
      {
        found = true;
        EXPECT_EQ(boundary.size, g[*e].size);
        EXPECT_NEAR(boundary.gradientSum, g[*e].gradientSum, 1e-6 * std::max(1.0, g[*e].gradientSum));
      }
    }
    EXPECT_TRUE(found) << a << "-" << b;
  }
}
