#include "tesseraGreedyDiffeomorphicRegistration.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include <array>
#include <utility>
#include <vector>

#include "itkInvertDisplacementFieldImageFilter.h"
#include "itkResampleImageFilter.h"
#include "tesseraBSplineLattice.h"
#include "tesseraError.h"
#include "tesseraImagePyramid.h"
#include "tesseraParallelRanges.h"

namespace tessera
{
namespace
{
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

/** Runs f(i) for i in [0, n) on the process's threads, in contiguous ranges. */
template <typename F>
void
ForEachVoxel(size_t n, F && f)
{
  ParallelRanges(n, WorkUnits(n, 0, size_t{ 1 } << 15), [&](size_t first, size_t end, unsigned int) {
    for (size_t i = first; i < end; ++i)
    {
      f(i);
    }
  });
}

/** A pyramid level's grid as raw buffers see it: sizes, strides, and the matrix M that turns a physical
 * displacement (mm, LPS) into an index displacement (M = spacing^-1 direction^-1, ITK's
 * PhysicalPointToIndexMatrix); M^T turns an index-space gradient into a physical one. */
template <unsigned int D>
struct Grid
{
  explicit Grid(const itk::ImageBase<D> * image)
  {
    const auto s = image->GetLargestPossibleRegion().GetSize();
    size_t     step = 1;
    for (unsigned int d = 0; d < D; ++d)
    {
      for (unsigned int k = 0; k < D; ++k)
      {
        toIndex[d][k] = image->GetInverseDirection()[d][k] / image->GetSpacing()[d];
      }
      size[d] = s[d];
      stride[d] = step;
      step *= s[d];
    }
    n = step;
  }

  /** Runs f(first voxel, index) for each row (line along axis 0), rows split among the threads; index[0] is 0. */
  template <typename F>
  void ForEachRow(F && f) const
  {
    const size_t rows = n / size[0];
    ParallelRanges(rows, WorkUnits(n, 0, size_t{ 1 } << 15), [&](size_t first, size_t end, unsigned int) {
      for (size_t r = first; r < end; ++r)
      {
        std::array<size_t, D> index{};
        size_t                rest = r;
        for (unsigned int d = 1; d < D; ++d)
        {
          index[d] = rest % size[d];
          rest /= size[d];
        }
        f(r * size[0], index);
      }
    });
  }

  /** Linear interpolation of `data` (scalars or vectors) at the continuous index c; corners outside
   * the grid read the nearest border voxel. */
  template <typename T>
  T Interpolate(const T * data, const std::array<double, D> & c) const
  {
    std::array<size_t, D> low, high;
    std::array<double, D> t;
    for (unsigned int d = 0; d < D; ++d)
    {
      const double f = std::floor(c[d]);
      t[d] = c[d] - f;
      const auto   last = static_cast<double>(size[d] - 1);
      low[d] = static_cast<size_t>(std::min(std::max(f, 0.0), last)) * stride[d];
      high[d] = static_cast<size_t>(std::min(std::max(f + 1, 0.0), last)) * stride[d];
    }
    T sum = itk::NumericTraits<T>::ZeroValue();
    for (unsigned int corner = 0; corner < (1u << D); ++corner)
    {
      double w = 1;
      size_t offset = 0;
      for (unsigned int d = 0; d < D; ++d)
      {
        const bool up = (corner >> d) & 1u;
        w *= up ? t[d] : 1 - t[d];
        offset += up ? high[d] : low[d];
      }
      sum += data[offset] * static_cast<float>(w);
    }
    return sum;
  }

  /** The continuous index of voxel `index` (row start + x) displaced by the physical vector v. */
  template <typename V>
  std::array<double, D> Displaced(const std::array<size_t, D> & index, size_t x, const V & v) const
  {
    std::array<double, D> c;
    for (unsigned int r = 0; r < D; ++r)
    {
      c[r] = static_cast<double>(r == 0 ? x : index[r]);
      for (unsigned int k = 0; k < D; ++k)
      {
        c[r] += toIndex[r][k] * v[k];
      }
    }
    return c;
  }

  std::array<size_t, D>   size{};
  std::array<size_t, D>   stride{};
  size_t                  n = 0;
  itk::Matrix<double, D, D> toIndex;
};

/** The mean over the (2r+1)^D box around each voxel, clipped to the image, in place: running sums
 * along each axis in turn, one line at a time, so the result does not depend on the thread count
 * (ITK's BoxMeanImageFilter sums from each thread's own corner). */
template <unsigned int D>
void
BoxMean(const Grid<D> & grid, float * data, unsigned int radius)
{
  for (unsigned int axis = 0; axis < D; ++axis)
  {
    const size_t stride = grid.stride[axis];
    const size_t length = grid.size[axis];
    const size_t lines = grid.n / length;
    ParallelRanges(lines, WorkUnits(grid.n, 0, size_t{ 1 } << 15), [&](size_t first, size_t end, unsigned int) {
      std::vector<double> values(length);
      for (size_t line = first; line < end; ++line)
      {
        // Line `line` starts at the voxel with index 0 along `axis`.
        const size_t start = (line / stride) * stride * length + line % stride;
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
          const size_t lo = i > r ? i - r : 0;
          const size_t hi = std::min(length - 1, i + r);
          data[start + i * stride] = static_cast<float>(sum / double(hi - lo + 1));
        }
      }
    });
  }
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

template <unsigned int D>
typename GreedyDiffeomorphicRegistration<D>::FieldType::Pointer
NewFieldLike(const itk::ImageBase<D> * grid)
{
  auto field = GreedyDiffeomorphicRegistration<D>::FieldType::New();
  field->CopyInformation(grid);
  field->SetRegions(grid->GetLargestPossibleRegion());
  field->Allocate();
  return field;
}

/** Gaussian smoothing of a displacement field, sigma in voxels on every axis (0: unchanged): the
 * sampled kernel truncated at 3 sigma and normalised to sum 1, borders replicated, one axis after
 * the other between `field` and `scratch` (same grid), which may be swapped. */
template <unsigned int D>
void
SmoothField(const Grid<D> & grid, typename GreedyDiffeomorphicRegistration<D>::FieldType::Pointer & field,
            typename GreedyDiffeomorphicRegistration<D>::FieldType::Pointer & scratch, double sigma)
{
  if (sigma <= 0)
  {
    return;
  }
  const int          r = static_cast<int>(std::ceil(3 * sigma));
  std::vector<float> kernel(2 * r + 1);
  double             total = 0;
  for (int k = -r; k <= r; ++k)
  {
    total += std::exp(-0.5 * k * k / (sigma * sigma));
  }
  for (int k = -r; k <= r; ++k)
  {
    kernel[k + r] = static_cast<float>(std::exp(-0.5 * k * k / (sigma * sigma)) / total);
  }
  const unsigned int units = WorkUnits(grid.n, 0, size_t{ 1 } << 15);
  for (unsigned int axis = 0; axis < D; ++axis)
  {
    const auto * in = reinterpret_cast<const float *>(field->GetBufferPointer());
    auto *       out = reinterpret_cast<float *>(scratch->GetBufferPointer());
    const auto   length = static_cast<long>(grid.size[axis]);
    if (axis == 0)
    {
      // Each line copied with r border voxels repeated at both ends, then out = sum_k w_k line[x + k]
      // over the whole line at once (contiguous floats, so the inner loop vectorises).
      const size_t line = grid.size[0] * D;
      ParallelRanges(grid.n / grid.size[0], units, [&](size_t first, size_t end, unsigned int) {
        std::vector<float> padded(line + 2 * r * D);
        for (size_t l = first; l < end; ++l)
        {
          const float * src = in + l * line;
          for (int k = 0; k < r; ++k)
          {
            std::copy(src, src + D, padded.begin() + k * D);
            std::copy(src + line - D, src + line, padded.begin() + line + (r + k) * D);
          }
          std::copy(src, src + line, padded.begin() + r * D);
          float * dst = out + l * line;
          std::fill(dst, dst + line, 0.0f);
          for (int k = 0; k <= 2 * r; ++k)
          {
            const float * shifted = padded.data() + k * D;
            const float   w = kernel[k];
            for (size_t j = 0; j < line; ++j)
            {
              dst[j] += w * shifted[j];
            }
          }
        }
      });
    }
    else
    {
      // Rows of `row` contiguous floats (all voxels with one index along this axis and above it):
      // out row j = sum_k w_k row (j + k), vectorised along the row.
      const size_t row = grid.stride[axis] * D;
      ParallelRanges(grid.n / grid.stride[axis], units, [&](size_t first, size_t end, unsigned int) {
        for (size_t q = first; q < end; ++q)
        {
          const long    j = static_cast<long>(q % length);
          const float * block = in + (q - j) * row;
          float *       dst = out + q * row;
          std::fill(dst, dst + row, 0.0f);
          for (int k = -r; k <= r; ++k)
          {
            const float * src = block + std::min(std::max(j + k, 0L), length - 1) * row;
            const float   w = kernel[k + r];
            for (size_t t = 0; t < row; ++t)
            {
              dst[t] += w * src[t];
            }
          }
        }
      });
    }
    std::swap(field, scratch);
  }
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
    const Grid<D> grid(fixed);
    const size_t  n = grid.n;
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
      field = NewFieldLike<D>(fixed);
      field->FillBuffer(itk::NumericTraits<typename FieldType::PixelType>::ZeroValue());
    }
    double minSpacing = fixed->GetSpacing()[0];
    for (unsigned int d = 1; d < D; ++d)
    {
      minSpacing = std::min(minSpacing, fixed->GetSpacing()[d]);
    }
    const float * f = fixed->GetBufferPointer();
    const float * mv = moving->GetBufferPointer();
    const auto *  in = mask ? mask->GetBufferPointer() : nullptr;

    // Buffers for the whole level (fresh ones each iteration cost as much in page faults as the work).
    auto warpedImage = NewLike<D>(fixed);
    auto derivativeImage = NewLike<D>(fixed);
    auto update = NewFieldLike<D>(fixed);
    auto scratch = NewFieldLike<D>(fixed);
    float * w = warpedImage->GetBufferPointer();
    float * dm = derivativeImage->GetBufferPointer();
    // Local correlation: box means of the fixed image and its square (once per level), and of the
    // warped image, the product and the warped square (each iteration).
    std::vector<float> mf, vf, mw, mfw, mww;
    if (correlation)
    {
      mf.assign(f, f + n);
      vf.resize(n);
      mw.resize(n);
      mfw.resize(n);
      mww.resize(n);
      ForEachVoxel(n, [&](size_t i) { vf[i] = f[i] * f[i]; });
      BoxMean<D>(grid, mf.data(), s.radius);
      BoxMean<D>(grid, vf.data(), s.radius);
      ForEachVoxel(n, [&](size_t i) { vf[i] = static_cast<float>(vf[i] - double(mf[i]) * mf[i]); });
    }

    for (unsigned int iteration = 0; iteration < s.iterations[level]; ++iteration)
    {
      // The moving image through phi, linear, 0 outside its grid (as ITK's WarpImageFilter).
      const auto * phi = field->GetBufferPointer();
      grid.ForEachRow([&](size_t first, const std::array<size_t, D> & index) {
        for (size_t x = 0; x < grid.size[0]; ++x)
        {
          const auto c = grid.Displaced(index, x, phi[first + x]);
          bool       inside = true;
          for (unsigned int d = 0; d < D; ++d)
          {
            inside = inside && c[d] >= -0.5 && c[d] < static_cast<double>(grid.size[d]) - 0.5;
          }
          w[first + x] = inside ? grid.Interpolate(mv, c) : 0.0f;
        }
      });

      // dMetric/dWarped per voxel, and the metric summed over the mask in blocks (the same sum on any thread count).
      if (correlation)
      {
        ForEachVoxel(n, [&](size_t i) {
          mw[i] = w[i];
          mfw[i] = f[i] * w[i];
          mww[i] = w[i] * w[i];
        });
        BoxMean<D>(grid, mw.data(), s.radius);
        BoxMean<D>(grid, mfw.data(), s.radius);
        BoxMean<D>(grid, mww.data(), s.radius);
      }
      const auto sums = BlockSums(n, 2, 0, [&](size_t first, size_t end, std::vector<double> & partial) {
        for (size_t i = first; i < end; ++i)
        {
          double value = 0;
          if (correlation)
          {
            const double m = mw[i];
            const double a = mfw[i] - double(mf[i]) * m;
            const double b = vf[i];
            const double c = mww[i] - m * m;
            if (b * c > 1e-8 && b > 1e-6 && c > 1e-6)
            {
              dm[i] = static_cast<float>(2.0 * a / (b * c) * ((f[i] - mf[i]) - a / c * (w[i] - m)));
              value = a * a / (b * c);
            }
            else
            {
              dm[i] = 0;
            }
          }
          else
          {
            dm[i] = 2.0f * (f[i] - w[i]);
            value = -double(f[i] - w[i]) * (f[i] - w[i]);
          }
          if (in && !in[i])
          {
            dm[i] = 0;
            continue;
          }
          partial[0] += value;
          partial[1] += 1;
        }
      });

      // Force = dMetric/dWarped * grad(warped): central differences, the border voxel repeated
      // (ITK's GradientImageFilter), turned into mm^-1 along the physical axes by M^T.
      auto * up = update->GetBufferPointer();
      grid.ForEachRow([&](size_t first, const std::array<size_t, D> & index) {
        for (size_t x = 0; x < grid.size[0]; ++x)
        {
          const size_t i = first + x;
          if (dm[i] == 0)
          {
            up[i].Fill(0);
            continue;
          }
          std::array<double, D> g;
          for (unsigned int d = 0; d < D; ++d)
          {
            const size_t at = d == 0 ? x : index[d];
            const size_t back = at > 0 ? grid.stride[d] : 0;
            const size_t ahead = at + 1 < grid.size[d] ? grid.stride[d] : 0;
            g[d] = 0.5 * (double(w[i + ahead]) - w[i - back]);
          }
          for (unsigned int k = 0; k < D; ++k)
          {
            double v = 0;
            for (unsigned int d = 0; d < D; ++d)
            {
              v += grid.toIndex[d][k] * g[d];
            }
            up[i][k] = static_cast<float>(dm[i] * v);
          }
        }
      });
      // The B-spline parametrisation smooths through its control grid; the dense one by the fluid sigma.
      if (!lattice)
      {
        SmoothField<D>(grid, update, scratch, s.fluidSigma);
        up = update->GetBufferPointer();
      }
      std::vector<double> largestOf(std::max(1u, WorkUnits(n, 0, size_t{ 1 } << 15)), 0.0);
      ParallelRanges(n, static_cast<unsigned int>(largestOf.size()), [&](size_t first, size_t end, unsigned int unit) {
        for (size_t i = first; i < end; ++i)
        {
          largestOf[unit] = std::max(largestOf[unit], static_cast<double>(up[i].GetSquaredNorm()));
        }
      });
      const double largest = *std::max_element(largestOf.begin(), largestOf.end());
      if (m_Observer)
      {
        m_Observer(static_cast<unsigned int>(level), iteration, sums[1] > 0 ? sums[0] / sums[1] : 0.0);
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

      // phi <- phi o (Id + u): phi(x + u(x)) + u(x), phi read at the nearest border voxel outside its grid.
      auto * out = scratch->GetBufferPointer();
      grid.ForEachRow([&](size_t first, const std::array<size_t, D> & index) {
        for (size_t x = 0; x < grid.size[0]; ++x)
        {
          const auto & u = up[first + x];
          out[first + x] = grid.Interpolate(phi, grid.Displaced(index, x, u)) + u;
        }
      });
      std::swap(field, scratch);
      SmoothField<D>(grid, field, scratch, s.elasticSigma);
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
