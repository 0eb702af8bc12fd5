#include "tesseraGroupUNet.h"

#include <cmath>
#include <functional>

#include "tesseraError.h"

namespace tessera
{
namespace
{
/** A 2D operation on group feature maps [N, C, |G|, H, W], seen as [N, C·|G|, H, W]. */
torch::Tensor
OnPlanes(const torch::Tensor & y, const std::function<torch::Tensor(const torch::Tensor &)> & f)
{
  const auto z = f(y.reshape({ y.size(0), y.size(1) * y.size(2), y.size(3), y.size(4) }));
  return z.reshape({ y.size(0), y.size(1), y.size(2), z.size(2), z.size(3) });
}
} // namespace

GroupUNetImpl::GroupUNetImpl(const NetworkOptions & options)
  : m_Options(options)
  , m_Group(options.equivariance)
{
  ValidateNetworkOptions(options, "network");
  if (options.dimension != 2)
  {
    throw Error("network", "equivariance: group convolutions are 2D (p4, p4m), and dimension is " +
                             std::to_string(options.dimension));
  }
  const double shrink = std::sqrt(static_cast<double>(m_Group.Order()));
  std::vector<int64_t> width;
  for (int l = 0; l <= options.depth; ++l)
  {
    width.push_back(std::max<int64_t>(1, std::llround(static_cast<double>(int64_t{ options.baseWidth } << l) / shrink)));
  }
  for (int l = 0; l <= options.depth; ++l)
  {
    const int64_t in = l == 0 ? options.inChannels : width[static_cast<std::size_t>(l - 1)];
    m_Encoder.push_back(register_module("encoder" + std::to_string(l),
                                        Block(in, width[static_cast<std::size_t>(l)], l == 0, l == options.depth)));
  }
  for (int l = options.depth - 1; l >= 0; --l)
  {
    const int64_t in = width[static_cast<std::size_t>(l + 1)], out = width[static_cast<std::size_t>(l)];
    m_Up.push_back(register_module("up" + std::to_string(l), GroupConv2d(m_Group, in, out, 1)));
    m_Decoder.push_back(register_module("decoder" + std::to_string(l), Block(2 * out, out, false, true)));
  }
  m_Head = register_module("head", torch::nn::Conv2d(torch::nn::Conv2dOptions(width[0], options.classes, 1)));
}

torch::nn::Sequential
GroupUNetImpl::Block(int64_t in, int64_t out, bool lifting, bool dropout)
{
  const bool            batch = m_Options.normalization == "batch";
  torch::nn::Sequential s;
  for (int i = 0; i < 2; ++i)
  {
    if (i == 0 && lifting)
      s->push_back(LiftingConv2d(m_Group, in, out, 3, !batch));
    else
      s->push_back(GroupConv2d(m_Group, i == 0 ? in : out, out, 3, !batch));
    if (batch)
      s->push_back(torch::nn::BatchNorm3d(out));
    else if (m_Options.normalization == "instance")
      s->push_back(torch::nn::InstanceNorm3d(torch::nn::InstanceNorm3dOptions(out).affine(true)));
    s->push_back(torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)));
  }
  if (dropout && m_Options.dropout > 0.0)
  {
    s->push_back(torch::nn::Dropout3d(m_Options.dropout)); // whole channels, across the group axis
  }
  return s;
}

torch::Tensor
GroupUNetImpl::forward(torch::Tensor x)
{
  CheckSpatialSizes(x, SizeMultiple(), "group U-Net");
  std::vector<torch::Tensor> skips;
  for (std::size_t l = 0; l < m_Encoder.size(); ++l)
  {
    if (l > 0)
    {
      x = OnPlanes(x, [](const torch::Tensor & t) { return torch::max_pool2d(t, 2); });
    }
    x = m_Encoder[l]->forward(x);
    skips.push_back(x);
  }
  skips.pop_back();
  for (std::size_t i = 0; i < m_Decoder.size(); ++i)
  {
    x = m_Up[i]->forward(OnPlanes(x, [](const torch::Tensor & t) {
      return torch::upsample_nearest2d(t, std::vector<int64_t>{ t.size(2) * 2, t.size(3) * 2 });
    }));
    x = torch::cat({ skips.back(), x }, 1);
    skips.pop_back();
    x = m_Decoder[i]->forward(x);
  }
  return m_Head->forward(GroupPool(x));
}

std::shared_ptr<SegmentationNetworkImpl>
MakeGroupUNet(const NetworkOptions & options)
{
  return std::make_shared<GroupUNetImpl>(options);
}
} // namespace tessera
