#ifndef tesseraHiddenMarkovChain_h
#define tesseraHiddenMarkovChain_h

#include <cstdint>
#include <vector>

#include "tesseraGaussianMixture.h"

namespace tessera
{
/** The hidden part of a K-state Markov chain: p(x_1 = k) and p(x_{t+1} = j | x_t = i). */
struct MarkovChain
{
  unsigned int        classes = 0;
  std::vector<double> initial;    ///< [K], summing to 1
  std::vector<double> transition; ///< [K, K] row i: p(x_{t+1} = j | x_t = i), rows summing to 1
};

/** Per-position class priors q_t as an external field (the form HMRF-EM takes them, Zhang et al. 2001): the atlas
 * acts as a second observation a_t of the chain with p(a_t | x_t = k) ∝ q_t(k), so log q_t(k) is added to
 * log p(y_t | x_t = k). Bricq, Collet, Armspach (2008) put q_t into the transitions instead,
 * a_t(i, j) ∝ A_ij q_t(j); with the persistent transitions a Hilbert–Peano scan learns (A_ii ≈ 0.95) that
 * renormalisation leaves the atlas little say (brain tissue on MICCAI 1000: GM Dice 0.68 against 0.84 as a field).
 * \param logEmission [T, K] log p(y_t | x_t = k) (nats), updated in place.
 * \param priors [T, K] q_t(k) ≥ 0; a zero makes state k impossible at t. */
void AddExternalField(std::vector<double> & logEmission, const float * priors);

/** Scaled forward–backward recursions (Baum et al. 1970; scaling as in Rabiner, Proc. IEEE 77, 1989) of a hidden
 * Markov chain with T positions.
 * \param logEmission [T, K] log p(y_t | x_t = k) (nats).
 * \param posteriors out: [T, K] p(x_t = k | y_1..T).
 * \param transitionCounts out when not null: [K, K] Σ_t p(x_t = i, x_{t+1} = j | y_1..T).
 * \returns log p(y_1..T) (nats).
 * \throws Error when an observation has zero probability under every state the chain allows. */
double ForwardBackward(const std::vector<double> & logEmission, const MarkovChain & chain,
                       std::vector<double> & posteriors, std::vector<double> * transitionCounts);

/** The most probable state sequence argmax_x p(x | y) (Viterbi 1967), same arguments as ForwardBackward();
 * [T] states 0..K−1. */
std::vector<uint16_t> Viterbi(const std::vector<double> & logEmission, const MarkovChain & chain);

/** A hidden Markov chain with Gaussian emissions fitted by Baum–Welch EM (Baum et al. 1970). */
struct HiddenMarkovChainFit
{
  GaussianMixtureModel emissions; ///< μ_k, Σ_k (its weights are the mean posteriors); objective = log p(y) / T
  MarkovChain          chain;
  std::vector<double>  posteriors; ///< [T, K] p(x_t = k | y) under the final parameters
};

/** Baum–Welch with Gaussian (multivariate) emissions over samples in chain order (sample t = position t, weights 1,
 * e.g. FeatureSamples::PerPixel reordered along HilbertPeanoOrder()). Starts from the responsibilities `initial`
 * [T, K] (e.g. one-hot k-means classes): emissions by an M-step, the chain from their transition counts. Runs until
 * log p(y) / T gains less than options.tolerance (nats per position). States keep the initial order.
 * \param priors optional [T, K] per-position class priors, an external field as in AddExternalField(); the objective
 *   is then log p(y, a) / T. */
HiddenMarkovChainFit FitHiddenMarkovChain(const FeatureSamples & samples, std::vector<double> initial,
                                          const GaussianMixtureOptions & options, const float * priors = nullptr);
} // namespace tessera

#endif
