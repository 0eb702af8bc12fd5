// A CNN and a Potts MRF composed as ITK filters in one pipeline: the network's per-class
// probabilities (CNNImageFilter) are the unary term of a Potts MRF solved by alpha-expansion
// (PottsMRFImageFilter), exactly as `tessera pipeline Documentation/Pipelines/isbi2012-cnn-potts.json`
// and as `tessera predict --probabilities p.nii.gz` followed by `tessera mrf -i p.nii.gz` do.
//
//   SegmentMembranesWithCNNAndPotts image.png model.pt labels.png [smoothness]
#include <iostream>

#include "tesseraCNNImageFilter.h"
#include "tesseraImageUtilities.h"
#include "tesseraPottsMRFImageFilter.h"

int
main(int argc, char ** argv)
{
  if (argc != 4 && argc != 5)
  {
    std::cerr << "usage: " << argv[0] << " image model labels [smoothness]\n";
    return 2;
  }
  try
  {
    constexpr unsigned int D = 2;
    auto cnn = tessera::CNNImageFilter<D>::New(); // image -> probabilities, one component per class
    cnn->SetInput(tessera::ReadIntensityImage<D>(argv[1]));
    cnn->SetModel(tessera::LoadCNNModel(argv[2]));

    auto mrf = tessera::PottsMRFImageFilter<D>::New(); // -log p + beta * label changes, graph cuts
    mrf->SetInput(cnn->GetOutput());
    mrf->SetSmoothness(argc == 5 ? std::stod(argv[4]) : 0.5);
    mrf->Update();
    tessera::WriteImageFile(mrf->GetOutput(), argv[3]);
    std::cout << "Potts energy " << mrf->GetInitialEnergy() << " -> " << mrf->GetEnergy() << "\n";
    return 0;
  }
  catch (const std::exception & e)
  {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
