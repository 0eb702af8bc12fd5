// Scoring as a stage: per-class IoU, Dice, precision, recall, HD95, ASSD, pixel accuracy, mIoU.
#include "tesseraEvaluationStages.h"

#include <iostream>

#include "tesseraEvaluationReport.h"

namespace tessera
{
namespace
{
template <unsigned int D>
void
Evaluate(StageContext & c)
{
  const auto &      p = c.Parameters();
  EvaluationOptions options;
  if (p.Has("ignore-label"))
  {
    options.ignoreLabel = static_cast<LabelPixel>(p.Integer("ignore-label"));
  }
  if (p.Has("classes"))
  {
    for (const auto l : p.IntegerList("classes"))
    {
      options.classes.push_back(static_cast<LabelPixel>(l));
      if (options.ignoreLabel && options.classes.back() == *options.ignoreLabel)
      {
        throw Error("classes", "class " + std::to_string(l) + " is the ignore label; it cannot be scored");
      }
    }
  }
  options.excludeBackground = p.Boolean("exclude-background");
  options.surfaceDistances = !p.Boolean("no-hausdorff");
  options.percentile = p.Real("percentile");
  options.referenceName = c.InputName("reference");
  options.segmentationName = c.InputName("segmentation");
  const LabelTable names = c.InputLabelTable("labels"); // kept alive for the loop
  for (const auto & [id, entry] : names.Entries())
  {
    options.names[id] = entry.name;
  }
  const auto             reference = c.Input<LabelImage<D>>("reference");
  const auto             segmentation = c.Input<LabelImage<D>>("segmentation");
  const EvaluationReport report = EvaluationReport::Compute<D>(reference, segmentation, options);
  c.SetText("csv", report.ToCsv());
  c.SetText("json", report.ToJson().dump(2) + "\n");
  if (!c.Options().quiet)
  {
    std::cout << report.ToText() << std::flush;
  }
}
} // namespace

void
RegisterEvaluationStages(StageRegistry & registry)
{
  StageDescription s;
  s.name = "evaluate";
  s.summary = "Score a segmentation against a reference: IoU, Dice, HD95, ASSD, pixel accuracy, mIoU";
  s.source = "HD95 and ASSD as MONAI defines them, on Maurer distance maps with spacing";
  s.perImage = false;
  s.inputs = {
    InputPort("reference", PortKind::Labels, "Reference (ground-truth) label image, 2D or 3D").Alias("r"),
    InputPort("segmentation", PortKind::Labels,
              "Segmentation to score: a label image on the reference's grid (size, spacing, origin, direction)")
      .Alias("s"),
    InputPort("labels", PortKind::LabelTable,
              "Label table giving class names for the report (its ignore flags are not applied: use --ignore-label)")
      .Optional(),
  };
  s.outputs = {
    OutputPort("csv", PortKind::Text, "Per-class rows and a mean row, distances in mm").Optional().Extensions({ ".csv" }),
    OutputPort("json", PortKind::Text, "Per-class scores and the summary, distances in mm")
      .Optional()
      .Extensions({ ".json" }),
  };
  s.parameters = {
    IntegerParameter("ignore-label", "", "label",
                     "Label whose reference voxels are skipped entirely, e.g. 11 for CamVid's void")
      .AtLeast(0)
      .AtMost(65535)
      .WhenAbsent("none"),
    ListParameter("classes", ParameterType::IntegerList, "label",
                  "Labels to score, e.g. 1,2,3")
      .AtLeast(0)
      .AtMost(65535)
      .WhenAbsent("every label in either image, except the ignore label"),
    BooleanParameter("exclude-background", "Leave label 0 out of the default classes and the means (no effect with --classes)"),
    BooleanParameter("no-hausdorff", "Skip surface distances (HD95 and ASSD; one distance map pair per class)"),
    RealParameter("percentile", "95", "percent", "Percentile of the Hausdorff distance: 95 gives HD95, 100 the maximum")
      .AtLeast(0)
      .AtMost(100),
  };
  s.run = RunByDimension<Evaluate<2>, Evaluate<3>>;
  registry.Add(s);
}
} // namespace tessera
