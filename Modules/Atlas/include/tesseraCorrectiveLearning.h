#ifndef tesseraCorrectiveLearning_h
#define tesseraCorrectiveLearning_h

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "itkImage.h"
#include "tesseraImageTypes.h"

namespace tessera
{
/** Settings of corrective learning. */
struct CorrectiveLearningSettings
{
  unsigned int dilation = 1;            ///< voxels: a label's working region is its automatic region dilated this far
  unsigned int samplesPerLabel = 40000; ///< training voxels kept per label, drawn at random (seeded) from all subjects
  unsigned int trees = 50;              ///< random-forest trees per label
  unsigned int depth = 12;              ///< largest tree depth
  unsigned int seed = 1;                ///< the random draw of the training voxels (OpenCV seeds its forests itself)
};

/** Corrective learning (Wang et al., NeuroImage 56, 2011: "A learning-based wrapper method to
 * correct systematic errors in automatic image segmentation"; with joint label fusion it won the
 * MICCAI 2012 multi-atlas challenge): from subjects segmented by the same automatic method and
 * labelled by hand, learn per label where the method's label is wrong, and correct new results.
 *
 * For every label l the method gives, a classifier sees the voxels of l's working region (the
 * automatic region of l dilated by `dilation` voxels, inside the mask) and estimates the
 * probability that the manual label there is l. Features per voxel (40 in 3D, 21 in 2D): the 3^D
 * intensities of its neighbourhood and the intensity smoothed at 1 and 2 mm, standardised by the
 * subject's median and interquartile range inside the mask; the smoothed intensity less its median
 * over l's automatic region and over the region's rim (the rest of the working region), its
 * gradient magnitude (per mm) and its derivative along the boundary's normal; the signed distance
 * (mm) to the boundary of l's automatic region; that region's indicator smoothed at 1, 2 and 4 mm;
 * the position (mm, physical axes) relative to the region's centroid; and, when the method gives
 * it, its confidence in its label (for label fusion: the fused probability of the chosen label,
 * LabelFusion::GetConfidence), one more feature. The classifier is a regression forest on the
 * 0/1 answer (Breiman 2001; OpenCV's RTrees), so its output is a probability comparable across
 * labels. Correcting, each voxel takes the label whose classifier gives it the highest
 * probability among the working regions that contain it (ties keep the automatic label); voxels
 * outside every region keep theirs, and so do voxels of a label the model has not seen unless
 * another label scores above 0.5.
 *
 * Training data must come from the same automatic method as the results it corrects (for
 * multi-atlas segmentation: each atlas segmented from the others, as a leave-one-out). 2D and 3D. */
template <unsigned int D>
class CorrectiveLearning
{
public:
  using ImageType = ScalarImage<D>;
  using LabelImageType = LabelImage<D>;
  using MaskImageType = MaskImage<D>;

  CorrectiveLearning();
  ~CorrectiveLearning();
  CorrectiveLearning(CorrectiveLearning &&) noexcept;
  CorrectiveLearning & operator=(CorrectiveLearning &&) noexcept;

  void SetSettings(const CorrectiveLearningSettings & settings) { m_Settings = settings; }
  const CorrectiveLearningSettings & GetSettings() const { return m_Settings; }

  /** Called with a step's name and the fraction of it done. */
  void SetObserver(std::function<void(const std::string &, double)> observer) { m_Observer = std::move(observer); }

  /** Adds one training subject: its image, the automatic labels and the manual labels on the
   * image's grid, optionally a mask (nullptr: the whole image) and the method's confidence in its
   * labels (given for every subject or none). Keeps only the sampled features. \throws Error when
   * the grids differ or the confidence is given for some subjects only. */
  void AddSubject(const ImageType * image, const LabelImageType * automatic, const LabelImageType * manual,
                  const MaskImageType * mask, const ImageType * confidence = nullptr);
  /** Fits one classifier per label seen in the automatic labels. \throws Error without subjects, or
   * when no voxel's manual label equals its automatic one (the method labels with other values). */
  void Train();

  /** The automatic labels corrected (voxels outside the mask keep theirs); `confidence` as in
   * training. \throws Error before training, when the grids differ, or when the confidence is given
   * to a model trained without it or missing for one trained with it. */
  typename LabelImageType::Pointer Apply(const ImageType * image, const LabelImageType * automatic,
                                         const MaskImageType * mask, const ImageType * confidence = nullptr) const;
  /** Whether the model learnt from the method's confidence (Apply then needs it). */
  bool UsesConfidence() const;

  /** Labels with a classifier, ascending. */
  std::vector<LabelPixel> GetLabels() const;
  /** Voxels whose label Apply changed, after Apply. */
  size_t GetChangedVoxels() const { return m_Changed; }

  /** Writes the settings and every classifier (OpenCV FileStorage: .json, .json.gz, .yml, .yml.gz, .xml, .xml.gz).
   * \throws Error when the file cannot be written. */
  void Save(const std::string & path) const;
  /** Reads what Save wrote. \throws Error naming the file when it is not such a model or is of another dimension. */
  static CorrectiveLearning Load(const std::string & path);

private:
  struct Model;
  CorrectiveLearningSettings                          m_Settings;
  std::function<void(const std::string &, double)>    m_Observer;
  std::unique_ptr<Model>                              m_Model;
  mutable size_t                                      m_Changed = 0;
};
} // namespace tessera

#endif
