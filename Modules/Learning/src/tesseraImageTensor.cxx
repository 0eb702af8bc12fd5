#include "tesseraImageTensor.h"

#include "tesseraError.h"

namespace tessera
{
namespace
{
template <unsigned int D, typename TImage>
std::vector<int64_t>
SpatialShape(const TImage * image)
{
  const auto           size = image->GetLargestPossibleRegion().GetSize();
  std::vector<int64_t> shape;
  for (int a = static_cast<int>(D) - 1; a >= 0; --a)
    shape.push_back(static_cast<int64_t>(size[a]));
  return shape;
}

template <unsigned int D, typename TOut, typename TReference>
typename TOut::Pointer
Allocate(const TReference * reference, const torch::Tensor & spatial, int first)
{
  const auto size = reference->GetLargestPossibleRegion().GetSize();
  for (unsigned int a = 0; a < D; ++a)
    if (spatial.size(first + static_cast<int>(D) - 1 - static_cast<int>(a)) != static_cast<int64_t>(size[a]))
      throw Error("tensor", "spatial size differs from the image's");
  auto out = TOut::New();
  out->CopyInformation(reference);
  out->SetRegions(reference->GetLargestPossibleRegion());
  return out;
}
} // namespace

template <unsigned int D>
torch::Tensor
ImageToTensor(const VectorImage<D> * image)
{
  const int64_t        c = image->GetNumberOfComponentsPerPixel();
  std::vector<int64_t> shape = SpatialShape<D>(image);
  shape.push_back(c);
  // ITK's buffer is pixel-major with interleaved components: [(D,) H, W, C].
  auto t = torch::from_blob(const_cast<float *>(image->GetBufferPointer()), shape, torch::kFloat).clone();
  return t.movedim(-1, 0).contiguous();
}

template <unsigned int D>
torch::Tensor
LabelsToTensor(const LabelImage<D> * labels)
{
  const size_t n = labels->GetLargestPossibleRegion().GetNumberOfPixels();
  auto         out = torch::empty({ static_cast<int64_t>(n) }, torch::kLong);
  auto *       o = out.data_ptr<int64_t>();
  const auto * p = labels->GetBufferPointer();
  for (size_t i = 0; i < n; ++i)
    o[i] = p[i];
  return out.reshape(SpatialShape<D>(labels));
}

template <unsigned int D, typename TReference>
typename LabelImage<D>::Pointer
TensorToLabels(const torch::Tensor & labels, const TReference * reference)
{
  auto out = Allocate<D, LabelImage<D>>(reference, labels, 0);
  out->Allocate();
  auto         l = labels.to(torch::kLong).contiguous();
  const auto * p = l.data_ptr<int64_t>();
  auto *       o = out->GetBufferPointer();
  for (int64_t i = 0; i < l.numel(); ++i)
    o[i] = static_cast<LabelPixel>(p[i]);
  return out;
}

template <unsigned int D, typename TReference>
typename ProbabilityImage<D>::Pointer
TensorToProbabilities(const torch::Tensor & probabilities, const TReference * reference)
{
  auto out = Allocate<D, ProbabilityImage<D>>(reference, probabilities, 1);
  out->SetNumberOfComponentsPerPixel(static_cast<unsigned int>(probabilities.size(0)));
  out->Allocate();
  auto t = probabilities.to(torch::kFloat).movedim(0, -1).contiguous();
  std::copy(t.data_ptr<float>(), t.data_ptr<float>() + t.numel(), out->GetBufferPointer());
  return out;
}

template torch::Tensor ImageToTensor<2>(const VectorImage<2> *);
template torch::Tensor ImageToTensor<3>(const VectorImage<3> *);
template torch::Tensor LabelsToTensor<2>(const LabelImage<2> *);
template torch::Tensor LabelsToTensor<3>(const LabelImage<3> *);
template LabelImage<2>::Pointer TensorToLabels<2, VectorImage<2>>(const torch::Tensor &, const VectorImage<2> *);
template LabelImage<3>::Pointer TensorToLabels<3, VectorImage<3>>(const torch::Tensor &, const VectorImage<3> *);
template LabelImage<2>::Pointer TensorToLabels<2, LabelImage<2>>(const torch::Tensor &, const LabelImage<2> *);
template LabelImage<3>::Pointer TensorToLabels<3, LabelImage<3>>(const torch::Tensor &, const LabelImage<3> *);
template ProbabilityImage<2>::Pointer TensorToProbabilities<2, VectorImage<2>>(const torch::Tensor &, const VectorImage<2> *);
template ProbabilityImage<3>::Pointer TensorToProbabilities<3, VectorImage<3>>(const torch::Tensor &, const VectorImage<3> *);
} // namespace tessera
