#include "tesseraGreedyDiffeomorphicRegistration.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "itkGradientImageFilter.h"
#include "itkInvertDisplacementFieldImageFilter.h"
#include "itkMultiThreaderBase.h"
#include "itkResampleImageFilter.h"
#include "itkSmoothingRecursiveGaussianImageFilter.h"
#include "itkVectorLinearInterpolateImageFunction.h"
#include "itkWarpImageFilter.h"
#include "tesseraBSplineLattice.h"
#include "tesseraError.h"
#include "tesseraImagePyramid.h"

namespace tessera
{
namespace
{
/** Gaussian smoothing with a sigma in mm per axis (sigma 0: unchanged). */
template <typename TImage>
typename TImage::Pointer
SmoothMm(const TImage * image, const itk::FixedArray<double, TImage::ImageDimension> & sigma)
{
  bool any = false;
  for (unsigned int d = 0; d < TImage::ImageDimension; ++d)
  {
    any = any || sigma[d] > 0;
  }
  if (!any)
  {
    auto copy = TImage::New();
    copy->Graft(image);
    return copy;
  }
  auto smooth = itk::SmoothingRecursiveGaussianImageFilter<TImage, TImage>::New();
  smooth->SetInput(image);
  smooth->SetSigmaArray(sigma);
  smooth->Update();
  return smooth->GetOutput();
}

/** Sigma in voxels of `image` as mm per axis. */
template <unsigned int D>
itk::FixedArray<double, D>
VoxelSigma(const itk::ImageBase<D> * image, double voxels)
{
  itk::FixedArray<double, D> sigma;
  for (unsigned int d = 0; d < D; ++d)
  {
    sigma[d] = voxels * image->GetSpacing()[d];
  }
  return sigma;
}

/** A displacement field resampled (linearly) onto the grid of `reference`. */
template <typename TField, typename TReference>
typename TField::Pointer
ResampleField(const TField * field, const TReference * reference)
{
  auto resample = itk::ResampleImageFilter<TField, TField, double>::New();
  resample->SetInput(field);
  resample->SetOutputParametersFromImage(reference);
  resample->SetDefaultPixelValue(itk::NumericTraits<typename TField::PixelType>::ZeroValue());
  resample->Update();
  return resample->GetOutput();
}

/** (image - mean) / standard deviation of `reference`, over all voxels. */
template <unsigned int D>
typename ScalarImage<D>::Pointer
Standardise(const ScalarImage<D> * image, const ScalarImage<D> * reference)
{
  const size_t  n = reference->GetLargestPossibleRegion().GetNumberOfPixels();
  const float * r = reference->GetBufferPointer();
  double        sum = 0, sum2 = 0;
  for (size_t i = 0; i < n; ++i)
  {
    sum += r[i];
    sum2 += double(r[i]) * r[i];
  }
  const double mean = sum / n;
  const double sd = std::sqrt(std::max(sum2 / n - mean * mean, 0.0));
  const double scale = sd > 0 ? 1.0 / sd : 1.0;
  auto         out = ScalarImage<D>::New();
  out->CopyInformation(image);
  out->SetRegions(image->GetLargestPossibleRegion());
  out->Allocate();
  const size_t  m = image->GetLargestPossibleRegion().GetNumberOfPixels();
  const float * p = image->GetBufferPointer();
  float *       q = out->GetBufferPointer();
  for (size_t i = 0; i < m; ++i)
  {
    q[i] = static_cast<float>((p[i] - mean) * scale);
  }
  return out;
}

/** The mean over the (2r+1)^D box around each voxel, clipped to the image: running sums along
 * each axis in turn, one line per task, so the result does not depend on the thread count
 * (ITK's BoxMeanImageFilter sums from each thread's own corner). */
template <unsigned int D>
typename ScalarImage<D>::Pointer
BoxMean(const ScalarImage<D> * image, unsigned int radius)
{
  const auto size = image->GetLargestPossibleRegion().GetSize();
  auto       out = ScalarImage<D>::New();
  out->CopyInformation(image);
  out->SetRegions(image->GetLargestPossibleRegion());
  out->Allocate();
  std::copy(image->GetBufferPointer(), image->GetBufferPointer() + image->GetLargestPossibleRegion().GetNumberOfPixels(),
            out->GetBufferPointer());
  float * data = out->GetBufferPointer();
  for (unsigned int axis = 0; axis < D; ++axis)
  {
    size_t stride = 1;
    for (unsigned int d = 0; d < axis; ++d)
    {
      stride *= size[d];
    }
    const size_t length = size[axis];
    const size_t lines = image->GetLargestPossibleRegion().GetNumberOfPixels() / length;
    itk::MultiThreaderBase::New()->ParallelizeArray(
      0, lines,
      [&](itk::SizeValueType line) {
        // Line `line` starts at the voxel with index 0 along `axis`.
        const size_t        start = (line / stride) * stride * length + line % stride;
        std::vector<double> values(length);
        for (size_t i = 0; i < length; ++i)
        {
          values[i] = data[start + i * stride];
        }
        double       sum = 0;
        const size_t r = radius;
        for (size_t i = 0; i < std::min(r, length); ++i)
        {
          sum += values[i];
        }
        for (size_t i = 0; i < length; ++i)
        {
          if (i + r < length)
          {
            sum += values[i + r];
          }
          if (i > r)
          {
            sum -= values[i - r - 1];
          }
          const size_t first = i > r ? i - r : 0;
          const size_t last = std::min(length - 1, i + r);
          data[start + i * stride] = static_cast<float>(sum / double(last - first + 1));
        }
      },
      nullptr);
  }
  return out;
}

template <unsigned int D>
typename ScalarImage<D>::Pointer
NewLike(const itk::ImageBase<D> * grid)
{
  auto image = ScalarImage<D>::New();
  image->CopyInformation(grid);
  image->SetRegions(grid->GetLargestPossibleRegion());
  image->Allocate();
  return image;
}

/** Runs f(i) for i in [0, n) on ITK's threads. */
template <typename F>
void
ForEachVoxel(size_t n, F && f)
{
  itk::MultiThreaderBase::New()->ParallelizeArray(
    0, n, [&](itk::SizeValueType i) { f(static_cast<size_t>(i)); }, nullptr);
}
/** phi(x + u(x)) + u(x) on u's grid: the map x -> x + phi after x -> x + u (linear
 * interpolation; points outside read the nearest border value). */
template <unsigned int D>
typename GreedyDiffeomorphicRegistration<D>::FieldType::Pointer
Compose(const typename GreedyDiffeomorphicRegistration<D>::FieldType * phi,
        const typename GreedyDiffeomorphicRegistration<D>::FieldType * u)
{
  using Field = typename GreedyDiffeomorphicRegistration<D>::FieldType;
  auto interpolate = itk::VectorLinearInterpolateImageFunction<Field, double>::New();
  interpolate->SetInputImage(phi);
  auto out = Field::New();
  out->CopyInformation(u);
  out->SetRegions(u->GetLargestPossibleRegion());
  out->Allocate();
  const auto & region = phi->GetLargestPossibleRegion();
  ForEachVoxel(u->GetLargestPossibleRegion().GetNumberOfPixels(), [&](size_t i) {
    const auto                index = u->ComputeIndex(static_cast<itk::OffsetValueType>(i));
    itk::Point<double, D>     p;
    u->TransformIndexToPhysicalPoint(index, p);
    const auto & d = u->GetBufferPointer()[i];
    for (unsigned int k = 0; k < D; ++k)
    {
      p[k] += d[k];
    }
    itk::ContinuousIndex<double, D> c;
    phi->TransformPhysicalPointToContinuousIndex(p, c);
    for (unsigned int k = 0; k < D; ++k)
    {
      c[k] = std::min(std::max(c[k], double(region.GetIndex(k))), double(region.GetIndex(k) + region.GetSize(k) - 1));
    }
    const auto v = interpolate->EvaluateAtContinuousIndex(c);
    for (unsigned int k = 0; k < D; ++k)
    {
      out->GetBufferPointer()[i][k] = static_cast<float>(v[k] + d[k]);
    }
  });
  return out;
}
} // namespace

template <unsigned int D>
void
GreedyDiffeomorphicRegistration<D>::Update()
{
  const Settings & s = m_Settings;
  const size_t     levels = s.shrinkFactors.size();
  if (levels == 0 || s.smoothingSigmas.size() != levels || s.iterations.size() != levels)
  {
    throw Error("deformable registration", "shrink factors, smoothing sigmas and iterations need one value per level");
  }
  if (!m_Fixed || !m_Moving)
  {
    throw Error("deformable registration", "needs a fixed and a moving image");
  }
  using GradientFilter = itk::GradientImageFilter<ImageType, float, float>;
  using Warp = itk::WarpImageFilter<ImageType, ImageType, FieldType>;

  const bool correlation = s.metric == DeformableMetric::LocalCorrelation;
  // Unit-variance intensities keep the local variances well above float rounding.
  const auto fixedUnit = Standardise<D>(m_Fixed, m_Fixed);
  const auto movingUnit = Standardise<D>(m_Moving, correlation ? m_Moving.GetPointer() : m_Fixed.GetPointer());

  std::unique_ptr<BSplineLattice<D>> lattice;
  if (s.gridSpacing > 0)
  {
    lattice = std::make_unique<BSplineLattice<D>>(m_Fixed, s.gridSpacing);
  }
  typename FieldType::Pointer field;
  for (size_t level = 0; level < levels; ++level)
  {
    const auto fixed = PyramidLevel<ImageType>(fixedUnit, s.shrinkFactors[level], s.smoothingSigmas[level]);
    const auto moving = PyramidLevel<ImageType>(movingUnit, s.shrinkFactors[level], s.smoothingSigmas[level]);
    typename MaskImage<D>::Pointer mask;
    if (m_FixedMask)
    {
      mask = PyramidLevel<MaskImage<D>>(m_FixedMask, s.shrinkFactors[level], 0);
    }
    const size_t n = fixed->GetLargestPossibleRegion().GetNumberOfPixels();
    if (lattice)
    {
      field = lattice->Evaluate(fixed);
    }
    else if (field)
    {
      field = ResampleField<FieldType>(field, fixed.GetPointer());
    }
    else
    {
      field = FieldType::New();
      field->CopyInformation(fixed);
      field->SetRegions(fixed->GetLargestPossibleRegion());
      field->Allocate();
      field->FillBuffer(itk::NumericTraits<typename FieldType::PixelType>::ZeroValue());
    }
    double minSpacing = fixed->GetSpacing()[0];
    for (unsigned int d = 1; d < D; ++d)
    {
      minSpacing = std::min(minSpacing, fixed->GetSpacing()[d]);
    }

    // Local statistics of the fixed image, once per level.
    typename ImageType::Pointer fixedMean, fixedVariance;
    if (correlation)
    {
      fixedMean = BoxMean<D>(fixed, s.radius);
      auto squares = NewLike<D>(fixed);
      ForEachVoxel(n, [&](size_t i) { squares->GetBufferPointer()[i] = fixed->GetBufferPointer()[i] * fixed->GetBufferPointer()[i]; });
      fixedVariance = BoxMean<D>(squares, s.radius);
      ForEachVoxel(n, [&](size_t i) {
        const double m = fixedMean->GetBufferPointer()[i];
        fixedVariance->GetBufferPointer()[i] = static_cast<float>(fixedVariance->GetBufferPointer()[i] - m * m);
      });
    }

    for (unsigned int iteration = 0; iteration < s.iterations[level]; ++iteration)
    {
      auto warp = Warp::New();
      warp->SetInput(moving);
      warp->SetDisplacementField(field);
      warp->SetOutputParametersFromImage(fixed);
      warp->SetEdgePaddingValue(0);
      warp->Update();
      typename ImageType::Pointer warped = warp->GetOutput();
      auto gradient = GradientFilter::New();
      gradient->SetInput(warped);
      gradient->Update();
      const auto * g = gradient->GetOutput()->GetBufferPointer();

      // dMetric/dWarped per voxel.
      auto          derivative = NewLike<D>(fixed);
      float *       dm = derivative->GetBufferPointer();
      const float * f = fixed->GetBufferPointer();
      const float * w = warped->GetBufferPointer();
      auto          local = NewLike<D>(fixed); // the metric's value at each voxel
      float *       value = local->GetBufferPointer();
      if (correlation)
      {
        auto products = NewLike<D>(fixed);
        auto squares = NewLike<D>(fixed);
        ForEachVoxel(n, [&](size_t i) {
          products->GetBufferPointer()[i] = f[i] * w[i];
          squares->GetBufferPointer()[i] = w[i] * w[i];
        });
        const auto    mw = BoxMean<D>(warped, s.radius);
        const auto    mfw = BoxMean<D>(products, s.radius);
        const auto    mww = BoxMean<D>(squares, s.radius);
        const float * mf = fixedMean->GetBufferPointer();
        const float * vf = fixedVariance->GetBufferPointer();
        ForEachVoxel(n, [&](size_t i) {
          const double m = mw->GetBufferPointer()[i];
          const double a = mfw->GetBufferPointer()[i] - double(mf[i]) * m;
          const double b = vf[i];
          const double c = mww->GetBufferPointer()[i] - m * m;
          if (b * c > 1e-8 && b > 1e-6 && c > 1e-6)
          {
            dm[i] = static_cast<float>(2.0 * a / (b * c) * ((f[i] - mf[i]) - a / c * (w[i] - m)));
            value[i] = static_cast<float>(a * a / (b * c));
          }
          else
          {
            dm[i] = 0;
            value[i] = 0;
          }
        });
      }
      else
      {
        ForEachVoxel(n, [&](size_t i) {
          dm[i] = 2.0f * (f[i] - w[i]);
          value[i] = -(f[i] - w[i]) * (f[i] - w[i]);
        });
      }
      if (mask)
      {
        const auto * in = mask->GetBufferPointer();
        ForEachVoxel(n, [&](size_t i) {
          if (!in[i])
          {
            dm[i] = 0;
            value[i] = 0;
          }
        });
      }

      // Force = dMetric/dWarped * grad(warped), smoothed ("fluid"), scaled to `step` voxels.
      auto force = FieldType::New();
      force->CopyInformation(fixed);
      force->SetRegions(fixed->GetLargestPossibleRegion());
      force->Allocate();
      auto * fp = force->GetBufferPointer();
      ForEachVoxel(n, [&](size_t i) {
        for (unsigned int d = 0; d < D; ++d)
        {
          fp[i][d] = dm[i] * g[i][d];
        }
      });
      // The B-spline parametrisation smooths through its control grid; the dense one by the fluid sigma.
      auto update = lattice ? force : SmoothMm<FieldType>(force, VoxelSigma<D>(fixed, s.fluidSigma));
      auto * up = update->GetBufferPointer();
      double largest = 0, total = 0; // serial sums: the same whatever the thread count
      size_t counted = 0;
      for (size_t i = 0; i < n; ++i)
      {
        largest = std::max(largest, static_cast<double>(up[i].GetSquaredNorm()));
        if (!mask || mask->GetBufferPointer()[i])
        {
          total += value[i];
          ++counted;
        }
      }
      if (m_Observer)
      {
        m_Observer(static_cast<unsigned int>(level), iteration, counted ? total / counted : 0.0);
      }
      if (largest <= 0)
      {
        break;
      }
      if (lattice)
      {
        lattice->Ascend(update, s.step * minSpacing);
        field = lattice->Evaluate(fixed);
        continue;
      }
      const float scale = static_cast<float>(s.step * minSpacing / std::sqrt(largest));
      ForEachVoxel(n, [&](size_t i) { up[i] *= scale; });

      // phi <- phi o (Id + u): phi(x + u(x)) + u(x).
      field = Compose<D>(field, update);
      field = SmoothMm<FieldType>(field, VoxelSigma<D>(fixed, s.elasticSigma));
    }
  }
  if (lattice)
  {
    m_BSpline = lattice->Transform();
    field = lattice->Evaluate(m_Fixed);
  }
  if (field->GetLargestPossibleRegion() != m_Fixed->GetLargestPossibleRegion() ||
      field->GetSpacing() != m_Fixed->GetSpacing() || field->GetOrigin() != m_Fixed->GetOrigin())
  {
    field = ResampleField<FieldType>(field, m_Fixed.GetPointer());
  }
  m_Field = field;
}

template <unsigned int D>
typename GreedyDiffeomorphicRegistration<D>::FieldType::Pointer
GreedyDiffeomorphicRegistration<D>::Invert(const FieldType * field)
{
  auto invert = itk::InvertDisplacementFieldImageFilter<FieldType>::New();
  invert->SetInput(field);
  invert->SetMaximumNumberOfIterations(50);
  invert->SetMeanErrorToleranceThreshold(1e-4);
  invert->SetMaxErrorToleranceThreshold(0.01);
  // The field is not zero at the image border; forcing its inverse to zero there breaks psi o phi = Id.
  invert->SetEnforceBoundaryCondition(false);
  invert->Update();
  return invert->GetOutput();
}

template class GreedyDiffeomorphicRegistration<2>;
template class GreedyDiffeomorphicRegistration<3>;
} // namespace tessera
