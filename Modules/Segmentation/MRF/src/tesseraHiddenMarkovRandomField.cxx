#include "tesseraHiddenMarkovRandomField.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>

#include "tesseraError.h"
#include "tesseraParallelRanges.h"

namespace tessera
{
PixelNeighbours
PixelNeighbours::Faces(const std::vector<size_t> & size, const std::vector<double> & spacing,
                       const std::vector<uint32_t> & sampleOfPixel)
{
  const size_t    d = size.size();
  PixelNeighbours g;
  g.slots = static_cast<unsigned int>(2 * d);
  const double finest = *std::min_element(spacing.begin(), spacing.end());
  for (size_t a = 0; a < d; ++a)
  {
    g.weights.push_back(static_cast<float>(finest / spacing[a]));
    g.weights.push_back(static_cast<float>(finest / spacing[a]));
  }
  size_t samples = 0;
  for (const auto s : sampleOfPixel)
    samples += s != FeatureSamples::Outside;
  g.indices.assign(samples * g.slots, FeatureSamples::Outside);
  g.colour.assign(samples, 0);
  std::vector<size_t> stride(d, 1), index(d, 0);
  for (size_t a = 1; a < d; ++a)
    stride[a] = stride[a - 1] * size[a - 1];
  for (size_t p = 0; p < sampleOfPixel.size(); ++p)
  {
    const uint32_t s = sampleOfPixel[p];
    if (s != FeatureSamples::Outside)
    {
      size_t parity = 0;
      for (size_t a = 0; a < d; ++a)
      {
        parity += index[a];
        if (index[a] > 0)
          g.indices[s * g.slots + 2 * a] = sampleOfPixel[p - stride[a]];
        if (index[a] + 1 < size[a])
          g.indices[s * g.slots + 2 * a + 1] = sampleOfPixel[p + stride[a]];
      }
      g.colour[s] = parity % 2;
    }
    for (size_t a = 0; a < d && ++index[a] == size[a]; ++a)
      index[a] = 0;
  }
  return g;
}

GaussianMixtureModel
FitHiddenMarkovRandomField(const FeatureSamples & samples, const PixelNeighbours & g, std::vector<double> & r,
                           const GaussianMixtureOptions & options, const HiddenMarkovRandomFieldSettings & settings)
{
  const size_t n = samples.Size();
  if (!(settings.smoothness >= 0) || settings.sweeps == 0)
  {
    throw Error("hidden Markov random field", "needs smoothness >= 0 and at least one sweep");
  }
  if (n == 0 || r.size() % n || g.colour.size() != n)
  {
    throw Error("hidden Markov random field", "inconsistent sizes of samples, neighbours and responsibilities");
  }
  const unsigned int  k = static_cast<unsigned int>(r.size() / n);
  const double        beta = settings.smoothness, w = settings.priorWeight;
  std::vector<double> q = r;
  // The external field's log, tabled once [n, K] with priors (a constant without): every sweep reads it.
  const auto          logOf = [](double h) { return h > 0 ? std::log(h) : -std::numeric_limits<double>::infinity(); };
  const double        uniformLogField = logOf(1.0 / k);
  std::vector<double> logFieldTable(settings.priors ? n * k : 0);
  for (size_t i = 0; i < logFieldTable.size(); ++i)
    logFieldTable[i] = logOf((1 - w) / k + w * settings.priors[i]);
  const auto logField = [&](size_t i, unsigned int j) {
    return settings.priors ? logFieldTable[i * k + j] : uniformLogField;
  };
  // Σ_j w_ij q_jk over the face neighbours j of sample i.
  const auto neighbourhood = [&](size_t i, unsigned int j) {
    double sum = 0.0;
    for (unsigned int s = 0; s < g.slots; ++s)
    {
      const uint32_t nb = g.indices[i * g.slots + s];
      if (nb != FeatureSamples::Outside)
        sum += g.weights[s] * q[nb * k + j];
    }
    return sum;
  };
  // Work in fixed blocks on ITK's threads: a colour's samples have no neighbours of that colour, so their updates
  // are independent, and sums are added block by block, so results do not depend on the number of threads.
  constexpr size_t block = 16384;
  const size_t     blocks = (n + block - 1) / block;
  // One range of blocks per thread (ITK's ParallelizeArray would make four per thread, which its pool runs beside
  // the calling thread: one thread more than asked for).
  const unsigned int units = static_cast<unsigned int>(std::min<size_t>(blocks, WorkUnits(n, 0, 2 * block)));
  const auto         inBlocks = [&](const std::function<void(size_t, size_t, size_t)> & f) {
    ParallelRanges(blocks, units, [&](size_t first, size_t last, unsigned int) {
      for (size_t b = first; b < last; ++b)
        f(b, b * block, std::min(n, (b + 1) * block));
    });
  };
  const auto eStep = [&](const GaussianMixtureModel &, std::vector<double> & logDensity) {
    for (unsigned int sweep = 0; sweep < settings.sweeps; ++sweep)
      for (uint8_t colour = 0; colour < 2; ++colour)
        inBlocks([&](size_t, size_t begin, size_t end) {
          std::vector<double> u(k);
          for (size_t i = begin; i < end; ++i)
          {
            if (g.colour[i] != colour)
              continue;
            for (unsigned int j = 0; j < k; ++j)
              u[j] = logDensity[i * k + j] + logField(i, j) + beta * neighbourhood(i, j);
            const double top = *std::max_element(u.begin(), u.end());
            double       sum = 0.0;
            for (unsigned int j = 0; j < k; ++j)
              sum += (u[j] = std::exp(u[j] - top));
            for (unsigned int j = 0; j < k; ++j)
              q[i * k + j] = u[j] / sum;
          }
        });
    // F(q, θ): each neighbour pair is seen from both ends, hence β / 2.
    std::vector<double> partial(blocks, 0.0);
    inBlocks([&](size_t b, size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i)
        for (unsigned int j = 0; j < k; ++j)
        {
          const double qij = q[i * k + j];
          if (qij > 0)
            partial[b] += qij * (logDensity[i * k + j] + logField(i, j) - std::log(qij) + 0.5 * beta * neighbourhood(i, j));
        }
    });
    inBlocks([&](size_t, size_t begin, size_t end) {
      std::copy(q.begin() + begin * k, q.begin() + end * k, logDensity.begin() + begin * k);
    });
    return std::accumulate(partial.begin(), partial.end(), 0.0) / n;
  };
  return FitGaussianMixtureWithEStep(samples, k, r, options, eStep);
}
} // namespace tessera
