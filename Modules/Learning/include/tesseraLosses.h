#ifndef tesseraLosses_h
#define tesseraLosses_h

#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "tesseraGroupConvolution.h"

/** \file Segmentation losses (DESIGN.md, "Learned stage").
 *
 * Shapes, for every function below:
 *   logits  [N, C, H, W] or [N, C, D, H, W], any floating type (float or double), unnormalised;
 *   target  [N, H, W]    or [N, D, H, W], int64, values in 0..C-1 or ignoreIndex;
 *   result  a scalar tensor (0-dim) of logits' type, differentiable with respect to logits.
 * Pixels whose target equals ignoreIndex contribute nothing to the loss or its gradient. When
 * every pixel is ignored the loss is 0 (with a zero gradient). Target values outside 0..C-1
 * that are not ignoreIndex throw Error("target", ...). Probabilities are softmax(logits) over
 * axis 1. Class weights, where taken, are a vector of C non-negative numbers; empty = all 1. */
namespace tessera
{
constexpr int64_t DefaultIgnoreIndex = -100;

/** Cross-entropy, weighted mean over the non-ignored pixels as torch's cross_entropy:
 * sum_i w[y_i]·(−log p_i[y_i]) / sum_i w[y_i]. */
torch::Tensor CrossEntropyLoss(const torch::Tensor & logits, const torch::Tensor & target,
                               const std::vector<double> & classWeights = {},
                               int64_t ignoreIndex = DefaultIgnoreIndex);

/** Soft Dice loss over the whole batch: for each class c, with p the probabilities and y the
 * one-hot target over the non-ignored pixels,
 *   dice_c = (2·Σ p_c y_c + smooth) / (Σ p_c + Σ y_c + smooth),
 * loss = Σ_c w_c (1 − dice_c) / Σ_c w_c. A class absent from both prediction and target has
 * dice 1 (smooth > 0 keeps it defined). */
torch::Tensor DiceLoss(const torch::Tensor & logits, const torch::Tensor & target,
                       const std::vector<double> & classWeights = {}, double smooth = 1.0,
                       int64_t ignoreIndex = DefaultIgnoreIndex);

/** Focal loss (Lin et al. 2017): mean over non-ignored pixels of −α[y]·(1 − p_y)^γ·log p_y.
 * alpha: per-class α (empty = 1 for all); γ = 0 and alpha empty give cross-entropy. */
torch::Tensor FocalLoss(const torch::Tensor & logits, const torch::Tensor & target, double gamma = 2.0,
                        const std::vector<double> & alpha = {}, int64_t ignoreIndex = DefaultIgnoreIndex);

/** The threshold distribution Δ on [0, 1] of the transformed Lovász loss: the errors X are mapped by
 * its distribution function F_Δ before the Lovász extension, so the gradient on the i-th largest
 * error is f_Δ(X_i)·(IoU(E_i) − IoU(E_{i−1})) (E_i: the i largest errors), and Δ chooses which errors
 * the gradient stresses. uniform: F(x) = x, Lovász-softmax itself; gaussian: N(mean, sigma²) truncated
 * to [0, 1] (mean near 1 stresses confident mistakes); step: the uniform density on [low, high], F
 * rising linearly from 0 at low to 1 at high (errors below low get no gradient). */
struct ThresholdDistribution
{
  std::string name = "uniform"; ///< uniform | gaussian | step
  double      mean = 0.5, sigma = 0.2; ///< gaussian
  double      low = 0.0, high = 1.0;   ///< step
  /** F_Δ(x) for x in [0, 1]. \throws Error("lovasz distribution", ...) for an unknown name or bad parameters. */
  torch::Tensor Cdf(const torch::Tensor & x) const;
};

/** Lovász-softmax loss (Berman, Rannen Triki, Blaschko, CVPR 2018): the Lovász extension of
 * the Jaccard loss 1 − IoU_c applied to the errors |y_c − p_c| (transformed by F_Δ of
 * `distribution`; uniform leaves them as they are), averaged over the classes present in the
 * (non-ignored) target. perImage: compute it per image of the batch and average over images
 * (images with no labelled pixel are skipped); otherwise over the whole batch at once. On
 * one-hot probabilities it equals 1 − mean IoU over the present classes. */
torch::Tensor LovaszSoftmaxLoss(const torch::Tensor & logits, const torch::Tensor & target, bool perImage = false,
                                int64_t ignoreIndex = DefaultIgnoreIndex, const ThresholdDistribution & distribution = {});

/** Soft-Jaccard (soft IoU) relaxation of mIoU over the whole batch:
 *   J_c = (Σ p_c y_c + smooth) / (Σ p_c + Σ y_c − Σ p_c y_c + smooth),
 * loss = Σ_c w_c (1 − J_c) / Σ_c w_c. */
torch::Tensor SoftJaccardLoss(const torch::Tensor & logits, const torch::Tensor & target,
                              const std::vector<double> & classWeights = {}, double smooth = 1.0,
                              int64_t ignoreIndex = DefaultIgnoreIndex);

/** Equivariance by loss: the mean squared difference between softmax(turnedLogits), the network's
 * logits on the images turned by element g, and softmax(logits) turned by g — 0 for a network whose
 * logits turn with the image (a group U-Net). Shapes [N, C, H, W]; square images for odd turns. */
torch::Tensor EquivarianceConsistencyLoss(const torch::Tensor & logits, const torch::Tensor & turnedLogits,
                                          const PlanarGroup & group, int64_t g);

/** One term of a combined loss. */
struct LossTerm
{
  std::string         name;                  ///< cross_entropy | dice | focal | lovasz | jaccard
  double              weight = 1.0;          ///< multiplier of this term in the sum
  std::vector<double> classWeights;          ///< cross_entropy, dice, jaccard: per-class weights; focal: alpha
  double              gamma = 2.0;           ///< focal
  double              smooth = 1.0;          ///< dice, jaccard
  bool                perImage = false;      ///< lovasz
  ThresholdDistribution distribution;        ///< lovasz
};

/** A weighted sum of losses, e.g. cross-entropy + Dice. Built from a config spec:
 *  - a string of names joined by '+': "cross_entropy+dice" (each weight 1, defaults);
 *  - or an array of objects: [{"name": "cross_entropy", "weight": 1, "class_weights": [1, 2]},
 *    {"name": "dice", "weight": 0.5, "smooth": 1}, {"name": "focal", "gamma": 2, "alpha": [..]},
 *    {"name": "lovasz", "per_image": true}, {"name": "jaccard"}]; a transformed Lovász loss:
 *    {"name": "lovasz", "distribution": "gaussian", "mean": 0.8, "sigma": 0.1} or
 *    {"name": "lovasz", "distribution": "step", "low": 0.2, "high": 1}.
 * Aliases: ce = cross_entropy, lovasz_softmax = lovasz, soft_jaccard = iou = jaccard. */
class CombinedLoss
{
public:
  CombinedLoss() = default;
  explicit CombinedLoss(std::vector<LossTerm> terms, int64_t ignoreIndex = DefaultIgnoreIndex);

  /** \throws Error(subject, "<key>: ...") for unknown names/keys and bad values; classes, when
   * > 0, checks the lengths of the class weight vectors. */
  static CombinedLoss FromJson(const nlohmann::json & spec, const std::string & subject, int classes = 0);

  /** Σ_t weight_t · loss_t(logits, target). */
  torch::Tensor operator()(const torch::Tensor & logits, const torch::Tensor & target) const;

  void                          SetIgnoreIndex(int64_t i) { m_IgnoreIndex = i; }
  int64_t                       IgnoreIndex() const { return m_IgnoreIndex; }
  const std::vector<LossTerm> & Terms() const { return m_Terms; }
  /** Human-readable summary, e.g. "1*cross_entropy + 1*dice". */
  std::string Describe() const;

private:
  std::vector<LossTerm> m_Terms;
  int64_t               m_IgnoreIndex = DefaultIgnoreIndex;
};
} // namespace tessera

#endif
