#ifndef tesseraConfusionMatrix_h
#define tesseraConfusionMatrix_h

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tesseraError.h"
#include "tesseraImageTypes.h"

namespace tessera
{
/** Exact (int64) counts of (reference label, segmentation label) pairs over the voxels of two
 * label images, and the overlap scores derived from them.
 *
 * Notation for a class c: TP = #(ref = c and seg = c), FP = #(ref != c and seg = c),
 * FN = #(ref = c and seg != c), counted over compared voxels only (voxels whose reference label
 * is the ignore label are skipped entirely, as in torch.nn.CrossEntropyLoss(ignore_index),
 * mmsegmentation and the Cityscapes/CamVid benchmarks).
 *
 * Formulas (Jaccard 1912; Dice 1945; as in MONAI's compute_iou / DiceMetric and
 * scikit-learn's jaccard_score / f1_score):
 *   IoU(c) = TP / (TP + FP + FN)        Dice(c) = 2 TP / (2 TP + FP + FN)
 *   Precision(c) = TP / (TP + FP)       Recall(c) = TP / (TP + FN)
 *   PixelAccuracy = sum_c TP(c) / compared voxels (over all labels, not only scored classes)
 * A ratio whose denominator is 0 (class absent from both images, for IoU/Dice) is NaN, and NaNs
 * are left out of the means (MONAI's ignore_empty=True, numpy.nanmean): a class that is absent
 * from both images neither rewards nor penalises.
 *
 * Counts can be accumulated over many images (Add, operator+=) to obtain dataset-level scores,
 * as CamVid and Cityscapes report mIoU. */
class ConfusionMatrix
{
public:
  using Count = std::int64_t;

  /** Counts pairs over two label images on the same grid: same size, and spacing (mm), origin
   * (mm) and direction equal to 1e-6 relative tolerance (tessera::CheckSameGrid).
   * Both images must be wholly buffered (Update()d).
   * \param ignoreLabel reference voxels with this label are skipped (counted in IgnoredCount()).
   * \param referenceName, segmentationName subjects for error messages (usually file names).
   * \throws Error naming the segmentation when the sizes, spacings, origins or directions differ. */
  template <unsigned int D>
  static ConfusionMatrix
  Compute(const LabelImage<D> *            reference,
          const LabelImage<D> *            segmentation,
          std::optional<LabelPixel>        ignoreLabel = std::nullopt,
          const std::string &              referenceName = "reference",
          const std::string &              segmentationName = "segmentation");

  /** Adds `n` voxels with reference label `ref` and segmentation label `seg`. */
  void Add(LabelPixel ref, LabelPixel seg, Count n = 1);
  /** Adds `n` skipped (ignored) voxels. */
  void AddIgnored(Count n) { m_Ignored += n; }
  /** Accumulates another matrix's counts (e.g. one image of a data set). */
  ConfusionMatrix & operator+=(const ConfusionMatrix & other);

  /** #voxels with reference label `ref` and segmentation label `seg`. */
  Count Pairs(LabelPixel ref, LabelPixel seg) const;
  Count ReferenceCount(LabelPixel c) const;    ///< #compared voxels with ref = c (= TP + FN)
  Count SegmentationCount(LabelPixel c) const; ///< #compared voxels with seg = c (= TP + FP)
  Count TruePositives(LabelPixel c) const { return Pairs(c, c); }
  Count FalsePositives(LabelPixel c) const { return SegmentationCount(c) - TruePositives(c); }
  Count FalseNegatives(LabelPixel c) const { return ReferenceCount(c) - TruePositives(c); }
  Count Compared() const { return m_Compared; } ///< voxels counted (ignored ones excluded)
  Count Correct() const { return m_Correct; }   ///< voxels with ref = seg
  Count IgnoredCount() const { return m_Ignored; }

  /** Every label that occurs among compared voxels in either image, ascending. */
  std::vector<LabelPixel> Labels() const;
  /** The classes scored by default: Labels() without `ignoreLabel` and, when
   * `excludeBackground`, without label 0. */
  std::vector<LabelPixel> DefaultClasses(std::optional<LabelPixel> ignoreLabel, bool excludeBackground) const;

  double IoU(LabelPixel c) const;       ///< NaN when TP + FP + FN = 0
  double Dice(LabelPixel c) const;      ///< NaN when TP + FP + FN = 0
  double Precision(LabelPixel c) const; ///< NaN when TP + FP = 0
  double Recall(LabelPixel c) const;    ///< NaN when TP + FN = 0
  double PixelAccuracy() const;         ///< Correct() / Compared(); NaN when nothing compared
  /** Mean of IoU over `classes`, NaN entries left out; NaN when none is defined. */
  double MeanIoU(const std::vector<LabelPixel> & classes) const;
  /** Mean of Dice over `classes`, NaN entries left out; NaN when none is defined. */
  double MeanDice(const std::vector<LabelPixel> & classes) const;

private:
  std::map<std::pair<LabelPixel, LabelPixel>, Count> m_Pairs;
  std::map<LabelPixel, Count>                        m_Reference;
  std::map<LabelPixel, Count>                        m_Segmentation;
  Count                                              m_Compared = 0;
  Count                                              m_Correct = 0;
  Count                                              m_Ignored = 0;
};

/** Mean of the non-NaN values (numpy.nanmean); NaN when there is none. Infinity propagates. */
double NanMean(const std::vector<double> & values);

extern template ConfusionMatrix ConfusionMatrix::Compute<2>(const LabelImage<2> *, const LabelImage<2> *,
                                                             std::optional<LabelPixel>, const std::string &,
                                                             const std::string &);
extern template ConfusionMatrix ConfusionMatrix::Compute<3>(const LabelImage<3> *, const LabelImage<3> *,
                                                             std::optional<LabelPixel>, const std::string &,
                                                             const std::string &);
} // namespace tessera

#include "tesseraConfusionMatrix.hxx"

#endif
