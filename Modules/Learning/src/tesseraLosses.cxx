#include "tesseraLosses.h"

#include <cmath>
#include <functional>
#include <sstream>

#include "tesseraError.h"

namespace tessera
{
namespace
{
struct Flat
{
  torch::Tensor logits; // [P, C], the non-ignored pixels
  torch::Tensor target; // [P]
};

void
CheckShapes(const torch::Tensor & logits, const torch::Tensor & target)
{
  if (logits.dim() < 3)
    throw Error("logits", "expected [N, C, H, W] or [N, C, D, H, W], got " + std::to_string(logits.dim()) + " axes");
  if (target.dim() != logits.dim() - 1)
    throw Error("target", "expected " + std::to_string(logits.dim() - 1) + " axes, got " + std::to_string(target.dim()));
  if (target.scalar_type() != torch::kLong)
    throw Error("target", "expected an int64 tensor");
  if (target.size(0) != logits.size(0))
    throw Error("target", "batch size differs from the logits'");
  for (int64_t a = 1; a < target.dim(); ++a)
    if (target.size(a) != logits.size(a + 1))
      throw Error("target", "spatial size differs from the logits' along axis " + std::to_string(a - 1));
}

Flat
Flatten(const torch::Tensor & logits, const torch::Tensor & target, int64_t ignoreIndex)
{
  CheckShapes(logits, target);
  const int64_t C = logits.size(1);
  auto          lf = logits.movedim(1, -1).reshape({ -1, C });
  auto          tf = target.reshape(-1);
  auto          valid = tf != ignoreIndex;
  auto          idx = valid.nonzero().squeeze(1);
  Flat          f{ lf.index_select(0, idx), tf.index_select(0, idx) };
  if (f.target.numel() > 0)
  {
    const int64_t lo = f.target.min().item<int64_t>(), hi = f.target.max().item<int64_t>();
    if (lo < 0 || hi >= C)
      throw Error("target", "value " + std::to_string(lo < 0 ? lo : hi) + " is outside the classes 0.." +
                              std::to_string(C - 1) + " and is not the ignore index " + std::to_string(ignoreIndex));
  }
  return f;
}

torch::Tensor
Weights(const std::vector<double> & w, int64_t C, const torch::Tensor & like, const char * what)
{
  if (w.empty())
    return torch::ones({ C }, like.options());
  if (static_cast<int64_t>(w.size()) != C)
    throw Error(what, "expected " + std::to_string(C) + " values (one per class), got " + std::to_string(w.size()));
  return torch::tensor(w, torch::TensorOptions().dtype(torch::kDouble)).to(like.options());
}

torch::Tensor
Zero(const torch::Tensor & logits)
{
  return logits.sum() * 0;
}

/** Class-weighted mean over classes of 1 - score, where score(intersection, total) compares the
 * softmax with the one-hot target per class (total: the sum of both): Dice and soft Jaccard. */
torch::Tensor
SoftOverlapLoss(const torch::Tensor & logits, const torch::Tensor & target, const std::vector<double> & classWeights,
                int64_t ignoreIndex, const char * weightsName,
                const std::function<torch::Tensor(const torch::Tensor &, const torch::Tensor &)> & score)
{
  const Flat    f = Flatten(logits, target, ignoreIndex);
  const int64_t C = logits.size(1);
  const auto    w = Weights(classWeights, C, logits, weightsName);
  if (f.target.numel() == 0)
    return Zero(logits);
  const auto p = torch::softmax(f.logits, 1);
  const auto y = torch::one_hot(f.target, C).to(p.scalar_type());
  const auto intersection = (p * y).sum(0);
  const auto total = p.sum(0) + y.sum(0);
  return (w * (1 - score(intersection, total))).sum() / w.sum();
}

/** Gradient of the Lovász extension of the Jaccard loss w.r.t. sorted errors (Berman et al., Alg. 1). */
torch::Tensor
LovaszGrad(const torch::Tensor & fgSorted)
{
  const auto gts = fgSorted.sum();
  const auto intersection = gts - fgSorted.cumsum(0);
  const auto union_ = gts + (1 - fgSorted).cumsum(0);
  auto       jaccard = 1 - intersection / union_;
  if (jaccard.size(0) > 1)
    jaccard = torch::cat({ jaccard.slice(0, 0, 1), jaccard.slice(0, 1) - jaccard.slice(0, 0, -1) });
  return jaccard;
}

/** Lovász-softmax over flattened probabilities [P, C] and targets [P], errors mapped by F_Δ;
 * nullopt-like: returns an undefined tensor when no class is present. */
torch::Tensor
LovaszFlat(const torch::Tensor & probabilities, const torch::Tensor & target, const ThresholdDistribution & distribution)
{
  const int64_t              C = probabilities.size(1);
  std::vector<torch::Tensor> losses;
  for (int64_t c = 0; c < C; ++c)
  {
    const auto fg = (target == c).to(probabilities.scalar_type());
    if (fg.sum().item<double>() == 0)
      continue;
    // F_Δ is non-decreasing: sorting F_Δ(errors) sorts the errors.
    const auto errors = distribution.Cdf((fg - probabilities.select(1, c)).abs());
    auto [sorted, perm] = torch::sort(errors, 0, /*descending=*/true);
    losses.push_back(torch::dot(sorted, LovaszGrad(fg.index_select(0, perm))));
  }
  if (losses.empty())
    return torch::Tensor();
  return torch::stack(losses).mean();
}
} // namespace

torch::Tensor
CrossEntropyLoss(const torch::Tensor & logits, const torch::Tensor & target, const std::vector<double> & classWeights,
                 int64_t ignoreIndex)
{
  const Flat f = Flatten(logits, target, ignoreIndex);
  const auto w = Weights(classWeights, logits.size(1), logits, "cross_entropy class_weights");
  if (f.target.numel() == 0)
    return Zero(logits);
  const auto nll = -torch::log_softmax(f.logits, 1).gather(1, f.target.unsqueeze(1)).squeeze(1);
  const auto wi = w.index_select(0, f.target);
  const auto denominator = wi.sum();
  if (denominator.item<double>() == 0)
    return Zero(logits);
  return (wi * nll).sum() / denominator;
}

torch::Tensor
DiceLoss(const torch::Tensor & logits, const torch::Tensor & target, const std::vector<double> & classWeights,
         double smooth, int64_t ignoreIndex)
{
  return SoftOverlapLoss(logits, target, classWeights, ignoreIndex, "dice class_weights",
                         [smooth](const torch::Tensor & intersection, const torch::Tensor & total) {
                           return (2 * intersection + smooth) / (total + smooth);
                         });
}

torch::Tensor
FocalLoss(const torch::Tensor & logits, const torch::Tensor & target, double gamma, const std::vector<double> & alpha,
          int64_t ignoreIndex)
{
  if (!(gamma >= 0))
    throw Error("focal gamma", "must be >= 0");
  const Flat f = Flatten(logits, target, ignoreIndex);
  const auto a = Weights(alpha, logits.size(1), logits, "focal alpha");
  if (f.target.numel() == 0)
    return Zero(logits);
  const auto logpt = torch::log_softmax(f.logits, 1).gather(1, f.target.unsqueeze(1)).squeeze(1);
  const auto pt = logpt.exp();
  auto       modulator = gamma == 0 ? torch::ones_like(pt) : (1 - pt).clamp_min(0).pow(gamma);
  return -(a.index_select(0, f.target) * modulator * logpt).mean();
}

torch::Tensor
ThresholdDistribution::Cdf(const torch::Tensor & x) const
{
  if (name == "uniform")
  {
    return x;
  }
  if (name == "gaussian")
  {
    if (!(sigma > 0) || !std::isfinite(mean))
      throw Error("lovasz distribution", "gaussian: sigma must be > 0 and mean finite");
    const auto phi = [this](const torch::Tensor & v) { return 0.5 * (1 + torch::erf((v - mean) / (sigma * std::sqrt(2.0)))); };
    const double phi0 = 0.5 * (1 + std::erf((0 - mean) / (sigma * std::sqrt(2.0))));
    const double phi1 = 0.5 * (1 + std::erf((1 - mean) / (sigma * std::sqrt(2.0))));
    if (!(phi1 - phi0 > 1e-12))
      throw Error("lovasz distribution", "gaussian: (almost) no mass on [0, 1] with this mean and sigma");
    return (phi(x) - phi0) / (phi1 - phi0);
  }
  if (name == "step")
  {
    if (!(low >= 0 && low < high && high <= 1))
      throw Error("lovasz distribution", "step: needs 0 <= low < high <= 1");
    return ((x - low) / (high - low)).clamp(0.0, 1.0);
  }
  throw Error("lovasz distribution", "must be uniform, gaussian or step, not \"" + name + "\"");
}

torch::Tensor
LovaszSoftmaxLoss(const torch::Tensor & logits, const torch::Tensor & target, bool perImage, int64_t ignoreIndex,
                  const ThresholdDistribution & distribution)
{
  CheckShapes(logits, target);
  distribution.Cdf(torch::zeros({ 1 })); // checks the parameters before any work
  if (!perImage)
  {
    const Flat f = Flatten(logits, target, ignoreIndex);
    if (f.target.numel() == 0)
      return Zero(logits);
    auto l = LovaszFlat(torch::softmax(f.logits, 1), f.target, distribution);
    return l.defined() ? l : Zero(logits);
  }
  std::vector<torch::Tensor> losses;
  for (int64_t n = 0; n < logits.size(0); ++n)
  {
    const Flat f = Flatten(logits.slice(0, n, n + 1), target.slice(0, n, n + 1), ignoreIndex);
    if (f.target.numel() == 0)
      continue;
    auto l = LovaszFlat(torch::softmax(f.logits, 1), f.target, distribution);
    if (l.defined())
      losses.push_back(l);
  }
  if (losses.empty())
    return Zero(logits);
  return torch::stack(losses).mean() + Zero(logits);
}

torch::Tensor
SoftJaccardLoss(const torch::Tensor & logits, const torch::Tensor & target, const std::vector<double> & classWeights,
                double smooth, int64_t ignoreIndex)
{
  return SoftOverlapLoss(logits, target, classWeights, ignoreIndex, "jaccard class_weights",
                         [smooth](const torch::Tensor & intersection, const torch::Tensor & total) {
                           const auto union_ = total - intersection;
                           return (intersection + smooth) / (union_ + smooth);
                         });
}

torch::Tensor
EquivarianceConsistencyLoss(const torch::Tensor & logits, const torch::Tensor & turnedLogits, const PlanarGroup & group,
                            int64_t g)
{
  return torch::mse_loss(torch::softmax(turnedLogits, 1), group.Transform(torch::softmax(logits, 1), g));
}

// ---------------------------------------------------------------------------------------------
CombinedLoss::CombinedLoss(std::vector<LossTerm> terms, int64_t ignoreIndex)
  : m_Terms(std::move(terms))
  , m_IgnoreIndex(ignoreIndex)
{}

namespace
{
std::string
CanonicalName(const std::string & name, const std::string & subject)
{
  if (name == "cross_entropy" || name == "ce" || name == "crossentropy")
    return "cross_entropy";
  if (name == "dice")
    return "dice";
  if (name == "focal")
    return "focal";
  if (name == "lovasz" || name == "lovasz_softmax")
    return "lovasz";
  if (name == "jaccard" || name == "soft_jaccard" || name == "iou")
    return "jaccard";
  throw Error(subject, "unknown loss \"" + name + "\" (expected cross_entropy, dice, focal, lovasz or jaccard)");
}

std::vector<double>
NumberList(const nlohmann::json & j, const std::string & subject, const std::string & key, int classes)
{
  std::vector<double> v;
  if (!j.is_array())
    throw Error(subject, key + ": expected an array of numbers");
  for (const auto & x : j)
  {
    if (!x.is_number() || x.get<double>() < 0)
      throw Error(subject, key + ": expected non-negative numbers, got " + x.dump());
    v.push_back(x.get<double>());
  }
  if (classes > 0 && static_cast<int>(v.size()) != classes)
    throw Error(subject, key + ": expected " + std::to_string(classes) + " values (one per class), got " +
                           std::to_string(v.size()));
  return v;
}

double
Number(const nlohmann::json & j, const std::string & subject, const std::string & key)
{
  if (!j.is_number())
    throw Error(subject, key + ": expected a number, got " + j.dump());
  return j.get<double>();
}
} // namespace

CombinedLoss
CombinedLoss::FromJson(const nlohmann::json & spec, const std::string & subject, int classes)
{
  std::vector<LossTerm> terms;
  if (spec.is_string())
  {
    std::stringstream s(spec.get<std::string>());
    std::string       name;
    while (std::getline(s, name, '+'))
    {
      name.erase(0, name.find_first_not_of(" \t"));
      name.erase(name.find_last_not_of(" \t") + 1);
      LossTerm t;
      t.name = CanonicalName(name, subject);
      terms.push_back(t);
    }
  }
  else if (spec.is_array() || spec.is_object())
  {
    const nlohmann::json list = spec.is_object() ? nlohmann::json::array({ spec }) : spec;
    for (const auto & item : list)
    {
      if (!item.is_object() || !item.contains("name") || !item["name"].is_string())
        throw Error(subject, "each loss term must be an object with a \"name\"");
      LossTerm t;
      t.name = CanonicalName(item["name"].get<std::string>(), subject);
      for (auto it = item.begin(); it != item.end(); ++it)
      {
        const std::string & k = it.key();
        const std::string   where = t.name + "." + k;
        if (k == "name")
          continue;
        if (k == "weight")
          t.weight = Number(*it, subject, where);
        else if (k == "class_weights" && t.name != "focal" && t.name != "lovasz")
          t.classWeights = NumberList(*it, subject, where, classes);
        else if (k == "alpha" && t.name == "focal")
          t.classWeights = NumberList(*it, subject, where, classes);
        else if (k == "gamma" && t.name == "focal")
          t.gamma = Number(*it, subject, where);
        else if (k == "smooth" && (t.name == "dice" || t.name == "jaccard"))
          t.smooth = Number(*it, subject, where);
        else if (k == "distribution" && t.name == "lovasz")
        {
          if (!it->is_string())
            throw Error(subject, where + ": expected uniform, gaussian or step");
          t.distribution.name = it->get<std::string>();
        }
        else if (k == "mean" && t.name == "lovasz")
          t.distribution.mean = Number(*it, subject, where);
        else if (k == "sigma" && t.name == "lovasz")
          t.distribution.sigma = Number(*it, subject, where);
        else if (k == "low" && t.name == "lovasz")
          t.distribution.low = Number(*it, subject, where);
        else if (k == "high" && t.name == "lovasz")
          t.distribution.high = Number(*it, subject, where);
        else if (k == "per_image" && t.name == "lovasz")
        {
          if (!it->is_boolean())
            throw Error(subject, where + ": expected true or false");
          t.perImage = it->get<bool>();
        }
        else
          throw Error(subject, "unknown key \"" + where + "\" for loss " + t.name);
      }
      if (t.weight < 0 || t.gamma < 0 || t.smooth < 0)
        throw Error(subject, t.name + ": weight, gamma and smooth must be >= 0");
      try
      {
        t.distribution.Cdf(torch::zeros({ 1 }));
      }
      catch (const Error & e)
      {
        throw Error(subject, "lovasz.distribution: " + e.Problem());
      }
      terms.push_back(t);
    }
  }
  else
  {
    throw Error(subject, "expected a loss name such as \"cross_entropy+dice\" or an array of loss terms");
  }
  if (terms.empty())
    throw Error(subject, "no loss term given");
  return CombinedLoss(terms);
}

torch::Tensor
CombinedLoss::operator()(const torch::Tensor & logits, const torch::Tensor & target) const
{
  if (m_Terms.empty())
    throw Error("loss", "no loss term given");
  torch::Tensor total;
  for (const auto & t : m_Terms)
  {
    torch::Tensor l;
    if (t.name == "cross_entropy")
      l = CrossEntropyLoss(logits, target, t.classWeights, m_IgnoreIndex);
    else if (t.name == "dice")
      l = DiceLoss(logits, target, t.classWeights, t.smooth, m_IgnoreIndex);
    else if (t.name == "focal")
      l = FocalLoss(logits, target, t.gamma, t.classWeights, m_IgnoreIndex);
    else if (t.name == "lovasz")
      l = LovaszSoftmaxLoss(logits, target, t.perImage, m_IgnoreIndex, t.distribution);
    else if (t.name == "jaccard")
      l = SoftJaccardLoss(logits, target, t.classWeights, t.smooth, m_IgnoreIndex);
    else
      throw Error("loss", "unknown loss \"" + t.name + "\"");
    l = l * t.weight;
    total = total.defined() ? total + l : l;
  }
  return total;
}

std::string
CombinedLoss::Describe() const
{
  std::ostringstream s;
  for (size_t i = 0; i < m_Terms.size(); ++i)
    s << (i ? " + " : "") << m_Terms[i].weight << "*" << m_Terms[i].name;
  return s.str();
}
} // namespace tessera
