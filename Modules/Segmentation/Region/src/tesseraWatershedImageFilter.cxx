// Watershed of the gradient magnitude: ITK's morphological watershed, from minima or markers.
#include "tesseraWatershedImageFilter.h"

#include <algorithm>
#include <cmath>

#include "itkGradientMagnitudeRecursiveGaussianImageFilter.h"
#include "itkMorphologicalWatershedFromMarkersImageFilter.h"
#include "itkMorphologicalWatershedImageFilter.h"
#include "tesseraError.h"
#include "tesseraImageUtilities.h"

namespace tessera
{
template <unsigned int D>
typename ScalarImage<D>::Pointer
GradientMagnitude(const VectorImage<D> * image, double sigma)
{
  const unsigned int nc = image->GetNumberOfComponentsPerPixel();
  const size_t       n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  if (!(sigma >= 0.0))
  {
    throw Error("sigma", "must be >= 0 mm");
  }
  if (sigma == 0.0 && nc != 1)
  {
    throw Error("sigma", "0 floods the input itself, which needs one channel, not " + std::to_string(nc));
  }
  auto relief = ScalarImage<D>::New();
  relief->CopyInformation(image);
  relief->SetRegions(image->GetLargestPossibleRegion());
  relief->Allocate();
  relief->FillBuffer(0.0f);
  float * r = relief->GetBufferPointer();
  auto    channel = ScalarImage<D>::New();
  channel->CopyInformation(image);
  channel->SetRegions(image->GetLargestPossibleRegion());
  channel->Allocate();
  for (unsigned int c = 0; c < nc; ++c)
  {
    for (size_t i = 0; i < n; ++i)
    {
      channel->GetBufferPointer()[i] = image->GetBufferPointer()[i * nc + c];
    }
    if (sigma == 0.0)
    {
      std::copy(channel->GetBufferPointer(), channel->GetBufferPointer() + n, r);
      break;
    }
    auto g = itk::GradientMagnitudeRecursiveGaussianImageFilter<ScalarImage<D>, ScalarImage<D>>::New();
    g->SetInput(channel);
    g->SetSigma(sigma);
    g->Update();
    const float * m = g->GetOutput()->GetBufferPointer();
    for (size_t i = 0; i < n; ++i)
    {
      r[i] += m[i] * m[i];
    }
  }
  if (sigma > 0.0)
  {
    for (size_t i = 0; i < n; ++i)
    {
      r[i] = std::sqrt(r[i]);
    }
  }
  return relief;
}

template <unsigned int D>
void
WatershedSegmentationImageFilter<D>::GenerateData()
{
  const auto * image = this->GetInput();
  if (!(m_Level >= 0.0 && m_Level < 1.0))
  {
    throw Error("level", "must be a fraction in [0, 1) of the relief's maximum");
  }
  const LabelImageType * markers = this->GetMarkerImage();
  const size_t           n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  if (markers)
  {
    CheckSameGrid(image, "the image", markers, "markers");
    if (std::all_of(markers->GetBufferPointer(), markers->GetBufferPointer() + n, [](LabelPixel l) { return l == 0; }))
    {
      throw Error("markers", "the marker image is empty (no non-zero voxel)");
    }
  }
  m_Relief = GradientMagnitude<D>(image, m_Sigma);
  this->UpdateProgress(0.3f);
  LabelImageType * out = this->AllocateLabelOutput();
  if (markers)
  {
    auto w = itk::MorphologicalWatershedFromMarkersImageFilter<ReliefImageType, LabelImageType>::New();
    w->SetInput(m_Relief);
    w->SetMarkerImage(markers);
    w->SetMarkWatershedLine(m_MarkWatershedLine);
    w->SetFullyConnected(m_FullyConnected);
    w->Update();
    std::copy(w->GetOutput()->GetBufferPointer(), w->GetOutput()->GetBufferPointer() + n, out->GetBufferPointer());
    std::vector<char> seen(65536, 0);
    m_NumberOfRegions = 0;
    for (size_t i = 0; i < n; ++i)
    {
      const LabelPixel l = out->GetBufferPointer()[i];
      if (l && !seen[l])
      {
        seen[l] = 1;
        ++m_NumberOfRegions;
      }
    }
  }
  else
  {
    using WideLabels = itk::Image<uint32_t, D>;
    const float maximum = *std::max_element(m_Relief->GetBufferPointer(), m_Relief->GetBufferPointer() + n);
    auto        w = itk::MorphologicalWatershedImageFilter<ReliefImageType, WideLabels>::New();
    w->SetInput(m_Relief);
    w->SetLevel(static_cast<float>(m_Level * maximum));
    w->SetMarkWatershedLine(m_MarkWatershedLine);
    w->SetFullyConnected(m_FullyConnected);
    w->Update();
    const uint32_t * wl = w->GetOutput()->GetBufferPointer();
    const uint32_t   most = *std::max_element(wl, wl + n);
    if (most > 65535)
    {
      throw Error("level", "gives " + std::to_string(most) +
                               " regions, more than the 65535 labels a label image holds; raise the level or sigma");
    }
    std::transform(wl, wl + n, out->GetBufferPointer(), [](uint32_t l) { return static_cast<LabelPixel>(l); });
    m_NumberOfRegions = most;
  }
  this->UpdateProgress(1.0f);
}

template <unsigned int D>
void
WatershedSegmentationImageFilter<D>::PrintSelf(std::ostream & os, itk::Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "Sigma: " << m_Sigma << std::endl;
  os << indent << "Level: " << m_Level << std::endl;
  os << indent << "MarkWatershedLine: " << (m_MarkWatershedLine ? "On" : "Off") << std::endl;
  os << indent << "FullyConnected: " << (m_FullyConnected ? "On" : "Off") << std::endl;
  os << indent << "NumberOfRegions: " << m_NumberOfRegions << std::endl;
}

template class WatershedSegmentationImageFilter<2>;
template class WatershedSegmentationImageFilter<3>;
template typename ScalarImage<2>::Pointer GradientMagnitude<2>(const VectorImage<2> *, double);
template typename ScalarImage<3>::Pointer GradientMagnitude<3>(const VectorImage<3> *, double);
} // namespace tessera
