#include "tesseraInference.h"

#include <cmath>

#include "tesseraError.h"

namespace tessera
{
torch::Device
DefaultDevice()
{
  return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
}

std::vector<int64_t>
WindowOrigins(int64_t size, int64_t window, double overlap)
{
  if (size <= window)
    return { 0 };
  const double  step = std::max(1.0, window * (1.0 - overlap));
  const int64_t n = static_cast<int64_t>(std::ceil((size - window) / step)) + 1;
  std::vector<int64_t> origins;
  for (int64_t i = 0; i < n; ++i)
    origins.push_back(static_cast<int64_t>(std::llround(static_cast<double>(i) * (size - window) / (n - 1))));
  return origins;
}

torch::Tensor
ResizeImage(const torch::Tensor & image, const std::vector<int64_t> & size)
{
  namespace F = torch::nn::functional;
  std::vector<int64_t> current(image.sizes().begin() + 1, image.sizes().end());
  if (current == size)
    return image;
  auto       x = image.unsqueeze(0).to(torch::kFloat);
  const bool shrinking = size.size() == 2 && (size[0] < current[0] || size[1] < current[1]);
  F::InterpolateFuncOptions options;
  if (size.size() == 2)
  {
    options = F::InterpolateFuncOptions().size(size).mode(torch::kBilinear).align_corners(false).antialias(shrinking);
  }
  else
  {
    options = F::InterpolateFuncOptions().size(size).mode(torch::kTrilinear).align_corners(false);
  }
  return F::interpolate(x, options).squeeze(0);
}

torch::Tensor
ResizeLabels(const torch::Tensor & labels, const std::vector<int64_t> & size)
{
  namespace F = torch::nn::functional;
  std::vector<int64_t> current(labels.sizes().begin(), labels.sizes().end());
  if (current == size)
    return labels;
  auto x = labels.unsqueeze(0).unsqueeze(0).to(torch::kFloat);
  auto y = F::interpolate(x, F::InterpolateFuncOptions().size(size).mode(torch::kNearest));
  return y.squeeze(0).squeeze(0).round().to(labels.scalar_type());
}

torch::Tensor
GaussianImportance(const std::vector<int64_t> & window, double sigmaScale)
{
  torch::Tensor map;
  for (size_t a = 0; a < window.size(); ++a)
  {
    const double sigma = std::max(1e-3, window[a] * sigmaScale);
    auto         x = torch::arange(window[a], torch::kDouble) - (window[a] - 1) / 2.0;
    auto         g = torch::exp(-(x * x) / (2 * sigma * sigma));
    std::vector<int64_t> shape(window.size(), 1);
    shape[a] = window[a];
    g = g.reshape(shape);
    map = map.defined() ? map * g : g;
  }
  map = map / map.max();
  // As nnU-Net: no zero weights, so every pixel covered by a window gets a prediction.
  const double smallest = map.masked_select(map > 0).min().item<double>();
  map = map.clamp_min(smallest);
  return map.to(torch::kFloat);
}

namespace
{
int64_t
RoundUp(int64_t v, int64_t m)
{
  return (v + m - 1) / m * m;
}

/** Tiled prediction of one (already transformed) image [C, spatial...]: probabilities [K, spatial...]. */
torch::Tensor
Tiled(SegmentationNetworkImpl & network, const torch::Tensor & image, const InferenceOptions & o,
      const std::function<void(double)> & progress, double progressStart, double progressSpan)
{
  const int64_t dims = image.dim() - 1;
  const int64_t m = network.SizeMultiple();
  std::vector<int64_t> size(image.sizes().begin() + 1, image.sizes().end());
  std::vector<int64_t> window(dims), padded(dims);
  for (int64_t a = 0; a < dims; ++a)
  {
    const int64_t requested = o.window.empty() ? size[a] : std::max<int64_t>(1, o.window[a]);
    window[a] = RoundUp(std::min(requested, size[a]), m);
    padded[a] = std::max(RoundUp(size[a], m), window[a]);
  }
  // Pad at the end of each axis with 0 (the normalised mean).
  std::vector<int64_t> pad;
  for (int64_t a = dims - 1; a >= 0; --a)
  {
    pad.push_back(0);
    pad.push_back(padded[a] - size[a]);
  }
  const auto input = torch::constant_pad_nd(image, pad, 0).to(o.device);
  std::vector<std::vector<int64_t>> origins(dims);
  for (int64_t a = 0; a < dims; ++a)
    origins[a] = WindowOrigins(padded[a], window[a], o.overlap);
  std::vector<std::vector<int64_t>> all{ {} };
  for (int64_t a = 0; a < dims; ++a)
  {
    std::vector<std::vector<int64_t>> next;
    for (const auto & prefix : all)
      for (int64_t v : origins[a])
      {
        auto p = prefix;
        p.push_back(v);
        next.push_back(p);
      }
    all = next;
  }
  const bool single = all.size() == 1;
  auto       importance = (o.gaussian && !single) ? GaussianImportance(window, o.sigmaScale).to(o.device)
                                                  : torch::ones(window, torch::TensorOptions().dtype(torch::kFloat).device(o.device));
  torch::Tensor accumulator, weight;
  std::vector<int64_t> accShape{ 0 };
  accShape.insert(accShape.end(), padded.begin(), padded.end());
  auto slice = [&](torch::Tensor t, const std::vector<int64_t> & origin, int64_t first) {
    for (int64_t a = 0; a < dims; ++a)
      t = t.slice(first + a, origin[a], origin[a] + window[a]);
    return t;
  };
  const int64_t batch = std::max<int64_t>(1, o.batchSize);
  for (size_t start = 0; start < all.size(); start += batch)
  {
    const size_t               end = std::min(all.size(), start + static_cast<size_t>(batch));
    std::vector<torch::Tensor> windows;
    for (size_t i = start; i < end; ++i)
      windows.push_back(slice(input, all[i], 1));
    auto logits = network.forward(torch::stack(windows));
    auto probabilities = torch::softmax(logits.to(torch::kFloat), 1);
    if (!accumulator.defined())
    {
      accShape[0] = probabilities.size(1);
      accumulator = torch::zeros(accShape, probabilities.options());
      std::vector<int64_t> wShape(padded);
      wShape.insert(wShape.begin(), 1);
      weight = torch::zeros(wShape, probabilities.options());
    }
    for (size_t i = start; i < end; ++i)
    {
      slice(accumulator, all[i], 1).add_(probabilities[static_cast<int64_t>(i - start)] * importance);
      slice(weight, all[i], 1).add_(importance);
    }
    if (progress)
      progress(progressStart + progressSpan * static_cast<double>(end) / all.size());
  }
  auto result = accumulator / weight;
  for (int64_t a = 0; a < dims; ++a)
    result = result.slice(1 + a, 0, size[a]);
  return result;
}
} // namespace

torch::Tensor
PredictProbabilities(SegmentationNetworkImpl & network, const torch::Tensor & image, const InferenceOptions & o,
                     const std::function<void(double)> & progress)
{
  if (image.dim() != 3 && image.dim() != 4)
    throw Error("image", "expected [C, H, W] or [C, D, H, W]");
  if (!o.window.empty() && static_cast<int64_t>(o.window.size()) != image.dim() - 1)
    throw Error("window", "needs one size per spatial axis");
  if (!(o.overlap >= 0 && o.overlap < 1))
    throw Error("overlap", "must be in [0, 1)");
  torch::NoGradGuard noGrad;
  network.eval();
  network.to(o.device);
  const auto x = image.to(torch::kFloat);
  const int64_t dims = x.dim() - 1;
  if (!o.tta)
    return Tiled(network, x, o, progress, 0, 1).to(torch::kCPU);
  // Test-time augmentation: the transform group, each prediction mapped back and averaged.
  struct Transform
  {
    int                  rotations = 0;  // 2D: quarter turns in the (H, W) plane
    std::vector<int64_t> flips;          // spatial axes flipped (after rotating)
  };
  std::vector<Transform> transforms;
  if (dims == 2)
  {
    for (int r = 0; r < 4; ++r)
      for (int f = 0; f < 2; ++f)
        transforms.push_back({ r, f ? std::vector<int64_t>{ 1 } : std::vector<int64_t>{} });
  }
  else
  {
    for (int mask = 0; mask < 8; ++mask)
    {
      Transform t;
      for (int64_t a = 0; a < 3; ++a)
        if (mask & (1 << a))
          t.flips.push_back(a);
      transforms.push_back(t);
    }
  }
  torch::Tensor sum;
  const double  span = 1.0 / transforms.size();
  for (size_t i = 0; i < transforms.size(); ++i)
  {
    const auto & t = transforms[i];
    auto         xi = x;
    if (t.rotations)
      xi = torch::rot90(xi, t.rotations, { 1, 2 });
    std::vector<int64_t> flipDims;
    for (int64_t a : t.flips)
      flipDims.push_back(a + 1);
    if (!flipDims.empty())
      xi = torch::flip(xi, flipDims);
    auto p = Tiled(network, xi.contiguous(), o, progress, i * span, span);
    if (!flipDims.empty())
      p = torch::flip(p, flipDims);
    if (t.rotations)
      p = torch::rot90(p, -t.rotations, { 1, 2 });
    sum = sum.defined() ? sum + p : p;
  }
  return (sum / static_cast<double>(transforms.size())).to(torch::kCPU);
}
} // namespace tessera
