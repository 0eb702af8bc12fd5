// Scoring as a stage: per-class IoU, Dice, precision, recall, HD95, ASSD, pixel accuracy, mIoU.
#include "tesseraEvaluationStages.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "tesseraEvaluationReport.h"
#include "tesseraFigureFiles.h"

namespace tessera
{
namespace
{
/** Where the figures go: "<stem>-dice.png" and "<stem>-confusion.png" beside the CSV, else
 * beside the JSON; "" when neither is written to a file. */
std::string
FigureStem(const StageContext & c)
{
  const std::string table = c.OutputPath("csv").empty() ? c.OutputPath("json") : c.OutputPath("csv");
  return table.empty() ? "" : SplitExtension(table).first;
}

/** 0.843, or "n/a" for NaN: a score in a figure's title. */
std::string
Score(double value)
{
  if (std::isnan(value))
  {
    return "n/a";
  }
  std::ostringstream s;
  s << std::fixed << std::setprecision(3) << value;
  return s.str();
}

/** The per-class Dice bar chart, in the label table's colours (palette colours without one), written to `path`. */
void
WriteDiceChart(const EvaluationReport & report, const LabelTable & table, const std::string & path)
{
  std::vector<LabelPixel> labels;
  std::vector<double>     dice;
  for (const auto & row : report.classes)
  {
    labels.push_back(row.label);
    dice.push_back(row.dice);
  }
  WriteBarChart(ClassBars(labels, dice, table), { "Dice per class (mean " + Score(report.meanDice) + ")", "Dice", "" },
                BarDirection::Horizontal, path);
}

/** The confusion matrix over the scored classes, written to `path`; labels not scored (background left
 * out, or classes outside --classes) are pooled as "other" so that no compared voxel is lost. */
void
WriteConfusionChart(const EvaluationReport & report, const std::string & path)
{
  std::vector<LabelPixel>  labels;
  std::vector<std::string> names;
  for (const auto & row : report.classes)
  {
    labels.push_back(row.label);
    names.push_back(row.name);
  }
  const auto all = report.matrix.Labels();
  const bool other = std::any_of(all.begin(), all.end(), [&](LabelPixel l) {
    return std::find(labels.begin(), labels.end(), l) == labels.end();
  });
  if (other)
  {
    names.push_back("other");
  }
  const auto index = [&](LabelPixel l) {
    return static_cast<size_t>(std::find(labels.begin(), labels.end(), l) - labels.begin()); // "other" when absent
  };
  std::vector<std::vector<std::int64_t>> counts(names.size(), std::vector<std::int64_t>(names.size(), 0));
  for (const auto r : all)
  {
    for (const auto s : all)
    {
      counts[index(r)][index(s)] += report.matrix.Pairs(r, s);
    }
  }
  WriteConfusionMatrix(names, counts,
                       { "Confusion matrix (pixel accuracy " + Score(report.pixelAccuracy) + ")", "segmentation", "reference" },
                       path);
}

template <unsigned int D>
void
Evaluate(StageContext & c)
{
  // The figures' names are checked like every output's before any work: not an input, not a folder.
  const std::string stem = FigureStem(c);
  const std::string dicePath = stem.empty() ? "" : stem + "-dice.png";
  const std::string confusionPath = stem.empty() ? "" : stem + "-confusion.png";
  CheckOutputsDistinct(c.InputFiles(), { c.OutputPath("csv"), c.OutputPath("json"), dicePath, confusionPath });
  for (const auto & figure : { dicePath, confusionPath })
  {
    if (!figure.empty() && std::filesystem::is_directory(figure))
    {
      throw Error(figure, "is a folder; evaluate writes its figure there");
    }
  }

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
  const bool figures = !stem.empty() && !report.classes.empty(); // nothing scored: no figure to draw
  // The figures are written into the temporary folder of the CSV (or JSON), so that they are
  // committed with it and a failed run leaves none of them.
  const std::string figuresBeside = c.OutputPath("csv").empty() ? "json" : "csv";
  for (const auto & [port, text] : { std::pair<std::string, std::string>{ "csv", report.ToCsv() },
                                     std::pair<std::string, std::string>{ "json", report.ToJson().dump(2) + "\n" } })
  {
    const bool beside = figures && port == figuresBeside;
    c.SetWriter(port, [text = text, beside, report, names](const std::string & path) {
      WriteTextFile(path, text);
      if (beside)
      {
        WriteDiceChart(report, names, SplitExtension(path).first + "-dice.png");
        WriteConfusionChart(report, SplitExtension(path).first + "-confusion.png");
      }
    });
  }
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
    // File ports: the stage writes the figures beside the table, into the same temporary folder.
    OutputPort("csv", PortKind::File,
               "Per-class rows and a mean row, distances in mm; NAME.csv also writes the figures NAME-dice.png "
               "(Dice per class) and NAME-confusion.png (confusion matrix) beside it")
      .Optional()
      .Extensions({ ".csv" }),
    OutputPort("json", PortKind::File,
               "Per-class scores and the summary, distances in mm; without --csv the figures are written beside it")
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
