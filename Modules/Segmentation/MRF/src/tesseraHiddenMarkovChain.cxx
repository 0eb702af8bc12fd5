#include "tesseraHiddenMarkovChain.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tesseraError.h"

namespace tessera
{
namespace
{
void
CheckChain(const std::vector<double> & logEmission, const MarkovChain & chain)
{
  const unsigned int k = chain.classes;
  if (k == 0 || logEmission.empty() || logEmission.size() % k || chain.initial.size() != k ||
      chain.transition.size() != size_t(k) * k)
  {
    throw Error("hidden Markov chain", "inconsistent sizes of emissions, initial distribution and transitions");
  }
}

/** b(j) = exp(log p(y_t | j) − max_j log p(y_t | j)); returns the max. */
double
ScaledEmissions(const double * logEmission, unsigned int k, std::vector<double> & b)
{
  const double top = *std::max_element(logEmission, logEmission + k);
  for (unsigned int j = 0; j < k; ++j)
    b[j] = std::exp(logEmission[j] - top);
  return top;
}
} // namespace

void
AddExternalField(std::vector<double> & logEmission, const float * priors)
{
  for (size_t i = 0; i < logEmission.size(); ++i)
    logEmission[i] += std::log(double(priors[i])); // −∞ for a zero prior: that state is impossible there
}

double
ForwardBackward(const std::vector<double> & logEmission, const MarkovChain & chain, std::vector<double> & posteriors,
                std::vector<double> * transitionCounts)
{
  CheckChain(logEmission, chain);
  const unsigned int  k = chain.classes;
  const size_t        n = logEmission.size() / k;
  const double *      a = chain.transition.data();
  std::vector<double> b(k), scale(n);
  double              logLikelihood = 0.0;
  // Forward: posteriors hold the normalised α_t.
  posteriors.assign(n * k, 0.0);
  for (size_t t = 0; t < n; ++t)
  {
    logLikelihood += ScaledEmissions(logEmission.data() + t * k, k, b);
    double * alpha = posteriors.data() + t * k;
    double   sum = 0.0;
    for (unsigned int j = 0; j < k; ++j)
    {
      double predicted = 0.0;
      if (t == 0)
        predicted = chain.initial[j];
      else
        for (unsigned int i = 0; i < k; ++i)
          predicted += (alpha - k)[i] * a[i * k + j];
      alpha[j] = predicted * b[j];
      sum += alpha[j];
    }
    if (!(sum > 0) || !std::isfinite(sum))
    {
      throw Error("hidden Markov chain", "observation " + std::to_string(t) +
                                           " has zero probability under every state the chain allows there");
    }
    for (unsigned int j = 0; j < k; ++j)
      alpha[j] /= sum;
    scale[t] = sum;
    logLikelihood += std::log(sum);
  }
  // Backward, turning α_t into α_t β_t.
  if (transitionCounts)
    transitionCounts->assign(size_t(k) * k, 0.0);
  std::vector<double> beta(k, 1.0), next(k);
  for (size_t t = n - 1; t-- > 0;)
  {
    ScaledEmissions(logEmission.data() + (t + 1) * k, k, b);
    for (unsigned int j = 0; j < k; ++j)
      next[j] = b[j] * beta[j] / scale[t + 1];
    double * alpha = posteriors.data() + t * k;
    for (unsigned int i = 0; i < k; ++i)
    {
      double s = 0.0;
      for (unsigned int j = 0; j < k; ++j)
      {
        const double term = a[i * k + j] * next[j];
        s += term;
        if (transitionCounts)
          (*transitionCounts)[i * k + j] += alpha[i] * term;
      }
      beta[i] = s;
    }
    double sum = 0.0;
    for (unsigned int i = 0; i < k; ++i)
    {
      alpha[i] *= beta[i];
      sum += alpha[i];
    }
    for (unsigned int i = 0; i < k; ++i)
      alpha[i] /= sum; // exactly 1 in exact arithmetic
  }
  return logLikelihood;
}

std::vector<uint16_t>
Viterbi(const std::vector<double> & logEmission, const MarkovChain & chain)
{
  CheckChain(logEmission, chain);
  const unsigned int k = chain.classes;
  if (k > std::numeric_limits<uint16_t>::max())
  {
    throw Error("hidden Markov chain", "Viterbi decoding takes at most 65535 states");
  }
  const size_t          n = logEmission.size() / k;
  std::vector<uint16_t> from(n * k), path(n);
  std::vector<double>   score(k), previous(k);
  for (size_t t = 0; t < n; ++t)
  {
    std::swap(score, previous);
    for (unsigned int j = 0; j < k; ++j)
    {
      double   best = -std::numeric_limits<double>::infinity();
      uint16_t arg = 0;
      if (t == 0)
        best = std::log(chain.initial[j]);
      else
        for (unsigned int i = 0; i < k; ++i)
        {
          const double s = previous[i] + std::log(chain.transition[i * k + j]);
          if (s > best)
          {
            best = s;
            arg = static_cast<uint16_t>(i);
          }
        }
      score[j] = best + logEmission[t * k + j];
      from[t * k + j] = arg;
    }
  }
  path[n - 1] = static_cast<uint16_t>(std::max_element(score.begin(), score.end()) - score.begin());
  for (size_t t = n - 1; t > 0; --t)
    path[t - 1] = from[t * k + path[t]];
  return path;
}

HiddenMarkovChainFit
FitHiddenMarkovChain(const FeatureSamples & samples, std::vector<double> initial, const GaussianMixtureOptions & options,
                     const float * priors)
{
  const size_t n = samples.Size();
  if (n < 2 || initial.size() % n)
  {
    throw Error("hidden Markov chain", "needs at least 2 positions and responsibilities for each");
  }
  const unsigned int k = static_cast<unsigned int>(initial.size() / n);
  HiddenMarkovChainFit fit;
  fit.chain.classes = k;
  fit.chain.initial.assign(k, 1.0 / k);
  // Transitions counted from the initial responsibilities, plus one of each so that none starts impossible.
  std::vector<double> counts(size_t(k) * k, 1.0);
  for (size_t t = 0; t + 1 < n; ++t)
    for (unsigned int i = 0; i < k; ++i)
      for (unsigned int j = 0; j < k; ++j)
        counts[i * k + j] += initial[t * k + i] * initial[(t + 1) * k + j];
  const auto setTransitions = [&](const std::vector<double> & c) {
    fit.chain.transition = c;
    for (unsigned int i = 0; i < k; ++i)
    {
      double sum = 0.0;
      for (unsigned int j = 0; j < k; ++j)
        sum += c[i * k + j];
      for (unsigned int j = 0; j < k; ++j)
        fit.chain.transition[i * k + j] = sum > 0 ? c[i * k + j] / sum : 1.0 / k;
    }
  };
  setTransitions(counts);
  // The chain's M-step waits for the next E-step, so that the parameters returned are those of the last posteriors.
  bool pending = false;
  fit.emissions = FitGaussianMixtureWithEStep(samples, k, initial, options,
                                              [&](const GaussianMixtureModel &, std::vector<double> & r) {
                                                if (pending)
                                                {
                                                  setTransitions(counts);
                                                  std::copy_n(fit.posteriors.begin(), k, fit.chain.initial.begin());
                                                }
                                                if (priors)
                                                  AddExternalField(r, priors);
                                                const double logLikelihood = ForwardBackward(r, fit.chain, fit.posteriors, &counts);
                                                pending = true;
                                                r = fit.posteriors;
                                                return logLikelihood / n;
                                              });
  return fit;
}
} // namespace tessera
