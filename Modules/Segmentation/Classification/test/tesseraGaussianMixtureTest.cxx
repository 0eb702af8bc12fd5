#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "tesseraError.h"
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

TEST(GaussianMixture, ThreadCountDoesNotChangeTheModel)
{
  // 2D, 60000 distinct samples: the E- and M-step sums run over four blocks.
  std::mt19937                     rng(4);
  std::normal_distribution<double> noise(0.0, 2.0);
  std::vector<float>               x(2 * 60000);
  for (size_t i = 0; i < x.size(); ++i)
  {
    x[i] = static_cast<float>((i / 2) % 3 * 5.0 + noise(rng));
  }
  const auto    s = FeatureSamples::FromPixels(x.data(), x.size() / 2, 2, nullptr);
  KMeansOptions o;
  o.classes = 3;
  const auto             start = KMeans(s, o);
  GaussianMixtureOptions options;
  options.threads = 1;
  const auto one = FitGaussianMixture(s, start, options);
  options.threads = 2;
  const auto two = FitGaussianMixture(s, start, options);
  EXPECT_EQ(one.weights, two.weights);
  EXPECT_EQ(one.means, two.means);
  EXPECT_EQ(one.covariances, two.covariances);
  EXPECT_EQ(one.objective, two.objective);
  EXPECT_GT(one.iterations, 1u);
  EXPECT_EQ(one.Posteriors(s, 1), two.Posteriors(s, 2));
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

/** Two overlapping classes N(0, 1) and N(2, 1), one sample per pixel, each pixel's class drawn
 * from its spatial prior (0.8 / 0.2 or 0.2 / 0.8): the model with weight 1 is the true one. */
struct PriorProblem
{
  FeatureSamples     samples;
  std::vector<float> priors;
  std::vector<int>   truth;

  PriorProblem()
  {
    std::mt19937                     rng(11);
    std::normal_distribution<double> z(0.0, 1.0);
    std::uniform_real_distribution<> u(0.0, 1.0);
    samples.dimension = 1;
    for (int i = 0; i < 40000; ++i)
    {
      const float q0 = i % 2 ? 0.2f : 0.8f;
      const int   c = u(rng) < q0 ? 0 : 1;
      truth.push_back(c);
      samples.values.push_back(static_cast<float>(2.0 * c + z(rng)));
      samples.weights.push_back(1.0);
      priors.push_back(q0);
      priors.push_back(1 - q0);
    }
    samples.totalWeight = static_cast<double>(truth.size());
  }
  double Accuracy(const std::vector<float> & p) const
  {
    size_t right = 0;
    for (size_t i = 0; i < truth.size(); ++i)
      right += (p[2 * i + 1] > p[2 * i]) == (truth[i] == 1);
    return static_cast<double>(right) / truth.size();
  }
};

TEST(GaussianMixture, SpatialPriorsGiveTheMixingFormulaAndBeatIntensityAlone)
{
  const PriorProblem     problem;
  std::vector<float>     posteriors;
  GaussianMixtureOptions options;
  options.tolerance = 1e-7;
  const double w = 1.0; // the true model: pi_k drops out, the priors are the mixing proportions
  const auto   m = FitGaussianMixtureWithPriors(problem.samples, problem.priors, 2, w, options, posteriors);
  // The classes keep the priors' order and the parameters are recovered.
  EXPECT_NEAR(m.means[0], 0.0, 0.06);
  EXPECT_NEAR(m.means[1], 2.0, 0.06);
  EXPECT_NEAR(m.covariances[0], 1.0, 0.06);
  EXPECT_NEAR(m.weights[0], 0.5, 0.01);
  // Posterior of pixel 0 by hand: [(1-w) pi_k + w q_k] N(x; mu_k, sigma_k), normalised.
  const double x = problem.samples.values[0];
  double       joint[2];
  for (int k = 0; k < 2; ++k)
  {
    const double var = m.covariances[k];
    joint[k] = ((1 - w) * m.weights[k] + w * problem.priors[k]) * std::exp(-0.5 * std::pow(x - m.means[k], 2) / var) /
               std::sqrt(var);
  }
  EXPECT_NEAR(posteriors[0], joint[0] / (joint[0] + joint[1]), 1e-5);
  // Priors and intensities together classify better than either alone (intensity alone: 0.84 at best,
  // priors alone: 0.8).
  std::vector<float> none;
  FitGaussianMixtureWithPriors(problem.samples, problem.priors, 2, 0.0, options, none);
  EXPECT_GT(problem.Accuracy(posteriors), problem.Accuracy(none) + 0.02);
  EXPECT_GT(problem.Accuracy(posteriors), 0.8 + 0.05);
  EXPECT_THROW(FitGaussianMixtureWithPriors(problem.samples, problem.priors, 2, 1.5, options, none), Error);
}
