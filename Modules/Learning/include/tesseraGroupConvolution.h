#ifndef tesseraGroupConvolution_h
#define tesseraGroupConvolution_h

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

/** \file Group-equivariant convolutions on the plane (Cohen and Welling, ICML 2016, "Group
 * Equivariant Convolutional Networks"; GrouPy's filter transforms): for p4 (the four 90° rotations)
 * and p4m (rotations and mirror images, 8 elements). A lifting layer maps an image [N, C, H, W] to
 * group feature maps [N, C', |G|, H, W]; a group layer maps those to group feature maps; both
 * transform their filters by index gathering and run one conv2d with the stacked filters. A group
 * feature map transforms by PlanarGroup::Act: the plane turned or mirrored, the group axis permuted. */
namespace tessera
{
/** p4 or p4m. Element e = 4 m + r acts on the plane (the last two axes of a tensor) as: mirror the
 * width axis if m = 1, then turn r times by 90° (torch::rot90 over (H, W)). */
class PlanarGroup
{
public:
  /** \throws Error("equivariance", ...) for a name other than "p4" and "p4m". */
  explicit PlanarGroup(const std::string & name);
  const std::string & Name() const { return m_Name; }
  int64_t             Order() const { return m_Order; } ///< |G|: 4 or 8
  /** The element a·b (b applied first). */
  int64_t Compose(int64_t a, int64_t b) const { return m_Product[static_cast<std::size_t>(a * m_Order + b)]; }
  int64_t Inverse(int64_t a) const { return m_Inverse[static_cast<std::size_t>(a)]; }
  /** Element e applied to the plane of x (its last two axes: [..., H, W] → [..., W, H] for odd turns). */
  torch::Tensor Transform(const torch::Tensor & x, int64_t e) const;
  /** Element g applied to group feature maps y [N, C, |G|, H, W]: (g·y)[:, :, h] = T_g(y[:, :, g⁻¹h]). */
  torch::Tensor Act(const torch::Tensor & y, int64_t g) const;

private:
  std::string          m_Name;
  int64_t              m_Order = 0;
  std::vector<int64_t> m_Product, m_Inverse;
};

/** Lifting convolution: image [N, in, H, W] → group feature maps [N, out, |G|, H, W], output h made
 * with the filters turned and mirrored by h. Odd kernel, stride 1, zero "same" padding: exactly
 * equivariant, f(T_g x) = g·f(x). */
class LiftingConv2dImpl : public torch::nn::Module
{
public:
  LiftingConv2dImpl(const PlanarGroup & group, int64_t in, int64_t out, int64_t kernel, bool bias = true);
  torch::Tensor forward(const torch::Tensor & x);
  torch::Tensor weight, bias; ///< [out, in, k, k]; [out] (shared by the group axis), or undefined

private:
  PlanarGroup m_Group;
};
TORCH_MODULE(LiftingConv2d);

/** Group convolution: group feature maps [N, in, |G|, H, W] → [N, out, |G|, H, W]; the filter of
 * output h is the base filter with its group axis permuted by h⁻¹ and its plane transformed by h
 * (one conv2d over in·|G| channels). Odd kernel, stride 1, "same" padding: exactly equivariant. */
class GroupConv2dImpl : public torch::nn::Module
{
public:
  GroupConv2dImpl(const PlanarGroup & group, int64_t in, int64_t out, int64_t kernel, bool bias = true);
  torch::Tensor forward(const torch::Tensor & y);
  torch::Tensor weight, bias; ///< [out, in, |G|, k, k]; [out], or undefined

private:
  PlanarGroup                  m_Group;
  torch::Tensor                m_Gather; // [|G|, |G|]: row h lists h⁻¹k for k = 0..|G|-1
};
TORCH_MODULE(GroupConv2d);

/** Mean over the group axis: [N, C, |G|, H, W] → [N, C, H, W], which turns as the plane does. */
torch::Tensor GroupPool(const torch::Tensor & y);
} // namespace tessera

#endif
