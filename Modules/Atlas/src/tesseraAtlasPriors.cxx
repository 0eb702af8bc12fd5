#include "tesseraAtlasPriors.h"

#include <algorithm>

#include "tesseraImageUtilities.h"
#include "tesseraProbabilityImage.h"
#include "tesseraWarpImage.h"

namespace tessera
{
namespace
{
/** The table of an atlas's "labelProbabilities" image, read from its header (or sidecar) only. */
LabelTable
ProbabilityMapTable(const std::string & path)
{
  auto io = CreateImageIO(path, itk::ImageIOFactory::IOFileModeEnum::ReadMode);
  if (!io)
    throw Error(path, "is not an image format ITK can read (corrupt, or unknown extension)");
  io->SetFileName(path);
  io->ReadImageInformation();
  const std::string text = ReadLabelTableText(path, io->GetMetaDataDictionary());
  if (!text.empty())
    return LabelTable::FromJson(text, path);
  std::vector<LabelPixel> labels(io->GetNumberOfComponents());
  for (size_t c = 0; c < labels.size(); ++c)
    labels[c] = static_cast<LabelPixel>(c);
  return LabelTable::Numbered(labels);
}
} // namespace

LabelTable
PriorClassTable(const AtlasDescription & atlas)
{
  if (atlas.priors.empty() && !atlas.labelProbabilities.empty())
  {
    // Every label is a class, 0 included: in a brain mask, a built atlas's 0 is the tissue its label images left
    // unlabelled (sulcal CSF in the MICCAI 2012 classes), and dropping it forces those voxels into the others.
    const auto table = ProbabilityMapTable(atlas.labelProbabilities);
    if (table.Size() < 2)
      throw Error(atlas.labelProbabilities, "has fewer than 2 labels: no classes to segment");
    return table;
  }
  LabelTable table;
  for (const auto & p : atlas.priors)
  {
    table.Add(p.label, { p.name, DefaultLabelColor(p.label), false });
  }
  if (!atlas.remainderName.empty())
  {
    table.Add(atlas.remainderLabel, { atlas.remainderName, DefaultLabelColor(atlas.remainderLabel), false });
  }
  return table;
}

template <unsigned int D>
typename ProbabilityImage<D>::Pointer
WarpAtlasPriors(const AtlasDescription & atlas, const ScalarImage<D> * target, const MaskImage<D> * mask,
                const RegistrationSettings & settings, const std::function<void(const std::string &, double)> & observer)
{
  const auto raw = ReadIntensityImage<D>(atlas.templateImage);
  CheckFinite<D>(raw.GetPointer(), atlas.templateImage);
  const auto maps = atlas.priors.empty() ? ReadProbabilityImage<D>(atlas.labelProbabilities) : nullptr;
  ImageRegistration<D> registration;
  registration.SetFixedImage(target);
  registration.SetMovingImage(MeanOfComponents<D>(raw));
  registration.SetFixedMask(mask);
  registration.SetSettings(settings);
  registration.SetObserver([&](const std::string & stage, unsigned int level, unsigned int levels, double fraction) {
    if (observer)
      observer("atlas " + stage + ", level " + std::to_string(level + 1) + "/" + std::to_string(levels), fraction);
  });
  try
  {
    registration.Update();
  }
  catch (const Error & e)
  {
    throw e.Subject() == "moving" ? Error(atlas.templateImage, e.Problem()) : e;
  }
  const auto   transform = registration.GetTransform();
  const auto   table = PriorClassTable(atlas);
  const auto   labels = table.Labels();
  const auto   k = static_cast<unsigned int>(labels.size());
  const size_t n = target->GetLargestPossibleRegion().GetNumberOfPixels();
  auto         priors = ProbabilityImage<D>::New();
  priors->CopyInformation(target);
  priors->SetRegions(target->GetLargestPossibleRegion());
  priors->SetNumberOfComponentsPerPixel(k);
  priors->Allocate();
  float * out = priors->GetBufferPointer();
  std::fill(out, out + n * k, 0.0f);
  std::vector<double> assigned(n, 0.0);
  if (maps)
  {
    // One component per label in the table's order, as PriorClassTable() lists them.
    const auto    warped = WarpImage<D>(maps, target, transform, Interpolation::Linear);
    const float * v = warped->GetBufferPointer();
    std::transform(v, v + n * k, out, [](float q) { return std::clamp(q, 0.0f, 1.0f); });
  }
  for (const auto & p : atlas.priors)
  {
    const auto map = ReadIntensityImage<D>(p.image);
    CheckFinite<D>(map.GetPointer(), p.image);
    const auto   warped = WarpImage<D>(map, target, transform, Interpolation::Linear);
    const auto   c = static_cast<size_t>(std::find(labels.begin(), labels.end(), p.label) - labels.begin());
    const float * v = warped->GetBufferPointer();
    const unsigned int stride = warped->GetNumberOfComponentsPerPixel();
    for (size_t i = 0; i < n; ++i)
    {
      const double q = std::clamp(v[i * stride] / p.scale, 0.0, 1.0);
      out[i * k + c] = static_cast<float>(q);
      assigned[i] += q;
    }
  }
  const bool   remainder = !atlas.remainderName.empty();
  const size_t r = remainder ? static_cast<size_t>(std::find(labels.begin(), labels.end(), atlas.remainderLabel) -
                                                   labels.begin())
                             : 0;
  for (size_t i = 0; i < n; ++i)
  {
    float * row = out + i * k;
    if (mask && !mask->GetBufferPointer()[i])
    {
      std::fill(row, row + k, 0.0f);
      continue;
    }
    if (remainder)
      row[r] = static_cast<float>(std::max(0.0, 1.0 - assigned[i]));
    double sum = 0;
    for (unsigned int c = 0; c < k; ++c)
      sum += row[c];
    for (unsigned int c = 0; c < k; ++c)
      row[c] = sum > 0 ? static_cast<float>(row[c] / sum) : 1.0f / k;
  }
  SetLabelTable(priors, table);
  return priors;
}

template <unsigned int D>
typename ProbabilityImage<D>::Pointer
PriorWeightedMixture(const VectorImage<D> * image, const MaskImage<D> * mask, const ProbabilityImage<D> * priors,
                     double weight, const GaussianMixtureOptions & options, GaussianMixtureModel * model)
{
  const size_t       n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  const unsigned int d = image->GetNumberOfComponentsPerPixel();
  const unsigned int k = priors->GetNumberOfComponentsPerPixel();
  // One sample per voxel: spatial priors make every voxel its own mixture.
  const auto          samples = FeatureSamples::PerPixel(image->GetBufferPointer(), n, d, mask ? mask->GetBufferPointer() : nullptr);
  std::vector<float>  q;
  std::vector<size_t> voxel;
  for (size_t i = 0; i < n; ++i)
  {
    if (samples.sampleOfPixel[i] == FeatureSamples::Outside)
      continue;
    q.insert(q.end(), priors->GetBufferPointer() + i * k, priors->GetBufferPointer() + (i + 1) * k);
    voxel.push_back(i);
  }
  std::vector<float> posteriors;
  const auto         fit = FitGaussianMixtureWithPriors(samples, q, k, weight, options, posteriors);
  if (model)
    *model = fit;
  auto out = ProbabilityImage<D>::New();
  out->CopyInformation(image);
  out->SetRegions(image->GetLargestPossibleRegion());
  out->SetNumberOfComponentsPerPixel(k);
  out->Allocate();
  std::fill(out->GetBufferPointer(), out->GetBufferPointer() + n * k, 0.0f);
  for (size_t v = 0; v < voxel.size(); ++v)
    std::copy_n(posteriors.begin() + v * k, k, out->GetBufferPointer() + voxel[v] * k);
  out->SetMetaDataDictionary(priors->GetMetaDataDictionary());
  return out;
}

template ProbabilityImage<2>::Pointer WarpAtlasPriors<2>(const AtlasDescription &, const ScalarImage<2> *,
                                                         const MaskImage<2> *, const RegistrationSettings &,
                                                         const std::function<void(const std::string &, double)> &);
template ProbabilityImage<3>::Pointer WarpAtlasPriors<3>(const AtlasDescription &, const ScalarImage<3> *,
                                                         const MaskImage<3> *, const RegistrationSettings &,
                                                         const std::function<void(const std::string &, double)> &);
template ProbabilityImage<2>::Pointer PriorWeightedMixture<2>(const VectorImage<2> *, const MaskImage<2> *,
                                                              const ProbabilityImage<2> *, double,
                                                              const GaussianMixtureOptions &, GaussianMixtureModel *);
template ProbabilityImage<3>::Pointer PriorWeightedMixture<3>(const VectorImage<3> *, const MaskImage<3> *,
                                                              const ProbabilityImage<3> *, double,
                                                              const GaussianMixtureOptions &, GaussianMixtureModel *);
} // namespace tessera
