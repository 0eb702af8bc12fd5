// tessera evaluate: scores a segmentation against a reference label image: per-class IoU, Dice,
// precision, recall, HD95 and ASSD (mm), pixel accuracy, mIoU and mean Dice, as a table on
// stdout and optionally CSV and JSON files.
#include <cmath>
#include <iostream>
#include <sstream>

#include "tesseraApplication.h"
#include "tesseraEvaluationReport.h"
#include "tesseraImageUtilities.h"
#include "tesseraLabelTable.h"

namespace tessera
{
namespace
{
struct EvaluateOptions
{
  std::string      reference;
  std::string      segmentation;
  int              ignoreLabel = -1;
  std::vector<int> classes;
  bool             excludeBackground = false;
  std::string      labels;
  bool             noHausdorff = false;
  double           percentile = 95.0;
  std::string      csv;
  std::string      json;
  CommonOptions    common;
};

LabelPixel
ToLabel(int value, const std::string & option)
{
  if (value < 0 || value > 65535)
  {
    throw Error(option, std::to_string(value) + " is not a label (an integer in 0-65535)");
  }
  return static_cast<LabelPixel>(value);
}

template <unsigned int D>
void
Evaluate(const EvaluateOptions & o)
{
  EvaluationOptions options;
  if (o.ignoreLabel >= 0)
  {
    options.ignoreLabel = ToLabel(o.ignoreLabel, "--ignore-label");
  }
  for (int c : o.classes)
  {
    options.classes.push_back(ToLabel(c, "--classes"));
    if (options.ignoreLabel && options.classes.back() == *options.ignoreLabel)
    {
      throw Error("--classes", "class " + std::to_string(c) + " is the --ignore-label; it cannot be scored");
    }
  }
  options.excludeBackground = o.excludeBackground;
  options.surfaceDistances = !o.noHausdorff;
  options.percentile = o.percentile;
  options.referenceName = o.reference;
  options.segmentationName = o.segmentation;
  if (!o.labels.empty())
  {
    const LabelTable table = LabelTable::Load(o.labels);
    for (const auto & [id, entry] : table.Entries())
    {
      options.names[id] = entry.name;
    }
  }
  const auto reference = ReadLabelImage<D>(o.reference);
  const auto segmentation = ReadLabelImage<D>(o.segmentation);
  const EvaluationReport report = EvaluationReport::Compute<D>(reference, segmentation, options);
  if (!o.csv.empty())
  {
    WriteTextFile(o.csv, report.ToCsv());
  }
  if (!o.json.empty())
  {
    WriteTextFile(o.json, report.ToJson().dump(2) + "\n");
  }
  if (!o.common.quiet)
  {
    std::cout << report.ToText() << std::flush;
  }
}

void
Run(const EvaluateOptions & o)
{
  ApplyCommonOptions(o.common);
  if (!(o.percentile >= 0.0 && o.percentile <= 100.0))
  {
    throw Error("--percentile", std::to_string(o.percentile) + " is outside [0, 100]");
  }
  CheckOutputsDistinct({ o.reference, o.segmentation, o.labels }, { o.csv, o.json });
  DispatchDimension(o.reference, [&](auto d) { Evaluate<decltype(d)::value>(o); });
}

void
Setup(CLI::App & sub)
{
  auto o = std::make_shared<EvaluateOptions>();
  sub.add_option("-r,--reference", o->reference,
                 "Reference (ground-truth) label image, 2D or 3D, any ITK-readable format; integer labels 0-65535")
    ->required();
  sub.add_option("-s,--segmentation", o->segmentation,
                 "Segmentation to score: a label image on the reference's grid (same size, and spacing, origin "
                 "and direction to 1e-6 relative tolerance)")
    ->required();
  sub.add_option("--ignore-label", o->ignoreLabel,
                 "Label (0-65535) whose reference voxels are skipped entirely, e.g. 11 for CamVid's void "
                 "(default: none)");
  sub.add_option("--classes", o->classes,
                 "Comma-separated labels to score, e.g. 1,2,3 (default: every label in either image, except "
                 "the ignore label)")
    ->delimiter(',');
  sub.add_flag("--exclude-background", o->excludeBackground,
               "Leave label 0 out of the default classes and the means (default: off; no effect with --classes)");
  sub.add_option("--labels", o->labels,
                 "Label table (JSON) giving class names for the report; its ignore flags are not applied, use "
                 "--ignore-label (default: classes named by number)");
  sub.add_flag("--no-hausdorff", o->noHausdorff,
               "Skip surface distances (HD95 and ASSD, in mm; computed by default, one distance map pair per "
               "class)");
  sub.add_option("--percentile", o->percentile,
                 "Percentile of the Hausdorff distance, in [0, 100]; 95 gives HD95, 100 the maximum")
    ->default_val(95.0);
  sub.add_option("--csv", o->csv, "Write per-class rows and a mean row as CSV, distances in mm (default: none)");
  sub.add_option("--json", o->json, "Write per-class scores and the summary as JSON, distances in mm (default: none)");
  AddCommonOptions(sub, o->common);
  sub.callback([o] { Run(*o); });
}

const ApplicationRegistration registration{
  "evaluate", "Score a segmentation against a reference: IoU, Dice, HD95, ASSD, pixel accuracy, mIoU", Setup
};
} // namespace
} // namespace tessera
