#ifndef tesseraHiddenMarkovRandomField_h
#define tesseraHiddenMarkovRandomField_h

#include <cstdint>
#include <vector>

#include "tesseraGaussianMixture.h"

namespace tessera
{
/** Face neighbours (4 in 2D, 6 in 3D) of the pixels that are samples, for Markov random fields over per-pixel samples. */
struct PixelNeighbours
{
  unsigned int          slots = 0;   ///< 2·D: −x, +x, −y, +y, (−z, +z)
  std::vector<uint32_t> indices;     ///< [n_samples, slots]: the neighbour's sample, or FeatureSamples::Outside
  std::vector<float>    weights;     ///< [slots]: smallest spacing / spacing along the slot's axis, as the Potts MRF
  std::vector<uint8_t>  colour;      ///< [n_samples]: parity of the pixel's index sum; neighbours never share one

  /** \param size grid extents [D]; \param spacing [D] (mm); \param sampleOfPixel [n_pixels] as in FeatureSamples
   * (Outside for pixels that are not samples), samples numbered in raster order. */
  static PixelNeighbours Faces(const std::vector<size_t> & size, const std::vector<double> & spacing,
                               const std::vector<uint32_t> & sampleOfPixel);
};

struct HiddenMarkovRandomFieldSettings
{
  double        smoothness = 0.6;  ///< Potts β (nats per agreeing face pair on the finest axis)
  unsigned int  sweeps = 1;        ///< checkerboard mean-field sweeps per E-step
  const float * priors = nullptr;  ///< optional atlas priors a [n_samples, K]
  double        priorWeight = 0.5; ///< w: external field (1 − w) / K + w a_ik
};

/** HMRF-EM (Zhang, Brady, Smith, IEEE TMI 20, 2001) with the mean-field E-step (Zhang, IEEE TSP 40, 1992; Celeux,
 * Forbes, Peyrard, Pattern Recognition 36, 2003): Gaussian classes whose labels follow a Potts prior, so that class
 * parameters and labels converge together. The E-step runs checkerboard sweeps of
 * q_ik ∝ h_ik N(y_i; μ_k, Σ_k) exp(β Σ_j w_ij q_jk) over face neighbours j, with h_ik = 1 / K as Zhang et al., or
 * (1 − w) / K + w a_ik given atlas priors a; the M-step sets μ, Σ from q (covariance floor as FitGaussianMixture).
 * No class proportions π: as an external field updated by EM without the Potts partition function, they let one
 * class absorb the others. Both steps ascend F(q, θ) = Σ_i Σ_k q_ik [log N(y_i; θ_k) + log h_ik − log q_ik] +
 * β Σ_{i~j} w_ij Σ_k q_ik q_jk, the mean-field bound on log p(y) up to the partition function (a constant: β and h
 * stay fixed). model.objective holds F / n after each E-step: −F / n is the free energy per pixel (nats), which
 * decreases; model.weights report the mean posteriors.
 * \param r in: initial responsibilities [n_samples, K] (e.g. one-hot k-means classes); out: the posteriors q.
 * \throws Error for a negative smoothness or no sweeps. */
GaussianMixtureModel FitHiddenMarkovRandomField(const FeatureSamples & samples, const PixelNeighbours & neighbours,
                                                std::vector<double> & r, const GaussianMixtureOptions & options,
                                                const HiddenMarkovRandomFieldSettings & settings);
} // namespace tessera

#endif
