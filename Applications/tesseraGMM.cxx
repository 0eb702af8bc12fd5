// tessera gmm: unsupervised Gaussian-mixture classification (k-means init, EM), posteriors out.
#include <iomanip>
#include <sstream>

#include "tesseraApplication.h"
#include "tesseraGaussianMixtureImageFilter.h"
#include "tesseraProgress.h"
#include "tesseraSegmentationOutputs.h"

namespace tessera
{
namespace
{
struct GMMApp
{
  SegmentationIO io;
  unsigned int   classes = 3;
  unsigned int   iterations = 100;
  double         tolerance = 1e-6;
  CommonOptions  common;
};

template <unsigned int D>
void
Run(const GMMApp & o)
{
  auto [image, mask] = o.io.Read<D>();
  ProgressReporter progress("gmm", o.common.quiet);
  auto             filter = GaussianMixtureImageFilter<D>::New();
  filter->SetInput(image);
  filter->SetMaskImage(mask);
  filter->SetNumberOfClasses(o.classes);
  filter->SetSeed(o.common.seed);
  filter->SetMaximumIterations(o.iterations);
  filter->SetTolerance(o.tolerance);
  progress.Watch(filter, "");
  filter->Update();
  o.io.Write<D>(image, filter->GetLabelOutput(), filter->GetOutput());
  progress.Done();
  const auto &       m = filter->GetModel();
  std::ostringstream s;
  s << "log-likelihood " << std::setprecision(8) << m.logLikelihood << " per voxel after " << m.iterations
    << " EM iterations; classes (weight, mean):";
  for (unsigned int k = 0; k < m.classes; ++k)
  {
    s << " " << k + 1 << "=(" << std::setprecision(4) << m.weights[k] << ", " << std::setprecision(6)
      << m.means[k * m.dimension] << (m.dimension > 1 ? ", ..." : "") << ")";
  }
  PrintResult(o.common, s.str());
}

void
Setup(CLI::App & sub)
{
  auto o = std::make_shared<GMMApp>();
  o->io.AddOptions(sub, "Image to classify: scalar, RGB or multi-component, 2D or 3D");
  sub.add_option("-k,--classes", o->classes, "Number of mixture components K (>= 2); labels 1..K by increasing intensity")
    ->default_val(3);
  sub.add_option("--iterations", o->iterations, "Most EM iterations")->default_val(100);
  sub.add_option("--tolerance", o->tolerance, "EM stops when the mean log-likelihood per voxel gains less (nats)")
    ->default_val(1e-6);
  AddCommonOptions(sub, o->common, true);
  sub.callback([o] {
    ApplyCommonOptions(o->common);
    o->io.CheckOutputs();
    DispatchDimension(o->io.input, [&](auto d) { Run<decltype(d)::value>(*o); });
  });
}

const ApplicationRegistration registration{ "gmm", "Gaussian mixture model fitted by EM (k-means init): posteriors and labels",
                                            Setup };
} // namespace
} // namespace tessera
