#include "tesseraAtlasBuilder.h"

#include <algorithm>
#include <cmath>

#include "itkDisplacementFieldTransform.h"
#include "itkTransformToDisplacementFieldFilter.h"
#include "tesseraImageUtilities.h"
#include "tesseraMultiAtlasSegmentation.h"
#include "tesseraProbabilityImage.h"
#include "tesseraWarpImage.h"

namespace tessera
{
namespace
{
/** A subject's intensities scaled to mean 1000 over its non-zero voxels. */
template <unsigned int D>
typename ScalarImage<D>::Pointer
ReadScaled(const std::string & path)
{
  const auto raw = ReadIntensityImage<D>(path);
  CheckFinite<D>(raw.GetPointer(), path);
  auto         image = MeanOfComponents<D>(raw);
  float *      p = image->GetBufferPointer();
  const size_t n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  double       sum = 0;
  size_t       count = 0;
  for (size_t i = 0; i < n; ++i)
  {
    if (p[i] != 0)
    {
      sum += p[i];
      ++count;
    }
  }
  if (count == 0 || sum == 0)
    throw Error(path, "has no non-zero voxels");
  const double scale = 1000.0 * count / sum;
  for (size_t i = 0; i < n; ++i)
    p[i] = static_cast<float>(p[i] * scale);
  return image;
}

template <unsigned int D>
typename ScalarImage<D>::Pointer
Resample(const ScalarImage<D> * image, const itk::ImageBase<D> * grid, const itk::Transform<double, D, D> * transform)
{
  return MeanOfComponents<D>(WarpImage<D>(ToVectorImage<D>(image), grid, transform, Interpolation::Linear));
}
} // namespace

template <unsigned int D>
void
AtlasBuilder<D>::Update()
{
  if (m_Subjects.size() < 2)
    throw Error("atlases", "building a template needs at least 2 subjects");
  CheckAtlases<D>(m_Subjects);
  using Field = itk::Image<itk::Vector<double, D>, D>;
  const size_t       subjects = m_Subjects.size();
  const unsigned int rounds = std::max(1u, m_Settings.iterations);
  m_MeanDisplacement.clear();

  std::vector<typename ScalarImage<D>::Pointer> images;
  for (const auto & s : m_Subjects)
    images.push_back(ReadScaled<D>(s.image));
  typename ScalarImage<D>::Pointer                          reference = images.front();
  std::vector<typename itk::Transform<double, D, D>::Pointer> transforms(subjects);
  for (unsigned int round = 0; round < rounds; ++round)
  {
    RegistrationSettings settings = m_Settings.registration;
    if (round == 0)
    {
      // Round 1 aligns everyone linearly onto the first subject.
      settings.transforms.erase(std::remove_if(settings.transforms.begin(), settings.transforms.end(),
                                               [](TransformKind k) {
                                                 return k == TransformKind::BSpline || k == TransformKind::Deformable;
                                               }),
                                settings.transforms.end());
      if (settings.transforms.empty())
        settings.transforms = { TransformKind::Rigid, TransformKind::Affine };
    }
    auto   sum = ScalarImage<D>::New();
    sum->CopyInformation(reference);
    sum->SetRegions(reference->GetLargestPossibleRegion());
    sum->Allocate(true);
    const size_t n = reference->GetLargestPossibleRegion().GetNumberOfPixels();
    auto         meanField = Field::New();
    meanField->CopyInformation(reference);
    meanField->SetRegions(reference->GetLargestPossibleRegion());
    meanField->Allocate(true);
    for (size_t i = 0; i < subjects; ++i)
    {
      const std::string step = "round " + std::to_string(round + 1) + "/" + std::to_string(rounds) + ", subject " +
                               std::to_string(i + 1) + "/" + std::to_string(subjects);
      const double done = (round + double(i) / subjects) / rounds;
      if (round == 0 && i == 0)
      {
        transforms[0] = itk::IdentityTransform<double, D>::New().GetPointer();
      }
      else
      {
        ImageRegistration<D> registration;
        registration.SetFixedImage(reference);
        registration.SetMovingImage(images[i]);
        registration.SetSettings(settings);
        registration.SetObserver([&](const std::string & stage, unsigned int level, unsigned int levels, double f) {
          if (m_Observer)
            m_Observer(step + ": " + stage + ", level " + std::to_string(level + 1) + "/" + std::to_string(levels),
                       done + f / subjects / rounds);
        });
        try
        {
          registration.Update();
        }
        catch (const Error & e)
        {
          throw e.Subject() == "moving" ? Error(m_Subjects[i].image, e.Problem()) : e;
        }
        transforms[i] = registration.GetTransform().GetPointer();
      }
      const auto warped = Resample<D>(images[i], reference, transforms[i]);
      std::transform(sum->GetBufferPointer(), sum->GetBufferPointer() + n, warped->GetBufferPointer(),
                     sum->GetBufferPointer(), [&](float a, float b) { return a + b / float(subjects); });
      auto toField = itk::TransformToDisplacementFieldFilter<Field, double>::New();
      toField->SetTransform(transforms[i]);
      toField->SetReferenceImage(reference);
      toField->UseReferenceImageOn();
      toField->Update();
      const auto * u = toField->GetOutput()->GetBufferPointer();
      auto *       m = meanField->GetBufferPointer();
      for (size_t v = 0; v < n; ++v)
        m[v] += u[v] / double(subjects);
    }
    // How far the template is from the centre: RMS mean displacement over its non-zero voxels.
    double rms = 0;
    size_t count = 0;
    for (size_t v = 0; v < n; ++v)
    {
      if (sum->GetBufferPointer()[v] != 0)
      {
        rms += meanField->GetBufferPointer()[v].GetSquaredNorm();
        ++count;
      }
    }
    m_MeanDisplacement.push_back(count ? std::sqrt(rms / count) : 0.0);
    m_Template = sum;
    if (round + 1 == rounds)
      break;
    // Shape update: resample the average through x -> x - step * mean displacement.
    auto * m = meanField->GetBufferPointer();
    for (size_t v = 0; v < n; ++v)
      m[v] *= -m_Settings.shapeStep;
    auto shift = itk::DisplacementFieldTransform<double, D>::New();
    shift->SetDisplacementField(meanField);
    reference = Resample<D>(sum, sum, shift);
  }

  if (!m_ComputeProbabilities)
    return;
  if (m_Observer)
    m_Observer("label probabilities", 1.0);
  std::vector<typename LabelImage<D>::Pointer> labels;
  std::vector<char>                            seen(65536, 0);
  for (size_t i = 0; i < subjects; ++i)
  {
    labels.push_back(WarpLabels<D>(ReadLabelImage<D>(m_Subjects[i].labels), reference, transforms[i],
                                   Interpolation::Label));
    const auto * p = labels.back()->GetBufferPointer();
    for (size_t v = 0; v < reference->GetLargestPossibleRegion().GetNumberOfPixels(); ++v)
      seen[p[v]] = 1;
  }
  std::vector<LabelPixel> set;
  std::vector<unsigned>   index(65536, 0);
  for (unsigned l = 0; l < 65536; ++l)
    if (seen[l])
    {
      index[l] = static_cast<unsigned>(set.size());
      set.push_back(static_cast<LabelPixel>(l));
    }
  const size_t   n = reference->GetLargestPossibleRegion().GetNumberOfPixels();
  const unsigned k = static_cast<unsigned>(set.size());
  m_Probabilities = ProbabilityImage<D>::New();
  m_Probabilities->CopyInformation(reference);
  m_Probabilities->SetRegions(reference->GetLargestPossibleRegion());
  m_Probabilities->SetNumberOfComponentsPerPixel(k);
  m_Probabilities->Allocate();
  float * out = m_Probabilities->GetBufferPointer();
  std::fill(out, out + n * k, 0.0f);
  for (const auto & l : labels)
    for (size_t v = 0; v < n; ++v)
      out[v * k + index[l->GetBufferPointer()[v]]] += 1.0f / float(subjects);
  const auto labelsOfFirst = ReadLabelImage<D>(m_Subjects.front().labels);
  const auto text = ReadLabelTableText(m_Subjects.front().labels, labelsOfFirst->GetMetaDataDictionary());
  const LabelTable names = text.empty() ? LabelTable() : LabelTable::FromJson(text, m_Subjects.front().labels);
  LabelTable table = LabelTable::Numbered(set);
  for (const auto l : set)
    if (names.Contains(l))
      table.Add(l, names.Entries().at(l));
  SetLabelTable(m_Probabilities, table);
}

template class AtlasBuilder<2>;
template class AtlasBuilder<3>;
} // namespace tessera
