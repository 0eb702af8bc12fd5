#ifndef tesseraKMeansImageFilter_h
#define tesseraKMeansImageFilter_h

#include "tesseraKMeans.h"
#include "tesseraPixelClassifierImageFilter.h"

namespace tessera
{
/** [n, K] memberships of classes 1..K → [n, K + 1] with a zero background column 0. */
inline std::vector<float>
WithBackground(const std::vector<float> & p, unsigned int k)
{
  const size_t       n = p.size() / k;
  std::vector<float> out(n * (k + 1), 0.0f);
  for (size_t i = 0; i < n; ++i)
  {
    std::copy(p.begin() + i * k, p.begin() + (i + 1) * k, out.begin() + i * (k + 1) + 1);
  }
  return out;
}

/** Unsupervised k-means classification of pixels (see KMeans() for the algorithm).
 * Classes are numbered 1..K by increasing mean intensity (luminance for colour), so results
 * compare across runs and images; 0 is outside the mask. Output 0 has K + 1 components:
 * one-hot memberships, or soft ones by distance with SetSoft(true).
 * \throws Error("--classes", ...) when K < 2 or K exceeds the distinct values in the mask. */
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
  void SetMaximumIterations(unsigned int i) { m_Options.maximumIterations = i; this->Modified(); }
  itkSetMacro(Soft, bool);
  itkGetConstMacro(Soft, bool);
  /** Centroids, inertia and iterations of the last run. */
  const KMeansResult & GetResult() const { return m_Result; }

protected:
  KMeansImageFilter() = default;
  unsigned int NumberOfComponents() const override { return m_Options.classes + 1; }
  std::vector<float> ClassifySamples(const FeatureSamples & samples) override
  {
    m_Options.threads = this->GetNumberOfWorkUnits();
    m_Result = KMeans(samples, m_Options);
    return WithBackground(KMeansMemberships(samples, m_Result, m_Soft), m_Options.classes);
  }

private:
  KMeansOptions m_Options;
  KMeansResult  m_Result;
  bool          m_Soft = false;
};

} // namespace tessera

#endif
