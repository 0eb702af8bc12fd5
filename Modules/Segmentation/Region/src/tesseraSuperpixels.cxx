// Superpixels and supervoxels: ITK SLIC (2D/3D) and OpenCV ximgproc (2D, module
// TesseraOpenCVSuperpixels, loaded on first use).
#include "tesseraSuperpixels.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "itkImageAlgorithm.h"
#include "itkPoolMultiThreader.h"
#include "itkSLICImageFilter.h"
#include "tesseraError.h"
#include "tesseraModuleLoader.h"
#include "tesseraParallelRanges.h"
#include "tesseraRegionGrid.h"

namespace tessera
{
namespace
{
const std::vector<std::pair<std::string, SuperpixelMethod>> & MethodNames()
{
  static const std::vector<std::pair<std::string, SuperpixelMethod>> names{
    { "slic", SuperpixelMethod::SLIC },       { "opencv-slic", SuperpixelMethod::OpenCVSLIC },
    { "slico", SuperpixelMethod::SLICO },     { "mslic", SuperpixelMethod::MSLIC },
    { "seeds", SuperpixelMethod::SEEDS },     { "lsc", SuperpixelMethod::LSC },
    { "felzenszwalb", SuperpixelMethod::Felzenszwalb }
  };
  return names;
}

/** Connected components of equal labels (face connectivity) numbered 1..N in raster order. */
template <unsigned int D, typename T>
typename LabelImage<D>::Pointer
RelabelConnected(const itk::ImageBase<D> * grid, const T * raw)
{
  const detail::Grid<D> g(grid, false);
  auto                  out = LabelImage<D>::New();
  out->CopyInformation(grid);
  out->SetRegions(grid->GetLargestPossibleRegion());
  out->Allocate();
  out->FillBuffer(0);
  LabelPixel *        labels = out->GetBufferPointer();
  size_t              next = 0;
  std::vector<size_t> stack;
  for (size_t s = 0; s < g.count; ++s)
  {
    if (labels[s])
    {
      continue;
    }
    if (++next > 65535)
    {
      throw Error("superpixels", "the segmentation has more than 65535 connected segments; ask for fewer");
    }
    labels[s] = static_cast<LabelPixel>(next);
    stack.push_back(s);
    while (!stack.empty())
    {
      const size_t i = stack.back();
      stack.pop_back();
      g.ForEachNeighbour(i, [&](size_t j) {
        if (!labels[j] && raw[j] == raw[i])
        {
          labels[j] = static_cast<LabelPixel>(next);
          stack.push_back(j);
        }
      });
    }
  }
  return out;
}

/** ITK's pool threader with ParallelizeArray run in index order on the calling thread. SLIC's
 * connectivity pass, its one array loop, races on several work units in ITK 5.2 (ITK issue #4711,
 * fixed by PR #4727 after 5.2); its iterations, region loops, are safe on all of them. */
class SerialArrayThreader : public itk::PoolMultiThreader
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(SerialArrayThreader);
  using Self = SerialArrayThreader;
  using Pointer = itk::SmartPointer<Self>;
  itkNewMacro(Self);
  void
  ParallelizeArray(itk::SizeValueType first, itk::SizeValueType last, ArrayThreadingFunctorType function,
                   itk::ProcessObject *) override
  {
    for (auto i = first; i < last; ++i)
    {
      function(i);
    }
  }

protected:
  SerialArrayThreader() = default;
  ~SerialArrayThreader() override = default;
};

template <unsigned int D>
typename LabelImage<D>::Pointer
ITKSLIC(const VectorImage<D> * image, const SuperpixelOptions & o)
{
  typename VectorImage<D>::Pointer input = o.lab ? RGBToLab<D>(image) : typename VectorImage<D>::Pointer(const_cast<VectorImage<D> *>(image));
  // Grid step in mm from the physical extent, then per axis in voxels.
  const auto size = image->GetLargestPossibleRegion().GetSize();
  double     extent = 1.0;
  for (unsigned int d = 0; d < D; ++d)
  {
    extent *= size[d] * image->GetSpacing()[d];
  }
  const double step = o.gridStep > 0.0 ? o.gridStep : std::pow(extent / o.segments, 1.0 / D);
  using WideLabels = itk::Image<uint32_t, D>;
  auto                                                      slic = itk::SLICImageFilter<VectorImage<D>, WideLabels>::New();
  typename itk::SLICImageFilter<VectorImage<D>, WideLabels>::SuperGridSizeType grid;
  for (unsigned int d = 0; d < D; ++d)
  {
    grid[d] = std::max(1u, static_cast<unsigned int>(std::lround(step / image->GetSpacing()[d])));
  }
  // SLIC works in voxels: on a grid of unit spacing at origin 0 its seeds (ShrinkImageFilter's grid,
  // placed through physical points) do not move with rounding noise in the origin or spacing, so a
  // tile of a tiled run seeds where the whole image does.
  auto voxels = VectorImage<D>::New();
  voxels->SetRegions(input->GetLargestPossibleRegion().GetSize());
  voxels->SetNumberOfComponentsPerPixel(input->GetNumberOfComponentsPerPixel());
  voxels->SetPixelContainer(input->GetPixelContainer());
  slic->SetInput(voxels);
  slic->SetSuperGridSize(grid);
  slic->SetSpatialProximityWeight(o.compactness);
  slic->SetMaximumNumberOfIterations(o.iterations);
  slic->SetEnforceConnectivity(true);
  slic->SetMultiThreader(SerialArrayThreader::New());
  slic->Update();
  return RelabelConnected<D>(image, slic->GetOutput()->GetBufferPointer());
}

typename LabelImage<2>::Pointer
OpenCVSuperpixels(const VectorImage<2> * image, const SuperpixelOptions & o)
{
  std::vector<int> labels;
  ModuleFunction<void(const VectorImage<2> *, const SuperpixelOptions &, std::vector<int> &)>(
    "TesseraOpenCVSuperpixels", "tesseraOpenCVSuperpixels")(image, o, labels);
  return RelabelConnected<2>(image, labels.data());
}
} // namespace

SuperpixelMethod
ParseSuperpixelMethod(const std::string & name)
{
  for (const auto & [n, m] : MethodNames())
  {
    if (n == name)
    {
      return m;
    }
  }
  std::string known;
  for (const auto & entry : MethodNames())
  {
    known += (known.empty() ? "" : ", ") + entry.first;
  }
  throw Error("method", "unknown method '" + name + "' (known: " + known + ")");
}

std::string
SuperpixelMethodName(SuperpixelMethod method)
{
  for (const auto & [n, m] : MethodNames())
  {
    if (m == method)
    {
      return n;
    }
  }
  return "?";
}

template <unsigned int D>
typename VectorImage<D>::Pointer
RGBToLab(const VectorImage<D> * image)
{
  const unsigned int nc = image->GetNumberOfComponentsPerPixel();
  if (nc != 3)
  {
    return typename VectorImage<D>::Pointer(const_cast<VectorImage<D> *>(image));
  }
  const size_t  n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  const float * p = image->GetBufferPointer();
  const float   top = *std::max_element(p, p + 3 * n);
  const double  scale = top <= 1.0f ? 1.0 : 1.0 / 255.0;
  auto          out = VectorImage<D>::New();
  out->CopyInformation(image);
  out->SetRegions(image->GetLargestPossibleRegion());
  out->SetNumberOfComponentsPerPixel(3);
  out->Allocate();
  float * q = out->GetBufferPointer();
  auto    linear = [](double c) {
    c = std::clamp(c, 0.0, 1.0);
    return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
  };
  // Most colour images hold bytes: their 256 linear values are computed once (the same values, without a pow each).
  std::array<double, 256> byteLinear;
  for (int v = 0; v < 256; ++v)
  {
    byteLinear[v] = linear(v * scale);
  }
  auto channel = [&](float v) {
    return v >= 0.0f && v <= 255.0f && v == std::floor(v) ? byteLinear[static_cast<int>(v)] : linear(v * scale);
  };
  auto f = [](double t) { return t > 216.0 / 24389.0 ? std::cbrt(t) : (24389.0 / 27.0 * t + 16.0) / 116.0; };
  ParallelRanges(n, WorkUnits(n, 0, 1u << 16), [&](size_t begin, size_t end, unsigned int) {
    for (size_t i = begin; i < end; ++i)
    {
      const double r = channel(p[3 * i]), g = channel(p[3 * i + 1]), b = channel(p[3 * i + 2]);
      const double x = (0.412453 * r + 0.357580 * g + 0.180423 * b) / 0.950456;
      const double y = 0.212671 * r + 0.715160 * g + 0.072169 * b;
      const double z = (0.019334 * r + 0.119193 * g + 0.950227 * b) / 1.088754;
      const double fx = f(x), fy = f(y), fz = f(z);
      q[3 * i] = static_cast<float>(116.0 * fy - 16.0);
      q[3 * i + 1] = static_cast<float>(500.0 * (fx - fy));
      q[3 * i + 2] = static_cast<float>(200.0 * (fy - fz));
    }
  });
  return out;
}

template <unsigned int D>
typename LabelImage<D>::Pointer
ComputeSuperpixels(const VectorImage<D> * image, const SuperpixelOptions & o)
{
  if (o.segments == 0)
  {
    throw Error("superpixels", "must be > 0");
  }
  if (!(o.compactness > 0.0))
  {
    throw Error("compactness", "must be > 0");
  }
  if (o.iterations == 0)
  {
    throw Error("iterations", "must be > 0");
  }
  if (!(o.scale > 0.0))
  {
    throw Error("scale", "must be > 0");
  }
  if (!(o.sigma >= 0.0))
  {
    throw Error("sigma", "must be >= 0 pixels");
  }
  if (o.method == SuperpixelMethod::SLIC)
  {
    return ITKSLIC<D>(image, o);
  }
  if constexpr (D == 2)
  {
    // OpenCV's superpixel classes crash or loop on images smaller than a few superpixels
    // (1x1, 1x200, 32x32 with 1000 segments): each superpixel needs at least 4x4 pixels, and the
    // image two superpixels along each axis.
    const auto size = image->GetLargestPossibleRegion().GetSize();
    const double pixels = static_cast<double>(size[0]) * static_cast<double>(size[1]);
    if (o.method != SuperpixelMethod::Felzenszwalb)
    {
      const double side = std::sqrt(pixels / o.segments);
      if (side < 4.0)
      {
        throw Error("superpixels", std::to_string(o.segments) + " superpixels need at least " +
                                     std::to_string(16 * static_cast<long>(o.segments)) + " pixels; the image has " +
                                     std::to_string(static_cast<long>(pixels)) + " (ask for at most " +
                                     std::to_string(static_cast<long>(pixels / 16)) + ")");
      }
      if (static_cast<double>(std::min(size[0], size[1])) < 2.0 * side)
      {
        throw Error("superpixels", "the image (" + std::to_string(size[0]) + "x" + std::to_string(size[1]) +
                                     ") is too narrow for superpixels of " + std::to_string(std::lround(side)) +
                                     " pixels; ask for more superpixels or use slic");
      }
    }
    return OpenCVSuperpixels(image, o);
  }
  else
  {
    throw Error("method", SuperpixelMethodName(o.method) + " (OpenCV) handles 2D images only; use slic for 3D");
  }
}

template <unsigned int D>
void
SuperpixelImageFilter<D>::GenerateData()
{
  auto labels = ComputeSuperpixels<D>(this->GetInput(), m_Options);
  auto * out = this->AllocateLabelOutput();
  const size_t n = out->GetBufferedRegion().GetNumberOfPixels();
  std::copy(labels->GetBufferPointer(), labels->GetBufferPointer() + n, out->GetBufferPointer());
  m_NumberOfSegments = n ? *std::max_element(out->GetBufferPointer(), out->GetBufferPointer() + n) : 0;
  this->UpdateProgress(1.0f);
}

LabelImage<2>::Pointer
ComputeTileSuperpixels(const VectorImage<2> * tile, const SuperpixelOptions & options, const TilePlacement & placement)
{
  if (!placement.Tiled())
  {
    return ComputeSuperpixels<2>(tile, options);
  }
  const auto        size = tile->GetLargestPossibleRegion().GetSize();
  const auto &      spacing = tile->GetSpacing();
  SuperpixelOptions o = options;
  const double      whole = static_cast<double>(placement.wholeSize[0]) * static_cast<double>(placement.wholeSize[1]);
  if (o.method != SuperpixelMethod::SLIC)
  {
    o.segments = std::max(1u, static_cast<unsigned int>(std::lround(o.segments * static_cast<double>(size[0] * size[1]) / whole)));
    return ComputeSuperpixels<2>(tile, o);
  }
  o.gridStep = std::sqrt(whole * spacing[0] * spacing[1] / o.segments);
  // The first seed of n pixels from r0 on a grid of s: the centre of ShrinkImageFilter's first pixel,
  // whose grid is centred on the image's.
  const auto firstSeed = [](double r0, double n, double s) { return r0 + (n - 1.0) / 2.0 - (std::floor(n / s) - 1.0) * s / 2.0; };
  itk::ImageRegion<2> crop;
  for (unsigned int a = 0; a < 2; ++a)
  {
    const double s = std::max(1.0, static_cast<double>(std::lround(o.gridStep / spacing[a])));
    const double goal = firstSeed(0.0, static_cast<double>(placement.wholeSize[a]), s);
    const auto   n = static_cast<int64_t>(size[a]);
    const int64_t lowest = placement.keepOffset[a], highest = n - placement.keepOffset[a] - placement.keepSize[a];
    double        best = s;
    int64_t       from = 0, to = n;
    // The crop that puts the seeds nearest the whole run's (circular distance), the smallest of equals.
    for (int64_t lo = 0; lo < static_cast<int64_t>(s) && lo <= lowest; ++lo)
    {
      for (int64_t hi = 0; hi < static_cast<int64_t>(s) && hi <= highest && n - lo - hi >= s; ++hi)
      {
        const double off = std::fmod(firstSeed(static_cast<double>(placement.offset[a] + lo), static_cast<double>(n - lo - hi), s) - goal, s);
        const double distance = std::min(std::abs(off), s - std::abs(off));
        if (distance < best - 1e-9)
        {
          best = distance;
          from = lo;
          to = n - hi;
        }
      }
    }
    crop.SetIndex(a, from);
    crop.SetSize(a, static_cast<itk::SizeValueType>(to - from));
  }
  auto part = VectorImage<2>::New();
  part->CopyInformation(tile);
  part->SetRegions(crop.GetSize());
  part->SetNumberOfComponentsPerPixel(tile->GetNumberOfComponentsPerPixel());
  part->Allocate();
  itk::ImageRegion<2> at(crop.GetSize());
  itk::ImageAlgorithm::Copy(tile, part.GetPointer(), crop, at);
  const auto labels = ComputeSuperpixels<2>(part, o);
  auto       out = LabelImage<2>::New();
  out->CopyInformation(tile);
  out->SetRegions(tile->GetLargestPossibleRegion());
  out->Allocate(true);
  itk::ImageAlgorithm::Copy(labels.GetPointer(), out.GetPointer(), at, crop);
  return out;
}

template typename LabelImage<2>::Pointer ComputeSuperpixels<2>(const VectorImage<2> *, const SuperpixelOptions &);
template typename LabelImage<3>::Pointer ComputeSuperpixels<3>(const VectorImage<3> *, const SuperpixelOptions &);
template typename VectorImage<2>::Pointer RGBToLab<2>(const VectorImage<2> *);
template typename VectorImage<3>::Pointer RGBToLab<3>(const VectorImage<3> *);
template <unsigned int D>
void
SuperpixelImageFilter<D>::PrintSelf(std::ostream & os, itk::Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  const SuperpixelOptions & o = m_Options;
  os << indent << "Method: " << SuperpixelMethodName(o.method) << std::endl;
  os << indent << "Segments: " << o.segments << std::endl;
  os << indent << "Compactness: " << o.compactness << std::endl;
  os << indent << "Iterations: " << o.iterations << std::endl;
  os << indent << "Lab: " << (o.lab ? "On" : "Off") << std::endl;
  os << indent << "Scale: " << o.scale << std::endl;
  os << indent << "Sigma: " << o.sigma << std::endl;
  os << indent << "MinimumSize: " << o.minimumSize << std::endl;
  os << indent << "SeedsLevels: " << o.seedsLevels << std::endl;
  os << indent << "SeedsBins: " << o.seedsBins << std::endl;
  os << indent << "NumberOfSegments: " << m_NumberOfSegments << std::endl;
}

template class SuperpixelImageFilter<2>;
template class SuperpixelImageFilter<3>;
} // namespace tessera
