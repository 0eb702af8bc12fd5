#ifndef tesseraGaussianMixtureImageFilter_h
#define tesseraGaussianMixtureImageFilter_h

#include "tesseraError.h"
#include "tesseraGaussianMixture.h"
#include "tesseraKMeansImageFilter.h"

namespace tessera
{
/** Unsupervised Gaussian-mixture classification: k-means (as KMeansImageFilter) initialises
 * a K-component mixture with full covariances, EM refines it (FitGaussianMixture()), and
 * output 0 holds the posteriors p(k | x) of classes 1..K (K components; 0 outside the mask).
 * Classes are numbered by increasing mean intensity/luminance.
 * \sa KMeansImageFilter, PottsMRFImageFilter */
template <unsigned int D>
class GaussianMixtureImageFilter : public PixelClassifierImageFilter<D>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(GaussianMixtureImageFilter);
  using Self = GaussianMixtureImageFilter;
  using Superclass = PixelClassifierImageFilter<D>;
  using Pointer = itk::SmartPointer<Self>;
  itkNewMacro(Self);
  itkTypeMacro(GaussianMixtureImageFilter, PixelClassifierImageFilter);

  void SetNumberOfClasses(unsigned int k) { m_KMeans.classes = k; this->Modified(); }
  unsigned int GetNumberOfClasses() const { return m_KMeans.classes; }
  void SetSeed(unsigned int seed) { m_KMeans.seed = seed; this->Modified(); }
  void SetRestarts(unsigned int r) { m_KMeans.restarts = r; this->Modified(); }
  void SetMaximumNumberOfIterations(unsigned int i) { m_EM.maximumIterations = i; this->Modified(); }
  void SetTolerance(double t) { m_EM.tolerance = t; this->Modified(); }
  /** Applies this mixture instead of fitting one (k-means and EM skipped), e.g. a model fitted on a
   * sample of an image too large to fit on, for each of its tiles. \throws Error when its dimension
   * differs from the input's features. */
  void SetFixedModel(const GaussianMixtureModel & model) { m_Fixed = model; m_HasFixed = true; this->Modified(); }
  const GaussianMixtureModel & GetModel() const { return m_Model; }
  const KMeansResult & GetKMeansResult() const { return m_Initial; }

protected:
  GaussianMixtureImageFilter() = default;
  void PrintSelf(std::ostream & os, itk::Indent indent) const override
  {
    Superclass::PrintSelf(os, indent);
    os << indent << "NumberOfClasses: " << m_KMeans.classes << "\n"
       << indent << "MaximumNumberOfIterations: " << m_EM.maximumIterations << "\n"
       << indent << "Tolerance: " << m_EM.tolerance << " nats per voxel\n"
       << indent << "Seed: " << m_KMeans.seed << "\n";
  }
  LabelTable ClassTable() const override { return UnsupervisedClassTable(m_KMeans.classes); }
  std::vector<float> ClassifySamples(const FeatureSamples & samples) override
  {
    if (m_HasFixed)
    {
      if (m_Fixed.dimension != samples.dimension)
      {
        throw Error("model", "a mixture of " + std::to_string(m_Fixed.dimension) + " channel(s) for an image of " +
                               std::to_string(samples.dimension));
      }
      m_Model = m_Fixed;
      return m_Model.Posteriors(samples, this->GetNumberOfWorkUnits());
    }
    m_KMeans.threads = this->GetNumberOfWorkUnits();
    m_Initial = KMeans(samples, m_KMeans);
    this->UpdateProgress(0.4f);
    m_EM.threads = this->GetNumberOfWorkUnits();
    m_Model = FitGaussianMixture(samples, m_Initial, m_EM);
    return m_Model.Posteriors(samples, m_EM.threads);
  }

private:
  KMeansOptions          m_KMeans;
  GaussianMixtureOptions m_EM;
  KMeansResult           m_Initial;
  GaussianMixtureModel   m_Model;
  GaussianMixtureModel   m_Fixed;
  bool                   m_HasFixed = false;
};
} // namespace tessera

#endif
