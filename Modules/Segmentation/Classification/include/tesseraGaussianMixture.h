#ifndef tesseraGaussianMixture_h
#define tesseraGaussianMixture_h

#include <functional>
#include <vector>

#include "tesseraKMeans.h"

namespace tessera
{
struct GaussianMixtureOptions
{
  unsigned int maximumIterations = 100;
  /** EM stops when the mean log-likelihood per pixel improves by less than this (nats). */
  double tolerance = 1e-3;
  /** Called after each E-step with the iteration (from 1) and the objective; may be empty. */
  std::function<void(unsigned int, double)> onIteration;
  /** Work units of the E- and M-steps (0 = ITK's global default). Their sums run over fixed blocks of samples
   * (BlockSums), so the model does not depend on it. */
  unsigned int threads = 0;
};

/** A K-component Gaussian mixture with full covariances over d-dimensional features. */
struct GaussianMixtureModel
{
  unsigned int        dimension = 0;
  unsigned int        classes = 0;
  std::vector<double> weights;     ///< [K] mixing proportions π_k, summing to 1
  std::vector<double> means;       ///< [K, d], ordered by increasing Luminance()
  std::vector<double> covariances; ///< [K, d, d]
  double              logLikelihood = 0.0; ///< mean log-likelihood per pixel (nats), or the E-step's objective
  unsigned int        iterations = 0;
  std::vector<double> objective;           ///< the objective after each E-step (nats per pixel)

  /** Posterior class probabilities p(k | x) [n_samples, K] of each distinct sample, on `threads` work units
   * (0 = ITK's global default). */
  std::vector<float> Posteriors(const FeatureSamples & samples, unsigned int threads = 0) const;
};

/** Fits a Gaussian mixture by expectation–maximisation (Dempster, Laird, Rubin 1977) on weighted
 * distinct samples, initialised from a k-means result (means, covariances and proportions of
 * its clusters). A covariance floor of 1e-4 × the data's variance per axis keeps components
 * from collapsing onto one value (integer-valued images invite that). */
GaussianMixtureModel FitGaussianMixture(const FeatureSamples & samples, const KMeansResult & initial,
                                        const GaussianMixtureOptions & options);

/** Renumbers the components by increasing Luminance() of their means, as k-means numbers its clusters.
 * \returns the old index of each new component. */
std::vector<unsigned int> SortComponentsByLuminance(GaussianMixtureModel & model);

/** Class-conditional log densities log N(x_i; μ_k, Σ_k) [n_samples, K] (no mixing proportions), on `threads` work
 * units (0 = ITK's global default). \throws Error when a covariance is not positive definite. */
std::vector<double> ClassLogDensities(const GaussianMixtureModel & model, const FeatureSamples & samples,
                                      unsigned int threads = 0);

/** The E-step of a mixture whose labels are not independent (per-pixel priors, a hidden Markov chain or random
 * field): given the model and `r` holding ClassLogDensities() [n_samples, K], replaces r by the posteriors
 * p(k | x) [n_samples, K] and returns the objective EM ascends, per pixel (nats): the log-likelihood or a lower
 * bound of it. It may also update parameters of its own (e.g. transition probabilities) from these posteriors. */
using MixtureEStep = std::function<double(const GaussianMixtureModel & model, std::vector<double> & r)>;

/** EM with Gaussian class densities and a caller's E-step: an M-step (π, μ, Σ as FitGaussianMixture, same covariance
 * floor) from the initial responsibilities `r` [n_samples, K], then E- and M-steps until the objective gains less than
 * options.tolerance per pixel or options.maximumIterations is reached. r holds the last posteriors on return.
 * Components keep their order (no sorting). */
GaussianMixtureModel FitGaussianMixtureWithEStep(const FeatureSamples & samples, unsigned int classes,
                                                 std::vector<double> & r, const GaussianMixtureOptions & options,
                                                 const MixtureEStep & eStep);

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
