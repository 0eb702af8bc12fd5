// The Potts MRF as a stage (probabilities in, labels out) and the hidden Markov models (image in, labels out).
#include "tesseraMRFStages.h"

#include <iomanip>
#include <sstream>

#include "tesseraClassificationStages.h"
#include "tesseraHiddenMarkovSegmentation.h"
#include "tesseraPottsMRFImageFilter.h"

namespace tessera
{
std::vector<ParameterDescription>
PottsParameters(const std::string & iterationsName)
{
  return {
    RealParameter("smoothness", "0.5", "nats",
                  "Potts weight beta: cost of a label change between face neighbours on the finest axis, in units of "
                  "-log probability; pairs are weighted by smallest spacing / distance")
      .AtLeast(0)
      .AtMost(1e6),
    ChoiceParameter("method", "alpha-expansion", { "alpha-expansion", "icm" },
                    "alpha-expansion (graph cuts: lower energies) or icm (iterated conditional modes: fast, local)")
      .Source("Boykov, Veksler, Zabih 2001; Besag 1986"),
    IntegerParameter("connectivity", "1", "neighbourhood",
                     "1 = face neighbours (4 in 2D, 6 in 3D); 2 in 2D or 3 in 3D = all (8 / 26)")
      .AtLeast(1)
      .AtMost(3),
    IntegerParameter(iterationsName, "20", "count",
                     "Most alpha-expansion cycles / ICM sweeps over all labels; stops earlier when nothing improves")
      .AtLeast(1)
      .AtMost(10000),
    RealParameter("epsilon", "1e-6", "probability", "Smallest probability in -log p, so that p = 0 costs -log(epsilon)")
      .Above(0)
      .Below(1),
  };
}

std::vector<ParameterDescription>
HiddenMarkovEMParameters(const std::string & prefix)
{
  return {
    IntegerParameter(prefix + "iterations", "1000", "count", "Most EM iterations").AtLeast(1).AtMost(100000),
    RealParameter(prefix + "tolerance", "1e-6", "nats per voxel",
                  "EM stops when its objective per voxel (log-likelihood, or its mean-field bound for hmrf) gains "
                  "less than this")
      .Above(0)
      .AtMost(1),
  };
}

ParameterDescription
PriorWeightParameter()
{
  return RealParameter("prior-weight", "0.5", "fraction",
                       "With priors: w in the mixing proportions (1-w) pi_k + w prior_k(x) (gmm), or in the external "
                       "field (1-w)/K + w prior_k(x) (hmrf, hmc)")
    .Source("Atropos prior-probability model, Avants et al., Neuroinformatics 9, 2011; Zhang, Brady, Smith 2001")
    .AtLeast(0)
    .AtMost(1);
}

std::string
DescribeHiddenMarkovFit(const GaussianMixtureModel & m, const MarkovChain & chain, bool meanField)
{
  std::ostringstream s;
  s << DescribeMixture(m, meanField ? "mean-field bound on the log-likelihood" : "log-likelihood");
  if (!chain.transition.empty())
  {
    s << "\ntransition probabilities (row = from):";
    for (unsigned int i = 0; i < chain.classes; ++i)
    {
      s << (i ? "; " : " ");
      for (unsigned int j = 0; j < chain.classes; ++j)
        s << (j ? " " : "") << std::setprecision(4) << chain.transition[i * chain.classes + j];
    }
  }
  return s.str();
}

namespace
{
template <unsigned int D, HiddenMarkovModel Model>
void
RunHiddenMarkov(StageContext & c)
{
  const auto &                     p = c.Parameters();
  HiddenMarkovSegmentationSettings settings;
  settings.model = Model;
  settings.classes = p.Count("classes");
  settings.seed = c.Options().seed;
  settings.em.maximumIterations = p.Count("iterations");
  settings.em.tolerance = p.Real("tolerance");
  settings.priorWeight = p.Real("prior-weight");
  if (Model == HiddenMarkovModel::RandomField)
    settings.smoothness = p.Real("smoothness");
  else
    settings.viterbi = p.Text("decoding") == "viterbi";
  const auto priors = c.Input<ProbabilityImage<D>>("priors");
  if (priors)
    CheckProbabilities<D>(priors, c.InputName("priors"));
  // With priors the classes are theirs; a different --classes would be silently ignored.
  if (priors && p.Given("classes") && p.Count("classes") != priors->GetNumberOfComponentsPerPixel())
    throw Error(c.InputName("priors"), "holds " + std::to_string(priors->GetNumberOfComponentsPerPixel()) +
                                         " classes but --classes asks for " + std::to_string(p.Count("classes")));
  c.Progress().SetStage(Model == HiddenMarkovModel::RandomField ? "HMRF-EM" : "Baum-Welch");
  settings.em.onIteration = [&](unsigned int iteration, double) {
    c.Progress().Report(double(iteration) / settings.em.maximumIterations);
  };
  const auto result = SegmentHiddenMarkov<D>(c.Input<VectorImage<D>>("input"), c.Input<MaskImage<D>>("mask"), settings,
                                             priors.GetPointer());
  c.SetOutput("output", result.labels);
  c.SetOutput("probabilities", result.probabilities);
  c.Report(DescribeHiddenMarkovFit(result.model, result.chain, Model == HiddenMarkovModel::RandomField));
}

template <unsigned int D>
void
RunMRF(StageContext & c)
{
  auto filter = PottsMRFImageFilter<D>::New();
  filter->SetInput(c.Input<ProbabilityImage<D>>("input"));
  filter->SetMaskImage(c.Input<MaskImage<D>>("mask"));
  filter->SetInitialLabels(c.Input<LabelImage<D>>("initial"));
  SetPottsParameters(filter.GetPointer(), c.Parameters());
  c.Progress().Watch(filter, c.Parameters().Text("method"));
  try
  {
    filter->Update();
  }
  catch (const Error & e)
  {
    // The filter names its inputs by role; the user knows them as files.
    if (e.Subject() == "initial labels")
      throw Error(c.InputName("initial"), e.Problem());
    throw;
  }
  c.SetOutput("output", filter->GetOutput());
  std::ostringstream s;
  s << std::setprecision(10) << "initial energy: " << filter->GetInitialEnergy() << "\n"
    << "final energy: " << filter->GetEnergy() << "\n"
    << c.Parameters().Text("method") << (c.Parameters().Text("method") == "icm" ? " sweeps: " : " cycles: ")
    << filter->GetIterations();
  c.Report(s.str());
}
} // namespace

void
RegisterMRFStages(StageRegistry & registry)
{
  const auto hiddenMarkovStage = [](const std::string & name) {
    StageDescription s;
    s.name = name;
    s.seeded = true;
    AddClassifierPorts(s, "Image to segment: scalar, RGB or multi-component, 2D or 3D");
    s.inputs.push_back(InputPort("priors", PortKind::Probabilities,
                                 "Spatial priors on the input's grid, one component per class of their label table "
                                 "(e.g. atlas maps warped onto the image): EM starts from them and labels are theirs")
                         .Optional());
    s.parameters = { ClassesParameter() };
    for (const auto & d : HiddenMarkovEMParameters(""))
      s.parameters.push_back(d);
    s.parameters.push_back(PriorWeightParameter());
    return s;
  };
  {
    StageDescription s = hiddenMarkovStage("hmrf");
    s.summary = "Hidden Markov random field (Gaussian classes, Potts prior) fitted by mean-field HMRF-EM; labels 1..K";
    s.source = "Zhang, Brady, Smith, IEEE TMI 20(1) 2001; Celeux, Forbes, Peyrard, Pattern Recognition 36, 2003";
    s.parameters.push_back(RealParameter("smoothness", "0.6", "nats",
                                         "Potts weight beta of the prior, per agreeing face neighbour on the finest "
                                         "axis; pairs weighted by smallest spacing / spacing")
                             .AtLeast(0)
                             .AtMost(100));
    s.run = RunByDimension<RunHiddenMarkov<2, HiddenMarkovModel::RandomField>, RunHiddenMarkov<3, HiddenMarkovModel::RandomField>>;
    registry.Add(s);
  }
  {
    StageDescription s = hiddenMarkovStage("hmc");
    s.summary = "Hidden Markov chain along a Hilbert-Peano scan (Gaussian emissions) fitted by Baum-Welch; labels 1..K";
    s.source = "Benmiloud and Pieczynski 1995; Bricq, Collet, Armspach, Medical Image Analysis 12(6) 2008; Baum et al. 1970";
    s.parameters.push_back(ChoiceParameter("decoding", "mpm", { "mpm", "viterbi" },
                                           "Labels by the maximum posterior mode per voxel (mpm) or the most probable "
                                           "sequence along the chain (viterbi)")
                             .Source("Viterbi 1967"));
    s.run = RunByDimension<RunHiddenMarkov<2, HiddenMarkovModel::Chain>, RunHiddenMarkov<3, HiddenMarkovModel::Chain>>;
    registry.Add(s);
  }
  StageDescription s;
  s.name = "mrf";
  s.summary = "Potts MRF labelling of per-class probabilities (graph-cut alpha-expansion or ICM)";
  s.source = "Boykov, Veksler, Zabih, IEEE PAMI 23(11) 2001; Boykov and Kolmogorov, IEEE PAMI 26(9) 2004; Besag 1986";
  s.inputs = {
    InputPort("input", PortKind::Probabilities,
              "Per-class probabilities, 2D or 3D, one component per class of the label table it carries (files "
              "without a table: component c = label c)")
      .Alias("i"),
    InputPort("mask", PortKind::Mask, "Mask on the input's grid: voxels outside get label 0 and take no part").Optional(),
    InputPort("initial", PortKind::Labels,
              "Start labelling on the input's grid, labels of the input's classes (default: argmax of the probabilities)")
      .Optional(),
    InputPort("image", PortKind::Image,
              "Intensity image on the input's grid to draw the overlay on (default: the probabilities as RGB)")
      .Optional(),
    InputPort("labels", PortKind::LabelTable, "Label table giving the overlay's names and colours").Optional(),
  };
  s.outputs = {
    OutputPort("output", PortKind::Labels, "Label image: the input's class labels, 0 outside the mask").Alias("o"),
    OverlayPort("overlay", "output", "image"),
  };
  s.parameters = PottsParameters();
  // Tiled (--ram): each tile's Potts labels with a halo of 64 pixels, as segment's; the energy reaches past
  // any halo, so a few pixels differ from the whole run (Documentation/Benchmarks/TiledImages.md).
  s.tiling.halo = [](const ParameterValues &, const PortFiles &) { return 64u; };
  s.tiling.bytesPerPixel = [](const ParameterValues &, const PortFiles &, unsigned int components) {
    return 60.0 + 16.0 * components;
  };
  s.run = RunByDimension<RunMRF<2>, RunMRF<3>>;
  registry.Add(s);
}
} // namespace tessera
