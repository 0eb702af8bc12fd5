// segment: the default unsupervised pipeline, [N4 ->] k-means -> statistical model (Gaussian mixture, hidden Markov
// random field or chain) -> Potts MRF (alpha-expansion), on 2D grey, 2D colour and 3D volumes, as one stage.
#include <iomanip>
#include <sstream>

#include "tesseraAtlasPriors.h"
#include "tesseraClassificationStages.h"
#include "tesseraGaussianMixtureImageFilter.h"
#include "tesseraHiddenMarkovSegmentation.h"
#include "tesseraMRFStages.h"
#include "tesseraPottsMRFImageFilter.h"
#include "tesseraRegistrationParameters.h"
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
  auto         image = c.Input<VectorImage<D>>("input");
  if (p.Boolean("bias-correction"))
  {
    const auto scalar = ScalarInput<D>(c, "input");
    c.Progress().SetStage("N4");
    image = ToVectorImage<D>(CorrectBiasField<D>(scalar, mask, BiasFieldSettingsFrom(p, "n4-"),
                                                 [&](double fraction) { c.Progress().Report(fraction); })
                               .corrected);
  }
  typename ProbabilityImage<D>::Pointer priors;
  if (c.HasInput("atlas"))
  {
    // Tissue priors: the atlas template registered onto the image, its maps warped along.
    const std::string path = c.InputPaths("atlas").at(0);
    const auto atlas = AtlasDescription::Load(path, p.Has("data-root") ? p.Text("data-root") : std::string());
    if (atlas.priors.empty() && atlas.labelProbabilities.empty())
    {
      throw Error(path, "has no probability maps (\"priors\" or \"labelProbabilities\"): tissue priors need a "
                        "probabilistic atlas such as Atlases/icbm152-2009a.json or one from tessera atlas build");
    }
    const auto classes = PriorClassTable(atlas).Size();
    if (p.Count("classes") != classes)
    {
      throw Error("classes", "the atlas " + path + " has " + std::to_string(classes) + " classes");
    }
    // The atlas's own registration settings (atlas build writes those it built the template with), else a quick
    // deformable stage that stops at the half-resolution level.
    RegistrationSettings registration;
    if (atlas.registration)
    {
      registration = RegistrationSettingsFrom(*atlas.registration, c.Options().seed);
    }
    else
    {
      registration.deformable.iterations = { 50, 25, 0 };
      registration.seed = c.Options().seed;
    }
    priors = WarpAtlasPriors<D>(atlas, MeanOfComponents<D>(image), mask, registration,
                                [&](const std::string & step, double fraction) {
                                  c.Progress().SetStage(step);
                                  c.Progress().Report(fraction);
                                });
  }
  GaussianMixtureOptions options;
  options.maximumIterations = p.Count("em-iterations");
  options.tolerance = p.Real("em-tolerance");
  options.onIteration = [&](unsigned int iteration, double) {
    c.Progress().Report(double(iteration) / options.maximumIterations);
  };
  typename ProbabilityImage<D>::Pointer posteriors;
  GaussianMixtureModel                  m;
  MarkovChain                           chain;
  const std::string                     model = p.Text("model");
  if (model != "gmm")
  {
    HiddenMarkovSegmentationSettings settings;
    settings.model = ParseHiddenMarkovModel(model, "model");
    settings.classes = p.Count("classes");
    settings.seed = c.Options().seed;
    settings.em = options;
    settings.smoothness = p.Real("hmrf-smoothness");
    settings.priorWeight = p.Real("prior-weight");
    c.Progress().SetStage(model == "hmrf" ? "HMRF-EM" : "Baum-Welch");
    auto result = SegmentHiddenMarkov<D>(image, mask, settings, priors.GetPointer());
    posteriors = result.probabilities;
    m = result.model;
    chain = result.chain;
  }
  else if (priors)
  {
    c.Progress().SetStage("EM with atlas priors");
    posteriors = PriorWeightedMixture<D>(image, mask, priors, p.Real("prior-weight"), options, &m);
  }
  else
  {
    auto gmm = GaussianMixtureImageFilter<D>::New();
    gmm->SetInput(image);
    gmm->SetMaskImage(mask);
    gmm->SetNumberOfClasses(p.Count("classes"));
    gmm->SetSeed(c.Options().seed);
    gmm->SetMaximumNumberOfIterations(options.maximumIterations);
    gmm->SetTolerance(options.tolerance);
    if (const auto * fixed = c.FixedModel<GaussianMixtureModel>())
    {
      gmm->SetFixedModel(*fixed);
    }
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
  c.SetFittedModel(m);

  std::ostringstream s;
  s << DescribeHiddenMarkovFit(m, chain, model == "hmrf");
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
  s.summary = "Default pipeline: [N4 ->] k-means -> statistical model (Gaussian mixture, HMRF or hidden Markov chain) "
              "-> Potts MRF (alpha-expansion); labels 1..K";
  s.source = "Dempster, Laird, Rubin 1977; Zhang, Brady, Smith 2001; Bricq, Collet, Armspach 2008; Boykov, Veksler, "
             "Zabih 2001; Tustison et al. 2010";
  s.seeded = true;
  AddClassifierPorts(s, "Image to segment: scalar, RGB or multi-component, 2D or 3D");
  s.inputs.push_back(InputPort("atlas", PortKind::File,
                               "Probabilistic atlas (Atlases/*.json with \"priors\", e.g. icbm152-2009a.json, or the "
                               "description tessera atlas build writes): its template is registered onto the image "
                               "(rigid, affine, deformable; with the description's \"registration\" settings, which "
                               "atlas build writes, else a quick deformable stage that stops at half resolution) and "
                               "its maps become spatial priors of the EM; labels are "
                               "then the atlas's classes (of a built atlas: all its labels, 0 included)")
                       .Optional());
  s.parameters = {
    ClassesParameter(),
    TextParameter("data-root", "", "With --atlas: folder its relative paths start from").WhenAbsent("the atlas file's folder"),
    PriorWeightParameter(),
    ChoiceParameter("model", "gmm", { "gmm", "hmrf", "hmc" },
                    "Statistical model of intensities and labels: gmm (independent voxels), hmrf (hidden Markov random "
                    "field, mean-field HMRF-EM) or hmc (hidden Markov chain along a Hilbert-Peano scan, Baum-Welch)")
      .Source("Dempster et al. 1977; Zhang, Brady, Smith 2001; Bricq, Collet, Armspach 2008"),
    RealParameter("hmrf-smoothness", "0.6", "nats",
                  "With --model hmrf: Potts weight beta of the HMRF prior (as hmrf --smoothness)")
      .AtLeast(0)
      .AtMost(100),
    BooleanParameter("bias-correction", "Correct the intensity bias field with N4 first (scalar images)")
      .Source("Tustison et al., IEEE TMI 29(6) 2010"),
    IntegerParameter("em-iterations", "100", "count", "Most EM iterations").AtLeast(1).AtMost(100000),
    RealParameter("em-tolerance", "1e-3", "nats per voxel",
                  "EM stops when its objective per voxel (log-likelihood, or its mean-field bound for hmrf) gains less "
                  "than this; 1e-3 stops gmm early, which suits brain tissue (Documentation/Results/BrainTissue.md)")
      .Above(0)
      .AtMost(1),
  };
  for (const auto & d : BiasFieldParameters("n4-"))
  {
    s.parameters.push_back(d);
  }
  for (const auto & d : PottsParameters("mrf-iterations"))
  {
    s.parameters.push_back(d);
  }
  // Tiled (--ram): the mixture is fitted on a sample of the whole image, then each tile gets its posteriors and
  // its Potts labels with a halo of 64 pixels (Documentation/Benchmarks/LargeImages.md measures the difference).
  s.tiling.halo = [](const ParameterValues &, const PortFiles &) { return 64u; };
  s.tiling.bytesPerPixel = [](const ParameterValues & p, const PortFiles &, unsigned int components) {
    return 60.0 + 8.0 * components + 12.0 * p.Count("classes");
  };
  s.tiling.refusal = [](const ParameterValues & p, const PortFiles & files) {
    if (p.Text("model") != "gmm")
    {
      return "fit --model " + p.Text("model") + " (its prior spans the whole image); --model gmm can";
    }
    if (p.Boolean("bias-correction"))
    {
      return std::string("correct the bias field (N4 fits one field to the whole image)");
    }
    return std::string(files.count("atlas") ? "register an atlas onto the image" : "");
  };
  s.tiling.fitsModel = true;
  s.run = RunByDimension<Segment<2>, Segment<3>>;
  registry.Add(s);
}
} // namespace tessera
