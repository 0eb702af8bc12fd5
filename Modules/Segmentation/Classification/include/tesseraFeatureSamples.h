#ifndef tesseraFeatureSamples_h
#define tesseraFeatureSamples_h

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace tessera
{
/** The distinct feature vectors of a set of pixels, each weighted by how many pixels share it.
 * Medical and natural images hold far fewer distinct values than voxels (a 1.5-million-voxel
 * int16 brain has a few thousand), and k-means, EM and kNN give exactly the same result on
 * weighted distinct samples as on the raw pixels, at a fraction of the cost. */
struct FeatureSamples
{
  unsigned int          dimension = 0;
  std::vector<float>    values;  ///< [n_distinct, dimension], row-major, in order of first appearance (raster order)
  std::vector<double>   weights; ///< [n_distinct], pixels per distinct vector
  /** [n_pixels]: index into values, or Outside. Empty when FromPixels took the histogram path with
   * indexPixels = false: pixels are then looked up by value through sampleOfValue. */
  std::vector<uint32_t> sampleOfPixel;
  /** Histogram path only: [highest − lowest + 1], the sample of each integer value v at v − lowestValue, or
   * Outside for values no pixel in the mask has; empty when the samples were hashed. */
  std::vector<uint32_t> sampleOfValue;
  int32_t               lowestValue = 0; ///< the value of sampleOfValue[0]
  double                totalWeight = 0.0;

  static constexpr uint32_t Outside = UINT32_MAX;

  /** Groups pixels by exact feature value. One channel whose values inside the mask are all integers in
   * [HistogramLow, HistogramHigh] (8- and 16-bit images read as float) takes the histogram path: counts per value
   * in two passes over the pixels, split among `threads` work units. Anything else is hashed (open addressing,
   * one pass on one thread). Both give the same samples in the same order (first appearance in raster order),
   * except that the histogram path counts −0 and 0 as one value.
   * \param features [n_pixels, dimension] row-major; \param mask [n_pixels], nullptr = all inside;
   * \param threads work units (0 = ITK's global default); \param indexPixels false: on the histogram path,
   * leave sampleOfPixel empty (saves writing 4 bytes per pixel; use sampleOfValue). */
  static FeatureSamples FromPixels(const float * features, size_t nPixels, unsigned int dimension,
                                   const uint8_t * mask, unsigned int threads = 0, bool indexPixels = true);

  /** One sample of weight 1 per pixel inside the mask, in raster order (for models whose labels depend on the
   * pixel's position: spatial priors, Markov chains and fields). Same arguments as FromPixels. */
  static FeatureSamples PerPixel(const float * features, size_t nPixels, unsigned int dimension, const uint8_t * mask);

  static constexpr int32_t HistogramLow = -32768; ///< lowest value of the histogram path (int16's)
  static constexpr int32_t HistogramHigh = 65535; ///< highest value of the histogram path (uint16's)

  size_t       Size() const { return weights.size(); }
  const float * Sample(size_t i) const { return values.data() + i * dimension; }
};

/** Visits the pixels [begin, end) of a mask (nullptr = all inside): inside(p) for each pixel whose mask byte is not 0,
 * until it returns false, and outside(first, last) for runs of pixels outside. Masks of volumes are mostly long runs
 * of 0 (72% of a brain volume's voxels), which are skipped 8 bytes at a time. Returns false when inside() did. */
template <typename FInside, typename FOutside>
bool
VisitMask(const uint8_t * mask, size_t begin, size_t end, FInside && inside, FOutside && outside)
{
  for (size_t p = begin; p < end;)
  {
    uint64_t eight = 1;
    if (mask && p + 8 <= end)
    {
      std::memcpy(&eight, mask + p, 8);
    }
    if (eight == 0)
    {
      outside(p, p + 8);
      p += 8;
    }
    else if (mask && !mask[p])
    {
      outside(p, p + 1);
      ++p;
    }
    else if (!inside(p++))
    {
      return false;
    }
  }
  return true;
}

/** Brightness of a feature vector, used to number unsupervised classes by increasing
 * intensity: the value itself for one channel, Rec. 601 luma (0.299 R + 0.587 G + 0.114 B)
 * for three, the channel mean otherwise. */
double Luminance(const float * v, unsigned int dimension);
} // namespace tessera

#endif
