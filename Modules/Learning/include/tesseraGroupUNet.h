#ifndef tesseraGroupUNet_h
#define tesseraGroupUNet_h

#include <vector>

#include "tesseraGroupConvolution.h"
#include "tesseraSegmentationNetwork.h"

namespace tessera
{
/** The U-Net of tesseraUNet.h built of group convolutions (2D, `"equivariance": "p4" | "p4m"` in the
 * network options): a lifting layer, then group layers; normalisation over channels with statistics
 * shared by the group axis and the plane (BatchNorm3d / InstanceNorm3d on [N, C, |G|, H, W]); 2×2 max
 * pooling down; nearest 2× upsampling and a 1×1 group convolution up; the group axis averaged (GroupPool)
 * before the 1×1 head. Logits turn and mirror with the image: f(T_g x) = T_g f(x) exactly (to rounding)
 * for inputs whose height and width are multiples of 2^depth, the sizes forward() accepts — pooling
 * windows then map onto pooling windows.
 * Width rule: level l has round(baseWidth·2^l / √|G|) group channels (at least 1), so that a group layer
 * holds as many weights as the plain U-Net's layer of the same base_width (Cohen and Welling 2016, §8). */
class GroupUNetImpl : public SegmentationNetworkImpl
{
public:
  /** \throws Error("network", ...) for options a group U-Net does not take (3D, an unknown group). */
  explicit GroupUNetImpl(const NetworkOptions & options);
  torch::Tensor forward(torch::Tensor x) override;
  int64_t       SizeMultiple() const override { return int64_t{ 1 } << m_Options.depth; }
  const PlanarGroup & Group() const { return m_Group; }

private:
  torch::nn::Sequential Block(int64_t in, int64_t out, bool lifting, bool dropout);

  NetworkOptions                     m_Options;
  PlanarGroup                        m_Group;
  std::vector<torch::nn::Sequential> m_Encoder; // depth + 1 blocks; the last is the bottleneck
  std::vector<GroupConv2d>           m_Up;      // depth 1×1 group convolutions after upsampling (deepest first)
  std::vector<torch::nn::Sequential> m_Decoder; // depth blocks (deepest first)
  torch::nn::Conv2d                  m_Head{ nullptr };
};

/** The group U-Net of the options (tesseraGroupUNet.cxx). */
std::shared_ptr<SegmentationNetworkImpl> MakeGroupUNet(const NetworkOptions & options);
} // namespace tessera

#endif
