#ifndef tesseraGridNet_h
#define tesseraGridNet_h

#include "tesseraResNetEncoder.h"

namespace tessera
{
/** GridNet (Fourure et al., BMVC 2017, "Residual Conv-Deconv Grid Network for Semantic
 * Segmentation"), 2D or 3D. A grid of streams: rows r = 0..depth are resolutions (row r at
 * stride 2^r with baseWidth·2^r channels), columns c = 0..columns−1; the first columns/2 are
 * downsampling columns, the others upsampling columns. X(r, c) is the stream at row r after column c:
 *  - stem: X(0, 0) = conv3×3(x); first column: X(r, 0) = S(X(r−1, 0));
 *  - downsampling column c > 0: X(r, c) = X(r, c−1) + R(X(r, c−1)) + S(X(r−1, c))   (S for r > 0);
 *  - upsampling column:         X(r, c) = X(r, c−1) + R(X(r, c−1)) + U(X(r+1, c))   (U for r < depth);
 *  - head: norm–ReLU–conv3×3 (with bias) of X(0, columns−1) to options.classes.
 * R ("residual_r_c"): norm–ReLU–conv3×3–norm–ReLU–conv3×3; S ("down_r_c"): norm–ReLU–conv3×3
 * stride 2–norm–ReLU–conv3×3; U ("up_r_c"): norm–ReLU–transposed conv3×3 ×2–norm–ReLU–conv3×3.
 * Total dropout: in training each R, S and U output that is summed with others is dropped
 * whole, per sample, with probability options.dropout (the kept ones scaled by 1/(1 − p), so
 * inference needs no change); the identity always passes. The paper's network is depth = 4 (5
 * rows), baseWidth = 16, columns = 6. Sizes must be multiples of 2^depth; others are zero-padded
 * at their ends and the logits cropped back. */
class GridNetImpl : public SegmentationNetworkImpl
{
public:
  /** \throws Error("network", ...) for depth < 1, baseWidth < 1, or columns odd or < 2. */
  GridNetImpl(const NetworkOptions & options, int columns);
  torch::Tensor forward(torch::Tensor x) override;
  int64_t SizeMultiple() const override { return int64_t{ 1 } << m_Options.depth; }
  int Columns() const { return m_Columns; }

private:
  torch::Tensor Drop(const torch::Tensor & branch);

  NetworkOptions                     m_Options;
  int                                m_Columns;
  std::shared_ptr<ConvNdImpl>        stem;
  torch::nn::Sequential              head{ nullptr };
  // [row][column]; empty holders where a unit does not exist
  std::vector<std::vector<torch::nn::Sequential>> residual, down, up;
};

/** GridNet with the given number of columns (even, ≥ 2; the paper has 6). MakeGridNet(options)
 * (tesseraSegmentationNetwork.h) uses GridNetDefaultColumns. */
std::shared_ptr<SegmentationNetworkImpl> MakeGridNet(const NetworkOptions & options, int columns);
constexpr int GridNetDefaultColumns = 6;
} // namespace tessera

#endif
