#include "tesseraBiasFieldCorrection.h"

#include <algorithm>
#include <cmath>

#include "itkBSplineControlPointImageFilter.h"
#include "itkN4BiasFieldCorrectionImageFilter.h"
#include "itkShrinkImageFilter.h"
#include "tesseraError.h"

namespace tessera
{
template <unsigned int D>
BiasFieldCorrection<D>
CorrectBiasField(const ScalarImage<D> * image, const MaskImage<D> * mask, const BiasFieldCorrectionSettings & s,
                 const std::function<void(double)> & progress)
{
  using Image = ScalarImage<D>;
  using Mask = MaskImage<D>;
  const size_t n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  // Fit on positive pixels inside the mask: N4 works on log intensities.
  auto fitMask = Mask::New();
  fitMask->CopyInformation(image);
  fitMask->SetRegions(image->GetLargestPossibleRegion());
  fitMask->Allocate();
  size_t inside = 0;
  for (size_t i = 0; i < n; ++i)
  {
    const bool use = image->GetBufferPointer()[i] > 0 && (!mask || mask->GetBufferPointer()[i]);
    fitMask->GetBufferPointer()[i] = use;
    inside += use;
  }
  if (inside == 0)
  {
    throw Error(mask ? "mask" : "input", "no pixel with intensity > 0 to fit the bias field on");
  }
  for (unsigned int a = 0; a < D; ++a)
  {
    if (image->GetLargestPossibleRegion().GetSize(a) / s.shrinkFactor < 4)
    {
      throw Error("shrink-factor", std::to_string(s.shrinkFactor) + " leaves fewer than 4 pixels along axis " +
                                     std::to_string(a) + " of the image");
    }
  }

  auto shrinkImage = itk::ShrinkImageFilter<Image, Image>::New();
  shrinkImage->SetInput(image);
  shrinkImage->SetShrinkFactors(s.shrinkFactor);
  auto shrinkMask = itk::ShrinkImageFilter<Mask, Mask>::New();
  shrinkMask->SetInput(fitMask);
  shrinkMask->SetShrinkFactors(s.shrinkFactor);
  shrinkMask->Update();

  using N4 = itk::N4BiasFieldCorrectionImageFilter<Image, Mask, Image>;
  auto n4 = N4::New();
  n4->SetInput(shrinkImage->GetOutput());
  n4->SetMaskImage(shrinkMask->GetOutput());
  n4->SetNumberOfFittingLevels(s.levels);
  typename N4::VariableSizeArrayType iterations(s.levels);
  iterations.Fill(s.iterations);
  n4->SetMaximumNumberOfIterations(iterations);
  n4->SetConvergenceThreshold(s.convergence);
  if (progress)
  {
    // N4 sends one iteration event per iteration of each level. The count lives in the observer,
    // which outlives this block (ASan's stack-use-after-scope when it was a local here).
    n4->AddObserver(itk::IterationEvent(),
                    [&progress, done = 0u, total = double(s.levels) * s.iterations](const itk::EventObject &) mutable {
                      progress(std::min(0.95, ++done / total));
                    });
  }
  n4->Update();

  // The log field on the full grid, from the fitted control-point lattice.
  using Lattice = typename N4::BiasFieldControlPointLatticeType;
  using FieldImage = itk::Image<typename Lattice::PixelType, D>;
  auto bspline = itk::BSplineControlPointImageFilter<Lattice, FieldImage>::New();
  bspline->SetInput(n4->GetLogBiasFieldControlPointLattice());
  bspline->SetSplineOrder(n4->GetSplineOrder());
  bspline->SetSize(image->GetLargestPossibleRegion().GetSize());
  bspline->SetOrigin(image->GetOrigin());
  bspline->SetSpacing(image->GetSpacing());
  bspline->SetDirection(image->GetDirection());
  bspline->Update();

  BiasFieldCorrection<D> out;
  out.corrected = Image::New();
  out.field = Image::New();
  for (auto * i : { out.corrected.GetPointer(), out.field.GetPointer() })
  {
    i->CopyInformation(image);
    i->SetRegions(image->GetLargestPossibleRegion());
    i->Allocate();
  }
  const auto * logField = bspline->GetOutput()->GetBufferPointer();
  for (size_t i = 0; i < n; ++i)
  {
    const float field = std::exp(logField[i][0]);
    out.field->GetBufferPointer()[i] = field;
    out.corrected->GetBufferPointer()[i] = image->GetBufferPointer()[i] / field;
  }
  if (progress)
    progress(1.0);
  return out;
}

template BiasFieldCorrection<2> CorrectBiasField<2>(const ScalarImage<2> *, const MaskImage<2> *,
                                                    const BiasFieldCorrectionSettings &,
                                                    const std::function<void(double)> &);
template BiasFieldCorrection<3> CorrectBiasField<3>(const ScalarImage<3> *, const MaskImage<3> *,
                                                    const BiasFieldCorrectionSettings &,
                                                    const std::function<void(double)> &);
} // namespace tessera
