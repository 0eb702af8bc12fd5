// tessera segment: the default unsupervised pipeline, k-means → Gaussian mixture EM → Potts
// MRF (alpha-expansion), on 2D grey, 2D colour and 3D volumes.
#include <iomanip>
#include <sstream>

#include "tesseraApplication.h"
#include "tesseraGaussianMixtureImageFilter.h"
#include "tesseraPottsMRFImageFilter.h"
#include "tesseraProgress.h"
#include "tesseraSegmentationOutputs.h"

namespace tessera
{
namespace
{
struct SegmentApp
{
  SegmentationIO io;
  unsigned int   classes = 3;
  double         smoothness = 0.5;
  bool           fullyConnected = false;
  std::string    method = "alpha-expansion";
  unsigned int   emIterations = 100;
  double         emTolerance = 1e-3;
  unsigned int   mrfIterations = 20;
  CommonOptions  common;
};

template <unsigned int D>
void
Run(const SegmentApp & o)
{
  auto [image, mask] = o.io.Read<D>();
  ProgressReporter progress("segment", o.common.quiet);
  auto             gmm = GaussianMixtureImageFilter<D>::New();
  gmm->SetInput(image);
  gmm->SetMaskImage(mask);
  gmm->SetNumberOfClasses(o.classes);
  gmm->SetSeed(o.common.seed);
  gmm->SetMaximumIterations(o.emIterations);
  gmm->SetTolerance(o.emTolerance);
  progress.Watch(gmm, "k-means + EM");
  gmm->Update();

  auto mrf = PottsMRFImageFilter<D>::New();
  mrf->SetInput(gmm->GetOutput());
  mrf->SetMaskImage(mask);
  mrf->SetSmoothness(o.smoothness);
  mrf->SetFullyConnected(o.fullyConnected);
  mrf->SetMethod(o.method == "icm" ? PottsMRFMethod::ICM : PottsMRFMethod::AlphaExpansion);
  mrf->SetMaximumNumberOfIterations(o.mrfIterations);
  progress.Watch(mrf, o.method);
  mrf->Update();
  o.io.Write<D>(image, mrf->GetOutput(), gmm->GetOutput());
  progress.Done();

  const auto &       m = gmm->GetModel();
  std::ostringstream s;
  s << "classes (weight, mean):";
  for (unsigned int k = 0; k < m.classes; ++k)
  {
    s << " " << k + 1 << "=(" << std::setprecision(3) << m.weights[k] << ", " << std::setprecision(6)
      << m.means[k * m.dimension] << (m.dimension > 1 ? ", ..." : "") << ")";
  }
  s << "\nPotts energy " << std::setprecision(10) << mrf->GetInitialEnergy() << " -> " << mrf->GetEnergy() << " ("
    << o.method << ", " << mrf->GetIterations() << " iterations)\nlabels written to " << o.io.output;
  PrintResult(o.common, s.str());
}

void
Setup(CLI::App & sub)
{
  auto o = std::make_shared<SegmentApp>();
  o->io.AddOptions(sub, "Image to segment: scalar, RGB or multi-component, 2D or 3D");
  sub.add_option("-k,--classes", o->classes, "Number of classes K (>= 2); labels 1..K by increasing intensity")
    ->default_val(3);
  sub.add_option("--smoothness", o->smoothness,
                 "Potts weight beta (unitless, >= 0): cost of a label change between face neighbours on the finest "
                 "axis, in nats of -log posterior")
    ->default_val(0.5)
    ->check(CLI::NonNegativeNumber);
  sub.add_flag("--full-connectivity", o->fullyConnected, "8 (2D) / 26 (3D) neighbours instead of 4 / 6");
  sub.add_option("--method", o->method, "MRF optimiser: alpha-expansion (graph cuts) or icm")
    ->default_val("alpha-expansion")
    ->check(CLI::IsMember({ "alpha-expansion", "icm" }));
  sub.add_option("--em-iterations", o->emIterations, "Most EM iterations")->default_val(100);
  sub.add_option("--em-tolerance", o->emTolerance,
                 "EM stops when the mean log-likelihood per voxel gains less than this (nats)")
    ->default_val(1e-3);
  sub.add_option("--mrf-iterations", o->mrfIterations, "Most alpha-expansion cycles / ICM sweeps")->default_val(20);
  AddCommonOptions(sub, o->common, true);
  sub.callback([o] {
    ApplyCommonOptions(o->common);
    o->io.CheckOutputs();
    DispatchDimension(o->io.input, [&](auto d) { Run<decltype(d)::value>(*o); });
  });
}

const ApplicationRegistration registration{
  "segment", "Default pipeline: k-means -> Gaussian mixture EM -> Potts MRF (alpha-expansion); labels 1..K", Setup
};
} // namespace
} // namespace tessera
