// tessera kmeans: unsupervised k-means classification of pixels/voxels.
#include <iomanip>
#include <sstream>

#include "tesseraApplication.h"
#include "tesseraKMeansImageFilter.h"
#include "tesseraProgress.h"
#include "tesseraSegmentationOutputs.h"

namespace tessera
{
namespace
{
struct KMeansApp
{
  SegmentationIO io;
  unsigned int   classes = 3;
  unsigned int   restarts = 3;
  unsigned int   iterations = 300;
  bool           soft = false;
  CommonOptions  common;
};

template <unsigned int D>
void
Run(const KMeansApp & o)
{
  auto [image, mask] = o.io.Read<D>();
  ProgressReporter progress("kmeans", o.common.quiet);
  auto             filter = KMeansImageFilter<D>::New();
  filter->SetInput(image);
  filter->SetMaskImage(mask);
  filter->SetNumberOfClasses(o.classes);
  filter->SetRestarts(o.restarts);
  filter->SetMaximumIterations(o.iterations);
  filter->SetSeed(o.common.seed);
  filter->SetSoft(o.soft);
  progress.Watch(filter, "");
  filter->Update();
  o.io.Write<D>(image, filter->GetLabelOutput(), filter->GetOutput());
  progress.Done();
  const auto &       r = filter->GetResult();
  std::ostringstream s;
  s << "inertia " << std::setprecision(10) << r.inertia << " after " << r.iterations << " iterations; centroids:";
  for (unsigned int k = 0; k < r.classes; ++k)
  {
    s << " " << k + 1 << "=(";
    for (unsigned int a = 0; a < r.dimension; ++a)
    {
      s << (a ? "," : "") << std::setprecision(6) << r.centroids[k * r.dimension + a];
    }
    s << ")";
  }
  PrintResult(o.common, s.str());
}

void
Setup(CLI::App & sub)
{
  auto o = std::make_shared<KMeansApp>();
  o->io.AddOptions(sub, "Image to classify: scalar, RGB or multi-component, 2D or 3D");
  sub.add_option("-k,--classes", o->classes, "Number of classes K (>= 2); labels 1..K by increasing intensity")
    ->default_val(3);
  sub.add_option("--restarts", o->restarts, "Independent k-means++ starts; the lowest inertia wins")->default_val(3);
  sub.add_option("--iterations", o->iterations, "Most Lloyd iterations per start")->default_val(300);
  sub.add_flag("--soft", o->soft, "Soft probabilities by distance instead of one-hot (default: one-hot)");
  AddCommonOptions(sub, o->common, true);
  sub.callback([o] {
    ApplyCommonOptions(o->common);
    o->io.CheckOutputs();
    DispatchDimension(o->io.input, [&](auto d) { Run<decltype(d)::value>(*o); });
  });
}

const ApplicationRegistration registration{ "kmeans", "Unsupervised k-means classification (k-means++ seeding)", Setup };
} // namespace
} // namespace tessera
