// Composes Tessera filters as one composes ITK filters: a T1 volume and its brain mask go
// through a Gaussian mixture (k-means initialised EM) and a Potts MRF (alpha-expansion); the
// tissue labels are written and, when a reference is given, scored.
//
//   SegmentBrainTissues t1.nii.gz mask.nii.gz reference.nii.gz tissues.nii.gz
#include <iostream>

#include "tesseraEvaluationReport.h"
#include "tesseraGaussianMixtureImageFilter.h"
#include "tesseraImageUtilities.h"
#include "tesseraPottsMRFImageFilter.h"

int
main(int argc, char ** argv)
{
  if (argc != 5)
  {
    std::cerr << "usage: " << argv[0] << " t1 mask reference output\n";
    return 2;
  }
  try
  {
    constexpr unsigned int D = 3;
    const auto t1 = tessera::ReadIntensityImage<D>(argv[1]);
    const auto mask = tessera::ReadMask<D>(argv[2], t1.GetPointer(), argv[1]);

    auto gmm = tessera::GaussianMixtureImageFilter<D>::New(); // k-means init, EM -> posteriors
    gmm->SetInput(t1);
    gmm->SetMaskImage(mask);
    gmm->SetNumberOfClasses(3); // CSF, GM, WM by increasing T1 intensity
    gmm->SetTolerance(1e-3);

    auto mrf = tessera::PottsMRFImageFilter<D>::New(); // alpha-expansion on -log posteriors
    mrf->SetInput(gmm->GetOutput());
    mrf->SetMaskImage(mask);
    mrf->SetSmoothness(0.5);
    mrf->Update();
    tessera::WriteImageFile(mrf->GetOutput(), argv[4]);

    tessera::EvaluationOptions options;
    options.classes = { 2, 3 };
    options.surfaceDistances = false;
    const auto reference = tessera::ReadImageFile<tessera::LabelImage<D>>(argv[3]);
    const auto report = tessera::EvaluationReport::Compute<D>(reference.GetPointer(), mrf->GetOutput(), options);
    std::cout << report.ToText();
    std::cout << "Potts energy " << mrf->GetInitialEnergy() << " -> " << mrf->GetEnergy() << "\n";
    return report.classes.at(1).dice >= 0.85 ? 0 : 1;
  }
  catch (const std::exception & e)
  {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
