#include "tesseraRegionAdjacencyGraph.h"

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <type_traits>

#include <gtest/gtest.h>

#include "itkMultiThreaderBase.h"
#include "itkRegionOfInterestImageFilter.h"

#include "tesseraError.h"
#include "tesseraImageUtilities.h"
#include "tesseraRegionTestImages.h"

namespace
{
using tessera::testing::MakeLabels;

template <unsigned int D>
typename tessera::VectorImage<D>::Pointer
MakeFeatures(const tessera::LabelImage<D> * labels, unsigned int nc,
             const std::function<float(const itk::Index<D> &, unsigned int)> & f)
{
  auto image = tessera::VectorImage<D>::New();
  image->CopyInformation(labels);
  image->SetRegions(labels->GetBufferedRegion());
  image->SetNumberOfComponentsPerPixel(nc);
  image->Allocate();
  itk::ImageRegionIteratorWithIndex<tessera::VectorImage<D>> it(image, image->GetBufferedRegion());
  for (; !it.IsAtEnd(); ++it)
  {
    itk::VariableLengthVector<float> v(nc);
    for (unsigned int c = 0; c < nc; ++c)
    {
      v[c] = f(it.GetIndex(), c);
    }
    it.Set(v);
  }
  return image;
}

template <unsigned int D>
std::map<std::pair<int, int>, std::uint64_t>
EdgeMap(const tessera::RegionAdjacencyGraph<D> & rag)
{
  std::map<std::pair<int, int>, std::uint64_t> out;
  const auto &                                 g = rag.Graph();
  for (auto [e, end] = boost::edges(g); e != end; ++e)
  {
    int a = g[boost::source(*e, g)].label, b = g[boost::target(*e, g)].label;
    out[{ std::min(a, b), std::max(a, b) }] = g[*e].size;
  }
  return out;
}
} // namespace

// 3x3 grid of 4x5-pixel blocks (12 wide, 15 high), labels 1..9 row by row.
TEST(RegionAdjacencyGraph, GridOfBlocks2D)
{
  auto labels = MakeLabels<2>({ 12, 15 }, [](const itk::Index<2> & i) {
    return static_cast<tessera::LabelPixel>(1 + i[0] / 4 + 3 * (i[1] / 5));
  });
  auto features = MakeFeatures<2>(labels, 1, [](const itk::Index<2> & i, unsigned int) {
    return static_cast<float>(10 * (1 + i[0] / 4 + 3 * (i[1] / 5)));
  });
  tessera::RegionAdjacencyGraph<2> rag(labels, features, 1);
  ASSERT_EQ(rag.NumberOfRegions(), 9u);
  // 4-connectivity: 12 edges; horizontal neighbours share a 5-pixel side, vertical ones 4.
  std::map<std::pair<int, int>, std::uint64_t> expected;
  for (int r = 0; r < 3; ++r)
  {
    for (int c = 0; c < 3; ++c)
    {
      const int l = 1 + c + 3 * r;
      if (c < 2)
      {
        expected[{ l, l + 1 }] = 5;
      }
      if (r < 2)
      {
        expected[{ l, l + 3 }] = 4;
      }
    }
  }
  EXPECT_EQ(EdgeMap(rag), expected);
  // Boundary gradient: |difference of labels x 10| per pixel (spacing 1).
  const auto & g = rag.Graph();
  for (auto [e, end] = boost::edges(g); e != end; ++e)
  {
    const double diff = 10.0 * std::abs(g[boost::source(*e, g)].label - g[boost::target(*e, g)].label);
    EXPECT_DOUBLE_EQ(g[*e].MeanGradient(), diff);
  }
  const auto & r5 = rag.Region(rag.VertexOf(5));
  EXPECT_EQ(r5.size, 20u);
  EXPECT_DOUBLE_EQ(r5.Mean(0), 50.0);
  EXPECT_NEAR(r5.Covariance()[0], 0.0, 1e-9);
  EXPECT_DOUBLE_EQ(r5.CentroidIndex()[0], 5.5);
  EXPECT_DOUBLE_EQ(r5.CentroidIndex()[1], 7.0);
  EXPECT_EQ(r5.lower[0], 4);
  EXPECT_EQ(r5.upper[0], 7);
  EXPECT_EQ(r5.lower[1], 5);
  EXPECT_EQ(r5.upper[1], 9);

  // 8-connectivity adds the diagonals: each 2x2 block corner gives pairs (l, l+4) and (l+1, l+3)
  // with 1 pixel pair each; horizontal sides gain 2*(5-1) diagonal pairs, vertical 2*(4-1).
  tessera::RegionAdjacencyGraph<2> rag8(labels, features, 2);
  EXPECT_EQ(rag8.NumberOfEdges(), 12u + 8u);
  const auto e8 = EdgeMap(rag8);
  EXPECT_EQ(e8.at({ 1, 2 }), 5u + 8u);
  EXPECT_EQ(e8.at({ 1, 4 }), 4u + 6u);
  EXPECT_EQ(e8.at({ 1, 5 }), 1u);
  EXPECT_EQ(e8.at({ 2, 4 }), 1u);
}

// 2x2x2 blocks of 3x4x5 voxels with background slab: label 0 takes no part.
TEST(RegionAdjacencyGraph, BlockTiling3D)
{
  auto labels = MakeLabels<3>({ 6, 8, 12 }, [](const itk::Index<3> & i) {
    if (i[2] >= 10)
    {
      return tessera::LabelPixel{ 0 };
    }
    return static_cast<tessera::LabelPixel>(1 + i[0] / 3 + 2 * (i[1] / 4) + 4 * (i[2] / 5));
  });
  tessera::RegionAdjacencyGraph<3> rag(labels, nullptr, 1);
  ASSERT_EQ(rag.NumberOfRegions(), 8u);
  std::map<std::pair<int, int>, std::uint64_t> expected;
  for (int l = 1; l <= 8; ++l)
  {
    const int x = (l - 1) % 2, y = ((l - 1) / 2) % 2, z = (l - 1) / 4;
    if (x == 0)
    {
      expected[{ l, l + 1 }] = 4 * 5; // face normal to x: 4 (y) x 5 (z)
    }
    if (y == 0)
    {
      expected[{ l, l + 2 }] = 3 * 5;
    }
    if (z == 0)
    {
      expected[{ l, l + 4 }] = 3 * 4;
    }
  }
  EXPECT_EQ(EdgeMap(rag), expected);
  for (int l = 1; l <= 8; ++l)
  {
    EXPECT_EQ(rag.Region(rag.VertexOf(l)).size, 60u);
  }
  // 26-connectivity: every pair of the 8 blocks touches (28 edges); the corner pair (1,8) by one voxel pair.
  tessera::RegionAdjacencyGraph<3> rag26(labels, nullptr, 3);
  EXPECT_EQ(rag26.NumberOfEdges(), 28u);
  EXPECT_EQ(EdgeMap(rag26).at({ 1, 8 }), 1u);
  EXPECT_EQ(rag.Connectivity(), 1u);
}

TEST(RegionAdjacencyGraph, BadInput)
{
  auto single = MakeLabels<2>({ 8, 8 }, [](const itk::Index<2> &) { return tessera::LabelPixel{ 3 }; });
  auto empty = MakeLabels<2>({ 8, 8 }, [](const itk::Index<2> &) { return tessera::LabelPixel{ 0 }; });
  auto two = MakeLabels<2>({ 8, 8 }, [](const itk::Index<2> & i) { return tessera::LabelPixel(1 + (i[0] > 3)); });
  EXPECT_THROW(tessera::RegionAdjacencyGraph<2>(single, nullptr), tessera::Error);
  EXPECT_THROW(tessera::RegionAdjacencyGraph<2>(empty, nullptr), tessera::Error);
  EXPECT_THROW(tessera::RegionAdjacencyGraph<2>(two, nullptr, 3), tessera::Error);
  EXPECT_THROW(tessera::RegionAdjacencyGraph<2>(two, nullptr, 0), tessera::Error);
  auto other = MakeLabels<2>({ 8, 9 }, [](const itk::Index<2> &) { return tessera::LabelPixel{ 1 }; });
  auto features = MakeFeatures<2>(other, 1, [](const itk::Index<2> &, unsigned int) { return 1.0f; });
  EXPECT_THROW(tessera::RegionAdjacencyGraph<2>(two, features), tessera::Error);
  auto shifted = MakeFeatures<2>(two, 1, [](const itk::Index<2> &, unsigned int) { return 1.0f; });
  auto origin = shifted->GetOrigin();
  origin[0] += 5.0;
  shifted->SetOrigin(origin);
  EXPECT_THROW(tessera::RegionAdjacencyGraph<2>(two, shifted), tessera::Error);
  try
  {
    tessera::RegionAdjacencyGraph<2> rag(single, nullptr);
  }
  catch (const tessera::Error & e)
  {
    EXPECT_NE(std::string(e.what()).find("single region"), std::string::npos) << e.what();
  }
}

// A graph gathered tile by tile (tiled runs, --ram) equals the one-sweep graph: every region's sums,
// box and index sums exactly (integer features), every boundary's pair count exactly and gradient sum
// up to rounding; tiles of uneven sizes, label 0 holes, 4- and 8-connectivity.
TEST(RegionAdjacencyGraph, GatheredTileByTileEqualsOneSweep)
{
  auto labels = MakeLabels<2>({ 37, 29 }, [](const itk::Index<2> & i) {
    const int l = 1 + (i[0] * 7 + i[1] * 3) / 11 % 9 + 9 * ((i[0] / 5 + i[1] / 4) % 3);
    return static_cast<tessera::LabelPixel>((i[0] * i[1]) % 13 == 5 ? 0 : 40 * l);
  });
  auto features = MakeFeatures<2>(labels, 3, [](const itk::Index<2> & i, unsigned int c) {
    return static_cast<float>((i[0] * 31 + i[1] * 17 + static_cast<long>(c) * 7) % 256);
  });
  auto spacing = labels->GetSpacing();
  spacing[1] = 2.5;
  labels->SetSpacing(spacing);
  features->SetSpacing(spacing);
  const auto whole = labels->GetLargestPossibleRegion();
  const auto crop = [](auto image, const itk::ImageRegion<2> & region) {
    using Image = typename std::remove_reference_t<decltype(*image)>;
    auto filter = itk::RegionOfInterestImageFilter<Image, Image>::New();
    filter->SetInput(image);
    filter->SetRegionOfInterest(region);
    filter->Update();
    return typename Image::Pointer(filter->GetOutput());
  };
  for (const unsigned int connectivity : { 1u, 2u })
  {
    const tessera::RegionAdjacencyGraph<2> sweep(labels, features, connectivity);
    tessera::RegionAdjacencyGraph<2>       tiled(labels, 3, connectivity);
    for (itk::IndexValueType y = 0; y < 29; y += 11)
    {
      for (itk::IndexValueType x = 0; x < 37; x += 8)
      {
        itk::ImageRegion<2> tile({ { x, y } }, { { 8, 11 } });
        tile.Crop(whole);
        auto read = tile;
        read.PadByRadius(1);
        read.Crop(whole);
        tiled.AddTile(crop(labels.GetPointer(), read), crop(features.GetPointer(), read), read, tile);
      }
    }
    tiled.Finish();
    EXPECT_THROW(tiled.Finish(), tessera::Error);
    ASSERT_EQ(tiled.NumberOfRegions(), sweep.NumberOfRegions());
    ASSERT_EQ(EdgeMap(tiled), EdgeMap(sweep)) << "connectivity " << connectivity;
    for (std::size_t v = 0; v < sweep.NumberOfRegions(); ++v)
    {
      const auto & a = sweep.Region(v);
      const auto & b = tiled.Region(v);
      EXPECT_EQ(a.label, b.label);
      EXPECT_EQ(a.size, b.size);
      EXPECT_EQ(a.sum, b.sum);
      EXPECT_EQ(a.sumOfProducts, b.sumOfProducts);
      EXPECT_EQ(a.indexSum, b.indexSum);
      EXPECT_EQ(a.lower, b.lower);
      EXPECT_EQ(a.upper, b.upper);
      EXPECT_EQ(sweep.Centroid(v), tiled.Centroid(v));
    }
    const auto & g = sweep.Graph();
    for (auto [e, end] = boost::edges(g); e != end; ++e)
    {
      const auto a = g[boost::source(*e, g)].label, b = g[boost::target(*e, g)].label;
      const auto [f, found] = boost::edge(tiled.VertexOf(a), tiled.VertexOf(b), tiled.Graph());
      ASSERT_TRUE(found);
      EXPECT_NEAR(tiled.Boundary(f).gradientSum, sweep.Boundary(*e).gradientSum, 1e-9 * sweep.Boundary(*e).gradientSum);
    }
  }
  // A tile must come with the voxel around it.
  tessera::RegionAdjacencyGraph<2> graph(labels, 3, 1);
  const itk::ImageRegion<2>        tile({ { 8, 8 } }, { { 8, 8 } });
  EXPECT_THROW(graph.AddTile(crop(labels.GetPointer(), tile), crop(features.GetPointer(), tile), tile, tile), tessera::Error);
  EXPECT_THROW(graph.Finish(), tessera::Error); // no region
}

// An image large enough to be summed in 4 slabs (rows 0-174, 175-349, ...), with regions that cross the slab
// borders and features that are not integers (so that an order of additions shows in the last bits): the same
// graph on 1 and 3 threads, and slab-border pairs counted once (edge sizes against a direct count).
TEST(RegionAdjacencyGraph, SameGraphOnAnyNumberOfThreads)
{
  auto labels = MakeLabels<2>({ 768, 700 }, [](const itk::Index<2> & i) {
    return static_cast<tessera::LabelPixel>(1 + (i[0] / 97 + 8 * (i[1] / 120) + (i[0] * i[1]) % 7 / 6) % 40);
  });
  auto features = MakeFeatures<2>(labels, 2, [](const itk::Index<2> & i, unsigned int c) {
    return std::sin(0.013f * static_cast<float>(i[0] * (c + 1)) + 0.029f * static_cast<float>(i[1]));
  });
  const auto build = [&](unsigned int threads) {
    const auto before = itk::MultiThreaderBase::GetGlobalDefaultNumberOfThreads();
    itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(threads);
    auto rag = std::make_unique<tessera::RegionAdjacencyGraph<2>>(labels, features, 2);
    itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(before);
    return rag;
  };
  const auto one = build(1), three = build(3);
  ASSERT_EQ(one->NumberOfRegions(), three->NumberOfRegions());
  std::map<std::pair<int, int>, std::uint64_t> pairs; // direct count of 8-neighbour pairs across labels
  const auto L = [&](long x, long y) { return static_cast<int>(labels->GetPixel({ { x, y } })); };
  for (long y = 0; y < 700; ++y)
  {
    for (long x = 0; x < 768; ++x)
    {
      for (const auto & [dx, dy] : { std::pair{ 1L, 0L }, { -1L, 1L }, { 0L, 1L }, { 1L, 1L } })
      {
        if (x + dx >= 0 && x + dx < 768 && y + dy < 700 && L(x, y) != L(x + dx, y + dy))
        {
          ++pairs[{ std::min(L(x, y), L(x + dx, y + dy)), std::max(L(x, y), L(x + dx, y + dy)) }];
        }
      }
    }
  }
  EXPECT_EQ(EdgeMap(*one), pairs);
  EXPECT_EQ(EdgeMap(*three), pairs);
  for (std::size_t v = 0; v < one->NumberOfRegions(); ++v)
  {
    EXPECT_EQ(one->Region(v).sum, three->Region(v).sum);
    EXPECT_EQ(one->Region(v).sumOfProducts, three->Region(v).sumOfProducts);
    EXPECT_EQ(one->Region(v).indexSum, three->Region(v).indexSum);
    EXPECT_EQ(one->Region(v).lower, three->Region(v).lower);
    EXPECT_EQ(one->Region(v).upper, three->Region(v).upper);
  }
  const auto & g = one->Graph();
  for (auto [e, end] = boost::edges(g); e != end; ++e)
  {
    const auto [f, found] = boost::edge(boost::source(*e, g), boost::target(*e, g), three->Graph());
    ASSERT_TRUE(found);
    EXPECT_EQ(three->Boundary(f).gradientSum, one->Boundary(*e).gradientSum);
  }
}

// Supervoxels (ITK SLIC) on a real T1 volume; every region statistic checked against a
// direct per-region computation.
TEST(RegionAdjacencyGraph, SupervoxelStatisticsOnMiccaiT1)
{
  const std::string path = std::string(TESSERA_DATA_DIR) + "/miccai2012-multiatlas/1000_SS.nii.gz";
  auto              t1 = tessera::ReadIntensityImage<3>(path);
  using Scalar = itk::Image<float, 3>;
  auto scalar = tessera::ReadImageFile<Scalar>(path);
  tessera::LabelImage<3>::Pointer labels = tessera::testing::SlicSupervoxels(scalar, 12);
  tessera::RegionAdjacencyGraph<3> rag(labels, t1, 1);
  ASSERT_GT(rag.NumberOfRegions(), 1000u);

  struct Direct
  {
    std::uint64_t n = 0;
    double        s = 0, s2 = 0;
    double        c[3] = { 0, 0, 0 };
    long          lo[3] = { 1 << 30, 1 << 30, 1 << 30 }, hi[3] = { -1, -1, -1 };
  };
  std::map<int, Direct> direct;
  itk::ImageRegionConstIteratorWithIndex<tessera::LabelImage<3>> it(labels, labels->GetBufferedRegion());
  for (; !it.IsAtEnd(); ++it)
  {
    auto &       r = direct[it.Get()];
    const double v = scalar->GetPixel(it.GetIndex());
    ++r.n;
    r.s += v;
    r.s2 += v * v;
    for (int d = 0; d < 3; ++d)
    {
      r.c[d] += it.GetIndex()[d];
      r.lo[d] = std::min<long>(r.lo[d], it.GetIndex()[d]);
      r.hi[d] = std::max<long>(r.hi[d], it.GetIndex()[d]);
    }
  }
  ASSERT_EQ(direct.size(), rag.NumberOfRegions());
  for (const auto & [label, r] : direct)
  {
    const auto & s = rag.Region(rag.VertexOf(static_cast<tessera::LabelPixel>(label)));
    ASSERT_EQ(s.size, r.n) << label;
    const double mean = r.s / r.n;
    EXPECT_NEAR(s.Mean(0), mean, 1e-9 * std::max(1.0, std::abs(mean))) << label;
    EXPECT_NEAR(s.Covariance()[0], r.s2 / r.n - mean * mean, 1e-6 * std::max(1.0, r.s2 / r.n)) << label;
    const auto ci = s.CentroidIndex();
    for (int d = 0; d < 3; ++d)
    {
      EXPECT_NEAR(ci[d], r.c[d] / r.n, 1e-9) << label;
      EXPECT_EQ(s.lower[d], r.lo[d]) << label;
      EXPECT_EQ(s.upper[d], r.hi[d]) << label;
    }
    // physical centroid through the image geometry
    itk::ContinuousIndex<double, 3> cidx;
    for (int d = 0; d < 3; ++d)
    {
      cidx[d] = r.c[d] / r.n;
    }
    itk::Point<double, 3> p;
    labels->TransformContinuousIndexToPhysicalPoint(cidx, p);
    const auto pc = rag.Centroid(rag.VertexOf(static_cast<tessera::LabelPixel>(label)));
    for (int d = 0; d < 3; ++d)
    {
      EXPECT_NEAR(pc[d], p[d], 1e-6);
    }
  }
  // Every boundary: total pairs equal the number of differing face-neighbour pairs.
  std::uint64_t pairs = 0, expectedPairs = 0;
  const auto &  g = rag.Graph();
  for (auto [e, end] = boost::edges(g); e != end; ++e)
  {
    pairs += g[*e].size;
  }
  const auto size = labels->GetBufferedRegion().GetSize();
  for (it.GoToBegin(); !it.IsAtEnd(); ++it)
  {
    for (int d = 0; d < 3; ++d)
    {
      auto q = it.GetIndex();
      if (++q[d] < static_cast<long>(size[d]) && labels->GetPixel(q) != it.Get())
      {
        ++expectedPairs;
      }
    }
  }
  EXPECT_EQ(pairs, expectedPairs);
}
