#include <random>

#include <gtest/gtest.h>

#include "tesseraError.h"
#include "tesseraKMeans.h"

using namespace tessera;

TEST(FeatureSamples, GroupsEqualVectorsAndCountsThem)
{
  const float   features[] = { 1, 2, 3, 4, 1, 2, 5, 6, 3, 4, 1, 2 }; // 6 pixels, 2 features
  const uint8_t mask[] = { 1, 1, 1, 0, 1, 1 };
  const auto    s = FeatureSamples::FromPixels(features, 6, 2, mask);
  ASSERT_EQ(s.Size(), 2u); // (1,2) ×3 and (3,4) ×2 inside the mask; (5,6) is masked out
  EXPECT_EQ(s.weights[0], 3.0);
  EXPECT_EQ(s.weights[1], 2.0);
  EXPECT_EQ(s.totalWeight, 5.0);
  EXPECT_EQ(s.sampleOfPixel[3], FeatureSamples::Outside);
  EXPECT_EQ(s.sampleOfPixel[5], 0u);
  EXPECT_EQ(s.Sample(1)[0], 3.0f);
}

TEST(FeatureSamples, HashTableGrowsWithManyDistinctValues)
{
  std::vector<float> v(100000);
  for (size_t i = 0; i < v.size(); ++i)
  {
    v[i] = static_cast<float>(i % 40000) + 0.5f; // not integers: hashed
  }
  const auto s = FeatureSamples::FromPixels(v.data(), v.size(), 1, nullptr);
  EXPECT_TRUE(s.sampleOfValue.empty());
  EXPECT_EQ(s.Size(), 40000u);
  EXPECT_EQ(s.weights[39999], 2.0);
  EXPECT_EQ(s.weights[0], 3.0);
}

TEST(FeatureSamples, HistogramPathEqualsHashingPathOnAnyThreadCount)
{
  // 90000 pixels (two work units' worth) of integers in [−5, 1994], masked by runs of various lengths.
  const size_t         n = 90000;
  std::vector<float>   x(n), pair(2 * n, 0.0f);
  std::vector<uint8_t> mask(n);
  std::mt19937         rng(11);
  for (size_t p = 0; p < n; ++p)
  {
    x[p] = static_cast<float>(static_cast<int>(rng() % 2000) - 5);
    pair[2 * p] = x[p]; // two channels: hashed
    mask[p] = (p / 37) % 3 != 0 || p % 5 == 0;
  }
  const auto hashed = FeatureSamples::FromPixels(pair.data(), n, 2, mask.data());
  ASSERT_TRUE(hashed.sampleOfValue.empty());
  for (unsigned int threads : { 1u, 2u })
  {
    const auto h = FeatureSamples::FromPixels(x.data(), n, 1, mask.data(), threads);
    ASSERT_EQ(h.Size(), hashed.Size());
    for (size_t i = 0; i < h.Size(); ++i)
    {
      EXPECT_EQ(h.values[i], hashed.values[2 * i]);
      EXPECT_EQ(h.weights[i], hashed.weights[i]);
    }
    EXPECT_EQ(h.totalWeight, hashed.totalWeight);
    EXPECT_EQ(h.sampleOfPixel, hashed.sampleOfPixel);
    EXPECT_EQ(h.lowestValue, -5);
    EXPECT_EQ(h.sampleOfValue.size(), 2000u);

    const auto byValue = FeatureSamples::FromPixels(x.data(), n, 1, mask.data(), threads, false);
    EXPECT_TRUE(byValue.sampleOfPixel.empty());
    for (size_t p = 0; p < n; ++p)
    {
      if (mask[p])
      {
        ASSERT_EQ(byValue.sampleOfValue[static_cast<int>(x[p]) - byValue.lowestValue], hashed.sampleOfPixel[p]);
      }
    }
  }
}

TEST(FeatureSamples, HistogramPathTakesIntegersOfInt16AndUint16RangeOnly)
{
  const float ends[] = { -32768, 65535, 7 };
  const auto  h = FeatureSamples::FromPixels(ends, 3, 1, nullptr);
  EXPECT_EQ(h.lowestValue, FeatureSamples::HistogramLow);
  EXPECT_EQ(h.sampleOfValue.size(), 98304u);
  EXPECT_EQ(h.sampleOfValue[7 + 32768], 2u);
  EXPECT_EQ(h.sampleOfValue[8 + 32768], FeatureSamples::Outside);
  for (const float odd : { 0.5f, 65536.0f, -32769.0f })
  {
    const float x[] = { 1, odd, 1 };
    const auto  s = FeatureSamples::FromPixels(x, 3, 1, nullptr);
    EXPECT_TRUE(s.sampleOfValue.empty()) << odd;
    EXPECT_EQ(s.Size(), 2u);
    EXPECT_EQ(s.values[1], odd);
  }
  const float   masked[] = { 1, 0.5f, 2 };
  const uint8_t mask[] = { 1, 0, 1 }; // only the values inside the mask count
  EXPECT_EQ(FeatureSamples::FromPixels(masked, 3, 1, mask).sampleOfValue.size(), 2u);
}

TEST(KMeans, RecoversSeparableClustersExactly)
{
  // Three 2D clusters of four points each, centred at (0,0), (10,0) and (0,10), ±1 around it.
  std::vector<float> x;
  for (auto [cx, cy] : { std::pair{ 10.f, 0.f }, std::pair{ 0.f, 0.f }, std::pair{ 0.f, 10.f } })
  {
    for (auto [dx, dy] : { std::pair{ 1.f, 0.f }, std::pair{ -1.f, 0.f }, std::pair{ 0.f, 1.f }, std::pair{ 0.f, -1.f } })
    {
      x.push_back(cx + dx);
      x.push_back(cy + dy);
    }
  }
  const auto   s = FeatureSamples::FromPixels(x.data(), 12, 2, nullptr);
  KMeansOptions o;
  o.classes = 3;
  for (unsigned int seed = 0; seed < 5; ++seed)
  {
    o.seed = seed;
    const auto r = KMeans(s, o);
    // Ordered by luminance (mean of two channels): (0,0) < (10,0) = (0,10) ties keep a stable order.
    EXPECT_DOUBLE_EQ(r.centroids[0], 0.0);
    EXPECT_DOUBLE_EQ(r.centroids[1], 0.0);
    EXPECT_DOUBLE_EQ(r.inertia, 12.0); // every point is at distance 1
    for (int p = 0; p < 4; ++p)
    {
      EXPECT_EQ(r.assignment[4 + p], 0u); // the (0,0) points
      EXPECT_EQ(r.assignment[p], r.assignment[0]);
      EXPECT_EQ(r.assignment[8 + p], r.assignment[8]);
    }
    EXPECT_NE(r.assignment[0], r.assignment[8]);
  }
}

TEST(KMeans, WeightedDistinctSamplesGiveTheSameInertiaAsRawPixels)
{
  std::mt19937       rng(3);
  std::vector<float> pixels(50000);
  std::normal_distribution<float> a(100.f, 10.f), b(200.f, 15.f);
  for (size_t i = 0; i < pixels.size(); ++i)
  {
    pixels[i] = std::round(i % 3 ? a(rng) : b(rng));
  }
  const auto s = FeatureSamples::FromPixels(pixels.data(), pixels.size(), 1, nullptr);
  EXPECT_LT(s.Size(), 200u);
  KMeansOptions o;
  o.classes = 2;
  const auto r = KMeans(s, o);
  double inertia = 0.0;
  for (size_t i = 0; i < pixels.size(); ++i)
  {
    const double c = r.centroids[r.assignment[s.sampleOfPixel[i]]];
    inertia += (pixels[i] - c) * (pixels[i] - c);
  }
  EXPECT_NEAR(r.inertia, inertia, 1e-9 * inertia);
  EXPECT_LT(r.centroids[0], r.centroids[1]);
  EXPECT_NEAR(r.centroids[0], 100.0, 1.0);
  EXPECT_NEAR(r.centroids[1], 200.0, 1.5);
}

TEST(KMeans, SameSeedSameResult)
{
  std::mt19937       rng(7);
  std::vector<float> x(3 * 60000); // enough pixels for the multithreaded path
  for (auto & v : x)
  {
    v = std::uniform_real_distribution<float>(0.f, 1.f)(rng);
  }
  const auto    s = FeatureSamples::FromPixels(x.data(), x.size() / 3, 3, nullptr);
  KMeansOptions o;
  o.classes = 5;
  o.seed = 42;
  const auto a = KMeans(s, o), b = KMeans(s, o);
  EXPECT_EQ(a.centroids, b.centroids);
  EXPECT_EQ(a.assignment, b.assignment);
}

TEST(KMeans, ThreadCountDoesNotChangeTheResult)
{
  std::mt19937       rng(5);
  std::vector<float> x(2 * 70000); // 70000 distinct 2D samples: five blocks of Lloyd's sums
  for (auto & v : x)
  {
    v = std::normal_distribution<float>(static_cast<float>(rng() % 3) * 4.f, 1.f)(rng);
  }
  const auto    s = FeatureSamples::FromPixels(x.data(), x.size() / 2, 2, nullptr);
  KMeansOptions o;
  o.classes = 4;
  o.threads = 1;
  const auto one = KMeans(s, o);
  o.threads = 2;
  const auto two = KMeans(s, o);
  EXPECT_EQ(one.centroids, two.centroids);
  EXPECT_EQ(one.assignment, two.assignment);
  EXPECT_EQ(one.inertia, two.inertia);
  EXPECT_EQ(one.iterations, two.iterations);
}

TEST(KMeans, RejectsTooFewOrTooManyClasses)
{
  const float   x[] = { 1, 1, 2, 2 };
  const auto    s = FeatureSamples::FromPixels(x, 4, 1, nullptr);
  KMeansOptions o;
  o.classes = 1;
  EXPECT_THROW(KMeans(s, o), Error);
  o.classes = 3;
  try
  {
    KMeans(s, o);
    FAIL();
  }
  catch (const Error & e)
  {
    EXPECT_EQ(e.Subject(), "classes");
    EXPECT_NE(std::string(e.what()).find("only 2 distinct"), std::string::npos);
  }
}

TEST(KMeans, SoftMembershipsSumToOneAndFavourTheNearestCentre)
{
  const float   x[] = { 0, 1, 9, 10, 5 };
  const auto    s = FeatureSamples::FromPixels(x, 5, 1, nullptr);
  KMeansOptions o;
  o.classes = 2;
  const auto r = KMeans(s, o);
  const auto p = KMeansMemberships(s, r, true);
  for (size_t i = 0; i < 5; ++i)
  {
    EXPECT_NEAR(p[2 * i] + p[2 * i + 1], 1.0f, 1e-6f);
  }
  EXPECT_GT(p[0], 0.99f); // x = 0 belongs to the low cluster
  const auto hard = KMeansMemberships(s, r, false);
  EXPECT_EQ(hard[0], 1.0f);
  EXPECT_EQ(hard[1], 0.0f);
}
