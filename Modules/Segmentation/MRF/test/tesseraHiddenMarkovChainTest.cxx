#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "tesseraError.h"
#include "tesseraHiddenMarkovChain.h"

using namespace tessera;

namespace
{
/** A small random chain: K states, T positions, random emissions, start, transitions and priors. */
struct TinyChain
{
  unsigned int        k = 3;
  size_t              t = 5;
  MarkovChain         chain;
  std::vector<double> logEmission;
  std::vector<float>  priors;

  explicit TinyChain(unsigned int seed)
  {
    std::mt19937                           rng(seed);
    std::uniform_real_distribution<double> u(0.05, 1.0);
    chain.classes = k;
    chain.initial.resize(k);
    chain.transition.resize(k * k);
    for (auto & p : chain.initial)
      p = u(rng);
    for (auto & p : chain.transition)
      p = u(rng);
    Normalise(chain.initial, k);
    Normalise(chain.transition, k);
    for (size_t i = 0; i < t * k; ++i)
    {
      logEmission.push_back(-10 * u(rng));
      priors.push_back(static_cast<float>(u(rng)));
    }
  }
  static void
  Normalise(std::vector<double> & rows, unsigned int k)
  {
    for (size_t i = 0; i < rows.size(); i += k)
    {
      double sum = 0;
      for (unsigned int j = 0; j < k; ++j)
        sum += rows[i + j];
      for (unsigned int j = 0; j < k; ++j)
        rows[i + j] /= sum;
    }
  }
  /** p(x, y) of one state sequence; with the priors as an external field, p(x, y, a) with p(a_t | x_t) = q_t(x_t). */
  double
  Joint(const std::vector<unsigned int> & x, bool withPriors) const
  {
    const auto q = [&](size_t s) { return withPriors ? double(priors[s * k + x[s]]) : 1.0; };
    double p = chain.initial[x[0]] * q(0) * std::exp(logEmission[x[0]]);
    for (size_t s = 1; s < t; ++s)
      p *= chain.transition[x[s - 1] * k + x[s]] * q(s) * std::exp(logEmission[s * k + x[s]]);
    return p;
  }
  /** The log emissions ForwardBackward() and Viterbi() see: with priors, AddExternalField()'s. */
  std::vector<double>
  Observed(bool withPriors) const
  {
    std::vector<double> e = logEmission;
    if (withPriors)
      AddExternalField(e, priors.data());
    return e;
  }
};

/** Calls f(x) for every state sequence of length t over k states. */
template <typename F>
void
EverySequence(unsigned int k, size_t t, F && f)
{
  std::vector<unsigned int> x(t, 0);
  while (true)
  {
    f(x);
    size_t s = 0;
    while (s < t && ++x[s] == k)
      x[s++] = 0;
    if (s == t)
      return;
  }
}
} // namespace

TEST(HiddenMarkovChain, ForwardBackwardMatchesBruteForceEnumeration)
{
  for (const bool withPriors : { false, true })
  {
    const TinyChain     c(withPriors ? 7 : 3);
    std::vector<double> posteriors, counts;
    const double logLikelihood =
      ForwardBackward(c.Observed(withPriors), c.chain, posteriors, &counts);
    // Brute force over all 3^5 sequences: p(y), the marginals p(x_t | y) and the pair counts.
    double              py = 0;
    std::vector<double> marginal(c.t * c.k, 0.0), pairs(c.k * c.k, 0.0);
    EverySequence(c.k, c.t, [&](const std::vector<unsigned int> & x) {
      const double p = c.Joint(x, withPriors);
      py += p;
      for (size_t s = 0; s < c.t; ++s)
      {
        marginal[s * c.k + x[s]] += p;
        if (s + 1 < c.t)
          pairs[x[s] * c.k + x[s + 1]] += p;
      }
    });
    EXPECT_NEAR(logLikelihood, std::log(py), 1e-12);
    for (size_t i = 0; i < marginal.size(); ++i)
      EXPECT_NEAR(posteriors[i], marginal[i] / py, 1e-12);
    for (size_t i = 0; i < pairs.size(); ++i)
      EXPECT_NEAR(counts[i], pairs[i] / py, 1e-12);
  }
}

TEST(HiddenMarkovChain, ViterbiFindsTheMostProbableSequence)
{
  for (const bool withPriors : { false, true })
  {
    const TinyChain           c(withPriors ? 5 : 9);
    std::vector<unsigned int> best;
    double                    top = -1;
    EverySequence(c.k, c.t, [&](const std::vector<unsigned int> & x) {
      const double p = c.Joint(x, withPriors);
      if (p > top)
      {
        top = p;
        best = x;
      }
    });
    const auto path = Viterbi(c.Observed(withPriors), c.chain);
    ASSERT_EQ(path.size(), c.t);
    for (size_t s = 0; s < c.t; ++s)
      EXPECT_EQ(path[s], best[s]) << "position " << s;
  }
}

TEST(HiddenMarkovChain, BaumWelchRecoversASimulatedChain)
{
  // Two states: sticky transitions, overlapping Gaussian emissions N(0, 1) and N(2.5, 0.7^2).
  const double                     a[2][2] = { { 0.95, 0.05 }, { 0.10, 0.90 } };
  const double                     mean[2] = { 0.0, 2.5 }, sd[2] = { 1.0, 0.7 };
  std::mt19937                     rng(2008);
  std::uniform_real_distribution<> u(0.0, 1.0);
  std::normal_distribution<>       noise(0.0, 1.0);
  const size_t                     t = 50000;
  FeatureSamples                   s;
  s.dimension = 1;
  std::vector<double> start(2 * t, 0.0);
  unsigned int        x = 0;
  for (size_t i = 0; i < t; ++i)
  {
    if (i > 0)
      x = u(rng) < a[x][0] ? 0 : 1;
    const double y = mean[x] + sd[x] * noise(rng);
    s.values.push_back(static_cast<float>(y));
    start[2 * i + (y > 1.25 ? 1 : 0)] = 1.0; // a threshold starts the EM
  }
  s.weights.assign(t, 1.0);
  s.totalWeight = t;
  GaussianMixtureOptions options;
  options.maximumIterations = 500;
  options.tolerance = 1e-9;
  const auto fit = FitHiddenMarkovChain(s, start, options);
  EXPECT_LT(fit.emissions.iterations, 500u);
  EXPECT_NEAR(fit.chain.transition[0], 0.95, 0.01);
  EXPECT_NEAR(fit.chain.transition[3], 0.90, 0.015);
  EXPECT_NEAR(fit.emissions.means[0], 0.0, 0.03);
  EXPECT_NEAR(fit.emissions.means[1], 2.5, 0.03);
  EXPECT_NEAR(std::sqrt(fit.emissions.covariances[0]), 1.0, 0.03);
  EXPECT_NEAR(std::sqrt(fit.emissions.covariances[1]), 0.7, 0.03);
  // Baum-Welch never lowers the likelihood, up to the covariance floor (1e-4 of the data's variance added to each
  // class's, which moves the M-step off the exact maximum by ~1e-9 nats per position near convergence).
  for (size_t i = 1; i < fit.emissions.objective.size(); ++i)
    EXPECT_GE(fit.emissions.objective[i], fit.emissions.objective[i - 1] - 1e-7) << "iteration " << i;
}

TEST(HiddenMarkovChain, RefusesInconsistentInputs)
{
  const TinyChain     c(1);
  std::vector<double> posteriors;
  MarkovChain         bad = c.chain;
  bad.transition.pop_back();
  EXPECT_THROW(ForwardBackward(c.logEmission, bad, posteriors, nullptr), Error);
  std::vector<double> impossible = c.logEmission;
  for (unsigned int j = 0; j < c.k; ++j)
    impossible[2 * c.k + j] = -std::numeric_limits<double>::infinity();
  EXPECT_THROW(ForwardBackward(impossible, c.chain, posteriors, nullptr), Error);
}
