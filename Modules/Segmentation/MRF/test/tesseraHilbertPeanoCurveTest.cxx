#include <cstdlib>

#include <gtest/gtest.h>

#include "tesseraError.h"
#include "tesseraHilbertPeanoCurve.h"

using namespace tessera;

namespace
{
/** Checks that the order visits every pixel once with unit steps; returns false (with a message) otherwise. */
::testing::AssertionResult
VisitsEveryPixelOnceWithUnitSteps(const std::vector<size_t> & size)
{
  const auto          order = HilbertPeanoOrder(size);
  std::vector<size_t> n{ 1, 1, 1 };
  size_t              total = 1;
  for (size_t a = 0; a < size.size(); ++a)
  {
    n[a] = size[a];
    total *= size[a];
  }
  if (order.size() != total)
    return ::testing::AssertionFailure() << "visits " << order.size() << " of " << total;
  std::vector<bool> seen(total, false);
  for (size_t t = 0; t < order.size(); ++t)
  {
    if (order[t] >= total || seen[order[t]])
      return ::testing::AssertionFailure() << "pixel " << order[t] << " visited twice or outside";
    seen[order[t]] = true;
    if (t == 0)
      continue;
    long step = 0;
    for (size_t a = 0, stride = 1; a < 3; stride *= n[a], ++a)
      step += std::labs(long(order[t] / stride % n[a]) - long(order[t - 1] / stride % n[a]));
    if (step != 1)
      return ::testing::AssertionFailure() << "step " << t << " moves " << step << " pixels";
  }
  return ::testing::AssertionSuccess();
}

/** The Hilbert curve's d-th point on an n×n grid (n a power of two), the classical iterative construction. */
std::pair<size_t, size_t>
HilbertPoint(size_t n, size_t d)
{
  size_t x = 0, y = 0;
  for (size_t s = 1, t = d; s < n; s *= 2, t /= 4)
  {
    const size_t rx = 1 & (t / 2), ry = 1 & (t ^ rx);
    if (ry == 0)
    {
      if (rx == 1)
      {
        x = s - 1 - x;
        y = s - 1 - y;
      }
      std::swap(x, y);
    }
    x += s * rx;
    y += s * ry;
  }
  return { x, y };
}
} // namespace

TEST(HilbertPeanoCurve, IsTheHilbertCurveOnPowersOfTwo)
{
  for (const size_t n : { 2u, 4u, 8u, 16u, 64u })
  {
    const auto order = HilbertPeanoOrder({ n, n });
    for (size_t d = 0; d < n * n; ++d)
    {
      const auto [x, y] = HilbertPoint(n, d);
      ASSERT_EQ(order[d], x + n * y) << n << "x" << n << " at " << d;
    }
  }
}

TEST(HilbertPeanoCurve, VisitsEveryPixelOnceWithUnitStepsIn2D)
{
  for (size_t w = 1; w <= 33; ++w)
    for (size_t h = 1; h <= 33; ++h)
      ASSERT_TRUE(VisitsEveryPixelOnceWithUnitSteps({ w, h })) << w << "x" << h;
  EXPECT_TRUE(VisitsEveryPixelOnceWithUnitSteps({ 256, 256 }));
  EXPECT_TRUE(VisitsEveryPixelOnceWithUnitSteps({ 255, 198 })); // longer side odd, shorter even
}

TEST(HilbertPeanoCurve, VisitsEveryVoxelOnceWithUnitStepsIn3D)
{
  // Every parity of every axis, powers of two and not (the plain 3D recursion fails on e.g. 3x3x4 and 2x5x5).
  for (size_t a = 1; a <= 9; ++a)
    for (size_t b = 1; b <= 9; ++b)
      for (size_t c = 1; c <= 9; ++c)
        ASSERT_TRUE(VisitsEveryPixelOnceWithUnitSteps({ a, b, c })) << a << "x" << b << "x" << c;
  EXPECT_TRUE(VisitsEveryPixelOnceWithUnitSteps({ 16, 16, 16 }));
  EXPECT_TRUE(VisitsEveryPixelOnceWithUnitSteps({ 17, 12, 9 }));
  EXPECT_TRUE(VisitsEveryPixelOnceWithUnitSteps({ 65, 81, 71 })); // a MICCAI brain at 3 mm
}

TEST(HilbertPeanoCurve, KeepsNeighboursCloseAlongTheCurve)
{
  // Locality, the point of the curve: on a 32x32x32 block, most face neighbours lie within 8 positions of each other
  // along the Hilbert-Peano order (62 %), where raster order keeps only the x neighbours (1/3) that close.
  const size_t        n = 32;
  const auto          order = HilbertPeanoOrder({ n, n, n });
  std::vector<size_t> position(order.size());
  for (size_t t = 0; t < order.size(); ++t)
    position[order[t]] = t;
  size_t close = 0, pairs = 0;
  for (size_t z = 0; z < n; ++z)
    for (size_t y = 0; y < n; ++y)
      for (size_t x = 0; x < n; ++x)
      {
        const size_t i = x + n * (y + n * z);
        for (const auto & [inside, stride] : { std::pair<bool, size_t>{ x + 1 < n, 1 }, { y + 1 < n, n }, { z + 1 < n, n * n } })
          if (inside)
          {
            close += std::labs(long(position[i + stride]) - long(position[i])) <= 8;
            ++pairs;
          }
      }
  EXPECT_GT(double(close) / pairs, 0.6);
}

TEST(HilbertPeanoCurve, RefusesEmptyGridsAndFourAxes)
{
  EXPECT_THROW(HilbertPeanoOrder({}), Error);
  EXPECT_THROW(HilbertPeanoOrder({ 4, 0 }), Error);
  EXPECT_THROW(HilbertPeanoOrder({ 2, 2, 2, 2 }), Error);
  EXPECT_EQ(HilbertPeanoOrder({ 5 }), (std::vector<size_t>{ 0, 1, 2, 3, 4 }));
}
