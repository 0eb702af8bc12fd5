#ifndef tesseraGaussianMixture_h
#define tesseraGaussianMixture_h

#include <vector>

#include "tesseraKMeans.h"

namespace tessera
{
struct GaussianMixtureOptions
{
  unsigned int maximumIterations = 100;
  /** EM stops when the mean log-likelihood per pixel improves by less than this (nats). */
  double tolerance = 1e-3;
};

/** A K-component Gaussian mixture with full covariances over d-dimensional features. */
struct GaussianMixtureModel
{
  unsigned int        dimension = 0;
  unsigned int        classes = 0;
  std::vector<double> weights;     ///< [K] mixing proportions π_k, summing to 1
  std::vector<double> means;       ///< [K, d], ordered by increasing Luminance()
  std::vector<double> covariances; ///< [K, d, d]
  double              logLikelihood = 0.0; ///< mean log-likelihood per pixel (nats)
  unsigned int        iterations = 0;

  /** Posterior class probabilities p(k | x) [n_samples, K] of each distinct sample. */
  std::vector<float> Posteriors(const FeatureSamples & samples) const;
};

/** Fits a Gaussian mixture by expectation–maximisation (Dempster, Laird, Rubin 1977) on weighted
 * distinct samples, initialised from a k-means result (means, covariances and proportions of
 * its clusters). A covariance floor of 1e-4 × the data's variance per axis keeps components
 * from collapsing onto one value (integer-valued images invite that). */
GaussianMixtureModel FitGaussianMixture(const FeatureSamples & samples, const KMeansResult & initial,
                                        const GaussianMixtureOptions & options);

/** EM of a Gaussian mixture whose mixing proportions vary from pixel to pixel with spatial priors
 * (atlas probability maps on the image's grid), Atropos's prior-probability model (Avants et al.,
 * Neuroinformatics 9, 2011; Van Leemput et al., IEEE TMI 18, 1999):
 * p(k | x_i) ∝ [(1 − w) π_k + w q_ik] N(x_i; μ_k, Σ_k), w = `weight` in [0, 1].
 * Started from the priors (μ, Σ, π weighted by q), classes stay in the priors' order.
 * \param samples one sample per pixel (weights 1), e.g. FeatureSamples::PerPixel;
 * \param priors [n_samples, K], rows summing to 1 (all-zero rows count as uniform);
 * \param posteriors filled with p(k | x_i) [n_samples, K].
 * \throws Error for more than 16 channels or weight outside [0, 1]. */
GaussianMixtureModel FitGaussianMixtureWithPriors(const FeatureSamples & samples, const std::vector<float> & priors,
                                                  unsigned int classes, double weight,
                                                  const GaussianMixtureOptions & options,
                                                  std::vector<float> & posteriors);
} // namespace tessera

#endif
