#ifndef tesseraKMeansImageFilter_h
#define tesseraKMeansImageFilter_h

#include "tesseraKMeans.h"
#include "tesseraPixelClassifierImageFilter.h"

namespace tessera
{
/** The classes 1..K of the unsupervised classifiers, named "class 1".."class K". */
inline LabelTable
UnsupervisedClassTable(unsigned int k)
{
  std::vector<LabelPixel> labels;
  for (unsigned int i = 1; i <= k; ++i)
  {
    labels.push_back(static_cast<LabelPixel>(i));
  }
  return LabelTable::Numbered(labels, "class ");
}

/** Unsupervised k-means classification of pixels (see KMeans() for the algorithm).
 * Classes are numbered 1..K by increasing mean intensity (luminance for colour), so results
 * compare across runs and images; 0 is outside the mask. Output 0 has K components (classes
 * 1..K): one-hot memberships, or soft ones by distance with SetSoft(true).
 * \throws Error("classes", ...) when K < 2 or K exceeds the distinct values in the mask.
 * \sa GaussianMixtureImageFilter, KNNImageFilter, PottsMRFImageFilter */
template <unsigned int D>
class KMeansImageFilter : public PixelClassifierImageFilter<D>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(KMeansImageFilter);
  using Self = KMeansImageFilter;
  using Superclass = PixelClassifierImageFilter<D>;
  using Pointer = itk::SmartPointer<Self>;
  itkNewMacro(Self);
  itkTypeMacro(KMeansImageFilter, PixelClassifierImageFilter);

  void SetNumberOfClasses(unsigned int k) { m_Options.classes = k; this->Modified(); }
  unsigned int GetNumberOfClasses() const { return m_Options.classes; }
  void SetRestarts(unsigned int r) { m_Options.restarts = r; this->Modified(); }
  void SetSeed(unsigned int seed) { m_Options.seed = seed; this->Modified(); }
  void SetMaximumNumberOfIterations(unsigned int i) { m_Options.maximumIterations = i; this->Modified(); }
  itkSetMacro(Soft, bool);
  itkGetConstMacro(Soft, bool);
  /** Assigns pixels to these centroids instead of fitting (k-means++ and Lloyd skipped), e.g. centroids fitted on
   * a sample of an image too large to fit on, for each of its tiles. */
  void SetFixedCentroids(const KMeansResult & model) { m_Fixed = model; m_HasFixed = true; this->Modified(); }
  /** Centroids, inertia and iterations of the last run. */
  const KMeansResult & GetResult() const { return m_Result; }

protected:
  KMeansImageFilter() = default;
  void PrintSelf(std::ostream & os, itk::Indent indent) const override
  {
    Superclass::PrintSelf(os, indent);
    os << indent << "NumberOfClasses: " << m_Options.classes << "\n"
       << indent << "Restarts: " << m_Options.restarts << "\n"
       << indent << "MaximumNumberOfIterations: " << m_Options.maximumIterations << "\n"
       << indent << "Seed: " << m_Options.seed << "\n"
       << indent << "Soft: " << m_Soft << "\n";
  }
  LabelTable ClassTable() const override { return UnsupervisedClassTable(m_Options.classes); }
  std::vector<float> ClassifySamples(const FeatureSamples & samples) override
  {
    m_Options.threads = this->GetNumberOfWorkUnits();
    m_Result = m_HasFixed ? AssignToCentroids(samples, m_Fixed, m_Options.threads) : KMeans(samples, m_Options);
    return KMeansMemberships(samples, m_Result, m_Soft);
  }

private:
  KMeansOptions m_Options;
  KMeansResult  m_Result;
  KMeansResult  m_Fixed;
  bool          m_HasFixed = false;
  bool          m_Soft = false;
};

} // namespace tessera

#endif
