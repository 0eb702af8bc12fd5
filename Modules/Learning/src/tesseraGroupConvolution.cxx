#include "tesseraGroupConvolution.h"

#include <cmath>

#include "tesseraError.h"

namespace tessera
{
PlanarGroup::PlanarGroup(const std::string & name)
  : m_Name(name)
{
  if (name != "p4" && name != "p4m")
  {
    throw Error("equivariance", "must be p4 (90° rotations) or p4m (rotations and mirror images), not \"" + name + "\"");
  }
  m_Order = name == "p4" ? 4 : 8;
  // The table from the elements' action on an asymmetric 3 x 3 pattern: a·b is the element whose
  // transform equals b's followed by a's.
  const auto            pattern = torch::arange(9, torch::kFloat).view({ 3, 3 });
  std::vector<torch::Tensor> image;
  for (int64_t e = 0; e < m_Order; ++e)
  {
    image.push_back(Transform(pattern, e));
  }
  m_Product.assign(static_cast<std::size_t>(m_Order * m_Order), -1);
  m_Inverse.assign(static_cast<std::size_t>(m_Order), -1);
  for (int64_t a = 0; a < m_Order; ++a)
  {
    for (int64_t b = 0; b < m_Order; ++b)
    {
      const auto ab = Transform(image[static_cast<std::size_t>(b)], a);
      for (int64_t c = 0; c < m_Order; ++c)
      {
        if (torch::equal(ab, image[static_cast<std::size_t>(c)]))
        {
          m_Product[static_cast<std::size_t>(a * m_Order + b)] = c;
        }
      }
      if (m_Product[static_cast<std::size_t>(a * m_Order + b)] == 0)
      {
        m_Inverse[static_cast<std::size_t>(a)] = b;
      }
    }
  }
}

torch::Tensor
PlanarGroup::Transform(const torch::Tensor & x, int64_t e) const
{
  const torch::Tensor mirrored = e >= 4 ? x.flip({ -1 }) : x;
  return e % 4 ? torch::rot90(mirrored, e % 4, { -2, -1 }) : mirrored;
}

torch::Tensor
PlanarGroup::Act(const torch::Tensor & y, int64_t g) const
{
  std::vector<int64_t> source(static_cast<std::size_t>(m_Order));
  for (int64_t h = 0; h < m_Order; ++h)
  {
    source[static_cast<std::size_t>(h)] = Compose(Inverse(g), h);
  }
  return Transform(y.index_select(2, torch::tensor(source, torch::kLong).to(y.device())), g);
}

namespace
{
/** PyTorch's convolution initialisation (kaiming_uniform_ with a = √5, bias within ±1/√fan_in). */
void
InitialiseConvolution(torch::Tensor & weight, torch::Tensor & bias)
{
  torch::NoGradGuard noGrad;
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined())
  {
    const double bound = 1.0 / std::sqrt(static_cast<double>(weight.numel() / weight.size(0)));
    bias.uniform_(-bound, bound);
  }
}

void
CheckKernel(int64_t kernel)
{
  if (kernel < 1 || kernel % 2 == 0)
  {
    throw Error("network", "group convolutions take odd kernels (exact equivariance with same padding), not " +
                             std::to_string(kernel));
  }
}

torch::Tensor
GroupBias(const torch::Tensor & bias, int64_t order)
{
  return bias.defined() ? bias.repeat_interleave(order) : torch::Tensor();
}
} // namespace

LiftingConv2dImpl::LiftingConv2dImpl(const PlanarGroup & group, int64_t in, int64_t out, int64_t kernel, bool withBias)
  : m_Group(group)
{
  CheckKernel(kernel);
  weight = register_parameter("weight", torch::empty({ out, in, kernel, kernel }));
  if (withBias)
  {
    bias = register_parameter("bias", torch::empty({ out }));
  }
  InitialiseConvolution(weight, bias);
}

torch::Tensor
LiftingConv2dImpl::forward(const torch::Tensor & x)
{
  const int64_t              order = m_Group.Order(), out = weight.size(0);
  std::vector<torch::Tensor> filters;
  for (int64_t h = 0; h < order; ++h)
  {
    filters.push_back(m_Group.Transform(weight, h));
  }
  // [out, |G|, in, k, k] → [out·|G|, in, k, k]: output channel o·|G| + h.
  const auto stacked = torch::stack(filters, 1).reshape({ out * order, weight.size(1), weight.size(2), weight.size(3) });
  const auto y = torch::conv2d(x, stacked, GroupBias(bias, order), 1, weight.size(2) / 2);
  return y.view({ x.size(0), out, order, y.size(2), y.size(3) });
}

GroupConv2dImpl::GroupConv2dImpl(const PlanarGroup & group, int64_t in, int64_t out, int64_t kernel, bool withBias)
  : m_Group(group)
{
  CheckKernel(kernel);
  const int64_t order = group.Order();
  weight = register_parameter("weight", torch::empty({ out, in, order, kernel, kernel }));
  if (withBias)
  {
    bias = register_parameter("bias", torch::empty({ out }));
  }
  InitialiseConvolution(weight, bias);
  std::vector<int64_t> gather;
  for (int64_t h = 0; h < order; ++h)
  {
    for (int64_t k = 0; k < order; ++k)
    {
      gather.push_back(group.Compose(group.Inverse(h), k));
    }
  }
  m_Gather = register_buffer("gather", torch::tensor(gather, torch::kLong).view({ order, order }));
}

torch::Tensor
GroupConv2dImpl::forward(const torch::Tensor & y)
{
  const int64_t              order = m_Group.Order(), out = weight.size(0), in = weight.size(1), k = weight.size(3);
  std::vector<torch::Tensor> filters;
  for (int64_t h = 0; h < order; ++h)
  {
    filters.push_back(m_Group.Transform(weight.index_select(2, m_Gather[h]), h));
  }
  // [out, |G|, in, |G|, k, k] → [out·|G|, in·|G|, k, k], on the input's [N, in·|G|, H, W].
  const auto stacked = torch::stack(filters, 1).reshape({ out * order, in * order, k, k });
  const auto z = torch::conv2d(y.reshape({ y.size(0), in * order, y.size(3), y.size(4) }), stacked,
                               GroupBias(bias, order), 1, k / 2);
  return z.view({ y.size(0), out, order, z.size(2), z.size(3) });
}

torch::Tensor
GroupPool(const torch::Tensor & y)
{
  return y.mean(2);
}
} // namespace tessera
