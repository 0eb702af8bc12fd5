#include "tesseraFeatureImage.h"

#include "itkImageRegionIteratorWithIndex.h"
#include "itkMeanImageFilter.h"
#include "itkVectorIndexSelectionCastImageFilter.h"

namespace tessera
{
template <unsigned int D>
typename VectorImage<D>::Pointer
BuildFeatureImage(const VectorImage<D> * image, const FeatureOptions & options)
{
  const unsigned int channels = image->GetNumberOfComponentsPerPixel();
  const unsigned int means = options.localMeanRadius ? channels : 0;
  const unsigned int total = channels + means + (options.position ? D : 0);
  auto               out = VectorImage<D>::New();
  out->CopyInformation(image);
  out->SetRegions(image->GetLargestPossibleRegion());
  out->SetNumberOfComponentsPerPixel(total);
  out->Allocate();
  const size_t n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  float *      dst = out->GetBufferPointer();
  const float * src = image->GetBufferPointer();
  for (size_t i = 0; i < n; ++i)
  {
    std::copy(src + i * channels, src + (i + 1) * channels, dst + i * total);
  }
  for (unsigned int c = 0; c < means; ++c)
  {
    auto select = itk::VectorIndexSelectionCastImageFilter<VectorImage<D>, ScalarImage<D>>::New();
    select->SetInput(image);
    select->SetIndex(c);
    auto mean = itk::MeanImageFilter<ScalarImage<D>, ScalarImage<D>>::New();
    mean->SetInput(select->GetOutput());
    mean->SetRadius(options.localMeanRadius);
    mean->Update();
    const float * m = mean->GetOutput()->GetBufferPointer();
    for (size_t i = 0; i < n; ++i)
    {
      dst[i * total + channels + c] = m[i];
    }
  }
  if (options.position)
  {
    itk::ImageRegionIteratorWithIndex<VectorImage<D>> it(out, out->GetLargestPossibleRegion());
    for (size_t i = 0; !it.IsAtEnd(); ++it, ++i)
    {
      typename VectorImage<D>::PointType point;
      out->TransformIndexToPhysicalPoint(it.GetIndex(), point);
      for (unsigned int a = 0; a < D; ++a)
      {
        dst[i * total + channels + means + a] = static_cast<float>(point[a]);
      }
    }
  }
  return out;
}

template typename VectorImage<2>::Pointer BuildFeatureImage<2>(const VectorImage<2> *, const FeatureOptions &);
template typename VectorImage<3>::Pointer BuildFeatureImage<3>(const VectorImage<3> *, const FeatureOptions &);
} // namespace tessera
