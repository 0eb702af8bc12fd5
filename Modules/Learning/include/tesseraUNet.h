#ifndef tesseraUNet_h
#define tesseraUNet_h

#include <vector>

#include "tesseraSegmentationNetwork.h"

namespace tessera
{
/** U-Net (Ronneberger, Fischer, Brox, MICCAI 2015) in 2D or 3D, with "same" padding so the
 * logits have the input's spatial size (the paper's valid convolutions need overlap-tile
 * inference; Tessera's tiled inference does that job).
 *
 * Level l (0..depth) has baseWidth·2^l feature maps; each level is two 3×3(×3) convolutions,
 * each followed by normalisation (batch | instance (affine) | none) and ReLU; 2×2(×2) max
 * pooling goes down, a 2×2(×2) stride-2 transposed convolution goes up and its output is
 * concatenated with the skip connection. Dropout (options.dropout > 0, channel-wise, as
 * Dropout2d/3d) follows each block from the bottleneck up, i.e. at the end of the contracting
 * path as in the paper and in every decoder block. A final 1×1(×1) convolution gives the
 * logits. Spatial input sizes must be multiples of 2^depth. */
class UNetImpl : public SegmentationNetworkImpl
{
public:
  explicit UNetImpl(const NetworkOptions & options);
  torch::Tensor forward(torch::Tensor x) override;
  int64_t       SizeMultiple() const override { return int64_t{ 1 } << m_Options.depth; }
  const NetworkOptions & Options() const { return m_Options; }

private:
  torch::nn::Sequential Block(int64_t in, int64_t out, bool dropout);

  NetworkOptions                     m_Options;
  std::vector<torch::nn::Sequential> m_Encoder;  // depth + 1 blocks; the last is the bottleneck
  std::vector<torch::nn::AnyModule>  m_Up;       // depth transposed convolutions (deepest first)
  std::vector<torch::nn::Sequential> m_Decoder;  // depth blocks (deepest first)
  torch::nn::AnyModule               m_Head;
};
} // namespace tessera

#endif
