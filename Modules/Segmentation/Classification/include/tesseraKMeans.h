#ifndef tesseraKMeans_h
#define tesseraKMeans_h

#include <vector>

#include "tesseraFeatureSamples.h"

namespace tessera
{
struct KMeansOptions
{
  unsigned int classes = 3;          ///< K ≥ 2
  unsigned int restarts = 3;         ///< independent k-means++ starts; the lowest inertia wins
  unsigned int maximumIterations = 300;
  unsigned int seed = 0;
  unsigned int threads = 0;          ///< work units; 0 = ITK's global default (all cores or `--threads`)
};

struct KMeansResult
{
  unsigned int          dimension = 0;
  unsigned int          classes = 0;
  std::vector<double>   centroids;  ///< [K, dimension], ordered by increasing Luminance()
  std::vector<uint32_t> assignment; ///< [n_samples]: cluster of each distinct sample, 0..K-1
  double                inertia = 0.0; ///< Σ over pixels of squared distance to its centroid
  unsigned int          iterations = 0; ///< Lloyd iterations of the winning start
};

/** Lloyd's k-means (Lloyd 1982) with greedy k-means++ seeding (Arthur and Vassilvitskii 2007,
 * 2 + ⌊ln K⌋ candidates per centre as scikit-learn does), run to convergence (no assignment
 * changes) on weighted distinct samples. Lloyd's iterations split the samples among `threads` work units in fixed
 * blocks of 16384 whose sums are added in order: the result depends on the seed only, not on the thread count.
 * Empty clusters are re-seeded at the sample farthest from its centre.
 * \throws Error("classes", ...) when K < 2 or K exceeds the number of distinct samples. */
KMeansResult KMeans(const FeatureSamples & samples, const KMeansOptions & options);

/** The samples assigned to the nearest of `model`'s centroids (no Lloyd iteration), e.g. centroids fitted on
 * a sample of an image too large to fit on, applied to each of its tiles. \throws Error("model", ...) when
 * the dimensions differ. */
KMeansResult AssignToCentroids(const FeatureSamples & samples, const KMeansResult & model, unsigned int threads);

/** Memberships [n_samples, K]: one-hot (hard), or soft by distance,
 * p_k ∝ exp(−‖x − c_k‖² / (2 s²)) with s² the mean within-cluster squared distance. */
std::vector<float> KMeansMemberships(const FeatureSamples & samples, const KMeansResult & result, bool soft);
} // namespace tessera

#endif
