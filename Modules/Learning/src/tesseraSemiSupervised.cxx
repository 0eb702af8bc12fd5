#include "tesseraSemiSupervised.h"

#include <cmath>

namespace tessera
{
namespace
{
// x blurred along axis a by a normalised Gaussian kernel of σ pixels (radius 3σ), replicate borders.
torch::Tensor
BlurAxis(const torch::Tensor & x, int64_t a, double sigma)
{
  const int64_t radius = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(3 * sigma)));
  auto          kernel = torch::arange(-radius, radius + 1, x.options()).pow(2).mul(-0.5 / (sigma * sigma)).exp();
  kernel = (kernel / kernel.sum()).reshape({ 1, 1, -1 });
  auto       moved = x.movedim(a, -1);
  const auto shape = moved.sizes().vec();
  auto       rows = moved.reshape({ -1, 1, shape.back() });
  rows = torch::replication_pad1d(rows, { radius, radius });
  return torch::conv1d(rows, kernel).reshape(shape).movedim(-1, a);
}
} // namespace

torch::Tensor
TeacherProbabilities(SegmentationNetworkImpl & network, const torch::Tensor & images, const PlanarGroup * group)
{
  torch::NoGradGuard noGrad;
  if (!group)
    return torch::softmax(network.forward(images), 1);
  auto sum = torch::zeros({}, images.options());
  for (int64_t g = 0; g < group->Order(); ++g)
    sum = sum + group->Transform(torch::softmax(network.forward(group->Transform(images, g)), 1), group->Inverse(g));
  return sum / static_cast<double>(group->Order());
}

torch::Tensor
PseudoLabels(const torch::Tensor & probabilities, double threshold)
{
  const auto [confidence, label] = probabilities.max(1);
  return label.masked_fill(confidence < threshold, -1);
}

std::pair<torch::Tensor, torch::Tensor>
StrongView(const torch::Tensor & images, const torch::Tensor & labels, const StrongAugmentation & a, std::mt19937_64 & rng)
{
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const int64_t                          batch = images.size(0), dims = images.dim() - 2;
  std::vector<torch::Tensor>             views;
  for (int64_t b = 0; b < batch; ++b)
  {
    const double contrast = 1.0 + (2 * unit(rng) - 1) * a.contrast, brightness = (2 * unit(rng) - 1) * a.brightness;
    auto         x = images[b] * contrast + brightness;
    if (unit(rng) < a.blur)
    {
      const double sigma = 0.1 + 1.9 * unit(rng);
      for (int64_t axis = 1; axis <= dims; ++axis)
        x = BlurAxis(x, axis, sigma);
    }
    views.push_back(x);
  }
  auto       out = torch::stack(views);
  auto       mixedLabels = labels.clone();
  const auto original = out.clone();
  for (int64_t b = 0; b < batch; ++b)
  {
    if (batch < 2 || !(unit(rng) < a.cutmix))
      continue;
    const int64_t source = (b + 1) % batch;
    auto          target = out[b], targetLabels = mixedLabels[b];
    auto          from = original[source], fromLabels = labels[source];
    for (int64_t axis = 0; axis < dims; ++axis)
    {
      const int64_t size = images.size(2 + axis);
      const int64_t side = std::max<int64_t>(1, std::llround(size * std::pow(0.25, 1.0 / static_cast<double>(dims))));
      const int64_t start = std::uniform_int_distribution<int64_t>(0, size - side)(rng);
      target = target.narrow(1 + axis, start, side);
      from = from.narrow(1 + axis, start, side);
      targetLabels = targetLabels.narrow(axis, start, side);
      fromLabels = fromLabels.narrow(axis, start, side);
    }
    target.copy_(from);
    targetLabels.copy_(fromLabels);
  }
  return { out, mixedLabels };
}

torch::Tensor
PseudoLabelLoss(const torch::Tensor & logits, const torch::Tensor & labels)
{
  const auto perPixel = torch::nll_loss_nd(torch::log_softmax(logits, 1), labels, {}, at::Reduction::None, -1);
  return perPixel.sum() / static_cast<double>(labels.numel());
}
} // namespace tessera
