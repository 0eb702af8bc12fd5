#include "tesseraImagePyramid.h"

#include "itkShrinkImageFilter.h"
#include "itkSmoothingRecursiveGaussianImageFilter.h"
#include "tesseraImageTypes.h"

namespace tessera
{
template <typename TImage>
typename TImage::Pointer
PyramidLevel(const TImage * image, unsigned int shrink, double sigma)
{
  typename TImage::Pointer out = TImage::New();
  out->Graft(image);
  if (sigma > 0 && !std::is_integral<typename TImage::PixelType>::value)
  {
    auto smooth = itk::SmoothingRecursiveGaussianImageFilter<TImage, TImage>::New();
    smooth->SetInput(image);
    smooth->SetSigma(sigma);
    smooth->Update();
    out = smooth->GetOutput();
  }
  if (shrink > 1)
  {
    auto reduce = itk::ShrinkImageFilter<TImage, TImage>::New();
    reduce->SetInput(out);
    reduce->SetShrinkFactors(shrink);
    reduce->Update();
    out = reduce->GetOutput();
  }
  out->DisconnectPipeline();
  return out;
}

template ScalarImage<2>::Pointer PyramidLevel<ScalarImage<2>>(const ScalarImage<2> *, unsigned int, double);
template ScalarImage<3>::Pointer PyramidLevel<ScalarImage<3>>(const ScalarImage<3> *, unsigned int, double);
template MaskImage<2>::Pointer   PyramidLevel<MaskImage<2>>(const MaskImage<2> *, unsigned int, double);
template MaskImage<3>::Pointer   PyramidLevel<MaskImage<3>>(const MaskImage<3> *, unsigned int, double);
} // namespace tessera
