#include "tesseraPixelClassifierImageFilter.h"

#include <algorithm>

#include "tesseraError.h"
#include "tesseraImageUtilities.h"
#include "tesseraProbabilityImage.h"

namespace tessera
{
template <unsigned int D>
PixelClassifierImageFilter<D>::PixelClassifierImageFilter()
{
  this->AddOptionalInputName("MaskImage");
  this->SetNumberOfRequiredOutputs(2);
  this->SetNthOutput(1, this->MakeOutput(1));
}

template <unsigned int D>
itk::ProcessObject::DataObjectPointer
PixelClassifierImageFilter<D>::MakeOutput(itk::ProcessObject::DataObjectPointerArraySizeType index)
{
  if (index == 1)
  {
    return LabelImageType::New().GetPointer();
  }
  return Superclass::MakeOutput(index);
}

template <unsigned int D>
typename PixelClassifierImageFilter<D>::LabelImageType *
PixelClassifierImageFilter<D>::GetLabelOutput()
{
  return dynamic_cast<LabelImageType *>(this->itk::ProcessObject::GetOutput(1));
}

template <unsigned int D>
void
PixelClassifierImageFilter<D>::GenerateOutputInformation()
{
  Superclass::GenerateOutputInformation();
  this->GetOutput()->SetNumberOfComponentsPerPixel(static_cast<unsigned int>(this->ClassTable().Size()));
  auto * labels = this->GetLabelOutput();
  labels->CopyInformation(this->GetInput());
  labels->SetLargestPossibleRegion(this->GetInput()->GetLargestPossibleRegion());
}

template <unsigned int D>
void
PixelClassifierImageFilter<D>::EnlargeOutputRequestedRegion(itk::DataObject * output)
{
  // Fitting needs every pixel at once.
  Superclass::EnlargeOutputRequestedRegion(output);
  output->SetRequestedRegionToLargestPossibleRegion();
}

template <unsigned int D>
void
PixelClassifierImageFilter<D>::GenerateData()
{
  const VectorImage<D> * input = this->GetInput();
  const MaskImageType *  mask = this->GetMaskImage();
  if (mask)
  {
    CheckSameGrid(input, "image", mask, "mask");
  }
  const size_t       n = input->GetLargestPossibleRegion().GetNumberOfPixels();
  const unsigned int d = input->GetNumberOfComponentsPerPixel();
  this->UpdateProgress(0.05f);
  const FeatureSamples samples =
    FeatureSamples::FromPixels(input->GetBufferPointer(), n, d, mask ? mask->GetBufferPointer() : nullptr);
  if (samples.Size() == 0)
  {
    throw Error("mask", "the mask is empty: no pixel to classify");
  }
  this->UpdateProgress(0.2f);
  const std::vector<float> p = this->ClassifySamples(samples);
  const LabelTable         table = this->ClassTable();
  const auto               classLabels = table.Labels();
  const unsigned int       c = static_cast<unsigned int>(classLabels.size());
  this->UpdateProgress(0.8f);

  auto * probabilities = this->GetOutput();
  probabilities->SetBufferedRegion(probabilities->GetRequestedRegion());
  probabilities->Allocate();
  auto * labels = this->GetLabelOutput();
  labels->SetBufferedRegion(labels->GetLargestPossibleRegion());
  labels->Allocate();
  float *      out = probabilities->GetBufferPointer();
  LabelPixel * lab = labels->GetBufferPointer();
  for (size_t i = 0; i < n; ++i)
  {
    const uint32_t s = samples.sampleOfPixel[i];
    float *        row = out + i * c;
    if (s == FeatureSamples::Outside)
    {
      std::fill(row, row + c, 0.0f);
      lab[i] = 0;
      continue;
    }
    std::copy(p.begin() + s * c, p.begin() + (s + 1) * c, row);
    lab[i] = classLabels[std::max_element(row, row + c) - row];
  }
  SetLabelTable(probabilities, table);
  SetLabelTable(labels, table);
  this->UpdateProgress(1.0f);
}

template class PixelClassifierImageFilter<2>;
template class PixelClassifierImageFilter<3>;
} // namespace tessera
