#ifndef tesseraKNNClassifier_h
#define tesseraKNNClassifier_h

#include <memory>
#include <string>
#include <vector>

#include "tesseraFeatureSamples.h"
#include "tesseraImageTypes.h"

namespace tessera
{
/** Which features describe a pixel, beyond its intensities/colours. */
struct FeatureOptions
{
  /** Append each channel's mean over a (2r+1)^D box, r in voxels; 0 = off. */
  unsigned int localMeanRadius = 0;
  /** Append the pixel's physical position (mm, D values). */
  bool position = false;
  /** Weight of the position features after standardisation (1 = as much as one channel). */
  double positionWeight = 1.0;
};

/** A k-nearest-neighbour pixel classifier (Cover and Hart 1967): features are standardised
 * (z-scores from the training set), neighbours found exactly with OpenCV's FLANN k-d tree
 * (one randomised k-d tree searched with unlimited checks, which FLANN makes an exact search), and the class probabilities are the neighbours' votes. */
class KNNClassifier
{
public:
  struct Parameters
  {
    unsigned int             k = 5;
    FeatureOptions           features;
    unsigned int             maximumSamples = 200000; ///< training pixels kept (random, seeded)
    unsigned int             seed = 0;
    std::vector<LabelPixel>  ignoreLabels; ///< training pixels with these labels are skipped
  };

  explicit KNNClassifier(const Parameters & parameters);
  ~KNNClassifier();
  KNNClassifier(KNNClassifier &&) noexcept;
  KNNClassifier & operator=(KNNClassifier &&) noexcept;

  /** Adds training pixels. \param features [n, dimension]; \param labels [n]; \param mask [n] or nullptr.
   * \param channels the image channels the features were built from (checked when applying). */
  void AddTrainingPixels(const float * features, size_t n, unsigned int dimension, unsigned int channels,
                         const LabelPixel * labels, const uint8_t * mask);
  /** Subsamples, standardises and indexes the training set. \throws Error when it is empty or k
   * exceeds the number of training pixels. */
  void Train();
  /** Vote fractions [n_samples, NumberOfClasses()] for each distinct sample; column c is the
   * class ClassLabels()[c]. The samples are searched on `threads` work units (0 = ITK's global default); the
   * result does not depend on them. */
  std::vector<float> Predict(const FeatureSamples & samples, unsigned int threads = 0) const;

  unsigned int NumberOfClasses() const { return m_Classes; }
  /** The distinct training labels, ascending. */
  const std::vector<LabelPixel> & ClassLabels() const { return m_ClassLabels; }
  unsigned int Dimension() const { return m_Dimension; }
  unsigned int Channels() const { return m_Channels; }
  const Parameters & GetParameters() const { return m_Parameters; }

  /** Saves parameters and the standardised training set as JSON ("model": "tessera-knn",
   * "version": 3; "samples" [n, dimension] and "labels" [n] as base64 of little-endian float32 and
   * uint16), gzip-compressed when the path ends in .gz (.json.gz).
   * \throws Error naming the file when it cannot be written. */
  void Save(const std::string & path) const;
  /** Reads what Save wrote (and version 2, whose samples and labels are JSON arrays), every field
   * checked (types, sizes, ranges, finite values, the class count against the labels).
   * \throws Error naming the file when it is missing, damaged or not a Tessera kNN model. */
  static KNNClassifier Load(const std::string & path);

private:
  struct Index;
  Parameters              m_Parameters;
  unsigned int            m_Dimension = 0;
  unsigned int            m_Channels = 0;
  unsigned int            m_Classes = 0;
  std::vector<float>      m_Samples; ///< [n, d], standardised after Train()
  std::vector<LabelPixel> m_Labels;
  std::vector<LabelPixel> m_ClassLabels;
  std::vector<unsigned int> m_ClassOfSample;
  std::vector<float>      m_Mean, m_Scale; ///< per feature: x' = (x − mean) · scale
  std::unique_ptr<Index>  m_Index;

  void BuildIndex();
};
} // namespace tessera

#endif
