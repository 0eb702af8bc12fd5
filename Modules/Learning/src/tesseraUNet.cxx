#include "tesseraUNet.h"

namespace tessera
{
namespace
{
torch::nn::AnyModule
Conv(int dim, int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding, bool bias)
{
  if (dim == 2)
    return torch::nn::AnyModule(
      torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(bias)));
  return torch::nn::AnyModule(
    torch::nn::Conv3d(torch::nn::Conv3dOptions(in, out, kernel).stride(stride).padding(padding).bias(bias)));
}
} // namespace

UNetImpl::UNetImpl(const NetworkOptions & options)
  : m_Options(options)
{
  ValidateNetworkOptions(options, "network");
  const int64_t w = options.baseWidth;
  for (int l = 0; l <= options.depth; ++l)
  {
    const int64_t in = l == 0 ? options.inChannels : w << (l - 1);
    m_Encoder.push_back(register_module("encoder" + std::to_string(l), Block(in, w << l, l == options.depth)));
  }
  for (int l = options.depth - 1; l >= 0; --l)
  {
    const int64_t in = w << (l + 1), out = w << l;
    if (options.dimension == 2)
      m_Up.emplace_back(register_module(
        "up" + std::to_string(l), torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(in, out, 2).stride(2))));
    else
      m_Up.emplace_back(register_module(
        "up" + std::to_string(l), torch::nn::ConvTranspose3d(torch::nn::ConvTranspose3dOptions(in, out, 2).stride(2))));
    m_Decoder.push_back(register_module("decoder" + std::to_string(l), Block(2 * out, out, true)));
  }
  if (options.dimension == 2)
    m_Head = torch::nn::AnyModule(register_module("head", torch::nn::Conv2d(torch::nn::Conv2dOptions(w, options.classes, 1))));
  else
    m_Head = torch::nn::AnyModule(register_module("head", torch::nn::Conv3d(torch::nn::Conv3dOptions(w, options.classes, 1))));
}

torch::nn::Sequential
UNetImpl::Block(int64_t in, int64_t out, bool dropout)
{
  const int             dim = m_Options.dimension;
  const bool            batch = m_Options.normalization == "batch";
  const bool            instance = m_Options.normalization == "instance";
  torch::nn::Sequential s;
  for (int i = 0; i < 2; ++i)
  {
    s->push_back(Conv(dim, i == 0 ? in : out, out, 3, 1, 1, !batch));
    if (batch)
    {
      if (dim == 2)
        s->push_back(torch::nn::BatchNorm2d(out));
      else
        s->push_back(torch::nn::BatchNorm3d(out));
    }
    else if (instance)
    {
      if (dim == 2)
        s->push_back(torch::nn::InstanceNorm2d(torch::nn::InstanceNorm2dOptions(out).affine(true)));
      else
        s->push_back(torch::nn::InstanceNorm3d(torch::nn::InstanceNorm3dOptions(out).affine(true)));
    }
    s->push_back(torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)));
  }
  if (dropout && m_Options.dropout > 0.0)
  {
    if (dim == 2)
      s->push_back(torch::nn::Dropout2d(m_Options.dropout));
    else
      s->push_back(torch::nn::Dropout3d(m_Options.dropout));
  }
  return s;
}

torch::Tensor
UNetImpl::forward(torch::Tensor x)
{
  CheckSpatialSizes(x, SizeMultiple(), "U-Net");
  std::vector<torch::Tensor> skips;
  for (size_t l = 0; l < m_Encoder.size(); ++l)
  {
    if (l > 0)
      x = m_Options.dimension == 2 ? torch::max_pool2d(x, 2) : torch::max_pool3d(x, 2);
    x = m_Encoder[l]->forward(x);
    skips.push_back(x);
  }
  skips.pop_back();
  for (size_t i = 0; i < m_Decoder.size(); ++i)
  {
    x = m_Up[i].forward(x);
    x = torch::cat({ skips.back(), x }, 1);
    skips.pop_back();
    x = m_Decoder[i]->forward(x);
  }
  return m_Head.forward(x);
}

std::shared_ptr<SegmentationNetworkImpl>
MakeUNet(const NetworkOptions & options)
{
  return std::make_shared<UNetImpl>(options);
}
} // namespace tessera
