// FPN decoder (Lin et al. 2017, "Feature Pyramid Networks for Object Detection"; the semantic
// segmentation head of Kirillov et al.'s panoptic FPN as segmentation_models.pytorch builds it)
// on a ResNet-18/34 encoder, 2D and 3D.
#include "tesseraFPN.h"

#include "tesseraError.h"

namespace tessera
{
namespace
{
/** conv3×3 (no bias)–norm–ReLU, then ×2 (bi/trilinear) when upsample. */
class SegmentationBlockImpl : public torch::nn::Module
{
public:
  SegmentationBlockImpl(int dimension, int64_t in, int64_t out, bool upsample, const std::string & normalization)
    : m_Upsample(upsample)
  {
    conv = register_module("conv", MakeConv(dimension, in, out, 3, 1, 1, normalization == "none"));
    norm = register_module("norm", std::make_shared<NormImpl>(normalization, out));
  }
  torch::Tensor forward(torch::Tensor x)
  {
    x = torch::relu(norm->forward(conv->forward(x)));
    if (m_Upsample)
    {
      std::vector<int64_t> size = SpatialSize(x);
      for (auto & s : size)
      {
        s *= 2;
      }
      x = ResizeTo(x, size, "linear");
    }
    return x;
  }

private:
  bool                        m_Upsample;
  std::shared_ptr<ConvNdImpl> conv;
  std::shared_ptr<NormImpl>   norm;
};
} // namespace

FPNImpl::FPNImpl(const NetworkOptions & options)
  : m_Options(options)
{
  if (options.baseWidth < 1)
  {
    throw Error("network", "baseWidth: must be at least 1");
  }
  encoder = register_module("encoder", MakeResNetEncoder(options));
  const int     dim = options.dimension;
  const auto    channels = encoder->Channels();
  const int64_t pyramid = 2 * options.baseWidth, segmentation = options.baseWidth;
  for (int level = 0; level < 4; ++level) // P2 (stride 4) .. P5 (stride 32)
  {
    lateral.push_back(
      register_module("lateral" + std::to_string(level + 2), MakeConv(dim, channels[level + 1], pyramid, 1, 1, 0, true)));
    torch::nn::Sequential blocks;
    if (level == 0)
    {
      blocks->push_back(std::make_shared<SegmentationBlockImpl>(dim, pyramid, segmentation, false, options.normalization));
    }
    for (int u = 0; u < level; ++u)
    {
      blocks->push_back(std::make_shared<SegmentationBlockImpl>(dim, u == 0 ? pyramid : segmentation, segmentation,
                                                                true, options.normalization));
    }
    segmentationBlocks.push_back(register_module("segmentation" + std::to_string(level + 2), blocks));
  }
  head = register_module("head", MakeConv(dim, segmentation, options.classes, 1, 1, 0, true));
}

torch::Tensor
FPNImpl::forward(torch::Tensor x)
{
  const std::vector<int64_t> size = SpatialSize(x);
  x = PadToMultiple(x, SizeMultiple());
  const std::vector<int64_t> padded = SpatialSize(x);
  const auto                 features = encoder->forward(x); // strides 2, 4, 8, 16, 32

  // Top-down pathway: P5 = lateral(C5); P_l = nearest ×2 (P_{l+1}) + lateral(C_l).
  std::vector<torch::Tensor> p(4);
  p[3] = lateral[3]->forward(features[4]);
  for (int level = 2; level >= 0; --level)
  {
    const torch::Tensor skip = lateral[level]->forward(features[level + 1]);
    p[level] = ResizeTo(p[level + 1], SpatialSize(skip), "nearest") + skip;
  }
  // Each level to stride 4 through its segmentation blocks; sum; dropout; 1×1 conv; ×4.
  torch::Tensor sum;
  for (int level = 0; level < 4; ++level)
  {
    const torch::Tensor y = segmentationBlocks[level]->forward(p[level]);
    sum = level == 0 ? y : sum + y;
  }
  if (m_Options.dropout > 0.0)
  {
    sum = torch::feature_dropout(sum, m_Options.dropout, is_training());
  }
  torch::Tensor logits = ResizeTo(head->forward(sum), padded, "linear");
  return CropTo(logits, size);
}

std::shared_ptr<SegmentationNetworkImpl>
MakeFPN(const NetworkOptions & options)
{
  return std::make_shared<FPNImpl>(options);
}
} // namespace tessera
