#ifndef tesseraSurfaceDistance_hxx
#define tesseraSurfaceDistance_hxx

#include <algorithm>
#include <cmath>
#include <limits>

#include "itkSignedMaurerDistanceMapImageFilter.h"
#include "tesseraConfusionMatrix.h"
#include "tesseraImageUtilities.h"

namespace tessera
{
namespace detail
{
/** Marks the surface voxels of a 0/1 mask whose outermost layer is all 0 (so that every
 * foreground voxel has all its face neighbours inside the buffer). */
template <unsigned int D>
typename MaskImage<D>::Pointer
MaskSurface(const MaskImage<D> * mask, std::size_t & count)
{
  auto surface = MaskImage<D>::New();
  surface->CopyInformation(mask);
  surface->SetRegions(mask->GetLargestPossibleRegion());
  surface->Allocate();
  surface->FillBuffer(0);
  const auto    size = mask->GetLargestPossibleRegion().GetSize();
  std::ptrdiff_t stride[D];
  stride[0] = 1;
  for (unsigned int d = 1; d < D; ++d)
  {
    stride[d] = stride[d - 1] * std::ptrdiff_t(size[d - 1]);
  }
  const std::size_t      n = mask->GetLargestPossibleRegion().GetNumberOfPixels();
  const std::uint8_t *   in = mask->GetBufferPointer();
  std::uint8_t *         out = surface->GetBufferPointer();
  count = 0;
  for (std::size_t i = 0; i < n; ++i)
  {
    if (!in[i])
    {
      continue;
    }
    bool edge = false;
    for (unsigned int d = 0; d < D && !edge; ++d)
    {
      edge = !in[std::ptrdiff_t(i) - stride[d]] || !in[std::ptrdiff_t(i) + stride[d]];
    }
    if (edge)
    {
      out[i] = 1;
      ++count;
    }
  }
  return surface;
}

/** Distances (mm) from each voxel of `from` to the nearest voxel of surface `to`. */
template <unsigned int D>
std::vector<double>
DirectedSurfaceDistances(const MaskImage<D> * from, const MaskImage<D> * to)
{
  using MapFilter = itk::SignedMaurerDistanceMapImageFilter<MaskImage<D>, itk::Image<double, D>>;
  auto map = MapFilter::New();
  map->SetInput(to);
  map->SetUseImageSpacing(true);
  map->SetSquaredDistance(false);
  map->SetInsideIsPositive(false);
  map->SetBackgroundValue(0);
  map->Update();
  // Outside `to`, |map| is the exact distance to the nearest contour voxel of `to`, which is the
  // nearest voxel of `to`; on `to` itself the distance is 0 by definition.
  const double *       distance = map->GetOutput()->GetBufferPointer();
  const std::uint8_t * f = from->GetBufferPointer();
  const std::uint8_t * t = to->GetBufferPointer();
  const std::size_t    n = from->GetLargestPossibleRegion().GetNumberOfPixels();
  std::vector<double>  result;
  for (std::size_t i = 0; i < n; ++i)
  {
    if (f[i])
    {
      result.push_back(t[i] ? 0.0 : std::abs(distance[i]));
    }
  }
  return result;
}
} // namespace detail

template <unsigned int D>
SurfaceDistance
SurfaceDistance::Compute(const LabelImage<D> *     reference,
                         const LabelImage<D> *     segmentation,
                         LabelPixel                label,
                         std::optional<LabelPixel> ignoreLabel,
                         double                    percentile,
                         const std::string &       referenceName,
                         const std::string &       segmentationName)
{
  if (!(percentile >= 0.0 && percentile <= 100.0))
  {
    throw Error("percentile", std::to_string(percentile) + " is outside [0, 100]");
  }
  detail::CheckWhollyBuffered(reference, referenceName);
  detail::CheckWhollyBuffered(segmentation, segmentationName);
  CheckSameGrid(reference, referenceName, segmentation, segmentationName);

  const auto         region = reference->GetLargestPossibleRegion();
  const auto         size = region.GetSize();
  const std::size_t  n = region.GetNumberOfPixels();
  const LabelPixel * ref = reference->GetBufferPointer();
  const LabelPixel * seg = segmentation->GetBufferPointer();
  const bool         useIgnore = ignoreLabel.has_value() && *ignoreLabel != label;
  const LabelPixel   ignore = ignoreLabel.value_or(0);
  auto inRef = [&](std::size_t i) { return ref[i] == label; };
  auto inSeg = [&](std::size_t i) { return seg[i] == label && !(useIgnore && ref[i] == ignore); };

  // Pass 1: bounding box (voxel indices) of the class in either image.
  itk::Index<D> lo, hi, index;
  lo.Fill(std::numeric_limits<itk::IndexValueType>::max());
  hi.Fill(std::numeric_limits<itk::IndexValueType>::min());
  index.Fill(0);
  bool anyRef = false, anySeg = false;
  for (std::size_t i = 0; i < n; ++i)
  {
    const bool r = inRef(i), s = inSeg(i);
    if (r || s)
    {
      anyRef |= r;
      anySeg |= s;
      for (unsigned int d = 0; d < D; ++d)
      {
        lo[d] = std::min(lo[d], index[d]);
        hi[d] = std::max(hi[d], index[d]);
      }
    }
    for (unsigned int d = 0; d < D; ++d) // next voxel index in buffer order
    {
      if (++index[d] < itk::IndexValueType(size[d]))
      {
        break;
      }
      index[d] = 0;
    }
  }
  SurfaceDistance result;
  if (!anyRef || !anySeg)
  {
    const double value =
      (anyRef || anySeg) ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
    result.hausdorffPercentile = result.hausdorff = result.averageSymmetric = value;
    // Surface voxel counts are still reported for the image that has the class.
  }

  // Pass 2: the two class masks over the bounding box, padded by one background voxel on every
  // side (outside the image counts as background, as in scipy's binary_erosion).
  itk::ImageRegion<D> box;
  for (unsigned int d = 0; d < D; ++d)
  {
    box.SetIndex(d, 0);
    box.SetSize(d, (anyRef || anySeg) ? itk::SizeValueType(hi[d] - lo[d] + 3) : 1);
  }
  auto makeMask = [&]() {
    auto mask = MaskImage<D>::New();
    mask->SetRegions(box);
    mask->SetSpacing(reference->GetSpacing()); // distances only depend on spacing
    mask->Allocate();
    mask->FillBuffer(0);
    return mask;
  };
  auto refMask = makeMask();
  auto segMask = makeMask();
  if (anyRef || anySeg)
  {
    std::ptrdiff_t imageStride[D], boxStride[D];
    imageStride[0] = boxStride[0] = 1;
    for (unsigned int d = 1; d < D; ++d)
    {
      imageStride[d] = imageStride[d - 1] * std::ptrdiff_t(size[d - 1]);
      boxStride[d] = boxStride[d - 1] * std::ptrdiff_t(box.GetSize(d - 1));
    }
    // Walk the bounding box row by row (axis 0 contiguous in both buffers).
    itk::Index<D> row = lo;
    const std::ptrdiff_t rowLength = hi[0] - lo[0] + 1;
    std::uint8_t *       rm = refMask->GetBufferPointer();
    std::uint8_t *       sm = segMask->GetBufferPointer();
    while (true)
    {
      std::ptrdiff_t imageOffset = 0, boxOffset = 0;
      for (unsigned int d = 0; d < D; ++d)
      {
        imageOffset += row[d] * imageStride[d];
        boxOffset += (row[d] - lo[d] + 1) * boxStride[d];
      }
      for (std::ptrdiff_t k = 0; k < rowLength; ++k)
      {
        rm[boxOffset + k] = inRef(std::size_t(imageOffset + k));
        sm[boxOffset + k] = inSeg(std::size_t(imageOffset + k));
      }
      unsigned int d = 1;
      for (; d < D; ++d)
      {
        if (++row[d] <= hi[d])
        {
          break;
        }
        row[d] = lo[d];
      }
      if (d == D)
      {
        break;
      }
    }
  }
  const auto refSurface = detail::MaskSurface<D>(refMask, result.referenceSurfaceVoxels);
  const auto segSurface = detail::MaskSurface<D>(segMask, result.segmentationSurfaceVoxels);
  if (!anyRef || !anySeg)
  {
    return result;
  }

  std::vector<double> segToRef = detail::DirectedSurfaceDistances<D>(segSurface, refSurface);
  std::vector<double> refToSeg = detail::DirectedSurfaceDistances<D>(refSurface, segSurface);
  double              sum = 0;
  for (double v : segToRef)
  {
    sum += v;
  }
  for (double v : refToSeg)
  {
    sum += v;
  }
  result.averageSymmetric = sum / double(segToRef.size() + refToSeg.size());
  result.hausdorffPercentile = std::max(Percentile(segToRef, percentile), Percentile(refToSeg, percentile));
  result.hausdorff = std::max(*std::max_element(segToRef.begin(), segToRef.end()),
                              *std::max_element(refToSeg.begin(), refToSeg.end()));
  return result;
}
} // namespace tessera

#endif
