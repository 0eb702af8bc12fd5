#include "tesseraFeatureSamples.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <tuple>

#include "tesseraParallelRanges.h"

namespace tessera
{
namespace
{
uint64_t
HashVector(const float * v, unsigned int d)
{
  uint64_t h = 1469598103934665603ull; // FNV-1a over the bit patterns, then a final mix
  for (unsigned int i = 0; i < d; ++i)
  {
    uint32_t bits;
    std::memcpy(&bits, v + i, sizeof bits);
    h = (h ^ bits) * 1099511628211ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

/** The hashing path: one pass, any dimension and values. */
FeatureSamples
Hashed(const float * features, size_t nPixels, unsigned int dimension, const uint8_t * mask)
{
  constexpr uint32_t Outside = FeatureSamples::Outside;
  FeatureSamples     s;
  s.dimension = dimension;
  s.sampleOfPixel.assign(nPixels, Outside);
  // Open addressing with linear probing; the table grows to keep its load under 1/2.
  std::vector<uint32_t> table(1024, Outside);
  size_t                tableMask = table.size() - 1;
  auto                  insert = [&](uint32_t sample, const float * v) {
    size_t slot = HashVector(v, dimension) & tableMask;
    while (table[slot] != Outside)
    {
      slot = (slot + 1) & tableMask;
    }
    table[slot] = sample;
  };
  for (size_t p = 0; p < nPixels; ++p)
  {
    if (mask && !mask[p])
    {
      continue;
    }
    const float * v = features + p * dimension;
    size_t        slot = HashVector(v, dimension) & tableMask;
    uint32_t      found = Outside;
    while (table[slot] != Outside)
    {
      if (std::memcmp(s.Sample(table[slot]), v, dimension * sizeof(float)) == 0)
      {
        found = table[slot];
        break;
      }
      slot = (slot + 1) & tableMask;
    }
    if (found == Outside)
    {
      found = static_cast<uint32_t>(s.weights.size());
      s.values.insert(s.values.end(), v, v + dimension);
      s.weights.push_back(0.0);
      table[slot] = found;
      if (2 * s.weights.size() > table.size())
      {
        table.assign(table.size() * 4, Outside);
        tableMask = table.size() - 1;
        for (uint32_t i = 0; i < s.weights.size(); ++i)
        {
          insert(i, s.Sample(i));
        }
      }
    }
    s.weights[found] += 1.0;
    s.sampleOfPixel[p] = found;
  }
  return s;
}

/** The histogram path, or false when a value inside the mask is not an integer in [HistogramLow, HistogramHigh].
 * Pass 1 counts each value and finds its first pixel, per work unit (units cover consecutive pixel ranges, so the
 * first unit that saw a value holds its first pixel); pass 2 (if asked) writes sampleOfPixel. */
bool
Histogram(const float * x, size_t nPixels, const uint8_t * mask, unsigned int units, bool indexPixels,
          FeatureSamples & s)
{
  constexpr int32_t Low = FeatureSamples::HistogramLow, High = FeatureSamples::HistogramHigh;
  constexpr size_t  bins = High - Low + 1;
  std::vector<std::vector<uint32_t>> counts(units);
  std::vector<std::unique_ptr<size_t[]>> first(units); // read only where the count is not 0
  std::vector<char> integral(units, 1);
  ParallelRanges(nPixels, units, [&](size_t begin, size_t end, unsigned int u) {
    counts[u].assign(bins, 0);
    first[u].reset(new size_t[bins]);
    uint32_t * count = counts[u].data();
    size_t *   at = first[u].get();
    integral[u] = VisitMask(
      mask, begin, end,
      [&](size_t p) {
        const float v = x[p];
        if (!(v >= Low && v <= High) || static_cast<float>(static_cast<int32_t>(v)) != v)
        {
          return false;
        }
        const size_t bin = static_cast<size_t>(static_cast<int32_t>(v) - Low);
        if (count[bin]++ == 0)
        {
          at[bin] = p;
        }
        return true;
      },
      [](size_t, size_t) {});
  });
  if (std::find(integral.begin(), integral.end(), 0) != integral.end())
  {
    return false;
  }
  std::vector<std::tuple<size_t, size_t, double>> present; // (first pixel, bin, pixels) of the values seen
  for (size_t bin = 0; bin < bins; ++bin)
  {
    double pixels = 0.0;
    size_t firstPixel = 0;
    for (unsigned int u = 0; u < units; ++u)
    {
      if (counts[u][bin])
      {
        firstPixel = pixels == 0.0 ? first[u][bin] : firstPixel;
        pixels += counts[u][bin];
      }
    }
    if (pixels > 0.0)
    {
      present.emplace_back(firstPixel, bin, pixels);
    }
  }
  if (present.empty())
  {
    return true;
  }
  const size_t lowest = std::get<1>(present.front()), highest = std::get<1>(present.back());
  std::sort(present.begin(), present.end());
  s.lowestValue = static_cast<int32_t>(lowest) + Low;
  s.sampleOfValue.assign(highest - lowest + 1, FeatureSamples::Outside);
  for (const auto & [p, bin, pixels] : present)
  {
    s.sampleOfValue[bin - lowest] = static_cast<uint32_t>(s.weights.size());
    s.values.push_back(x[p]);
    s.weights.push_back(pixels);
  }
  if (indexPixels)
  {
    s.sampleOfPixel.resize(nPixels);
    ParallelRanges(nPixels, units, [&](size_t begin, size_t end, unsigned int) {
      uint32_t * sampleOfPixel = s.sampleOfPixel.data();
      VisitMask(
        mask, begin, end,
        [&](size_t p) {
          sampleOfPixel[p] = s.sampleOfValue[static_cast<int32_t>(x[p]) - s.lowestValue];
          return true;
        },
        [&](size_t from, size_t to) { std::fill(sampleOfPixel + from, sampleOfPixel + to, FeatureSamples::Outside); });
    });
  }
  return true;
}
} // namespace

FeatureSamples
FeatureSamples::FromPixels(const float * features, size_t nPixels, unsigned int dimension, const uint8_t * mask,
                           unsigned int threads, bool indexPixels)
{
  FeatureSamples s;
  s.dimension = dimension;
  if (dimension != 1 || !Histogram(features, nPixels, mask, WorkUnits(nPixels, threads, 1 << 16), indexPixels, s))
  {
    s = Hashed(features, nPixels, dimension, mask);
  }
  s.totalWeight = 0.0;
  for (double w : s.weights)
  {
    s.totalWeight += w;
  }
  return s;
}

FeatureSamples
FeatureSamples::PerPixel(const float * features, size_t nPixels, unsigned int dimension, const uint8_t * mask)
{
  FeatureSamples s;
  s.dimension = dimension;
  s.sampleOfPixel.assign(nPixels, Outside);
  for (size_t p = 0; p < nPixels; ++p)
  {
    if (mask && !mask[p])
    {
      continue;
    }
    s.sampleOfPixel[p] = static_cast<uint32_t>(s.weights.size());
    s.values.insert(s.values.end(), features + p * dimension, features + (p + 1) * dimension);
    s.weights.push_back(1.0);
  }
  s.totalWeight = static_cast<double>(s.weights.size());
  return s;
}

double
Luminance(const float * v, unsigned int dimension)
{
  if (dimension == 1)
  {
    return v[0];
  }
  if (dimension == 3)
  {
    return 0.299 * v[0] + 0.587 * v[1] + 0.114 * v[2];
  }
  double sum = 0.0;
  for (unsigned int i = 0; i < dimension; ++i)
  {
    sum += v[i];
  }
  return sum / dimension;
}
} // namespace tessera
