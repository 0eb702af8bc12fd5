#ifndef tesseraKNNImageFilter_h
#define tesseraKNNImageFilter_h

#include <memory>

#include "tesseraError.h"
#include "tesseraKNNClassifier.h"
#include "tesseraPixelClassifierImageFilter.h"

namespace tessera
{
/** Supervised kNN classification of a feature image (built by BuildFeatureImage() with the
 * model's FeatureOptions) with a trained KNNClassifier: output 0 holds the neighbours' vote
 * fractions, one component per training label (ascending), output 1 the majority label.
 * \throws Error when no classifier is set or the features do not match the model's.
 * \sa BuildFeatureImage, KMeansImageFilter, PottsMRFImageFilter */
template <unsigned int D>
class KNNImageFilter : public PixelClassifierImageFilter<D>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(KNNImageFilter);
  using Self = KNNImageFilter;
  using Superclass = PixelClassifierImageFilter<D>;
  using Pointer = itk::SmartPointer<Self>;
  itkNewMacro(Self);
  itkTypeMacro(KNNImageFilter, PixelClassifierImageFilter);

  void SetClassifier(std::shared_ptr<const KNNClassifier> classifier) { m_Classifier = std::move(classifier); this->Modified(); }

protected:
  KNNImageFilter() = default;
  void PrintSelf(std::ostream & os, itk::Indent indent) const override
  {
    Superclass::PrintSelf(os, indent);
    os << indent << "Classifier: "
       << (m_Classifier ? std::to_string(m_Classifier->NumberOfClasses()) + " classes, k = " +
                            std::to_string(m_Classifier->GetParameters().k)
                        : std::string("none"))
       << "\n";
  }
  LabelTable ClassTable() const override
  {
    if (!m_Classifier)
    {
      throw Error("kNN filter", "no classifier set");
    }
    return LabelTable::Numbered(m_Classifier->ClassLabels());
  }
  std::vector<float> ClassifySamples(const FeatureSamples & samples) override
  {
    return m_Classifier->Predict(samples, this->GetNumberOfWorkUnits());
  }

private:
  std::shared_ptr<const KNNClassifier> m_Classifier;
};
} // namespace tessera

#endif
