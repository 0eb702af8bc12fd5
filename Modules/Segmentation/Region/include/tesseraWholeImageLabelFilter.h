#ifndef tesseraWholeImageLabelFilter_h
#define tesseraWholeImageLabelFilter_h

#include "itkImageToImageFilter.h"
#include "tesseraImageTypes.h"

namespace tessera
{
/** \class WholeImageLabelFilter
 * \brief Base of the region filters: intensities (VectorImage<D>, 1 component for grey, 3 for
 * RGB, C for multichannel) in, LabelImage<D> out on the same grid, the whole image processed at
 * once (region growing, watershed, superpixels and split-and-merge are global: no streaming).
 * Extra inputs (seeds, markers) are checked against the input's grid by the subclasses, which
 * throw tessera::Error instead of ITK's exception. It has no parameters of its own to print.
 *
 * \sa RegionGrowingImageFilter, WatershedSegmentationImageFilter, SuperpixelImageFilter,
 * SplitAndMergeImageFilter */
template <unsigned int VDimension>
class WholeImageLabelFilter : public itk::ImageToImageFilter<VectorImage<VDimension>, LabelImage<VDimension>>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(WholeImageLabelFilter);
  static constexpr unsigned int ImageDimension = VDimension;
  using Self = WholeImageLabelFilter;
  using Superclass = itk::ImageToImageFilter<VectorImage<VDimension>, LabelImage<VDimension>>;
  using Pointer = itk::SmartPointer<Self>;
  using InputImageType = VectorImage<VDimension>;
  using LabelImageType = LabelImage<VDimension>;
  itkTypeMacro(WholeImageLabelFilter, ImageToImageFilter);

protected:
  WholeImageLabelFilter() = default;
  ~WholeImageLabelFilter() override = default;

  /** The grids of extra inputs are checked by the subclass in GenerateData (tessera::Error). */
  void VerifyInputInformation() ITKv5_CONST override {}

  void GenerateInputRequestedRegion() override
  {
    Superclass::GenerateInputRequestedRegion();
    for (auto & input : this->GetInputs())
    {
      if (auto * image = dynamic_cast<itk::ImageBase<VDimension> *>(input.GetPointer()))
      {
        image->SetRequestedRegionToLargestPossibleRegion();
      }
    }
  }

  void EnlargeOutputRequestedRegion(itk::DataObject * output) override
  {
    Superclass::EnlargeOutputRequestedRegion(output);
    output->SetRequestedRegionToLargestPossibleRegion();
  }

  /** Allocates output 0 on the input's grid, filled with 0. */
  LabelImageType * AllocateLabelOutput()
  {
    LabelImageType * out = this->GetOutput();
    out->SetBufferedRegion(out->GetRequestedRegion());
    out->Allocate();
    out->FillBuffer(0);
    return out;
  }
};
} // namespace tessera

#endif
