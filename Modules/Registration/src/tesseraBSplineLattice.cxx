#include "tesseraBSplineLattice.h"

#include <algorithm>
#include <cmath>

#include "itkMultiThreaderBase.h"

namespace tessera
{
namespace
{
/** Cubic B-spline weights of the 4 control points around parameter t (the first at floor(t) - 1). */
std::array<float, 4>
CubicWeights(double t)
{
  const double u = t - std::floor(t);
  return { static_cast<float>((1 - u) * (1 - u) * (1 - u) / 6), static_cast<float>((3 * u * u * u - 6 * u * u + 4) / 6),
           static_cast<float>((-3 * u * u * u + 3 * u * u + 3 * u + 1) / 6), static_cast<float>(u * u * u / 6) };
}

/** Along one axis of a D-dimensional array of vectors (first axis fastest): out = W in
 * (expand: control points -> voxels) or out = W^T in (project: voxels -> control points). */
template <unsigned int D, typename V, typename W>
std::vector<V>
AlongAxis(const std::vector<V> & in, std::array<size_t, D> & dims, unsigned int axis, const W & weights,
          size_t controlPoints, bool expand)
{
  const size_t voxels = weights.first.size();
  const size_t from = expand ? controlPoints : voxels;
  const size_t to = expand ? voxels : controlPoints;
  size_t       stride = 1;
  for (unsigned int d = 0; d < axis; ++d)
  {
    stride *= dims[d];
  }
  const size_t lines = in.size() / from;
  std::vector<V> out(lines * to, V(0.0f));
  itk::MultiThreaderBase::New()->ParallelizeArray(
    0, lines,
    [&](itk::SizeValueType line) {
      const size_t inStart = (line / stride) * stride * from + line % stride;
      const size_t outStart = (line / stride) * stride * to + line % stride;
      for (size_t i = 0; i < voxels; ++i)
      {
        for (size_t k = 0; k < 4; ++k)
        {
          const size_t j = weights.first[i] + k;
          if (expand)
          {
            out[outStart + i * stride] += in[inStart + j * stride] * weights.weights[i][k];
          }
          else
          {
            out[outStart + j * stride] += in[inStart + i * stride] * weights.weights[i][k];
          }
        }
      }
    },
    nullptr);
  dims[axis] = to;
  return out;
}
} // namespace

template <unsigned int D>
BSplineLattice<D>::BSplineLattice(const itk::ImageBase<D> * reference, double spacing)
{
  const auto & region = reference->GetLargestPossibleRegion();
  reference->TransformIndexToPhysicalPoint(region.GetIndex(), m_Origin);
  m_Direction = reference->GetDirection();
  size_t total = 1;
  for (unsigned int d = 0; d < D; ++d)
  {
    const double extent = std::max(reference->GetSpacing()[d] * (region.GetSize(d) - 1.0), 1e-6);
    const size_t mesh = std::max<size_t>(1, static_cast<size_t>(std::ceil(extent / spacing - 1e-9)));
    m_Spacing[d] = extent / mesh;
    m_Size[d] = mesh + 3;
    total *= m_Size[d];
  }
  m_Coefficients.assign(total, Vector(0.0f));
}

template <unsigned int D>
std::array<typename BSplineLattice<D>::AxisWeights, D>
BSplineLattice<D>::Weights(const itk::ImageBase<D> * grid) const
{
  std::array<AxisWeights, D> all;
  const auto &               region = grid->GetLargestPossibleRegion();
  for (unsigned int d = 0; d < D; ++d)
  {
    auto & w = all[d];
    for (size_t i = 0; i < region.GetSize(d); ++i)
    {
      auto index = region.GetIndex();
      index[d] += static_cast<itk::IndexValueType>(i);
      itk::Point<double, D> p;
      grid->TransformIndexToPhysicalPoint(index, p);
      // Distance from the reference's first voxel along axis d, in control spacings, + 1.
      double along = 0;
      for (unsigned int k = 0; k < D; ++k)
      {
        along += (p[k] - m_Origin[k]) * m_Direction[k][d];
      }
      const double t = std::min(std::max(along / m_Spacing[d] + 1, 1.0), double(m_Size[d] - 2) - 1e-9);
      w.first.push_back(static_cast<size_t>(std::floor(t)) - 1);
      w.weights.push_back(CubicWeights(t));
    }
  }
  return all;
}

template <unsigned int D>
typename BSplineLattice<D>::FieldType::Pointer
BSplineLattice<D>::Evaluate(const itk::ImageBase<D> * grid) const
{
  const auto            weights = Weights(grid);
  std::array<size_t, D> dims = m_Size;
  std::vector<Vector>   values = m_Coefficients;
  for (unsigned int d = 0; d < D; ++d)
  {
    values = AlongAxis<D>(values, dims, d, weights[d], m_Size[d], true);
  }
  auto field = FieldType::New();
  field->CopyInformation(grid);
  field->SetRegions(grid->GetLargestPossibleRegion());
  field->Allocate();
  std::copy(values.begin(), values.end(), field->GetBufferPointer());
  return field;
}

template <unsigned int D>
void
BSplineLattice<D>::Ascend(const FieldType * gradient, double largest)
{
  const auto            weights = Weights(gradient);
  std::array<size_t, D> dims;
  for (unsigned int d = 0; d < D; ++d)
  {
    dims[d] = gradient->GetLargestPossibleRegion().GetSize(d);
  }
  std::vector<Vector> values(gradient->GetBufferPointer(),
                             gradient->GetBufferPointer() + gradient->GetLargestPossibleRegion().GetNumberOfPixels());
  for (unsigned int d = 0; d < D; ++d)
  {
    values = AlongAxis<D>(values, dims, d, weights[d], m_Size[d], false);
  }
  double norm = 0;
  for (const auto & v : values)
  {
    norm = std::max(norm, static_cast<double>(v.GetNorm()));
  }
  if (norm <= 0)
  {
    return;
  }
  const float scale = static_cast<float>(largest / norm);
  for (size_t i = 0; i < values.size(); ++i)
  {
    m_Coefficients[i] += values[i] * scale;
  }
}

template <unsigned int D>
typename BSplineLattice<D>::TransformType::Pointer
BSplineLattice<D>::Transform() const
{
  using Coefficients = typename TransformType::ImageType;
  typename TransformType::CoefficientImageArray images;
  itk::Point<double, D>                         origin = m_Origin;
  for (unsigned int k = 0; k < D; ++k)
  {
    for (unsigned int d = 0; d < D; ++d)
    {
      origin[k] -= m_Direction[k][d] * m_Spacing[d];
    }
  }
  typename Coefficients::SizeType size;
  for (unsigned int d = 0; d < D; ++d)
  {
    size[d] = m_Size[d];
  }
  for (unsigned int c = 0; c < D; ++c)
  {
    images[c] = Coefficients::New();
    images[c]->SetRegions(size);
    images[c]->SetOrigin(origin);
    images[c]->SetSpacing(m_Spacing);
    images[c]->SetDirection(m_Direction);
    images[c]->Allocate();
    for (size_t i = 0; i < m_Coefficients.size(); ++i)
    {
      images[c]->GetBufferPointer()[i] = m_Coefficients[i][c];
    }
  }
  auto transform = TransformType::New();
  transform->SetCoefficientImages(images);
  return transform;
}

template class BSplineLattice<2>;
template class BSplineLattice<3>;
} // namespace tessera
