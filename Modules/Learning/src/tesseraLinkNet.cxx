// LinkNet (Chaurasia & Culurciello 2017, "LinkNet: Exploiting Encoder Representations for
// Efficient Semantic Segmentation") on a ResNet-18/34 encoder, 2D and 3D.
#include "tesseraLinkNet.h"

#include "tesseraError.h"

namespace tessera
{
namespace
{
/** A conv (or transposed conv) followed by norm and ReLU. */
class ConvNormReluImpl : public torch::nn::Module
{
public:
  ConvNormReluImpl(std::shared_ptr<ConvNdImpl> c, const std::string & normalization)
  {
    const int64_t out = c->Options().out;
    conv = register_module("conv", c);
    norm = register_module("norm", std::make_shared<NormImpl>(normalization, out));
  }
  torch::Tensor forward(torch::Tensor x) { return torch::relu(norm->forward(conv->forward(x))); }

private:
  std::shared_ptr<ConvNdImpl> conv;
  std::shared_ptr<NormImpl>   norm;
};

/** Decoder block (paper Fig. 3b): conv1×1 m→m/4, transposed conv 3×3 ×stride m/4→m/4, conv1×1 m/4→n,
 * each with norm and ReLU. */
torch::nn::Sequential
DecoderBlock(int dim, int64_t m, int64_t n, int64_t stride, const std::string & normalization)
{
  const int64_t q = std::max<int64_t>(m / 4, 1);
  const bool    bias = normalization == "none";
  return torch::nn::Sequential(
    std::make_shared<ConvNormReluImpl>(MakeConv(dim, m, q, 1, 1, 0, bias), normalization),
    std::make_shared<ConvNormReluImpl>(
      stride == 1 ? MakeConv(dim, q, q, 3, 1, 1, bias) : MakeConvTranspose(dim, q, q, 3, stride, 1, stride - 1, bias),
      normalization),
    std::make_shared<ConvNormReluImpl>(MakeConv(dim, q, n, 1, 1, 0, bias), normalization));
}
} // namespace

LinkNetImpl::LinkNetImpl(const NetworkOptions & options)
  : m_Options(options)
{
  if (options.baseWidth < 1)
  {
    throw Error("network", "baseWidth: must be at least 1");
  }
  encoder = register_module("encoder", MakeResNetEncoder(options));
  const int          dim = options.dimension;
  const auto         c = encoder->Channels(); // w, w, 2w, 4w, 8w
  const std::string & norm = options.normalization;
  const bool         bias = norm == "none";
  decoder4 = register_module("decoder4", DecoderBlock(dim, c[4], c[3], 2, norm));
  decoder3 = register_module("decoder3", DecoderBlock(dim, c[3], c[2], 2, norm));
  decoder2 = register_module("decoder2", DecoderBlock(dim, c[2], c[1], 2, norm));
  decoder1 = register_module("decoder1", DecoderBlock(dim, c[1], c[1], 1, norm));
  const int64_t w = options.baseWidth;
  finalBlock = register_module(
    "final",
    torch::nn::Sequential(std::make_shared<ConvNormReluImpl>(MakeConvTranspose(dim, c[1], w, 3, 2, 1, 1, bias), norm),
                          std::make_shared<ConvNormReluImpl>(MakeConv(dim, w, w, 3, 1, 1, bias), norm)));
  classifier = register_module("classifier", MakeConvTranspose(dim, w, options.classes, 2, 2, 0, 0, true));
}

torch::Tensor
LinkNetImpl::forward(torch::Tensor x)
{
  const std::vector<int64_t> size = SpatialSize(x);
  x = PadToMultiple(x, SizeMultiple());
  const auto    e = encoder->forward(x); // strides 2, 4 (layer1), 8, 16, 32
  torch::Tensor d = decoder4->forward(e[4]) + e[3];
  d = decoder3->forward(d) + e[2];
  d = decoder2->forward(d) + e[1];
  d = decoder1->forward(d);
  d = finalBlock->forward(d);
  if (m_Options.dropout > 0.0)
  {
    d = torch::feature_dropout(d, m_Options.dropout, is_training());
  }
  return CropTo(classifier->forward(d), size);
}

std::shared_ptr<SegmentationNetworkImpl>
MakeLinkNet(const NetworkOptions & options)
{
  return std::make_shared<LinkNetImpl>(options);
}
} // namespace tessera
