#include "tesseraSurfaceDistance.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <functional>
#include <random>

#include <iostream>

#include <gtest/gtest.h>

#include "itkImageRegionIteratorWithIndex.h"

namespace
{
using tessera::LabelImage;
using tessera::LabelPixel;
using tessera::SurfaceDistance;

// An image of the given size and spacing whose voxel at index i has label f(i).
template <unsigned int D>
typename LabelImage<D>::Pointer
MakeImage(const itk::Size<D> & size, const std::vector<double> & spacing,
          const std::function<LabelPixel(const itk::Index<D> &)> & f)
{
  auto image = LabelImage<D>::New();
  image->SetRegions(size);
  typename LabelImage<D>::SpacingType s;
  for (unsigned int d = 0; d < D; ++d)
  {
    s[d] = spacing[d];
  }
  image->SetSpacing(s);
  image->Allocate();
  itk::ImageRegionIteratorWithIndex<LabelImage<D>> it(image, image->GetLargestPossibleRegion());
  for (; !it.IsAtEnd(); ++it)
  {
    it.Set(f(it.GetIndex()));
  }
  return image;
}

bool
InBox(long v, long lo, long hi)
{
  return v >= lo && v <= hi;
}

TEST(Percentile, MatchesNumpyLinearInterpolation)
{
  // Values from numpy.percentile (default method "linear").
  std::vector<double> a{ 1, 2, 3, 4 };
  EXPECT_NEAR(tessera::Percentile(a, 95), 3.85, 1e-12);
  std::vector<double> b{ 5, 1, 3 };
  EXPECT_DOUBLE_EQ(tessera::Percentile(b, 50), 3.0);
  std::vector<double> c{ 0.5, 7, 2, 9, 1 };
  EXPECT_NEAR(tessera::Percentile(c, 37), 1.48, 1e-12);
  EXPECT_DOUBLE_EQ(tessera::Percentile(c, 0), 0.5);
  EXPECT_DOUBLE_EQ(tessera::Percentile(c, 100), 9.0);
  std::vector<double> empty;
  EXPECT_TRUE(std::isnan(tessera::Percentile(empty, 95)));
  EXPECT_THROW(tessera::Percentile(c, 101), tessera::Error);
}

TEST(SurfaceDistance, ParallelLinesThreePixelsApartAtTwoMillimetres)
{
  // Two 1-voxel-thick lines 3 rows apart: every surface distance is 3 voxels x 2 mm = 6 mm.
  const auto ref = MakeImage<2>({ { 12, 10 } }, { 2.0, 2.0 }, [](const itk::Index<2> & i) {
    return LabelPixel(i[1] == 2 && InBox(i[0], 1, 9) ? 1 : 0);
  });
  const auto seg = MakeImage<2>({ { 12, 10 } }, { 2.0, 2.0 }, [](const itk::Index<2> & i) {
    return LabelPixel(i[1] == 5 && InBox(i[0], 1, 9) ? 1 : 0);
  });
  const SurfaceDistance d = SurfaceDistance::Compute<2>(ref, seg, 1);
  EXPECT_NEAR(d.hausdorffPercentile, 6.0, 1e-9);
  EXPECT_NEAR(d.hausdorff, 6.0, 1e-9);
  EXPECT_NEAR(d.averageSymmetric, 6.0, 1e-9);
  EXPECT_EQ(d.referenceSurfaceVoxels, 9u);
  EXPECT_EQ(d.segmentationSurfaceVoxels, 9u);
}

TEST(SurfaceDistance, SquareShiftedByThreePixelsAtTwoMillimetres)
{
  // 10x10 square, x 3..12, y 4..13, and the same shifted by 3 in x; spacing 2 mm.
  // Expected: MONAI's formula in scipy (binary_erosion edges, distance_transform_edt with
  // sampling=(2, 2), numpy.percentile): HD95 6 mm, HD 6 mm, ASSD 3 mm, 36 surface pixels each.
  const auto ref = MakeImage<2>({ { 20, 20 } }, { 2.0, 2.0 }, [](const itk::Index<2> & i) {
    return LabelPixel(InBox(i[0], 3, 12) && InBox(i[1], 4, 13) ? 1 : 0);
  });
  const auto seg = MakeImage<2>({ { 20, 20 } }, { 2.0, 2.0 }, [](const itk::Index<2> & i) {
    return LabelPixel(InBox(i[0], 6, 15) && InBox(i[1], 4, 13) ? 1 : 0);
  });
  const SurfaceDistance d = SurfaceDistance::Compute<2>(ref, seg, 1);
  EXPECT_NEAR(d.hausdorffPercentile, 6.0, 1e-9);
  EXPECT_NEAR(d.hausdorff, 6.0, 1e-9);
  EXPECT_NEAR(d.averageSymmetric, 3.0, 1e-9);
  EXPECT_EQ(d.referenceSurfaceVoxels, 36u);
  EXPECT_EQ(d.segmentationSurfaceVoxels, 36u);
  // Swapping the images swaps nothing in these symmetric scores.
  const SurfaceDistance back = SurfaceDistance::Compute<2>(seg, ref, 1);
  EXPECT_NEAR(back.hausdorffPercentile, 6.0, 1e-9);
}

TEST(SurfaceDistance, AnisotropicSpacingCountsIn3D)
{
  // Thin plates 3 slices apart with 2.5 mm slices (1 mm in-plane): 7.5 mm, not 3 voxels.
  const auto plate = [](long z) {
    return [z](const itk::Index<3> & i) {
      return LabelPixel(i[2] == z && InBox(i[0], 2, 7) && InBox(i[1], 2, 7) ? 4 : 0);
    };
  };
  const auto ref = MakeImage<3>({ { 10, 10, 9 } }, { 1.0, 1.0, 2.5 }, plate(2));
  const auto seg = MakeImage<3>({ { 10, 10, 9 } }, { 1.0, 1.0, 2.5 }, plate(5));
  const SurfaceDistance d = SurfaceDistance::Compute<3>(ref, seg, 4);
  EXPECT_NEAR(d.hausdorffPercentile, 7.5, 1e-9);
  EXPECT_NEAR(d.hausdorff, 7.5, 1e-9);
  EXPECT_NEAR(d.averageSymmetric, 7.5, 1e-9);
}

TEST(SurfaceDistance, AnisotropicEllipsoidsMatchMonaiFormula)
{
  // Spacing (1, 1.5, 2.5) mm. Reference: ellipsoid of radius 8 mm at voxel (15, 15, 10);
  // segmentation: radius 7 mm at (17, 14, 11). In squared mm x 4 (integers, exact):
  // 4 dx^2 + 9 dy^2 + 25 dz^2 <= 4 r^2. Expected values from MONAI's formula in scipy
  // (see SquareShiftedByThreePixelsAtTwoMillimetres): 577 and 375 voxels, surfaces 278 and
  // 210 voxels, HD95 5 mm, HD sqrt(26) = 5.0990195135927845 mm, ASSD 1.8644243012744826 mm.
  const auto ellipsoid = [](long cx, long cy, long cz, long r) {
    return [=](const itk::Index<3> & i) {
      const long dx = i[0] - cx, dy = i[1] - cy, dz = i[2] - cz;
      return LabelPixel(4 * dx * dx + 9 * dy * dy + 25 * dz * dz <= 4 * r * r ? 2 : 0);
    };
  };
  const auto ref = MakeImage<3>({ { 30, 30, 20 } }, { 1.0, 1.5, 2.5 }, ellipsoid(15, 15, 10, 8));
  const auto seg = MakeImage<3>({ { 30, 30, 20 } }, { 1.0, 1.5, 2.5 }, ellipsoid(17, 14, 11, 7));
  const SurfaceDistance d = SurfaceDistance::Compute<3>(ref, seg, 2);
  EXPECT_EQ(d.referenceSurfaceVoxels, 278u);
  EXPECT_EQ(d.segmentationSurfaceVoxels, 210u);
  EXPECT_NEAR(d.hausdorffPercentile, 5.0, 1e-9);
  EXPECT_NEAR(d.hausdorff, 5.0990195135927845, 1e-9);
  EXPECT_NEAR(d.averageSymmetric, 1.8644243012744826, 1e-9);
}

TEST(SurfaceDistance, ImageBorderVoxelsAreSurface)
{
  // A 6x5 image filled with the class against its first two columns, spacing (1, 3) mm.
  // scipy/MONAI: 18 and 10 surface pixels, HD95 = HD = 4 mm, ASSD 1.25 mm.
  const auto ref = MakeImage<2>({ { 6, 5 } }, { 1.0, 3.0 }, [](const itk::Index<2> &) { return LabelPixel(1); });
  const auto seg =
    MakeImage<2>({ { 6, 5 } }, { 1.0, 3.0 }, [](const itk::Index<2> & i) { return LabelPixel(i[0] < 2 ? 1 : 0); });
  const SurfaceDistance d = SurfaceDistance::Compute<2>(ref, seg, 1);
  EXPECT_EQ(d.referenceSurfaceVoxels, 18u);
  EXPECT_EQ(d.segmentationSurfaceVoxels, 10u);
  EXPECT_NEAR(d.hausdorffPercentile, 4.0, 1e-9);
  EXPECT_NEAR(d.hausdorff, 4.0, 1e-9);
  EXPECT_NEAR(d.averageSymmetric, 1.25, 1e-9);
}

TEST(SurfaceDistance, IdenticalImagesGiveZero)
{
  const auto image = MakeImage<3>({ { 12, 11, 10 } }, { 0.7, 1.0, 3.0 }, [](const itk::Index<3> & i) {
    return LabelPixel((i[0] + 2 * i[1] + 3 * i[2]) % 7 < 3 ? 1 : 2);
  });
  for (LabelPixel c : { 1, 2 })
  {
    const SurfaceDistance d = SurfaceDistance::Compute<3>(image, image, c);
    EXPECT_EQ(d.hausdorffPercentile, 0.0);
    EXPECT_EQ(d.hausdorff, 0.0);
    EXPECT_EQ(d.averageSymmetric, 0.0);
    EXPECT_GT(d.referenceSurfaceVoxels, 0u);
  }
}

TEST(SurfaceDistance, EmptyClassIsInfiniteOrNaN)
{
  const auto ref = MakeImage<2>({ { 8, 8 } }, { 1.0, 1.0 }, [](const itk::Index<2> & i) {
    return LabelPixel(InBox(i[0], 2, 4) && InBox(i[1], 2, 4) ? 1 : 0);
  });
  const auto none = MakeImage<2>({ { 8, 8 } }, { 1.0, 1.0 }, [](const itk::Index<2> &) { return LabelPixel(0); });
  const SurfaceDistance missed = SurfaceDistance::Compute<2>(ref, none, 1);
  EXPECT_TRUE(std::isinf(missed.hausdorffPercentile) && missed.hausdorffPercentile > 0);
  EXPECT_TRUE(std::isinf(missed.hausdorff));
  EXPECT_TRUE(std::isinf(missed.averageSymmetric));
  EXPECT_EQ(missed.referenceSurfaceVoxels, 8u);
  EXPECT_EQ(missed.segmentationSurfaceVoxels, 0u);
  const SurfaceDistance spurious = SurfaceDistance::Compute<2>(none, ref, 1);
  EXPECT_TRUE(std::isinf(spurious.hausdorffPercentile));
  const SurfaceDistance absent = SurfaceDistance::Compute<2>(ref, ref, 7);
  EXPECT_TRUE(std::isnan(absent.hausdorffPercentile));
  EXPECT_TRUE(std::isnan(absent.hausdorff));
  EXPECT_TRUE(std::isnan(absent.averageSymmetric));
}

TEST(SurfaceDistance, IgnoredReferenceVoxelsDoNotCountInTheSegmentation)
{
  // Same square in both, plus a stray segmentation blob far away inside a region whose
  // reference label is 9 (ignored): with ignore 9 the stray blob does not count.
  const auto square = [](const itk::Index<2> & i) { return InBox(i[0], 2, 6) && InBox(i[1], 2, 6); };
  const auto far = [](const itk::Index<2> & i) { return InBox(i[0], 14, 17) && InBox(i[1], 14, 17); };
  const auto ref = MakeImage<2>({ { 20, 20 } }, { 1.0, 1.0 },
                                [&](const itk::Index<2> & i) { return LabelPixel(square(i) ? 1 : far(i) ? 9 : 0); });
  const auto seg = MakeImage<2>({ { 20, 20 } }, { 1.0, 1.0 },
                                [&](const itk::Index<2> & i) { return LabelPixel(square(i) || far(i) ? 1 : 0); });
  const SurfaceDistance ignored = SurfaceDistance::Compute<2>(ref, seg, 1, LabelPixel(9));
  EXPECT_EQ(ignored.hausdorff, 0.0);
  const SurfaceDistance counted = SurfaceDistance::Compute<2>(ref, seg, 1);
  // Without it, the blob's far corner (17, 17) is 11 px from the square's corner (6, 6) on both axes.
  EXPECT_NEAR(counted.hausdorff, std::hypot(11.0, 11.0), 1e-9);
}

// Independent brute force of the same definition: surface by face neighbours (outside the
// image = background), nearest surface voxel by exhaustive search.
std::vector<std::array<double, 2>>
BruteSurface(const LabelImage<2> * image, LabelPixel c)
{
  const auto size = image->GetLargestPossibleRegion().GetSize();
  const auto sp = image->GetSpacing();
  auto in = [&](long x, long y) {
    return x >= 0 && y >= 0 && x < long(size[0]) && y < long(size[1]) && image->GetPixel({ { x, y } }) == c;
  };
  std::vector<std::array<double, 2>> points;
  for (long y = 0; y < long(size[1]); ++y)
  {
    for (long x = 0; x < long(size[0]); ++x)
    {
      if (in(x, y) && (!in(x - 1, y) || !in(x + 1, y) || !in(x, y - 1) || !in(x, y + 1)))
      {
        points.push_back({ x * sp[0], y * sp[1] });
      }
    }
  }
  return points;
}

std::vector<double>
BruteDirected(const std::vector<std::array<double, 2>> & from, const std::vector<std::array<double, 2>> & to)
{
  std::vector<double> d;
  for (const auto & p : from)
  {
    double best = INFINITY;
    for (const auto & q : to)
    {
      best = std::min(best, std::hypot(p[0] - q[0], p[1] - q[1]));
    }
    d.push_back(best);
  }
  return d;
}

TEST(SurfaceDistance, RandomBlobsMatchBruteForce)
{
  std::mt19937 random(42);
  for (int trial = 0; trial < 5; ++trial)
  {
    // Random discs unioned, anisotropic spacing, labels 1 and 2 in both images.
    std::uniform_real_distribution<double> u(0.0, 1.0);
    auto blobs = [&]() {
      std::vector<std::array<double, 3>> discs;
      for (int k = 0; k < 4; ++k)
      {
        discs.push_back({ u(random) * 40, u(random) * 30, 2 + u(random) * 6 });
      }
      return [discs](const itk::Index<2> & i) {
        for (const auto & d : discs)
        {
          if (std::hypot(i[0] - d[0], i[1] - d[1]) < d[2])
          {
            return LabelPixel(1 + (i[0] > 20));
          }
        }
        return LabelPixel(0);
      };
    };
    const std::vector<double> spacing{ 0.5 + u(random), 0.5 + 2 * u(random) };
    const auto ref = MakeImage<2>({ { 40, 30 } }, spacing, blobs());
    const auto seg = MakeImage<2>({ { 40, 30 } }, spacing, blobs());
    for (LabelPixel c : { 1, 2 })
    {
      const auto rs = BruteSurface(ref, c), ss = BruteSurface(seg, c);
      if (rs.empty() || ss.empty())
      {
        continue;
      }
      std::vector<double> a = BruteDirected(ss, rs), b = BruteDirected(rs, ss);
      double              sum = 0;
      for (double v : a)
        sum += v;
      for (double v : b)
        sum += v;
      const double assd = sum / double(a.size() + b.size());
      const double hd = std::max(*std::max_element(a.begin(), a.end()), *std::max_element(b.begin(), b.end()));
      const double hd95 = std::max(tessera::Percentile(a, 95), tessera::Percentile(b, 95));
      const SurfaceDistance d = SurfaceDistance::Compute<2>(ref, seg, c);
      EXPECT_EQ(d.referenceSurfaceVoxels, rs.size());
      EXPECT_EQ(d.segmentationSurfaceVoxels, ss.size());
      EXPECT_NEAR(d.hausdorffPercentile, hd95, 1e-4) << "trial " << trial << " class " << c;
      EXPECT_NEAR(d.hausdorff, hd, 1e-4);
      EXPECT_NEAR(d.averageSymmetric, assd, 1e-4);
    }
  }
}

TEST(SurfaceDistance, DifferentGridsThrow)
{
  const auto a = MakeImage<2>({ { 8, 8 } }, { 1.0, 1.0 }, [](const itk::Index<2> &) { return LabelPixel(1); });
  const auto b = MakeImage<2>({ { 8, 8 } }, { 1.0, 2.0 }, [](const itk::Index<2> &) { return LabelPixel(1); });
  EXPECT_THROW(SurfaceDistance::Compute<2>(a, b, 1), tessera::Error);
  EXPECT_THROW(SurfaceDistance::Compute<2>(a, a, 1, std::nullopt, 120.0), tessera::Error);
}

TEST(SurfaceDistance, BrainSizedVolumeTakesSeconds)
{
  // 170x210x165 voxels, three nested tissue-like classes: must stay well within seconds.
  const auto shells = [](long cx, long cy, long cz) {
    return [=](const itk::Index<3> & i) {
      const double r = std::sqrt(double((i[0] - cx) * (i[0] - cx) + (i[1] - cy) * (i[1] - cy) +
                                        (i[2] - cz) * (i[2] - cz)));
      return LabelPixel(r < 40 ? 3 : r < 60 ? 2 : r < 75 ? 1 : 0);
    };
  };
  const auto ref = MakeImage<3>({ { 170, 210, 165 } }, { 1.0, 1.0, 1.0 }, shells(85, 105, 82));
  const auto seg = MakeImage<3>({ { 170, 210, 165 } }, { 1.0, 1.0, 1.0 }, shells(87, 105, 82));
  const auto start = std::chrono::steady_clock::now();
  for (LabelPixel c : { 1, 2, 3 })
  {
    const SurfaceDistance d = SurfaceDistance::Compute<3>(ref, seg, c);
    EXPECT_NEAR(d.hausdorff, 2.0, 1.0); // a 2-voxel shift, up to voxelisation of the spheres
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 20.0);
  std::cout << "HD95 of 3 classes at 170x210x165: " << seconds << " s\n";
}
} // namespace
