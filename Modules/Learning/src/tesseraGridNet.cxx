// GridNet (Fourure et al., BMVC 2017), 2D and 3D.
#include "tesseraGridNet.h"

#include "tesseraError.h"

namespace tessera
{
namespace
{
/** norm then ReLU (one module so that it can sit in a Sequential). */
class NormReluImpl : public torch::nn::Module
{
public:
  NormReluImpl(const std::string & normalization, int64_t channels)
  {
    norm = register_module("norm", std::make_shared<NormImpl>(normalization, channels));
  }
  torch::Tensor forward(torch::Tensor x) { return torch::relu(norm->forward(x)); }

private:
  std::shared_ptr<NormImpl> norm;
};

/** norm–ReLU–first–norm–ReLU–conv3×3: the pre-activation shape of R, S and U. */
torch::nn::Sequential
Unit(int dim, int64_t in, int64_t out, std::shared_ptr<ConvNdImpl> first, const std::string & normalization)
{
  const bool bias = normalization == "none";
  return torch::nn::Sequential(std::make_shared<NormReluImpl>(normalization, in), first,
                               std::make_shared<NormReluImpl>(normalization, out),
                               MakeConv(dim, out, out, 3, 1, 1, bias));
}
} // namespace

GridNetImpl::GridNetImpl(const NetworkOptions & options, int columns)
  : m_Options(options)
  , m_Columns(columns)
{
  if (options.depth < 1 || options.depth > 8)
  {
    throw Error("network", "depth: GridNet needs 1 to 8 downsamplings (rows − 1), not " + std::to_string(options.depth));
  }
  if (options.baseWidth < 1)
  {
    throw Error("network", "baseWidth: must be at least 1");
  }
  if (columns < 2 || columns % 2 != 0)
  {
    throw Error("network", "columns: GridNet needs an even number of columns, at least 2, not " +
                             std::to_string(columns));
  }
  const int           dim = options.dimension;
  const std::string & norm = options.normalization;
  const bool          bias = norm == "none";
  const int           rows = options.depth + 1;
  auto                width = [&](int r) { return int64_t{ options.baseWidth } << r; };
  stem = register_module("stem", MakeConv(dim, options.inChannels, width(0), 3, 1, 1, true));
  residual.assign(rows, std::vector<torch::nn::Sequential>(columns, torch::nn::Sequential{ nullptr }));
  down = residual;
  up = residual;
  for (int r = 0; r < rows; ++r)
  {
    for (int c = 0; c < columns; ++c)
    {
      const std::string at = "_" + std::to_string(r) + "_" + std::to_string(c);
      if (c > 0)
      {
        residual[r][c] = register_module("residual" + at, Unit(dim, width(r), width(r),
                                                                MakeConv(dim, width(r), width(r), 3, 1, 1, bias), norm));
      }
      if (c < columns / 2 && r > 0)
      {
        down[r][c] = register_module(
          "down" + at, Unit(dim, width(r - 1), width(r), MakeConv(dim, width(r - 1), width(r), 3, 2, 1, bias), norm));
      }
      if (c >= columns / 2 && r < rows - 1)
      {
        up[r][c] = register_module(
          "up" + at,
          Unit(dim, width(r + 1), width(r), MakeConvTranspose(dim, width(r + 1), width(r), 3, 2, 1, 1, bias), norm));
      }
    }
  }
  head = register_module("head", torch::nn::Sequential(std::make_shared<NormReluImpl>(norm, width(0)),
                                                       MakeConv(dim, width(0), options.classes, 3, 1, 1, true)));
}

torch::Tensor
GridNetImpl::Drop(const torch::Tensor & branch)
{
  const double p = m_Options.dropout;
  if (!is_training() || p <= 0.0)
  {
    return branch;
  }
  std::vector<int64_t> shape(branch.dim(), 1);
  shape[0] = branch.size(0);
  const torch::Tensor keep = torch::empty(shape, branch.options()).bernoulli_(1.0 - p).div_(1.0 - p);
  return branch * keep;
}

torch::Tensor
GridNetImpl::forward(torch::Tensor x)
{
  const std::vector<int64_t> size = SpatialSize(x);
  x = PadToMultiple(x, SizeMultiple());
  const int                  rows = m_Options.depth + 1;
  std::vector<torch::Tensor> stream(rows); // X(r, c) of the current column c
  for (int c = 0; c < m_Columns; ++c)
  {
    if (c < m_Columns / 2)
    {
      for (int r = 0; r < rows; ++r)
      {
        if (c == 0)
        {
          stream[r] = r == 0 ? stem->forward(x) : down[r][0]->forward(stream[r - 1]);
          continue;
        }
        torch::Tensor next = stream[r] + Drop(residual[r][c]->forward(stream[r]));
        if (r > 0)
        {
          next = next + Drop(down[r][c]->forward(stream[r - 1]));
        }
        stream[r] = next;
      }
    }
    else
    {
      for (int r = rows - 1; r >= 0; --r)
      {
        torch::Tensor next = stream[r] + Drop(residual[r][c]->forward(stream[r]));
        if (r < rows - 1)
        {
          next = next + Drop(up[r][c]->forward(stream[r + 1]));
        }
        stream[r] = next;
      }
    }
  }
  return CropTo(head->forward(stream[0]), size);
}

std::shared_ptr<SegmentationNetworkImpl>
MakeGridNet(const NetworkOptions & options, int columns)
{
  return std::make_shared<GridNetImpl>(options, columns);
}

std::shared_ptr<SegmentationNetworkImpl>
MakeGridNet(const NetworkOptions & options)
{
  return MakeGridNet(options, GridNetDefaultColumns);
}
} // namespace tessera
