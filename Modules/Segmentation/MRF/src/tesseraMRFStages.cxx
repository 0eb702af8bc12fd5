// The Potts MRF as a stage: probabilities in, labels out.
#include "tesseraMRFStages.h"

#include <iomanip>
#include <sstream>

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

namespace
{
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
  filter->Update();
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
  s.run = RunByDimension<RunMRF<2>, RunMRF<3>>;
  registry.Add(s);
}
} // namespace tessera
