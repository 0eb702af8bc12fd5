#ifndef tesseraFPN_h
#define tesseraFPN_h

#include "tesseraResNetEncoder.h"

namespace tessera
{
/** FPN semantic segmentation (Lin et al. 2017; the head of segmentation_models.pytorch's FPN) on a
 * ResNet-18/34 encoder (options.encoder), 2D or 3D:
 *  - lateral 1×1 convs (with bias) of layer1..layer4 (strides 4..32) to P = 2·baseWidth channels
 *    ("lateral2".."lateral5"); top-down: P5 = lateral5(C5), P_l = nearest×2(P_{l+1}) + lateral_l(C_l);
 *  - per level a segmentation branch ("segmentation2".."segmentation5") of 3×3 conv–norm–ReLU
 *    blocks to S = baseWidth channels, each block but P2's followed by bi/trilinear ×2, so that all
 *    four reach stride 4; they are summed;
 *  - channel dropout (options.dropout), a 1×1 conv ("head", with bias) to options.classes, and
 *    bi/trilinear ×4 back to the input size.
 * segmentation_models.pytorch's defaults (P = 256, S = 128) are baseWidth = 128; it uses
 * GroupNorm(32) in the branches where we use options.normalization. Sizes that are not multiples
 * of 32 are zero-padded at their ends and the logits cropped back. Weights of the encoder:
 * encoder->LoadWeights(path). */
class FPNImpl : public SegmentationNetworkImpl
{
public:
  explicit FPNImpl(const NetworkOptions & options);
  torch::Tensor forward(torch::Tensor x) override;
  int64_t SizeMultiple() const override { return ResNetEncoderImpl::SizeMultiple(); }

  std::shared_ptr<ResNetEncoderImpl> encoder;

private:
  NetworkOptions                           m_Options;
  std::vector<std::shared_ptr<ConvNdImpl>> lateral;
  std::vector<torch::nn::Sequential>       segmentationBlocks;
  std::shared_ptr<ConvNdImpl>              head;
};
} // namespace tessera

#endif
