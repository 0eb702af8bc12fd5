#include "tesseraInference.h"

#include <cmath>
#include <limits>

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

/** The transforms test-time augmentation averages over, applied to each window [N, C, spatial...]:
 * 2D, the dihedral group (quarter turns in the (H, W) plane, each with and without a flip of W);
 * 3D, the 8 combinations of axis flips. Without TTA, the identity alone. */
struct Transform
{
  int                  rotations = 0;
  std::vector<int64_t> flips; ///< tensor dimensions flipped after rotating
};

std::vector<Transform>
Transforms(bool tta, int64_t dims)
{
  if (!tta)
    return { Transform{} };
  std::vector<Transform> transforms;
  if (dims == 2)
  {
    for (int r = 0; r < 4; ++r)
      for (int f = 0; f < 2; ++f)
        transforms.push_back({ r, f ? std::vector<int64_t>{ 3 } : std::vector<int64_t>{} });
    return transforms;
  }
  for (int mask = 0; mask < 8; ++mask)
  {
    Transform t;
    for (int64_t a = 0; a < 3; ++a)
      if (mask & (1 << a))
        t.flips.push_back(a + 2);
    transforms.push_back(t);
  }
  return transforms;
}

/** Mean softmax probabilities of a batch of windows [N, C, spatial...] over the transforms. */
torch::Tensor
PredictWindows(SegmentationNetworkImpl & network, const torch::Tensor & windows, const std::vector<Transform> & transforms)
{
  torch::Tensor sum;
  for (const auto & t : transforms)
  {
    auto x = windows;
    if (t.rotations)
      x = torch::rot90(x, t.rotations, { 2, 3 });
    if (!t.flips.empty())
      x = torch::flip(x, t.flips);
    auto p = torch::softmax(network.forward(x.contiguous()).to(torch::kFloat), 1);
    if (!t.flips.empty())
      p = torch::flip(p, t.flips);
    if (t.rotations)
      p = torch::rot90(p, -t.rotations, { 2, 3 });
    sum = sum.defined() ? sum + p : p;
  }
  return transforms.size() == 1 ? sum : sum / static_cast<double>(transforms.size());
}
} // namespace

torch::Tensor
PredictProbabilities(SegmentationNetworkImpl & network, const torch::Tensor & image, const InferenceOptions & o,
                     const std::function<void(double)> & progress)
{
  if (image.dim() != 3 && image.dim() != 4)
    throw Error("image", "expected [C, H, W] or [C, D, H, W]");
  const int64_t dims = image.dim() - 1;
  if (!o.window.empty() && static_cast<int64_t>(o.window.size()) != dims)
    throw Error("window", "needs one size per spatial axis");
  if (!(o.overlap >= 0 && o.overlap < 1))
    throw Error("overlap", "must be in [0, 1)");
  const TilePlacement & place = o.placement;
  if (place.Tiled() && (place.wholeSize.size() != static_cast<size_t>(dims) || place.offset.size() != place.wholeSize.size() ||
                        place.keepOffset.size() != place.wholeSize.size() || place.keepSize.size() != place.wholeSize.size()))
    throw Error("image", "the tile placement needs one value per spatial axis");
  torch::NoGradGuard noGrad;
  network.eval();
  network.to(o.device);
  const int64_t        m = network.SizeMultiple();
  // Tensor axes are (D,) H, W; the placement's are x first.
  auto                 axis = [&](const std::vector<int64_t> & v, int64_t a) { return v[dims - 1 - a]; };
  std::vector<int64_t> size(image.sizes().begin() + 1, image.sizes().end());
  std::vector<int64_t> whole(dims), offset(dims, 0), keepFirst(dims, 0), keepEnd(size);
  std::vector<int64_t> window(dims), padded(dims);
  std::vector<std::vector<int64_t>> origins(dims);
  size_t                            wholeWindows = 1;
  for (int64_t a = 0; a < dims; ++a)
  {
    whole[a] = place.Tiled() ? axis(place.wholeSize, a) : size[a];
    if (place.Tiled())
    {
      offset[a] = axis(place.offset, a);
      keepFirst[a] = offset[a] + axis(place.keepOffset, a);
      keepEnd[a] = keepFirst[a] + axis(place.keepSize, a);
    }
    const int64_t requested = o.window.empty() ? whole[a] : std::max<int64_t>(1, o.window[a]);
    window[a] = RoundUp(std::min(requested, whole[a]), m);
    // Padded at the end of each axis with 0 (the normalised mean) to a multiple of the size multiple.
    padded[a] = std::max(RoundUp(whole[a], m), window[a]);
    // Windows on the whole image's grid; a tile runs those meeting the part it keeps.
    const auto along = WindowOrigins(padded[a], window[a], o.overlap);
    wholeWindows *= along.size();
    for (const int64_t v : along)
      if (v < keepEnd[a] && v + window[a] > keepFirst[a])
        origins[a].push_back(v);
    if (origins[a].empty())
      throw Error("image", "the tile placement keeps no pixel of the image");
  }
  // The frame the windows and the image span, on the whole image's grid.
  std::vector<int64_t> first(dims), frame(dims);
  for (int64_t a = 0; a < dims; ++a)
  {
    first[a] = std::min(offset[a], origins[a].front());
    const int64_t end = std::max(offset[a] + size[a], origins[a].back() + window[a]);
    if (first[a] < offset[a] || (end > offset[a] + size[a] && offset[a] + size[a] < whole[a]))
      throw Error("image", "the tile's halo is narrower than the network's window (" + std::to_string(window[a]) + " pixels)");
    frame[a] = end - first[a];
  }
  std::vector<int64_t> pad;
  for (int64_t a = dims - 1; a >= 0; --a)
  {
    pad.push_back(offset[a] - first[a]);
    pad.push_back(frame[a] - size[a] - (offset[a] - first[a]));
  }
  const auto input = torch::constant_pad_nd(image.to(torch::kFloat), pad, 0).to(o.device);
  std::vector<std::vector<int64_t>> all{ {} };
  for (int64_t a = 0; a < dims; ++a)
  {
    std::vector<std::vector<int64_t>> next;
    for (const auto & prefix : all)
      for (int64_t v : origins[a])
      {
        auto q = prefix;
        q.push_back(v - first[a]);
        next.push_back(q);
      }
    all = next;
  }
  // One window over the whole image: its probabilities as they are.
  auto importance = (o.gaussian && wholeWindows > 1) ? GaussianImportance(window, o.sigmaScale).to(o.device)
                                                  : torch::ones(window, torch::TensorOptions().dtype(torch::kFloat).device(o.device));
  const auto transforms = Transforms(o.tta, dims);
  torch::Tensor accumulator, weight;
  auto slice = [&](torch::Tensor t, const std::vector<int64_t> & origin, int64_t from) {
    for (int64_t a = 0; a < dims; ++a)
      t = t.slice(from + a, origin[a], origin[a] + window[a]);
    return t;
  };
  // Every pass takes `batch` windows (the last padded with zeros): the convolutions' kernels, and so
  // the last bits of their sums, depend on the batch size, and a tile's windows must get exactly the
  // untiled run's probabilities.
  const int64_t batch = std::min<int64_t>(std::max<int64_t>(1, o.batchSize), static_cast<int64_t>(wholeWindows));
  for (size_t start = 0; start < all.size(); start += batch)
  {
    const size_t               end = std::min(all.size(), start + static_cast<size_t>(batch));
    std::vector<torch::Tensor> windows;
    for (size_t i = start; i < end; ++i)
      windows.push_back(slice(input, all[i], 1));
    while (static_cast<int64_t>(windows.size()) < batch)
      windows.push_back(torch::zeros_like(windows.front()));
    const auto probabilities = PredictWindows(network, torch::stack(windows), transforms);
    if (!accumulator.defined())
    {
      std::vector<int64_t> shape{ probabilities.size(1) };
      shape.insert(shape.end(), frame.begin(), frame.end());
      accumulator = torch::zeros(shape, probabilities.options());
      shape[0] = 1;
      weight = torch::zeros(shape, probabilities.options());
    }
    for (size_t i = start; i < end; ++i)
    {
      slice(accumulator, all[i], 1).add_(probabilities[static_cast<int64_t>(i - start)] * importance);
      slice(weight, all[i], 1).add_(importance);
    }
    if (progress)
      progress(static_cast<double>(end) / all.size());
  }
  // Halo pixels no window met (tiled runs only) are 0.
  auto result = accumulator / weight.clamp_min(std::numeric_limits<float>::min());
  for (int64_t a = 0; a < dims; ++a)
    result = result.slice(1 + a, offset[a] - first[a], offset[a] - first[a] + size[a]);
  return result.to(torch::kCPU);
}

} // namespace tessera
