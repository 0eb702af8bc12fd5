#ifndef tesseraPixelClassifierImageFilter_h
#define tesseraPixelClassifierImageFilter_h

#include <vector>

#include "itkImageToImageFilter.h"
#include "tesseraFeatureSamples.h"
#include "tesseraImageTypes.h"
#include "tesseraLabelTable.h"

namespace tessera
{
/** Base of the pixel classifiers (k-means, Gaussian mixture, kNN): takes a feature image
 * (VectorImage<D>, e.g. one intensity channel or RGB) and an optional mask, and produces
 *  - output 0, a ProbabilityImage<D> with one component per class of ClassTable() (component c
 *    = p(c-th label of the table); pixels outside the mask have all components 0), and
 *  - output 1 (GetLabelOutput()), the LabelImage<D> of the most probable label (0 outside the
 *    mask),
 * both on the input's grid (spacing, origin and direction kept) and carrying the table. Classification runs once per
 * distinct feature vector (see FeatureSamples), so the cost grows with distinct values, not voxels; the passes over
 * the pixels (grouping, writing the outputs) are split among the filter's work units (SetNumberOfWorkUnits) and give
 * the same outputs for any number of them. Subclasses say how many components they produce and classify distinct
 * samples. */
template <unsigned int D>
class PixelClassifierImageFilter : public itk::ImageToImageFilter<VectorImage<D>, ProbabilityImage<D>>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(PixelClassifierImageFilter);
  using Self = PixelClassifierImageFilter;
  using Superclass = itk::ImageToImageFilter<VectorImage<D>, ProbabilityImage<D>>;
  using Pointer = itk::SmartPointer<Self>;
  using MaskImageType = MaskImage<D>;
  using LabelImageType = LabelImage<D>;
  itkTypeMacro(PixelClassifierImageFilter, ImageToImageFilter);

  /** Optional mask (non-zero = classify); must lie on the input's grid. */
  itkSetInputMacro(MaskImage, MaskImageType);
  itkGetInputMacro(MaskImage, MaskImageType);

  LabelImageType * GetLabelOutput();

  /** Whether output 0, the probabilities, is computed (default true). When false it is left with an empty buffered
   * region (so each Update() of it runs the filter again), and the filter writes 2 bytes per pixel (the labels)
   * instead of 2 + 4·C; use GetLabelOutput()->Update(). */
  itkSetMacro(ComputeProbabilities, bool);
  itkGetConstMacro(ComputeProbabilities, bool);
  itkBooleanMacro(ComputeProbabilities);

  using Superclass::MakeOutput;
  itk::ProcessObject::DataObjectPointer
  MakeOutput(itk::ProcessObject::DataObjectPointerArraySizeType index) override;

protected:
  PixelClassifierImageFilter();
  ~PixelClassifierImageFilter() override = default;

  void GenerateOutputInformation() override;
  void EnlargeOutputRequestedRegion(itk::DataObject * output) override;
  void GenerateData() override;
  void PrintSelf(std::ostream & os, itk::Indent indent) const override;

  /** The classes, one probability component each, in ascending label order. */
  virtual LabelTable ClassTable() const = 0;
  /** Probabilities [n_samples, C] of each distinct sample (fitting first, if unsupervised). */
  virtual std::vector<float> ClassifySamples(const FeatureSamples & samples) = 0;

private:
  bool m_ComputeProbabilities = true;
};

extern template class PixelClassifierImageFilter<2>;
extern template class PixelClassifierImageFilter<3>;
} // namespace tessera

#endif
