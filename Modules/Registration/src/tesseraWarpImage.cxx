#include "tesseraWarpImage.h"

#include "itkBSplineInterpolateImageFunction.h"
#include "itkComposeImageFilter.h"
#include "itkLabelImageGaussianInterpolateImageFunction.h"
#include "itkLinearInterpolateImageFunction.h"
#include "itkNearestNeighborInterpolateImageFunction.h"
#include "itkResampleImageFilter.h"
#include "itkVectorIndexSelectionCastImageFilter.h"
#include "tesseraError.h"

namespace tessera
{
Interpolation
ParseInterpolation(const std::string & name)
{
  if (name == "linear")
  {
    return Interpolation::Linear;
  }
  if (name == "bspline")
  {
    return Interpolation::BSpline;
  }
  if (name == "nearest")
  {
    return Interpolation::Nearest;
  }
  if (name == "label")
  {
    return Interpolation::Label;
  }
  throw Error("interpolation", "unknown interpolation '" + name + "' (expected linear, bspline, nearest or label)");
}

namespace
{
template <typename TImage>
typename TImage::Pointer
Resample(const TImage * image, const itk::ImageBase<TImage::ImageDimension> * reference,
         const itk::Transform<double, TImage::ImageDimension, TImage::ImageDimension> * transform,
         itk::InterpolateImageFunction<TImage, double> * interpolator)
{
  auto resample = itk::ResampleImageFilter<TImage, TImage, double>::New();
  resample->SetInput(image);
  resample->SetTransform(transform);
  resample->SetInterpolator(interpolator);
  resample->SetSize(reference->GetLargestPossibleRegion().GetSize());
  resample->SetOutputStartIndex(reference->GetLargestPossibleRegion().GetIndex());
  resample->SetOutputSpacing(reference->GetSpacing());
  resample->SetOutputOrigin(reference->GetOrigin());
  resample->SetOutputDirection(reference->GetDirection());
  resample->SetDefaultPixelValue(0);
  resample->Update();
  typename TImage::Pointer out = resample->GetOutput();
  out->SetMetaDataDictionary(image->GetMetaDataDictionary());
  return out;
}
} // namespace

template <unsigned int D>
typename VectorImage<D>::Pointer
WarpImage(const VectorImage<D> * image, const itk::ImageBase<D> * reference,
          const itk::Transform<double, D, D> * transform, Interpolation interpolation)
{
  using Scalar = ScalarImage<D>;
  if (interpolation == Interpolation::Label)
  {
    throw Error("interpolation", "label interpolation is for label images");
  }
  auto compose = itk::ComposeImageFilter<Scalar, VectorImage<D>>::New();
  for (unsigned int c = 0; c < image->GetNumberOfComponentsPerPixel(); ++c)
  {
    auto select = itk::VectorIndexSelectionCastImageFilter<VectorImage<D>, Scalar>::New();
    select->SetInput(image);
    select->SetIndex(c);
    select->Update();
    typename itk::InterpolateImageFunction<Scalar, double>::Pointer interpolator;
    switch (interpolation)
    {
      case Interpolation::BSpline: interpolator = itk::BSplineInterpolateImageFunction<Scalar, double>::New(); break;
      case Interpolation::Nearest: interpolator = itk::NearestNeighborInterpolateImageFunction<Scalar, double>::New(); break;
      default: interpolator = itk::LinearInterpolateImageFunction<Scalar, double>::New(); break;
    }
    compose->SetInput(c, Resample<Scalar>(select->GetOutput(), reference, transform, interpolator));
  }
  compose->Update();
  typename VectorImage<D>::Pointer out = compose->GetOutput();
  out->SetMetaDataDictionary(image->GetMetaDataDictionary());
  return out;
}

template <unsigned int D>
typename LabelImage<D>::Pointer
WarpLabels(const LabelImage<D> * labels, const itk::ImageBase<D> * reference,
           const itk::Transform<double, D, D> * transform, Interpolation interpolation)
{
  using Labels = LabelImage<D>;
  typename itk::InterpolateImageFunction<Labels, double>::Pointer interpolator;
  if (interpolation == Interpolation::Label)
  {
    auto   gaussian = itk::LabelImageGaussianInterpolateImageFunction<Labels, double>::New();
    double sigma[D];
    for (unsigned int d = 0; d < D; ++d)
    {
      sigma[d] = 0.5 * labels->GetSpacing()[d];
    }
    gaussian->SetSigma(sigma);
    gaussian->SetAlpha(3.0);
    interpolator = gaussian;
  }
  else if (interpolation == Interpolation::Nearest)
  {
    interpolator = itk::NearestNeighborInterpolateImageFunction<Labels, double>::New();
  }
  else
  {
    throw Error("interpolation", "labels take nearest or label interpolation (linear and B-spline would mix labels)");
  }
  return Resample<Labels>(labels, reference, transform, interpolator);
}

template VectorImage<2>::Pointer WarpImage<2>(const VectorImage<2> *, const itk::ImageBase<2> *,
                                              const itk::Transform<double, 2, 2> *, Interpolation);
template VectorImage<3>::Pointer WarpImage<3>(const VectorImage<3> *, const itk::ImageBase<3> *,
                                              const itk::Transform<double, 3, 3> *, Interpolation);
template LabelImage<2>::Pointer WarpLabels<2>(const LabelImage<2> *, const itk::ImageBase<2> *,
                                              const itk::Transform<double, 2, 2> *, Interpolation);
template LabelImage<3>::Pointer WarpLabels<3>(const LabelImage<3> *, const itk::ImageBase<3> *,
                                              const itk::Transform<double, 3, 3> *, Interpolation);
} // namespace tessera
