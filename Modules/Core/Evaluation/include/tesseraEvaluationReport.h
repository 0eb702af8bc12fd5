#ifndef tesseraEvaluationReport_h
#define tesseraEvaluationReport_h

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tesseraConfusionMatrix.h"
#include "tesseraImageTypes.h"
#include "tesseraSurfaceDistance.h"

namespace tessera
{
/** What to score and how (see EvaluationReport::Compute). */
struct EvaluationOptions
{
  /** Reference voxels with this label are skipped entirely (e.g. 11 for CamVid's void). */
  std::optional<LabelPixel> ignoreLabel;
  /** Classes to score, in this order; empty = every label present (among compared voxels) in
   * the reference or the segmentation, ascending, without the ignore label. */
  std::vector<LabelPixel> classes;
  /** With the default classes, leave label 0 (background) out of the rows and the means. */
  bool excludeBackground = false;
  /** Compute HD (percentile), Hausdorff and ASSD per class (one distance map pair per class). */
  bool surfaceDistances = true;
  /** Percentile of the Hausdorff distance in [0, 100]; 95 gives HD95. */
  double percentile = 95.0;
  /** Class names for the report (e.g. from a LabelTable's Entries()); unnamed labels are
   * named by their number. */
  std::map<LabelPixel, std::string> names;
  /** Subjects of error messages and the report's "reference"/"segmentation" fields. */
  std::string referenceName = "reference";
  std::string segmentationName = "segmentation";
};

/** Scores of one class. Ratios are in [0, 1], NaN when undefined (see ConfusionMatrix);
 * distances are in mm, NaN when not computed or the class is absent from both images, +inf
 * when it is absent from exactly one (see SurfaceDistance). */
struct ClassScores
{
  static constexpr double NaN = std::numeric_limits<double>::quiet_NaN();
  LabelPixel              label = 0;
  std::string             name;
  std::int64_t            referenceVoxels = 0;    ///< TP + FN
  std::int64_t            segmentationVoxels = 0; ///< TP + FP
  std::int64_t            truePositives = 0;
  double                  iou = NaN;
  double                  dice = NaN;
  double                  precision = NaN;
  double                  recall = NaN;
  double                  hausdorffPercentile = NaN; ///< mm, HD95 by default
  double                  hausdorff = NaN;           ///< mm
  double                  averageSymmetric = NaN;    ///< mm, ASSD
};

/** Per-class scores and summary of a segmentation against a reference, printable as an aligned
 * text table, CSV and JSON.
 *
 * Summary: pixelAccuracy = voxels with equal labels / compared voxels (all labels, ignored
 * voxels excluded); every mean is over the scored classes with NaN entries left out
 * (numpy.nanmean, MONAI's ignore_empty), so an infinite distance makes its mean infinite. */
class EvaluationReport
{
public:
  /** Scores `segmentation` against `reference` (LabelImage<D>, same grid: size, spacing,
   * origin and direction to 1e-6 relative tolerance).
   * \throws Error naming options.segmentationName when the grids differ, "classes" when a class
   *         listed is the ignore label, "percentile" when outside [0, 100]. */
  template <unsigned int D>
  static EvaluationReport
  Compute(const LabelImage<D> * reference, const LabelImage<D> * segmentation, const EvaluationOptions & options);

  /** The overlap part of the report from counts alone (no surface distances), e.g. counts
   * accumulated over a data set of 2D images. */
  static EvaluationReport FromConfusionMatrix(const ConfusionMatrix & matrix, const EvaluationOptions & options);

  std::vector<ClassScores>  classes;
  ConfusionMatrix           matrix; ///< the counts the scores come from (every label, ignored voxels left out)
  bool                      hasSurfaceDistances = false;
  double                    percentile = 95.0;
  std::optional<LabelPixel> ignoreLabel;
  std::string               reference;
  std::string               segmentation;
  std::int64_t              comparedVoxels = 0;
  std::int64_t              correctVoxels = 0;
  std::int64_t              ignoredVoxels = 0;
  double                    pixelAccuracy = ClassScores::NaN;
  double                    meanIoU = ClassScores::NaN;
  double                    meanDice = ClassScores::NaN;
  double                    meanPrecision = ClassScores::NaN;
  double                    meanRecall = ClassScores::NaN;
  double                    meanHausdorffPercentile = ClassScores::NaN; ///< mm
  double                    meanHausdorff = ClassScores::NaN;           ///< mm
  double                    meanAverageSymmetric = ClassScores::NaN;    ///< mm

  /** Fills the means from `classes` (call after editing rows by hand). */
  void UpdateMeans();

  /** An aligned table, one row per class (label, name, IoU, Dice, precision, recall, HD95 mm,
   * ASSD mm, reference and segmentation voxels), then the summary lines. Ratios with 4
   * decimals, mm with 3; undefined values print as "nan", infinite ones as "inf". */
  std::string ToText() const;
  /** RFC 4180 CSV: header
   *   label,name,iou,dice,precision,recall[,hd95_mm,hausdorff_mm,assd_mm],reference_voxels,
   *   segmentation_voxels,true_positives
   * ("hd95" follows the percentile, e.g. hd99_mm; distance columns only when computed), one
   * row per class, then a row whose label is "mean" holding the means (voxel columns empty).
   * Numbers with 10 significant digits; "nan" and "inf" as pandas reads them. */
  std::string ToCsv() const;
  /** {"reference", "segmentation", "ignore_label" (null if none), "percentile",
   *   "classes": [{"label", "name", "iou", "dice", "precision", "recall", "hd95_mm",
   *                "hausdorff_mm", "assd_mm", "reference_voxels", "segmentation_voxels",
   *                "true_positives"}],
   *   "summary": {"pixel_accuracy", "mean_iou", "mean_dice", "mean_precision", "mean_recall",
   *               "mean_hd95_mm", "mean_hausdorff_mm", "mean_assd_mm", "compared_voxels",
   *               "correct_voxels", "ignored_voxels"}}
   * Distance keys only when computed ("hd95" follows the percentile). JSON has no NaN or
   * infinity: NaN is null, +infinity is the string "inf". */
  nlohmann::ordered_json ToJson() const;

  /** "hd95" for percentile 95, "hd99.5" for 99.5: the name of the percentile distance. */
  std::string PercentileName() const;
};

extern template EvaluationReport EvaluationReport::Compute<2>(const LabelImage<2> *, const LabelImage<2> *,
                                                              const EvaluationOptions &);
extern template EvaluationReport EvaluationReport::Compute<3>(const LabelImage<3> *, const LabelImage<3> *,
                                                              const EvaluationOptions &);
} // namespace tessera

#include "tesseraEvaluationReport.hxx"

#endif
