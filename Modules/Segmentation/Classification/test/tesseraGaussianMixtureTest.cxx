#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "tesseraGaussianMixture.h"

using namespace tessera;

TEST(GaussianMixture, EMRecoversAKnownOneDimensionalMixture)
{
  std::mt19937                     rng(11);
  std::normal_distribution<double> low(20.0, 3.0), high(50.0, 6.0);
  std::vector<float>               x(200000);
  for (size_t i = 0; i < x.size(); ++i)
  {
    x[i] = static_cast<float>(i % 10 < 3 ? low(rng) : high(rng)); // weights 0.3 / 0.7
  }
  const auto    s = FeatureSamples::FromPixels(x.data(), x.size(), 1, nullptr);
  KMeansOptions o;
  o.classes = 2;
  const auto m = FitGaussianMixture(s, KMeans(s, o), {});
  EXPECT_NEAR(m.weights[0], 0.3, 0.005);
  EXPECT_NEAR(m.means[0], 20.0, 0.05);
  EXPECT_NEAR(m.means[1], 50.0, 0.05);
  EXPECT_NEAR(std::sqrt(m.covariances[0]), 3.0, 0.03);
  EXPECT_NEAR(std::sqrt(m.covariances[1]), 6.0, 0.05);
  // The posterior at the low mean is overwhelmingly class 0; at the high mean, class 1.
  const float probe[] = { 20.0f, 50.0f };
  const auto  p = m.Posteriors(FeatureSamples::FromPixels(probe, 2, 1, nullptr));
  EXPECT_GT(p[0], 0.99f);
  EXPECT_GT(p[3], 0.99f);
  EXPECT_NEAR(p[0] + p[1], 1.0f, 1e-6f);
}

TEST(GaussianMixture, EMRecoversFullCovariances)
{
  // Class A: correlated (ρ = 0.8, σ = 2); class B: independent, σ = 1, at (10, 0).
  std::mt19937                     rng(5);
  std::normal_distribution<double> z(0.0, 1.0);
  std::vector<float>               x;
  for (int i = 0; i < 100000; ++i)
  {
    const double u = z(rng), v = z(rng);
    if (i % 2)
    {
      x.push_back(static_cast<float>(2.0 * u));
      x.push_back(static_cast<float>(2.0 * (0.8 * u + 0.6 * v)));
    }
    else
    {
      x.push_back(static_cast<float>(10.0 + u));
      x.push_back(static_cast<float>(v));
    }
  }
  const auto    s = FeatureSamples::FromPixels(x.data(), x.size() / 2, 2, nullptr);
  KMeansOptions o;
  o.classes = 2;
  const auto m = FitGaussianMixture(s, KMeans(s, o), {});
  // Component 0 has the lower mean luminance: class A.
  EXPECT_NEAR(m.weights[0], 0.5, 0.01);
  EXPECT_NEAR(m.covariances[0], 4.0, 0.1);     // var x
  EXPECT_NEAR(m.covariances[1], 3.2, 0.1);     // cov xy = 0.8 · 2 · 2
  EXPECT_NEAR(m.covariances[3], 4.0, 0.1);     // var y
  EXPECT_NEAR(m.covariances[4 + 1], 0.0, 0.03); // class B: uncorrelated
  EXPECT_NEAR(m.means[2], 10.0, 0.03);
  EXPECT_GT(m.iterations, 1u);
}
