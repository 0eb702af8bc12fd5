#include "tesseraKMeans.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "tesseraError.h"
#include "tesseraParallelRanges.h"

namespace tessera
{
namespace
{
/** ‖x − c‖² over d channels; D > 0 fixes d at compile time, so that the loop unrolls (same sums in the same order). */
template <unsigned int D = 0>
double
SquaredDistance(const float * x, const double * c, unsigned int d)
{
  double s = 0.0;
  for (unsigned int i = 0; i < (D ? D : d); ++i)
  {
    const double t = x[i] - c[i];
    s += t * t;
  }
  return s;
}

/** Offsets in the sums of one Lloyd iteration: [K·d] weighted sums of each cluster's samples, [K] its weight, then
 * the inertia and the number of assignment changes. */
struct LloydSums
{
  size_t weights, inertia, changes, size;
  LloydSums(unsigned int k, unsigned int d)
    : weights(k * d)
    , inertia(k * d + k)
    , changes(k * d + k + 1)
    , size(k * d + k + 2)
  {}
};

/** Assigns the samples [begin, end) to their nearest centroid and adds them into the sums t (see LloydSums); D as in
 * SquaredDistance, for one-channel and colour images. */
template <unsigned int D>
void
AssignAndSum(const FeatureSamples & s, const std::vector<double> & centroids, unsigned int k, size_t begin, size_t end,
             std::vector<uint32_t> & assignment, std::vector<double> & t)
{
  const unsigned int d = D ? D : s.dimension;
  const LloydSums    at(k, d);
  double             inertia = 0.0, changes = 0.0;
  for (size_t i = begin; i < end; ++i)
  {
    const float * x = s.Sample(i);
    uint32_t      best = 0;
    double        bestDistance = SquaredDistance<D>(x, centroids.data(), d);
    for (uint32_t j = 1; j < k; ++j)
    {
      const double dist = SquaredDistance<D>(x, centroids.data() + j * d, d);
      if (dist < bestDistance)
      {
        bestDistance = dist;
        best = j;
      }
    }
    changes += assignment[i] != best;
    assignment[i] = best;
    inertia += s.weights[i] * bestDistance;
    t[at.weights + best] += s.weights[i];
    for (unsigned int a = 0; a < d; ++a)
    {
      t[best * d + a] += s.weights[i] * x[a];
    }
  }
  t[at.inertia] += inertia;
  t[at.changes] += changes;
}

std::vector<double>
PlusPlusSeeds(const FeatureSamples & s, unsigned int k, std::mt19937_64 & rng)
{
  const unsigned int  d = s.dimension;
  const size_t        n = s.Size();
  std::vector<double> centroids;
  std::discrete_distribution<size_t> first(s.weights.begin(), s.weights.end());
  const size_t c0 = first(rng);
  centroids.assign(s.Sample(c0), s.Sample(c0) + d);
  std::vector<double> closest(n);
  for (size_t i = 0; i < n; ++i)
  {
    closest[i] = s.weights[i] * SquaredDistance(s.Sample(i), centroids.data(), d);
  }
  const unsigned int trials = 2 + static_cast<unsigned int>(std::log(k));
  std::vector<double> candidate(n);
  for (unsigned int c = 1; c < k; ++c)
  {
    std::vector<double> cumulative(n);
    std::partial_sum(closest.begin(), closest.end(), cumulative.begin());
    const double total = cumulative.back();
    size_t       best = 0;
    double       bestPotential = std::numeric_limits<double>::infinity();
    std::vector<double> bestClosest;
    for (unsigned int t = 0; t < trials; ++t)
    {
      const double r = std::uniform_real_distribution<double>(0.0, total)(rng);
      const size_t pick = std::min<size_t>(n - 1, std::upper_bound(cumulative.begin(), cumulative.end(), r) - cumulative.begin());
      const std::vector<double> centre(s.Sample(pick), s.Sample(pick) + d);
      double potential = 0.0;
      for (size_t i = 0; i < n; ++i)
      {
        candidate[i] = std::min(closest[i], s.weights[i] * SquaredDistance(s.Sample(i), centre.data(), d));
        potential += candidate[i];
      }
      if (potential < bestPotential)
      {
        bestPotential = potential;
        best = pick;
        bestClosest = candidate;
      }
    }
    centroids.insert(centroids.end(), s.Sample(best), s.Sample(best) + d);
    closest.swap(bestClosest);
  }
  return centroids;
}

/** One assignment pass over all samples, in fixed blocks on `threads` work units: the LloydSums of the new
 * assignment. */
std::vector<double>
AssignAll(const FeatureSamples & s, const std::vector<double> & centroids, unsigned int k, unsigned int threads,
          std::vector<uint32_t> & assignment)
{
  return BlockSums(s.Size(), LloydSums(k, s.dimension).size, threads,
                   [&](size_t begin, size_t end, std::vector<double> & t) {
                     switch (s.dimension)
                     {
                       case 1: AssignAndSum<1>(s, centroids, k, begin, end, assignment, t); break;
                       case 3: AssignAndSum<3>(s, centroids, k, begin, end, assignment, t); break;
                       default: AssignAndSum<0>(s, centroids, k, begin, end, assignment, t);
                     }
                   });
}

KMeansResult
Lloyd(const FeatureSamples & s, std::vector<double> centroids, const KMeansOptions & o)
{
  const unsigned int d = s.dimension, k = o.classes;
  const size_t       n = s.Size();
  KMeansResult       r;
  r.dimension = d;
  r.classes = k;
  r.assignment.assign(n, UINT32_MAX);
  const LloydSums    at(k, d);
  for (r.iterations = 1; r.iterations <= o.maximumIterations; ++r.iterations)
  {
    const std::vector<double> sums = AssignAll(s, centroids, k, o.threads, r.assignment);
    r.inertia = sums[at.inertia];
    if (sums[at.changes] == 0)
    {
      break; // centroids are already the means of this assignment
    }
    for (uint32_t j = 0; j < k; ++j)
    {
      const double count = sums[at.weights + j];
      if (count == 0.0)
      {
        // Re-seed an empty cluster at the sample farthest from its centre.
        size_t far = 0;
        double farDistance = -1.0;
        for (size_t i = 0; i < n; ++i)
        {
          const double dist = SquaredDistance(s.Sample(i), centroids.data() + r.assignment[i] * d, d);
          if (dist > farDistance)
          {
            farDistance = dist;
            far = i;
          }
        }
        std::copy(s.Sample(far), s.Sample(far) + d, centroids.begin() + j * d);
        r.assignment[far] = j;
        continue;
      }
      for (unsigned int a = 0; a < d; ++a)
      {
        centroids[j * d + a] = sums[j * d + a] / count;
      }
    }
  }
  r.iterations = std::min(r.iterations, o.maximumIterations);
  r.centroids = std::move(centroids);
  return r;
}

/** Renumbers clusters by increasing centroid luminance. */
void
OrderByLuminance(KMeansResult & r)
{
  const unsigned int    d = r.dimension;
  std::vector<uint32_t> order(r.classes);
  std::iota(order.begin(), order.end(), 0u);
  std::vector<float> c(r.centroids.begin(), r.centroids.end());
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return Luminance(&c[a * d], d) < Luminance(&c[b * d], d); });
  std::vector<uint32_t> rank(r.classes);
  std::vector<double>   sorted(r.centroids.size());
  for (uint32_t j = 0; j < r.classes; ++j)
  {
    rank[order[j]] = j;
    std::copy(r.centroids.begin() + order[j] * d, r.centroids.begin() + (order[j] + 1) * d, sorted.begin() + j * d);
  }
  r.centroids.swap(sorted);
  for (auto & a : r.assignment)
  {
    a = rank[a];
  }
}
} // namespace

KMeansResult
KMeans(const FeatureSamples & samples, const KMeansOptions & options)
{
  if (options.classes < 2)
  {
    throw Error("classes", "must be at least 2 (got " + std::to_string(options.classes) + ")");
  }
  if (options.classes > samples.Size())
  {
    throw Error("classes", std::to_string(options.classes) + " classes asked, but the image has only " +
                               std::to_string(samples.Size()) + " distinct value(s) inside the mask");
  }
  std::mt19937_64 rng(options.seed);
  KMeansResult    best;
  best.inertia = std::numeric_limits<double>::infinity();
  for (unsigned int start = 0; start < std::max(1u, options.restarts); ++start)
  {
    KMeansResult r = Lloyd(samples, PlusPlusSeeds(samples, options.classes, rng), options);
    if (r.inertia < best.inertia)
    {
      best = std::move(r);
    }
  }
  OrderByLuminance(best);
  return best;
}

KMeansResult
AssignToCentroids(const FeatureSamples & samples, const KMeansResult & model, unsigned int threads)
{
  if (model.dimension != samples.dimension)
  {
    throw Error("model", "centroids of " + std::to_string(model.dimension) + " channel(s) for an image of " +
                           std::to_string(samples.dimension));
  }
  KMeansResult r;
  r.dimension = model.dimension;
  r.classes = model.classes;
  r.centroids = model.centroids;
  r.assignment.assign(samples.Size(), UINT32_MAX);
  r.inertia = AssignAll(samples, r.centroids, r.classes, threads, r.assignment)[LloydSums(r.classes, r.dimension).inertia];
  return r;
}

std::vector<float>
KMeansMemberships(const FeatureSamples & s, const KMeansResult & r, bool soft)
{
  const unsigned int k = r.classes, d = r.dimension;
  std::vector<float> p(s.Size() * k, 0.0f);
  const double       variance = std::max(r.inertia / std::max(1.0, s.totalWeight), 1e-12);
  std::vector<double> dist(k);
  for (size_t i = 0; i < s.Size(); ++i)
  {
    if (!soft)
    {
      p[i * k + r.assignment[i]] = 1.0f;
      continue;
    }
    double lowest = std::numeric_limits<double>::infinity();
    for (unsigned int j = 0; j < k; ++j)
    {
      dist[j] = SquaredDistance(s.Sample(i), r.centroids.data() + j * d, d);
      lowest = std::min(lowest, dist[j]);
    }
    double sum = 0.0;
    for (unsigned int j = 0; j < k; ++j)
    {
      dist[j] = std::exp(-(dist[j] - lowest) / (2.0 * variance));
      sum += dist[j];
    }
    for (unsigned int j = 0; j < k; ++j)
    {
      p[i * k + j] = static_cast<float>(dist[j] / sum);
    }
  }
  return p;
}
} // namespace tessera
