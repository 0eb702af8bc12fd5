#include "tesseraFeatureSamples.h"

#include <cstring>

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
} // namespace

FeatureSamples
FeatureSamples::FromPixels(const float * features, size_t nPixels, unsigned int dimension, const uint8_t * mask)
{
  FeatureSamples s;
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
