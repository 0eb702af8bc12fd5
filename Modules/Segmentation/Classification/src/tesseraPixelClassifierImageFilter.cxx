#include "tesseraPixelClassifierImageFilter.h"

#include <algorithm>

#include "tesseraError.h"
#include "tesseraImageUtilities.h"
#include "tesseraParallelRanges.h"
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
  const MaskImageType *  maskImage = this->GetMaskImage();
  if (maskImage)
  {
    CheckSameGrid(input, "image", maskImage, "mask");
  }
  const size_t       n = input->GetLargestPossibleRegion().GetNumberOfPixels();
  const unsigned int d = input->GetNumberOfComponentsPerPixel();
  const unsigned int units = WorkUnits(n, this->GetNumberOfWorkUnits(), 1 << 16);
  const float *      x = input->GetBufferPointer();
  const uint8_t *    mask = maskImage ? maskImage->GetBufferPointer() : nullptr;
  this->UpdateProgress(0.05f);
  const FeatureSamples samples = FeatureSamples::FromPixels(x, n, d, mask, units, false);
  if (samples.Size() == 0)
  {
    throw Error("mask", "the mask is empty: no pixel to classify");
  }
  this->UpdateProgress(0.2f);
  const std::vector<float> p = this->ClassifySamples(samples);
  const LabelTable         table = this->ClassTable();
  const auto               classLabels = table.Labels();
  const unsigned int       c = static_cast<unsigned int>(classLabels.size());
  std::vector<LabelPixel>  labelOfSample(samples.Size());
  for (size_t s = 0; s < samples.Size(); ++s)
  {
    labelOfSample[s] = classLabels[std::max_element(p.begin() + s * c, p.begin() + (s + 1) * c) - (p.begin() + s * c)];
  }
  this->UpdateProgress(0.8f);

  auto * probabilities = this->GetOutput();
  float * out = nullptr;
  if (m_ComputeProbabilities)
  {
    probabilities->SetBufferedRegion(probabilities->GetRequestedRegion());
    probabilities->Allocate();
    out = probabilities->GetBufferPointer();
  }
  else
  {
    probabilities->SetBufferedRegion(typename ProbabilityImage<D>::RegionType());
  }
  auto * labels = this->GetLabelOutput();
  labels->SetBufferedRegion(labels->GetLargestPossibleRegion());
  labels->Allocate();
  LabelPixel * lab = labels->GetBufferPointer();
  // One pass writing each pixel's outputs from its sample, found by value on the histogram path. Pointers are read
  // into locals so that the loop does not reload them after each store.
  const LabelPixel * labelOf = labelOfSample.data();
  const float *      pOf = p.data();
  const auto         write = [&](const auto sampleOf) {
    ParallelRanges(n, units, [=](size_t begin, size_t end, unsigned int) {
      VisitMask(
        mask, begin, end,
        [=](size_t i) {
          const uint32_t s = sampleOf(i);
          lab[i] = labelOf[s];
          if (out)
          {
            std::copy(pOf + s * c, pOf + (s + 1) * c, out + i * c);
          }
          return true;
        },
        [=](size_t first, size_t last) {
          std::fill(lab + first, lab + last, LabelPixel{ 0 });
          if (out)
          {
            std::fill(out + first * c, out + last * c, 0.0f);
          }
        });
    });
  };
  if (samples.sampleOfPixel.empty())
  {
    const uint32_t * sampleOfValue = samples.sampleOfValue.data();
    const int32_t    lowest = samples.lowestValue;
    write([=](size_t i) { return sampleOfValue[static_cast<int32_t>(x[i]) - lowest]; });
  }
  else
  {
    const uint32_t * sampleOfPixel = samples.sampleOfPixel.data();
    write([=](size_t i) { return sampleOfPixel[i]; });
  }
  SetLabelTable(probabilities, table);
  SetLabelTable(labels, table);
  this->UpdateProgress(1.0f);
}

template <unsigned int D>
void
PixelClassifierImageFilter<D>::PrintSelf(std::ostream & os, itk::Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "ComputeProbabilities: " << m_ComputeProbabilities << "\n";
}

template class PixelClassifierImageFilter<2>;
template class PixelClassifierImageFilter<3>;
} // namespace tessera
