#include "tesseraEvaluationReport.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <set>
#include <sstream>

namespace tessera
{
namespace
{
std::string
Format(double value, const char * format)
{
  if (std::isnan(value))
  {
    return "nan";
  }
  if (std::isinf(value))
  {
    return value > 0 ? "inf" : "-inf";
  }
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

std::string
CsvField(const std::string & text)
{
  if (text.find_first_of(",\"\r\n") == std::string::npos)
  {
    return text;
  }
  std::string quoted = "\"";
  for (char c : text)
  {
    quoted += c;
    if (c == '"')
    {
      quoted += '"';
    }
  }
  return quoted + "\"";
}

nlohmann::ordered_json
JsonNumber(double value)
{
  if (std::isnan(value))
  {
    return nullptr;
  }
  if (std::isinf(value))
  {
    return value > 0 ? "inf" : "-inf";
  }
  return value;
}

template <typename F>
double
MeanOf(const std::vector<ClassScores> & rows, F field)
{
  std::vector<double> values;
  for (const ClassScores & row : rows)
  {
    values.push_back(field(row));
  }
  return NanMean(values);
}
} // namespace

EvaluationReport
EvaluationReport::FromConfusionMatrix(const ConfusionMatrix & matrix, const EvaluationOptions & options)
{
  std::vector<LabelPixel> classes;
  if (options.classes.empty())
  {
    classes = matrix.DefaultClasses(options.ignoreLabel, options.excludeBackground);
  }
  else
  {
    std::set<LabelPixel> seen;
    for (LabelPixel c : options.classes)
    {
      if (options.ignoreLabel && c == *options.ignoreLabel)
      {
        throw Error("classes", "class " + std::to_string(c) + " is the ignore label; it cannot be scored");
      }
      if (seen.insert(c).second)
      {
        classes.push_back(c);
      }
    }
  }

  EvaluationReport report;
  report.matrix = matrix;
  report.percentile = options.percentile;
  report.ignoreLabel = options.ignoreLabel;
  report.reference = options.referenceName;
  report.segmentation = options.segmentationName;
  report.comparedVoxels = matrix.Compared();
  report.correctVoxels = matrix.Correct();
  report.ignoredVoxels = matrix.IgnoredCount();
  report.pixelAccuracy = matrix.PixelAccuracy();
  for (LabelPixel c : classes)
  {
    ClassScores row;
    row.label = c;
    const auto name = options.names.find(c);
    row.name = name != options.names.end() ? name->second : std::to_string(c);
    row.referenceVoxels = matrix.ReferenceCount(c);
    row.segmentationVoxels = matrix.SegmentationCount(c);
    row.truePositives = matrix.TruePositives(c);
    row.iou = matrix.IoU(c);
    row.dice = matrix.Dice(c);
    row.precision = matrix.Precision(c);
    row.recall = matrix.Recall(c);
    report.classes.push_back(row);
  }
  report.UpdateMeans();
  return report;
}

void
EvaluationReport::UpdateMeans()
{
  meanIoU = MeanOf(classes, [](const ClassScores & r) { return r.iou; });
  meanDice = MeanOf(classes, [](const ClassScores & r) { return r.dice; });
  meanPrecision = MeanOf(classes, [](const ClassScores & r) { return r.precision; });
  meanRecall = MeanOf(classes, [](const ClassScores & r) { return r.recall; });
  meanHausdorffPercentile = MeanOf(classes, [](const ClassScores & r) { return r.hausdorffPercentile; });
  meanHausdorff = MeanOf(classes, [](const ClassScores & r) { return r.hausdorff; });
  meanAverageSymmetric = MeanOf(classes, [](const ClassScores & r) { return r.averageSymmetric; });
}

std::string
EvaluationReport::PercentileName() const
{
  return "hd" + Format(percentile, "%g");
}

std::string
EvaluationReport::ToText() const
{
  std::vector<std::string> header{ "label", "name", "IoU", "Dice", "precision", "recall" };
  if (hasSurfaceDistances)
  {
    std::string hd = PercentileName();
    hd[0] = 'H';
    hd[1] = 'D';
    header.insert(header.end(), { hd + " mm", "ASSD mm" });
  }
  header.insert(header.end(), { "ref voxels", "seg voxels" });

  std::vector<std::vector<std::string>> rows{ header };
  for (const ClassScores & c : classes)
  {
    std::vector<std::string> row{ std::to_string(c.label), c.name,
                                  Format(c.iou, "%.4f"),   Format(c.dice, "%.4f"),
                                  Format(c.precision, "%.4f"), Format(c.recall, "%.4f") };
    if (hasSurfaceDistances)
    {
      row.insert(row.end(), { Format(c.hausdorffPercentile, "%.3f"), Format(c.averageSymmetric, "%.3f") });
    }
    row.insert(row.end(), { std::to_string(c.referenceVoxels), std::to_string(c.segmentationVoxels) });
    rows.push_back(row);
  }
  {
    std::vector<std::string> row{ "", "mean", Format(meanIoU, "%.4f"), Format(meanDice, "%.4f"),
                                  Format(meanPrecision, "%.4f"), Format(meanRecall, "%.4f") };
    if (hasSurfaceDistances)
    {
      row.insert(row.end(), { Format(meanHausdorffPercentile, "%.3f"), Format(meanAverageSymmetric, "%.3f") });
    }
    row.insert(row.end(), { "", "" });
    rows.push_back(row);
  }
  std::vector<std::size_t> width(header.size(), 0);
  for (const auto & row : rows)
  {
    for (std::size_t i = 0; i < row.size(); ++i)
    {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  std::ostringstream text;
  for (std::size_t r = 0; r < rows.size(); ++r)
  {
    if (r + 1 == rows.size())
    {
      std::size_t total = 0;
      for (std::size_t w : width)
      {
        total += w + 2;
      }
      text << std::string(total - 2, '-') << '\n';
    }
    std::string line;
    for (std::size_t i = 0; i < rows[r].size(); ++i)
    {
      const std::string & cell = rows[r][i];
      const std::string   pad(width[i] - cell.size(), ' ');
      line += (i ? "  " : "") + (i == 1 ? cell + pad : pad + cell); // names left, numbers right
    }
    line.erase(line.find_last_not_of(' ') + 1);
    text << line << '\n';
  }
  text << "pixel accuracy " << Format(pixelAccuracy, "%.4f") << " (" << correctVoxels << " of " << comparedVoxels
       << " voxels";
  if (ignoreLabel)
  {
    text << "; " << ignoredVoxels << " with reference label " << *ignoreLabel << " ignored";
  }
  text << ")\n"
       << "mIoU " << Format(meanIoU, "%.4f") << ", mean Dice " << Format(meanDice, "%.4f");
  if (hasSurfaceDistances)
  {
    std::string hd = PercentileName();
    hd[0] = 'H';
    hd[1] = 'D';
    text << ", mean " << hd << " " << Format(meanHausdorffPercentile, "%.3f") << " mm";
  }
  text << " over " << classes.size() << (classes.size() == 1 ? " class" : " classes") << '\n';
  return text.str();
}

std::string
EvaluationReport::ToCsv() const
{
  const std::string  hd = PercentileName();
  std::ostringstream csv;
  csv << "label,name,iou,dice,precision,recall";
  if (hasSurfaceDistances)
  {
    csv << ',' << hd << "_mm,hausdorff_mm,assd_mm";
  }
  csv << ",reference_voxels,segmentation_voxels,true_positives\n";
  auto number = [](double v) { return Format(v, "%.10g"); };
  for (const ClassScores & c : classes)
  {
    csv << c.label << ',' << CsvField(c.name) << ',' << number(c.iou) << ',' << number(c.dice) << ','
        << number(c.precision) << ',' << number(c.recall);
    if (hasSurfaceDistances)
    {
      csv << ',' << number(c.hausdorffPercentile) << ',' << number(c.hausdorff) << ','
          << number(c.averageSymmetric);
    }
    csv << ',' << c.referenceVoxels << ',' << c.segmentationVoxels << ',' << c.truePositives << '\n';
  }
  csv << "mean,," << number(meanIoU) << ',' << number(meanDice) << ',' << number(meanPrecision) << ','
      << number(meanRecall);
  if (hasSurfaceDistances)
  {
    csv << ',' << number(meanHausdorffPercentile) << ',' << number(meanHausdorff) << ','
        << number(meanAverageSymmetric);
  }
  csv << ",,,\n";
  return csv.str();
}

nlohmann::ordered_json
EvaluationReport::ToJson() const
{
  const std::string hd = PercentileName() + "_mm";
  nlohmann::ordered_json    rows = nlohmann::ordered_json::array();
  for (const ClassScores & c : classes)
  {
    nlohmann::ordered_json row{ { "label", c.label },
                        { "name", c.name },
                        { "iou", JsonNumber(c.iou) },
                        { "dice", JsonNumber(c.dice) },
                        { "precision", JsonNumber(c.precision) },
                        { "recall", JsonNumber(c.recall) },
                        { "reference_voxels", c.referenceVoxels },
                        { "segmentation_voxels", c.segmentationVoxels },
                        { "true_positives", c.truePositives } };
    if (hasSurfaceDistances)
    {
      row[hd] = JsonNumber(c.hausdorffPercentile);
      row["hausdorff_mm"] = JsonNumber(c.hausdorff);
      row["assd_mm"] = JsonNumber(c.averageSymmetric);
    }
    rows.push_back(row);
  }
  nlohmann::ordered_json summary{ { "pixel_accuracy", JsonNumber(pixelAccuracy) },
                          { "mean_iou", JsonNumber(meanIoU) },
                          { "mean_dice", JsonNumber(meanDice) },
                          { "mean_precision", JsonNumber(meanPrecision) },
                          { "mean_recall", JsonNumber(meanRecall) },
                          { "compared_voxels", comparedVoxels },
                          { "correct_voxels", correctVoxels },
                          { "ignored_voxels", ignoredVoxels } };
  if (hasSurfaceDistances)
  {
    summary["mean_" + hd] = JsonNumber(meanHausdorffPercentile);
    summary["mean_hausdorff_mm"] = JsonNumber(meanHausdorff);
    summary["mean_assd_mm"] = JsonNumber(meanAverageSymmetric);
  }
  nlohmann::ordered_json out{ { "reference", reference },
                      { "segmentation", segmentation },
                      { "ignore_label", ignoreLabel ? nlohmann::ordered_json(*ignoreLabel) : nlohmann::ordered_json(nullptr) },
                      { "classes", rows },
                      { "summary", summary } };
  if (hasSurfaceDistances)
  {
    out["percentile"] = percentile;
  }
  return out;
}

template EvaluationReport EvaluationReport::Compute<2>(const LabelImage<2> *, const LabelImage<2> *,
                                                       const EvaluationOptions &);
template EvaluationReport EvaluationReport::Compute<3>(const LabelImage<3> *, const LabelImage<3> *,
                                                       const EvaluationOptions &);
} // namespace tessera
