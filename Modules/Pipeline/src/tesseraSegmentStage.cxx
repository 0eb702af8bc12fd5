// segment: the default unsupervised pipeline, k-means -> Gaussian mixture EM -> Potts MRF
// (alpha-expansion), on 2D grey, 2D colour and 3D volumes, as one stage.
#include <iomanip>
#include <sstream>

#include "tesseraAtlasPriors.h"
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
  const auto   image = c.Input<VectorImage<D>>("input");
  typename ProbabilityImage<D>::Pointer posteriors;
  GaussianMixtureModel                  m;
  if (c.HasInput("atlas"))
  {
    // Tissue priors: the atlas template registered onto the image, its maps warped along, then
    // EM with per-voxel mixing proportions.
    const std::string path = c.InputPaths("atlas").at(0);
    const auto atlas = AtlasDescription::Load(path, p.Has("data-root") ? p.Text("data-root") : std::string());
    if (atlas.priors.empty())
    {
      throw Error(path, "has no probability maps (\"priors\"): tissue priors need a probabilistic atlas such as "
                        "Atlases/icbm152-2009a.json");
    }
    const auto classes = PriorClassTable(atlas).Size();
    if (p.Count("classes") != classes)
    {
      throw Error("classes", "the atlas " + path + " has " + std::to_string(classes) + " classes");
    }
    RegistrationSettings registration;
    registration.transforms = { TransformKind::Rigid, TransformKind::Affine, TransformKind::Deformable };
    registration.deformable.iterations = { 50, 25, 0 };
    registration.seed = c.Options().seed;
    const auto priors = WarpAtlasPriors<D>(atlas, MeanOfComponents<D>(image), mask, registration,
                                           [&](const std::string & step, double fraction) {
                                             c.Progress().SetStage(step);
                                             c.Progress().Report(fraction);
                                           });
    c.Progress().SetStage("EM with atlas priors");
    GaussianMixtureOptions options;
    options.maximumIterations = p.Count("em-iterations");
    options.tolerance = p.Real("em-tolerance");
    posteriors = PriorWeightedMixture<D>(image, mask, priors, p.Real("prior-weight"), options, &m);
  }
  else
  {
    auto gmm = GaussianMixtureImageFilter<D>::New();
    gmm->SetInput(image);
    gmm->SetMaskImage(mask);
    gmm->SetNumberOfClasses(p.Count("classes"));
    gmm->SetSeed(c.Options().seed);
    gmm->SetMaximumNumberOfIterations(p.Count("em-iterations"));
    gmm->SetTolerance(p.Real("em-tolerance"));
    c.Progress().Watch(gmm, "k-means + EM");
    gmm->Update();
    posteriors = gmm->GetOutput();
    m = gmm->GetModel();
  }

  auto mrf = PottsMRFImageFilter<D>::New();
  mrf->SetInput(posteriors);
  mrf->SetMaskImage(mask);
  SetPottsParameters(mrf.GetPointer(), p, "mrf-iterations");
  c.Progress().Watch(mrf, p.Text("method"));
  mrf->Update();
  c.SetOutput("output", mrf->GetOutput());
  c.SetOutput("probabilities", posteriors);

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
  s.inputs.push_back(InputPort("atlas", PortKind::File,
                               "Probabilistic atlas (Atlases/*.json with \"priors\", e.g. icbm152-2009a.json): its "
                               "template is registered onto the image (rigid, affine, deformable) and its maps become "
                               "spatial priors of the EM; labels are then the atlas's classes")
                       .Optional());
  s.parameters = {
    ClassesParameter(),
    TextParameter("data-root", "", "With --atlas: folder its relative paths start from").WhenAbsent("the atlas file's folder"),
    RealParameter("prior-weight", "0.5", "fraction",
                  "With --atlas: w in p(k|x) ~ [(1-w) pi_k + w prior_k(x)] N(x; mu_k, Sigma_k) (0 = priors only start "
                  "the EM, 1 = mixing proportions are the priors)")
      .Source("Atropos prior-probability model, Avants et al., Neuroinformatics 9, 2011")
      .AtLeast(0)
      .AtMost(1),
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
