#ifndef tesseraFeatureSamples_h
#define tesseraFeatureSamples_h

#include <cstddef>
#include <cstdint>
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
  std::vector<float>    values;  ///< [n_distinct, dimension], row-major
  std::vector<double>   weights; ///< [n_distinct], pixels per distinct vector
  std::vector<uint32_t> sampleOfPixel; ///< [n_pixels]: index into values, or Outside
  double                totalWeight = 0.0;

  static constexpr uint32_t Outside = UINT32_MAX;

  /** Groups pixels by exact feature value.
   * \param features [n_pixels, dimension] row-major; \param mask [n_pixels], nullptr = all inside. */
  static FeatureSamples FromPixels(const float * features, size_t nPixels, unsigned int dimension,
                                   const uint8_t * mask);

  /** One sample of weight 1 per pixel inside the mask, in raster order (for models whose labels depend on the
   * pixel's position: spatial priors, Markov chains and fields). Same arguments as FromPixels. */
  static FeatureSamples PerPixel(const float * features, size_t nPixels, unsigned int dimension, const uint8_t * mask);

  size_t       Size() const { return weights.size(); }
  const float * Sample(size_t i) const { return values.data() + i * dimension; }
};

/** Brightness of a feature vector, used to number unsupervised classes by increasing
 * intensity: the value itself for one channel, Rec. 601 luma (0.299 R + 0.587 G + 0.114 B)
 * for three, the channel mean otherwise. */
double Luminance(const float * v, unsigned int dimension);
} // namespace tessera

#endif
