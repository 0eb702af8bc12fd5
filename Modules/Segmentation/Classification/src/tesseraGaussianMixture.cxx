#include "tesseraGaussianMixture.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>

#include "tesseraError.h"
#include "tesseraParallelRanges.h"

namespace tessera
{
namespace
{
constexpr double Log2Pi = 1.8378770664093453;

/** Cholesky factor L (lower, row-major) of a d×d SPD matrix; returns log det. */
double
Cholesky(const double * a, unsigned int d, std::vector<double> & l)
{
  l.assign(d * d, 0.0);
  double logDet = 0.0;
  for (unsigned int i = 0; i < d; ++i)
  {
    for (unsigned int j = 0; j <= i; ++j)
    {
      double s = a[i * d + j];
      for (unsigned int k = 0; k < j; ++k)
      {
        s -= l[i * d + k] * l[j * d + k];
      }
      if (i == j)
      {
        if (s <= 0.0)
        {
          throw Error("Gaussian mixture", "a covariance matrix is not positive definite");
        }
        l[i * d + i] = std::sqrt(s);
        logDet += 2.0 * std::log(l[i * d + i]);
      }
      else
      {
        l[i * d + j] = s / l[j * d + j];
      }
    }
  }
  return logDet;
}

/** log N(x | μ, Σ) given Σ's Cholesky factor and log det. */
double
LogDensity(const float * x, const double * mean, const std::vector<double> & l, double logDet, unsigned int d)
{
  double z[16];
  double q = 0.0;
  for (unsigned int i = 0; i < d; ++i)
  {
    double s = x[i] - mean[i];
    for (unsigned int k = 0; k < i; ++k)
    {
      s -= l[i * d + k] * z[k];
    }
    z[i] = s / l[i * d + i];
    q += z[i] * z[i];
  }
  return -0.5 * (d * Log2Pi + logDet + q);
}

/** Normalises one row of joint log densities in place into posteriors; returns log p(x). */
double
NormaliseRow(double * row, unsigned int k)
{
  const double top = *std::max_element(row, row + k);
  double       sum = 0.0;
  for (unsigned int j = 0; j < k; ++j)
  {
    row[j] = std::exp(row[j] - top);
    sum += row[j];
  }
  for (unsigned int j = 0; j < k; ++j)
  {
    row[j] /= sum;
  }
  return top + std::log(sum);
}

/** M-step: proportions, means and covariances from responsibilities r [n, K], in two passes over the samples
 * (Σ w and Σ w x, then Σ w (x − μ)(x − μ)ᵀ per class, w = sample weight × responsibility) on `threads` work units. */
void
Maximise(GaussianMixtureModel & m, const FeatureSamples & s, const std::vector<double> & r, const std::vector<double> & floor,
         unsigned int threads)
{
  const unsigned int d = m.dimension, k = m.classes;
  const auto         addMoments = [&](size_t begin, size_t end, std::vector<double> & t) {
    for (size_t i = begin; i < end; ++i)
    {
      const float * x = s.Sample(i);
      for (unsigned int j = 0; j < k; ++j)
      {
        const double w = s.weights[i] * r[i * k + j];
        t[j * (d + 1)] += w;
        for (unsigned int a = 0; a < d; ++a)
        {
          t[j * (d + 1) + 1 + a] += w * x[a];
        }
      }
    }
  };
  const std::vector<double> moments = BlockSums(s.Size(), k * (d + 1), threads, addMoments);
  std::vector<double> nk(k);
  for (unsigned int j = 0; j < k; ++j)
  {
    nk[j] = std::max(moments[j * (d + 1)], 1e-10);
    for (unsigned int a = 0; a < d; ++a)
    {
      m.means[j * d + a] = moments[j * (d + 1) + 1 + a] / nk[j];
    }
  }
  const auto addScatter = [&](size_t begin, size_t end, std::vector<double> & t) {
    for (size_t i = begin; i < end; ++i)
    {
      const float * x = s.Sample(i);
      for (unsigned int j = 0; j < k; ++j)
      {
        const double   w = s.weights[i] * r[i * k + j];
        const double * mean = m.means.data() + j * d;
        double *       cov = t.data() + j * d * d;
        for (unsigned int a = 0; a < d; ++a)
        {
          for (unsigned int b = 0; b <= a; ++b)
          {
            cov[a * d + b] += w * (x[a] - mean[a]) * (x[b] - mean[b]);
          }
        }
      }
    }
  };
  const std::vector<double> scatter = BlockSums(s.Size(), k * d * d, threads, addScatter);
  for (unsigned int j = 0; j < k; ++j)
  {
    double * cov = m.covariances.data() + j * d * d;
    for (unsigned int a = 0; a < d; ++a)
    {
      for (unsigned int b = 0; b <= a; ++b)
      {
        cov[a * d + b] = scatter[j * d * d + a * d + b] / nk[j];
        cov[b * d + a] = cov[a * d + b];
      }
      cov[a * d + a] += floor[a];
    }
    m.weights[j] = nk[j] / s.totalWeight;
  }
}

/** ClassLogDensities() into `out`, already [n_samples, K]: EM's iterations reuse one buffer, where a new one
 * each time would be cleared and faulted in on one thread. */
void
ClassLogDensitiesInPlace(const GaussianMixtureModel & m, const FeatureSamples & s, unsigned int threads,
                         std::vector<double> & out)
{
  const unsigned int               d = m.dimension, k = m.classes;
  std::vector<std::vector<double>> factors(k);
  std::vector<double>              logDets(k);
  for (unsigned int j = 0; j < k; ++j)
  {
    logDets[j] = Cholesky(m.covariances.data() + j * d * d, d, factors[j]);
  }
  ParallelRanges(s.Size(), WorkUnits(s.Size(), threads, SumBlock), [&](size_t begin, size_t end, unsigned int) {
    for (size_t i = begin; i < end; ++i)
    {
      for (unsigned int j = 0; j < k; ++j)
      {
        out[i * k + j] = LogDensity(s.Sample(i), m.means.data() + j * d, factors[j], logDets[j], d);
      }
    }
  });
}

/** EM: an M-step from the responsibilities r, then E- and M-steps until the objective gains less than the tolerance.
 * Leaves the last posteriors in r. */
void
Iterate(GaussianMixtureModel & m, const FeatureSamples & s, std::vector<double> & r, const std::vector<double> & floor,
        const GaussianMixtureOptions & options, const MixtureEStep & eStep)
{
  Maximise(m, s, r, floor, options.threads);
  double previous = -std::numeric_limits<double>::infinity();
  m.objective.clear();
  for (m.iterations = 1; m.iterations <= options.maximumIterations; ++m.iterations)
  {
    ClassLogDensitiesInPlace(m, s, options.threads, r);
    m.logLikelihood = eStep(m, r);
    m.objective.push_back(m.logLikelihood);
    if (options.onIteration)
    {
      options.onIteration(m.iterations, m.logLikelihood);
    }
    if (m.logLikelihood - previous < options.tolerance)
    {
      break;
    }
    previous = m.logLikelihood;
    Maximise(m, s, r, floor, options.threads);
  }
  m.iterations = std::min(m.iterations, options.maximumIterations);
}

/** The independent mixture's E-step: p(k | x) ∝ mixing_k(i) N(x; μ_k, Σ_k), with mixing_k(i) = π_k unless `mixing`
 * gives it per sample (it returns the log, given sample i and class k); returns the mean log-likelihood. */
double
IndependentEStep(const GaussianMixtureModel & m, const FeatureSamples & s, std::vector<double> & r,
                 const std::function<double(size_t, unsigned int)> & logMixing, unsigned int threads)
{
  const unsigned int k = m.classes;
  const double       logLikelihood =
    BlockSums(s.Size(), 1, threads, [&](size_t begin, size_t end, std::vector<double> & t) {
      for (size_t i = begin; i < end; ++i)
      {
        double * row = r.data() + i * k;
        for (unsigned int j = 0; j < k; ++j)
        {
          row[j] += logMixing ? logMixing(i, j) : std::log(m.weights[j]);
        }
        t[0] += s.weights[i] * NormaliseRow(row, k);
      }
    })[0];
  return logLikelihood / s.totalWeight;
}

/** Covariance floor: 1e-4 of the data's variance per axis. */
std::vector<double>
CovarianceFloor(const FeatureSamples & s)
{
  const unsigned int  d = s.dimension;
  std::vector<double> mean(d, 0.0), floor(d, 0.0);
  for (size_t i = 0; i < s.Size(); ++i)
  {
    for (unsigned int a = 0; a < d; ++a)
    {
      mean[a] += s.weights[i] * s.Sample(i)[a] / s.totalWeight;
    }
  }
  for (size_t i = 0; i < s.Size(); ++i)
  {
    for (unsigned int a = 0; a < d; ++a)
    {
      const double t = s.Sample(i)[a] - mean[a];
      floor[a] += s.weights[i] * t * t / s.totalWeight;
    }
  }
  for (auto & f : floor)
  {
    f = std::max(1e-4 * f, 1e-12);
  }

  return floor;
}

/** A model of k classes over d channels with empty parameters. */
GaussianMixtureModel
EmptyModel(unsigned int d, unsigned int k)
{
  if (d > 16)
  {
    throw Error("Gaussian mixture", "at most 16 feature channels are supported (got " + std::to_string(d) + ")");
  }
  GaussianMixtureModel m;
  m.dimension = d;
  m.classes = k;
  m.weights.assign(k, 1.0 / k);
  m.means.assign(k * d, 0.0);
  m.covariances.assign(k * d * d, 0.0);
  return m;
}
} // namespace

std::vector<double>
ClassLogDensities(const GaussianMixtureModel & m, const FeatureSamples & s, unsigned int threads)
{
  std::vector<double> out(s.Size() * m.classes);
  ClassLogDensitiesInPlace(m, s, threads, out);
  return out;
}

GaussianMixtureModel
FitGaussianMixtureWithEStep(const FeatureSamples & s, unsigned int classes, std::vector<double> & r,
                            const GaussianMixtureOptions & options, const MixtureEStep & eStep)
{
  GaussianMixtureModel m = EmptyModel(s.dimension, classes);
  Iterate(m, s, r, CovarianceFloor(s), options, eStep);
  return m;
}

std::vector<float>
GaussianMixtureModel::Posteriors(const FeatureSamples & samples, unsigned int threads) const
{
  std::vector<double> r = ClassLogDensities(*this, samples, threads);
  IndependentEStep(*this, samples, r, nullptr, threads);
  return std::vector<float>(r.begin(), r.end());
}

GaussianMixtureModel
FitGaussianMixture(const FeatureSamples & s, const KMeansResult & initial, const GaussianMixtureOptions & options)
{
  const unsigned int   d = s.dimension, k = initial.classes;
  GaussianMixtureModel m = EmptyModel(d, k);

  const std::vector<double> floor = CovarianceFloor(s);

  // Initialise from the hard k-means partition.
  std::vector<double> r(s.Size() * k, 0.0);
  for (size_t i = 0; i < s.Size(); ++i)
  {
    r[i * k + initial.assignment[i]] = 1.0;
  }
  Iterate(m, s, r, floor, options,
          [&](const GaussianMixtureModel & model, std::vector<double> & lr) {
            return IndependentEStep(model, s, lr, nullptr, options.threads);
          });

  SortComponentsByLuminance(m); // as k-means numbers its clusters
  return m;
}

std::vector<unsigned int>
SortComponentsByLuminance(GaussianMixtureModel & m)
{
  const unsigned int        d = m.dimension, k = m.classes;
  std::vector<unsigned int> order(k);
  std::iota(order.begin(), order.end(), 0u);
  const std::vector<float> means(m.means.begin(), m.means.end());
  std::stable_sort(order.begin(), order.end(),
                   [&](unsigned a, unsigned b) { return Luminance(&means[a * d], d) < Luminance(&means[b * d], d); });
  const GaussianMixtureModel old = m;
  for (unsigned int j = 0; j < k; ++j)
  {
    m.weights[j] = old.weights[order[j]];
    std::copy_n(old.means.begin() + order[j] * d, d, m.means.begin() + j * d);
    std::copy_n(old.covariances.begin() + order[j] * d * d, d * d, m.covariances.begin() + j * d * d);
  }
  return order;
}

GaussianMixtureModel
FitGaussianMixtureWithPriors(const FeatureSamples & s, const std::vector<float> & priors, unsigned int k,
                             double weight, const GaussianMixtureOptions & options, std::vector<float> & posteriors)
{
  if (!(weight >= 0 && weight <= 1))
  {
    throw Error("prior-weight", "must lie in [0, 1]");
  }
  const size_t         n = s.Size();
  GaussianMixtureModel m = EmptyModel(s.dimension, k);
  const auto           floor = CovarianceFloor(s);
  // Responsibilities start as the priors themselves.
  std::vector<double> q(n * k);
  for (size_t i = 0; i < n; ++i)
  {
    double sum = 0;
    for (unsigned int j = 0; j < k; ++j)
      sum += priors[i * k + j];
    for (unsigned int j = 0; j < k; ++j)
      q[i * k + j] = sum > 0 ? priors[i * k + j] / sum : 1.0 / k;
  }
  std::vector<double> r = q;
  Iterate(m, s, r, floor, options, [&](const GaussianMixtureModel & model, std::vector<double> & lr) {
    return IndependentEStep(model, s, lr, [&](size_t i, unsigned int j) {
      const double mixing = (1 - weight) * model.weights[j] + weight * q[i * k + j];
      return mixing > 0 ? std::log(mixing) : -std::numeric_limits<double>::infinity();
    }, options.threads);
  });
  posteriors.assign(r.begin(), r.end());
  return m;
}
} // namespace tessera
