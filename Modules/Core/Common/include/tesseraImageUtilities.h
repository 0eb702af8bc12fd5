#ifndef tesseraImageUtilities_h
#define tesseraImageUtilities_h

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <type_traits>

#include "itkComposeImageFilter.h"
#include "itkImageRegionConstIterator.h"
#include "itkMetaDataObject.h"
#include "tesseraError.h"
#include "tesseraImageIO.h"
#include "tesseraImageTypes.h"

namespace tessera
{
/** Calls f(std::integral_constant<unsigned, D>{}) with D the dimension (2 or 3) of the image
 * file at path, so applications share one templated code path for 2D and 3D.
 * \throws Error naming the file for other dimensions. */
template <typename F>
decltype(auto)
DispatchDimension(const std::string & path, F && f)
{
  const unsigned int d = ReadImageInfo(path).dimension;
  if (d == 2)
  {
    return f(std::integral_constant<unsigned int, 2>{});
  }
  if (d == 3)
  {
    return f(std::integral_constant<unsigned int, 3>{});
  }
  throw Error(path, "is a " + std::to_string(d) + "D image; Tessera handles 2D and 3D");
}

/** The name of a coordinate reference system, e.g. "WGS 84 / UTM zone 11N": the first quoted
 * text of its WKT (the whole WKT when it has none). */
inline std::string
CrsName(const std::string & wkt)
{
  const auto open = wkt.find('"');
  const auto close = open == std::string::npos ? open : wkt.find('"', open + 1);
  return close == std::string::npos ? wkt : wkt.substr(open + 1, close - open - 1);
}

/** Throws Error(bName, ...) unless b has a's size, spacing, origin and direction (to 1e-6
 * relative tolerance) and, when both are georeferenced, its CRS: masks, labels and
 * probabilities must lie on the image's grid. */
template <typename TA, typename TB>
void
CheckSameGrid(const TA * a, const std::string & aName, const TB * b, const std::string & bName)
{
  static_assert(TA::ImageDimension == TB::ImageDimension, "same dimension expected");
  constexpr unsigned int D = TA::ImageDimension;
  auto                   vec = [](const auto & v) {
    std::ostringstream s;
    for (unsigned int i = 0; i < D; ++i)
    {
      s << (i ? "x" : "") << v[i];
    }
    return s.str();
  };
  const auto sa = a->GetLargestPossibleRegion().GetSize();
  const auto sb = b->GetLargestPossibleRegion().GetSize();
  if (sa != sb)
  {
    throw Error(bName, "size " + vec(sb) + " differs from " + aName + "'s " + vec(sa));
  }
  auto close = [](double x, double y, double scale) { return std::abs(x - y) <= 1e-6 * std::max(1.0, scale); };
  const double scale = a->GetSpacing().GetNorm();
  for (unsigned int i = 0; i < D; ++i)
  {
    if (!close(a->GetSpacing()[i], b->GetSpacing()[i], a->GetSpacing()[i]))
    {
      throw Error(bName, "spacing " + vec(b->GetSpacing()) + " mm differs from " + aName + "'s " + vec(a->GetSpacing()));
    }
    if (!close(a->GetOrigin()[i], b->GetOrigin()[i], scale))
    {
      throw Error(bName, "origin " + vec(b->GetOrigin()) + " mm differs from " + aName + "'s " + vec(a->GetOrigin()));
    }
    for (unsigned int j = 0; j < D; ++j)
    {
      if (!close(a->GetDirection()[i][j], b->GetDirection()[i][j], 1.0))
      {
        throw Error(bName, "direction differs from " + aName + "'s");
      }
    }
  }
  // Rasters in different coordinate reference systems cannot share a grid, whatever their numbers.
  std::string crsA, crsB;
  if (itk::ExposeMetaData<std::string>(a->GetMetaDataDictionary(), GeoCrsKey, crsA) &&
      itk::ExposeMetaData<std::string>(b->GetMetaDataDictionary(), GeoCrsKey, crsB) && CrsName(crsA) != CrsName(crsB))
  {
    throw Error(bName, "CRS " + CrsName(crsB) + " differs from " + aName + "'s " + CrsName(crsA));
  }
}

/** A scalar image as a one-component VectorImage (same grid), for stages that take features. */
template <unsigned int D>
typename VectorImage<D>::Pointer
ToVectorImage(const ScalarImage<D> * image)
{
  auto compose = itk::ComposeImageFilter<ScalarImage<D>, VectorImage<D>>::New();
  compose->SetInput(0, image);
  compose->Update();
  typename VectorImage<D>::Pointer out = compose->GetOutput();
  out->DisconnectPipeline();
  return out;
}

/** The mean of a VectorImage's components per voxel (same grid and metadata): one intensity per
 * voxel for methods defined on scalar images (registration metrics). */
template <unsigned int D>
typename ScalarImage<D>::Pointer
MeanOfComponents(const VectorImage<D> * image)
{
  auto out = ScalarImage<D>::New();
  out->CopyInformation(image);
  out->SetRegions(image->GetLargestPossibleRegion());
  out->Allocate();
  out->SetMetaDataDictionary(image->GetMetaDataDictionary());
  const unsigned int nc = image->GetNumberOfComponentsPerPixel();
  const size_t       n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  const float *      p = image->GetBufferPointer();
  float *            q = out->GetBufferPointer();
  for (size_t i = 0; i < n; ++i)
  {
    double sum = 0;
    for (unsigned int c = 0; c < nc; ++c)
    {
      sum += p[i * nc + c];
    }
    q[i] = static_cast<float>(sum / nc);
  }
  return out;
}

/** Throws Error(name, ...) if any pixel (inside the mask, when one is given) is NaN or infinite. */
template <unsigned int D>
void
CheckFinite(const VectorImage<D> * image, const std::string & name, const MaskImage<D> * mask = nullptr)
{
  const unsigned int                               nc = image->GetNumberOfComponentsPerPixel();
  const float *                                    data = image->GetBufferPointer();
  const size_t                                     n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  const typename MaskImage<D>::PixelType *         m = mask ? mask->GetBufferPointer() : nullptr;
  // A branch-free pass first (it vectorises: |x| <= max is false for NaN and infinities); the voxel is looked for
  // only when there is one.
  bool finite = true;
  for (size_t i = 0; i < n * nc; ++i)
  {
    finite &= std::abs(data[i]) <= std::numeric_limits<float>::max();
  }
  if (finite)
  {
    return;
  }
  for (size_t i = 0; i < n; ++i)
  {
    if (m && !m[i])
    {
      continue;
    }
    for (unsigned int c = 0; c < nc; ++c)
    {
      if (!std::isfinite(data[i * nc + c]))
      {
        const auto index = image->ComputeIndex(static_cast<typename VectorImage<D>::OffsetValueType>(i));
        std::ostringstream s;
        s << "has a NaN or infinite intensity at voxel " << index;
        throw Error(name, s.str());
      }
    }
  }
}

/** The mask of a mask file read as float (non-zero = inside, so masks stored as probabilities or
 * signed types threshold at > 0), on its grid; `inside` is set to the number of pixels inside. */
template <unsigned int D>
typename MaskImage<D>::Pointer
ThresholdMask(const ScalarImage<D> * raw, size_t & inside)
{
  auto mask = MaskImage<D>::New();
  mask->CopyInformation(raw);
  mask->SetRegions(raw->GetLargestPossibleRegion());
  mask->Allocate();
  const size_t                       n = raw->GetLargestPossibleRegion().GetNumberOfPixels();
  const float *                      r = raw->GetBufferPointer();
  typename MaskImage<D>::PixelType * m = mask->GetBufferPointer();
  size_t                             count = 0; // a local, so that the loop vectorises
  for (size_t i = 0; i < n; ++i)
  {
    const bool in = r[i] > 0.0f;
    m[i] = in ? 1 : 0;
    count += in;
  }
  inside = count;
  return mask;
}

/** Reads a mask (any pixel type; non-zero = inside) and checks it lies on the reference's grid
 * and is not empty. \throws Error naming the mask file. */
template <unsigned int D, typename TReference>
typename MaskImage<D>::Pointer
ReadMask(const std::string & path, const TReference * reference, const std::string & referenceName)
{
  const ImageInfo info = ReadImageInfo(path);
  if (info.components != 1)
  {
    throw Error(path, "a mask must be a scalar image");
  }
  const auto raw = ReadImageFile<ScalarImage<D>>(path);
  CheckSameGrid(reference, referenceName, raw.GetPointer(), path);
  size_t     inside = 0;
  const auto mask = ThresholdMask<D>(raw.GetPointer(), inside);
  if (inside == 0)
  {
    throw Error(path, "the mask is empty (no voxel is non-zero)");
  }
  return mask;
}
/** Reads intensities as a VectorImage (scalar → 1 component, RGB → 3, multi-component → all).
 * Grey stored as RGB (all pixels with R = G = B, common for PNG) is read as one channel, and
 * an RGBA alpha channel is dropped.
 * \throws Error naming the file for a missing/corrupt file, another dimension, or a pixel type
 * that is not intensities (complex, tensors, ...). */
template <unsigned int D>
typename VectorImage<D>::Pointer
ReadIntensityImage(const std::string & path)
{
  const ImageInfo info = ReadImageInfo(path);
  if (info.pixelType != "scalar" && info.pixelType != "rgb" && info.pixelType != "rgba" && info.pixelType != "vector")
  {
    throw Error(path, "unsupported pixel type: " + info.pixelType + " of " + info.componentType +
                        " (expected scalar, RGB, RGBA or vector intensities)");
  }
  auto image = ReadImageFile<VectorImage<D>>(path);
  const unsigned int nc = image->GetNumberOfComponentsPerPixel();
  const bool         colour = info.pixelType == "rgb" || info.pixelType == "rgba";
  if (!colour || nc < 3)
  {
    return image;
  }
  const size_t  n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  const float * p = image->GetBufferPointer();
  bool          grey = true;
  for (size_t i = 0; i < n && grey; ++i)
  {
    grey = p[i * nc] == p[i * nc + 1] && p[i * nc] == p[i * nc + 2];
  }
  const unsigned int keep = grey ? 1 : 3;
  if (keep == nc)
  {
    return image;
  }
  auto out = VectorImage<D>::New();
  out->CopyInformation(image);
  out->SetRegions(image->GetLargestPossibleRegion());
  out->SetNumberOfComponentsPerPixel(keep);
  out->Allocate();
  float * q = out->GetBufferPointer();
  for (size_t i = 0; i < n; ++i)
  {
    std::copy(p + i * nc, p + i * nc + keep, q + i * keep);
  }
  return out;
}
/** Reads a label image (with `region`, that region alone, as ReadImageFile reads it): unsigned
 * 8/16-bit files directly; any other pixel type (float, signed, 32-bit) is checked voxel by voxel
 * to hold integers in 0–65535.
 * \throws Error naming the file for several components or a voxel that is not a label. */
template <unsigned int D>
typename LabelImage<D>::Pointer
ReadLabelImage(const std::string & path, const itk::ImageRegion<D> * region = nullptr)
{
  const ImageInfo info = ReadImageInfo(path);
  if (info.components != 1)
  {
    throw Error(path, "a label image must have one component per voxel, not " + std::to_string(info.components));
  }
  if (info.componentType == "unsigned_char" || info.componentType == "unsigned_short")
  {
    return ReadImageFile<LabelImage<D>>(path, region);
  }
  const auto wide = ReadImageFile<itk::Image<double, D>>(path, region);
  auto       labels = LabelImage<D>::New();
  labels->CopyInformation(wide);
  labels->SetRegions(wide->GetLargestPossibleRegion());
  labels->Allocate();
  const size_t n = wide->GetLargestPossibleRegion().GetNumberOfPixels();
  for (size_t i = 0; i < n; ++i)
  {
    const double v = wide->GetBufferPointer()[i];
    if (!(v >= 0.0 && v <= 65535.0 && v == std::floor(v)))
    {
      std::ostringstream s;
      s << "voxel " << wide->ComputeIndex(static_cast<itk::OffsetValueType>(i)) << " holds " << v
        << ", not a label (an integer in 0-65535)";
      throw Error(path, s.str());
    }
    labels->GetBufferPointer()[i] = static_cast<LabelPixel>(v);
  }
  return labels;
}
} // namespace tessera

#endif
