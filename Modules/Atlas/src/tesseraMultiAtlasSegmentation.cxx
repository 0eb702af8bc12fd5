#include "tesseraMultiAtlasSegmentation.h"

#include <chrono>
#include <cmath>

#include "tesseraAtlasMirror.h"
#include "tesseraImageIO.h"
#include "tesseraImageUtilities.h"
#include "tesseraWarpImage.h"

namespace tessera
{
template <unsigned int D>
void
CheckLabelsInTable(const LabelImage<D> * labels, const std::string & name, const LabelTable & table)
{
  if (table.Empty())
    return;
  const size_t       n = labels->GetLargestPossibleRegion().GetNumberOfPixels();
  const LabelPixel * p = labels->GetBufferPointer();
  for (size_t i = 0; i < n; ++i)
  {
    if (p[i] != 0 && !table.Contains(p[i]))
      throw Error(name, "holds label " + std::to_string(p[i]) + ", which the label table does not list");
  }
}

template <unsigned int D>
void
CheckAtlases(const std::vector<AtlasMember> & atlases, const LabelTable & table)
{
  if (atlases.empty())
  {
    throw Error("atlases", "the list is empty");
  }
  for (const auto & a : atlases)
  {
    const ImageInfo image = ReadImageInfo(a.image);
    const ImageInfo labels = ReadImageInfo(a.labels);
    for (const auto * x : { &image, &labels })
    {
      if (x->dimension != D)
      {
        throw Error(x == &image ? a.image : a.labels, "is " + std::to_string(x->dimension) + "D; the target is " +
                                                         std::to_string(D) + "D");
      }
    }
    if (labels.components != 1)
    {
      throw Error(a.labels, "a label image must have one component per voxel, not " + std::to_string(labels.components));
    }
    bool same = image.size == labels.size;
    for (unsigned int d = 0; same && d < D; ++d)
    {
      same = std::fabs(image.spacing[d] - labels.spacing[d]) <= 1e-4 * std::fabs(image.spacing[d]) &&
             std::fabs(image.origin[d] - labels.origin[d]) <= 1e-3;
    }
    if (!same)
    {
      throw Error(a.labels, "is not on the grid of its image " + a.image + " (size, spacing or origin differ)");
    }
    if (!table.Empty())
    {
      CheckLabelsInTable<D>(ReadLabelImage<D>(a.labels), a.labels, table);
    }
  }
}

template <unsigned int D>
void
MultiAtlasSegmentation<D>::Update()
{
  using Clock = std::chrono::steady_clock;
  CheckAtlases<D>(m_Atlases);
  LabelFusion<D> fusion;
  fusion.SetSettings(m_Fusion);
  fusion.SetTargetImage(m_Target);
  fusion.SetMask(m_Mask);
  fusion.SetComputeProbabilities(m_ComputeProbabilities);
  fusion.SetComputeConfidence(m_ComputeConfidence);
  std::vector<typename LabelImage<D>::Pointer>  warpedLabels;
  std::vector<typename ScalarImage<D>::Pointer> warpedImages;
  const auto                                    start = Clock::now();
  const size_t                                  sides = m_MirroredLabels.empty() ? 1 : 2;
  const size_t                                  n = m_Atlases.size() * sides;
  typename VectorImage<D>::Pointer              raw;
  typename LabelImage<D>::Pointer               labels;
  for (size_t i = 0; i < n; ++i)
  {
    const auto &      atlas = m_Atlases[i / sides];
    const bool        mirrored = i % sides == 1;
    const std::string name = "atlas " + std::to_string(i + 1) + "/" + std::to_string(n) + " " + atlas.id +
                             (mirrored ? " (mirrored)" : "");
    if (mirrored)
    {
      // The atlas just registered as it is, read once for both sides.
      const unsigned int axis = LeftRightAxis<D>(raw);
      raw = MirrorImage<VectorImage<D>>(raw, axis);
      labels = MirrorLabels<D>(labels, axis, m_MirroredLabels);
    }
    else
    {
      raw = ReadIntensityImage<D>(atlas.image);
      CheckFinite<D>(raw.GetPointer(), atlas.image);
      labels = ReadLabelImage<D>(atlas.labels);
      CheckSameGrid(raw.GetPointer(), atlas.image, labels.GetPointer(), atlas.labels);
    }
    const auto image = MeanOfComponents<D>(raw);

    ImageRegistration<D> registration;
    registration.SetFixedImage(m_Target);
    registration.SetMovingImage(image);
    registration.SetSettings(m_Registration);
    registration.SetObserver([&](const std::string & stage, unsigned int level, unsigned int levels, double fraction) {
      if (m_Observer)
        m_Observer(name + ": " + stage + ", level " + std::to_string(level + 1) + "/" + std::to_string(levels),
                   (i + fraction) / n);
    });
    try
    {
      registration.Update();
    }
    catch (const Error & e)
    {
      throw e.Subject() == "moving" ? Error(atlas.image, e.Problem()) : e;
    }
    if (m_Observer)
      m_Observer(name + ": warp", (i + 1.0) / n);
    const auto transform = registration.GetTransform();
    warpedLabels.push_back(WarpLabels<D>(labels, m_Target, transform, Interpolation::Label));
    if (NeedsIntensities(m_Fusion.method))
    {
      const auto warped = WarpImage<D>(raw, m_Target, transform, Interpolation::Linear);
      warpedImages.push_back(MeanOfComponents<D>(warped));
    }
    fusion.AddAtlas(warpedLabels.back(), warpedImages.empty() ? nullptr : warpedImages.back().GetPointer());
  }
  const auto registered = Clock::now();
  fusion.SetObserver([&](double fraction) {
    if (m_Observer)
      m_Observer("fusion (" + FusionMethodName(m_Fusion.method) + ")", fraction);
  });
  fusion.Update();
  m_Labels = fusion.GetLabels();
  m_Probabilities = fusion.GetProbabilities();
  m_Confidence = fusion.GetConfidence();
  m_LabelSet = fusion.GetLabelSet();
  m_RegistrationSeconds = std::chrono::duration<double>(registered - start).count();
  m_FusionSeconds = std::chrono::duration<double>(Clock::now() - registered).count();
}

template void CheckAtlases<2>(const std::vector<AtlasMember> &, const LabelTable &);
template void CheckAtlases<3>(const std::vector<AtlasMember> &, const LabelTable &);
template void CheckLabelsInTable<2>(const LabelImage<2> *, const std::string &, const LabelTable &);
template void CheckLabelsInTable<3>(const LabelImage<3> *, const std::string &, const LabelTable &);
template class MultiAtlasSegmentation<2>;
template class MultiAtlasSegmentation<3>;
} // namespace tessera
