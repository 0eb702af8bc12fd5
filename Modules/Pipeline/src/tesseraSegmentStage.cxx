// segment: the default unsupervised pipeline, k-means -> Gaussian mixture EM -> Potts MRF
// (alpha-expansion), on 2D grey, 2D colour and 3D volumes, as one stage.
#include <iomanip>
#include <sstream>

#include "tesseraClassificationStages.h"
#include "tesseraGaussianMixtureImageFilter.h"
#include "tesseraMRFStages.h"
#include "tesseraPottsMRFImageFilter.h"
#include "tesseraStages.h"

namespace tessera
{
namespace
{
template <unsigned int D>
void
Segment(StageContext & c)
{
  const auto & p = c.Parameters();
  const auto   mask = c.Input<MaskImage<D>>("mask");
  auto         gmm = GaussianMixtureImageFilter<D>::New();
  gmm->SetInput(c.Input<VectorImage<D>>("input"));
  gmm->SetMaskImage(mask);
  gmm->SetNumberOfClasses(p.Count("classes"));
  gmm->SetSeed(c.Options().seed);
  gmm->SetMaximumNumberOfIterations(p.Count("em-iterations"));
  gmm->SetTolerance(p.Real("em-tolerance"));
  c.Progress().Watch(gmm, "k-means + EM");
  gmm->Update();

  auto mrf = PottsMRFImageFilter<D>::New();
  mrf->SetInput(gmm->GetOutput());
  mrf->SetMaskImage(mask);
  SetPottsParameters(mrf.GetPointer(), p, "mrf-iterations");
  c.Progress().Watch(mrf, p.Text("method"));
  mrf->Update();
  c.SetOutput("output", mrf->GetOutput());
  c.SetOutput("probabilities", gmm->GetOutput());

  const auto &       m = gmm->GetModel();
  std::ostringstream s;
  s << "classes (weight, mean):";
  for (unsigned int k = 0; k < m.classes; ++k)
  {
    s << " " << k + 1 << "=(" << std::setprecision(3) << m.weights[k] << ", " << std::setprecision(6)
      << m.means[k * m.dimension] << (m.dimension > 1 ? ", ..." : "") << ")";
  }
  s << "\nPotts energy " << std::setprecision(10) << mrf->GetInitialEnergy() << " -> " << mrf->GetEnergy() << " ("
    << p.Text("method") << ", " << mrf->GetIterations() << " iterations)";
  c.Report(s.str());
}
} // namespace

void
RegisterSegmentStage(StageRegistry & registry)
{
  StageDescription s;
  s.name = "segment";
  s.summary = "Default pipeline: k-means -> Gaussian mixture EM -> Potts MRF (alpha-expansion); labels 1..K";
  s.source = "Dempster, Laird, Rubin 1977; Boykov, Veksler, Zabih 2001";
  s.seeded = true;
  AddClassifierPorts(s, "Image to segment: scalar, RGB or multi-component, 2D or 3D");
  s.parameters = {
    ClassesParameter(),
    IntegerParameter("em-iterations", "100", "count", "Most EM iterations").AtLeast(1).AtMost(100000),
    RealParameter("em-tolerance", "1e-3", "nats per voxel",
                  "EM stops when the mean log-likelihood per voxel gains less than this")
      .Above(0)
      .AtMost(1),
  };
  for (const auto & d : PottsParameters("mrf-iterations"))
  {
    s.parameters.push_back(d);
  }
  s.run = RunByDimension<Segment<2>, Segment<3>>;
  registry.Add(s);
}
} // namespace tessera
