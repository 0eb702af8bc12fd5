#include "tesseraHiddenMarkovRandomField.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tesseraError.h"

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
  std::vector<double> q = r, u(k);
  const auto          logField = [&](const GaussianMixtureModel & m, size_t i, unsigned int j) {
    const double h = settings.priors ? (1 - w) / k + w * settings.priors[i * k + j] : 1.0 / k;
    return h > 0 ? std::log(h) : -std::numeric_limits<double>::infinity();
  };
  const auto eStep = [&](const GaussianMixtureModel & m, std::vector<double> & logDensity) {
    for (unsigned int sweep = 0; sweep < settings.sweeps; ++sweep)
      for (uint8_t colour = 0; colour < 2; ++colour)
        for (size_t i = 0; i < n; ++i)
        {
          if (g.colour[i] != colour)
            continue;
          for (unsigned int j = 0; j < k; ++j)
          {
            double field = 0.0;
            for (unsigned int s = 0; s < g.slots; ++s)
            {
              const uint32_t nb = g.indices[i * g.slots + s];
              if (nb != FeatureSamples::Outside)
                field += g.weights[s] * q[nb * k + j];
            }
            u[j] = logDensity[i * k + j] + logField(m, i, j) + beta * field;
          }
          const double top = *std::max_element(u.begin(), u.end());
          double       sum = 0.0;
          for (unsigned int j = 0; j < k; ++j)
            sum += (u[j] = std::exp(u[j] - top));
          for (unsigned int j = 0; j < k; ++j)
            q[i * k + j] = u[j] / sum;
        }
    // F(q, θ): each neighbour pair is seen from both ends, hence β / 2.
    double f = 0.0;
    for (size_t i = 0; i < n; ++i)
      for (unsigned int j = 0; j < k; ++j)
      {
        const double qij = q[i * k + j];
        if (qij <= 0)
          continue;
        double agree = 0.0;
        for (unsigned int s = 0; s < g.slots; ++s)
        {
          const uint32_t nb = g.indices[i * g.slots + s];
          if (nb != FeatureSamples::Outside)
            agree += g.weights[s] * q[nb * k + j];
        }
        f += qij * (logDensity[i * k + j] + logField(m, i, j) - std::log(qij) + 0.5 * beta * agree);
      }
    logDensity = q;
    return f / n;
  };
  return FitGaussianMixtureWithEStep(samples, k, r, options, eStep);
}
} // namespace tessera
