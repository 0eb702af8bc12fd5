#ifndef tesseraLinkNet_h
#define tesseraLinkNet_h

#include "tesseraResNetEncoder.h"

namespace tessera
{
/** LinkNet (Chaurasia & Culurciello 2017) on a ResNet-18/34 encoder (options.encoder), 2D or 3D.
 * Encoder: conv7×7/2 + max-pool (stride 4), layer1..layer4 (strides 4, 8, 16, 32; channels
 * w, 2w, 4w, 8w with w = 64). Decoder blocks ("decoder4".."decoder1"): conv1×1 m→m/4, transposed
 * conv 3×3 ×2 m/4→m/4, conv1×1 m/4→n, each with norm and ReLU; decoder_i's output is added to
 * encoder block i−1's: d4 = D4(e4) + e3, d3 = D3(d4) + e2, d2 = D2(d3) + e1, d1 = D1(d2). As in the
 * authors' ResNet-18 code, D1's transposed conv has stride 1 (ResNet's layer1 keeps the stem's
 * resolution). Final block ("final"): transposed conv 3×3 ×2 (w → baseWidth), conv 3×3,
 * both with norm and ReLU; channel dropout (options.dropout); transposed conv 2×2 ×2 to
 * options.classes ("classifier", with bias); the paper's width is baseWidth = 32. Sizes that are not
 * multiples of 32 are zero-padded at their ends and the logits cropped back. */
class LinkNetImpl : public SegmentationNetworkImpl
{
public:
  explicit LinkNetImpl(const NetworkOptions & options);
  torch::Tensor forward(torch::Tensor x) override;
  int64_t SizeMultiple() const override { return ResNetEncoderImpl::SizeMultiple(); }

  std::shared_ptr<ResNetEncoderImpl> encoder;

private:
  NetworkOptions                 m_Options;
  torch::nn::Sequential          decoder4{ nullptr }, decoder3{ nullptr }, decoder2{ nullptr }, decoder1{ nullptr };
  torch::nn::Sequential          finalBlock{ nullptr };
  std::shared_ptr<ConvNdImpl>    classifier;
};
} // namespace tessera

#endif
