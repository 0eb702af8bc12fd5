#include "tesseraCorrectiveLearning.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <random>

#include <nlohmann/json.hpp>

#include "itkBinaryDilateImageFilter.h"
#include "itkFlatStructuringElement.h"
#include "itkImageRegionConstIteratorWithIndex.h"
#include "itkSignedMaurerDistanceMapImageFilter.h"
#include "itkSmoothingRecursiveGaussianImageFilter.h"
#include "tesseraError.h"
#include "tesseraImageUtilities.h"
#include "tesseraModuleLoader.h"
#include "tesseraParallelRanges.h"

namespace tessera
{
namespace
{
constexpr const char * ModelName = "tessera-corrective-learning";
constexpr int          ModelVersion = 2;
/** OpenCV's random forests and FileStorage, in a module loaded on first use (tesseraOpenCVForest.cxx). */
const std::string ForestModule = "TesseraOpenCVForest";

/** A forest of the module, freed by it. */
std::shared_ptr<void>
OwnedForest(void * forest)
{
  return std::shared_ptr<void>(forest, ModuleFunction<void(void *)>(ForestModule, "tesseraForestFree"));
}

/** A model file of the module, closed on destruction (Close() reports whether writing completed). */
class ModelFile
{
public:
  ModelFile(const std::string & path, bool write)
    : m_File(ModuleFunction<void *(const char *, int)>(ForestModule, "tesseraModelFileOpen")(path.c_str(), write))
  {}
  ~ModelFile()
  {
    if (m_File)
      Close();
  }
  ModelFile(const ModelFile &) = delete;
  ModelFile & operator=(const ModelFile &) = delete;
  void * Get() const { return m_File; }
  bool   Close()
  {
    const bool done = ModuleFunction<int(void *)>(ForestModule, "tesseraModelFileClose")(m_File) != 0;
    m_File = nullptr;
    return done;
  }

private:
  void * m_File;
};

/** Features per voxel: 3^D neighbours, intensity smoothed at 1 and 2 mm, its differences from
 * the region's and its rim's median, its gradient magnitude and derivative along the boundary's
 * normal, signed distance, the region's indicator smoothed at 1, 2 and 4 mm, position relative
 * to the centroid, and the method's confidence when it gives one. */
template <unsigned int D>
constexpr unsigned int
FeatureCount(bool confidence)
{
  return (D == 2 ? 9 : 27) + 2 + 2 + 2 + 1 + 3 + D + (confidence ? 1 : 0);
}

/** Median of `values` (0 when empty); reorders them. */
float
Median(std::vector<float> & values)
{
  if (values.empty())
    return 0.0f;
  auto at = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), at, values.end());
  return *at;
}

/** Central difference of `image` at `index` along axis `d` per mm, clamped to `region`. */
template <unsigned int D>
float
Derivative(const ScalarImage<D> * image, const itk::ImageRegion<D> & region, itk::Index<D> index, unsigned d)
{
  auto low = index, high = index;
  low[d] = std::max(index[d] - 1, region.GetIndex(d));
  high[d] = std::min(index[d] + 1, region.GetUpperIndex()[d]);
  if (low[d] == high[d])
    return 0.0f;
  return static_cast<float>((image->GetPixel(high) - image->GetPixel(low)) /
                            ((high[d] - low[d]) * image->GetSpacing()[d]));
}

template <unsigned int D>
typename ScalarImage<D>::Pointer
Smoothed(const ScalarImage<D> * image, double sigma)
{
  auto filter = itk::SmoothingRecursiveGaussianImageFilter<ScalarImage<D>, ScalarImage<D>>::New();
  filter->SetInput(image);
  filter->SetSigma(sigma);
  filter->Update();
  return filter->GetOutput();
}

/** One subject ready for feature extraction: intensities standardised by the median and the
 * interquartile range inside the mask, their smoothings, and each label's bounding box and centroid. */
template <unsigned int D>
struct Subject
{
  using Index = itk::Index<D>;
  typename ScalarImage<D>::Pointer      intensity;
  typename ScalarImage<D>::Pointer      smooth1, smooth2;
  const LabelImage<D> *                 automatic = nullptr;
  const MaskImage<D> *                  mask = nullptr;
  const ScalarImage<D> *                confidence = nullptr;
  std::map<LabelPixel, itk::ImageRegion<D>> boxes;
  std::map<LabelPixel, itk::Point<double, D>> centroids;

  Subject(const ScalarImage<D> * image, const LabelImage<D> * labels, const MaskImage<D> * m,
          const ScalarImage<D> * c)
    : automatic(labels)
    , mask(m)
    , confidence(c)
  {
    const size_t        n = image->GetLargestPossibleRegion().GetNumberOfPixels();
    const float *       in = image->GetBufferPointer();
    const std::uint8_t * k = mask ? mask->GetBufferPointer() : nullptr;
    std::vector<float>  values;
    for (size_t i = 0; i < n; ++i)
      if (!k || k[i])
        values.push_back(in[i]);
    if (values.empty())
      throw Error("mask", "has no voxel inside");
    auto quantile = [&](double q) {
      auto at = values.begin() + static_cast<std::ptrdiff_t>(q * (values.size() - 1));
      std::nth_element(values.begin(), at, values.end());
      return static_cast<double>(*at);
    };
    const double median = quantile(0.5);
    const double iqr = std::max(quantile(0.75) - quantile(0.25), 1e-6);
    intensity = ScalarImage<D>::New();
    intensity->CopyInformation(image);
    intensity->SetRegions(image->GetLargestPossibleRegion());
    intensity->Allocate();
    float * out = intensity->GetBufferPointer();
    for (size_t i = 0; i < n; ++i)
      out[i] = static_cast<float>((in[i] - median) / iqr);
    smooth1 = Smoothed<D>(intensity, 1.0);
    smooth2 = Smoothed<D>(intensity, 2.0);

    std::map<LabelPixel, std::pair<Index, Index>> extent;
    std::map<LabelPixel, std::pair<itk::Vector<double, D>, size_t>> sums;
    for (itk::ImageRegionConstIteratorWithIndex<LabelImage<D>> it(labels, labels->GetLargestPossibleRegion()); !it.IsAtEnd();
         ++it)
    {
      const auto   index = it.GetIndex();
      const size_t i = labels->ComputeOffset(index);
      if (k && !k[i])
        continue;
      auto [e, added] = extent.try_emplace(it.Get(), index, index);
      auto & s = sums[it.Get()];
      for (unsigned d = 0; d < D; ++d)
      {
        e->second.first[d] = std::min(e->second.first[d], index[d]);
        e->second.second[d] = std::max(e->second.second[d], index[d]);
        s.first[d] += static_cast<double>(index[d]);
      }
      ++s.second;
    }
    for (const auto & [label, e] : extent)
    {
      itk::ImageRegion<D> box;
      for (unsigned d = 0; d < D; ++d)
      {
        box.SetIndex(d, e.first[d]);
        box.SetSize(d, static_cast<itk::SizeValueType>(e.second[d] - e.first[d] + 1));
      }
      boxes[label] = box;
      itk::ContinuousIndex<double, D> c;
      for (unsigned d = 0; d < D; ++d)
        c[d] = sums[label].first[d] / static_cast<double>(sums[label].second);
      labels->TransformContinuousIndexToPhysicalPoint(c, centroids[label]);
    }
  }

  /** Features of label `label`'s working region: one row of FeatureCount<D>(confidence) per voxel, and the
   * voxels' offsets in the image buffer. */
  void Features(LabelPixel label, unsigned int dilation, std::vector<float> & rows, std::vector<size_t> & voxels) const
  {
    using ByteImage = itk::Image<std::uint8_t, D>;
    constexpr unsigned int margin = 4; // voxels around the region: context for the 4 mm smoothing
    auto box = boxes.at(label);
    box.PadByRadius(static_cast<itk::IndexValueType>(dilation + margin));
    box.Crop(automatic->GetLargestPossibleRegion());

    auto inside = ByteImage::New();
    inside->CopyInformation(automatic);
    inside->SetRegions(box);
    inside->Allocate();
    auto indicator = ScalarImage<D>::New();
    indicator->CopyInformation(automatic);
    indicator->SetRegions(box);
    indicator->Allocate();
    for (itk::ImageRegionConstIteratorWithIndex<ByteImage> it(inside, box); !it.IsAtEnd(); ++it)
    {
      const bool in = automatic->GetPixel(it.GetIndex()) == label;
      inside->SetPixel(it.GetIndex(), in ? 1 : 0);
      indicator->SetPixel(it.GetIndex(), in ? 1.0f : 0.0f);
    }
    auto distance = itk::SignedMaurerDistanceMapImageFilter<ByteImage, ScalarImage<D>>::New();
    distance->SetInput(inside);
    distance->SetInsideIsPositive(false);
    distance->SetUseImageSpacing(true);
    distance->SetSquaredDistance(false);
    distance->SetBackgroundValue(0);
    distance->Update();
    using Element = itk::FlatStructuringElement<D>;
    typename Element::RadiusType radius;
    radius.Fill(dilation);
    auto dilate = itk::BinaryDilateImageFilter<ByteImage, ByteImage, Element>::New();
    dilate->SetInput(inside);
    dilate->SetKernel(Element::Ball(radius));
    dilate->SetForegroundValue(1);
    dilate->Update();
    const ByteImage * region = dilate->GetOutput();
    const typename ScalarImage<D>::Pointer smoothed[3] = { Smoothed<D>(indicator, 1.0), Smoothed<D>(indicator, 2.0),
                                                           Smoothed<D>(indicator, 4.0) };

    const auto   whole = automatic->GetLargestPossibleRegion();
    const auto & centroid = centroids.at(label);
    // The intensity the region has and the one around it in this subject: which of the two a
    // voxel resembles corrects for contrast that varies between subjects.
    std::vector<float> within, rim;
    for (itk::ImageRegionConstIteratorWithIndex<ByteImage> it(region, box); !it.IsAtEnd(); ++it)
      if (it.Get() && (!mask || mask->GetPixel(it.GetIndex())))
        (inside->GetPixel(it.GetIndex()) ? within : rim).push_back(smooth1->GetPixel(it.GetIndex()));
    const float regionMedian = Median(within), rimMedian = Median(rim);
    const auto * signedDistance = distance->GetOutput();
    for (itk::ImageRegionConstIteratorWithIndex<ByteImage> it(region, box); !it.IsAtEnd(); ++it)
    {
      const auto index = it.GetIndex();
      if (!it.Get() || (mask && !mask->GetPixel(index)))
        continue;
      voxels.push_back(automatic->ComputeOffset(index));
      // The 3^D neighbours, clamped at the image's border, x fastest.
      for (unsigned int q = 0; q < (D == 2 ? 9u : 27u); ++q)
      {
        auto     at = index;
        unsigned r = q;
        for (unsigned d = 0; d < D; ++d, r /= 3)
        {
          at[d] = std::clamp<itk::IndexValueType>(index[d] + static_cast<int>(r % 3) - 1, whole.GetIndex(d),
                                                  whole.GetUpperIndex()[d]);
        }
        rows.push_back(intensity->GetPixel(at));
      }
      const float value = smooth1->GetPixel(index);
      rows.push_back(value);
      rows.push_back(smooth2->GetPixel(index));
      rows.push_back(value - regionMedian);
      rows.push_back(value - rimMedian);
      // The intensity's gradient, and its component along the distance's (the outward normal).
      double magnitude = 0, normal = 0, along = 0;
      for (unsigned d = 0; d < D; ++d)
      {
        const double g = Derivative<D>(smooth1, whole, index, d), n = Derivative<D>(signedDistance, box, index, d);
        magnitude += g * g;
        normal += n * n;
        along += g * n;
      }
      rows.push_back(static_cast<float>(std::sqrt(magnitude)));
      rows.push_back(static_cast<float>(normal > 0 ? along / std::sqrt(normal) : 0.0));
      rows.push_back(signedDistance->GetPixel(index));
      for (const auto & s : smoothed)
        rows.push_back(s->GetPixel(index));
      itk::Point<double, D> p;
      automatic->TransformIndexToPhysicalPoint(index, p);
      for (unsigned d = 0; d < D; ++d)
        rows.push_back(static_cast<float>(p[d] - centroid[d]));
      if (confidence)
        rows.push_back(confidence->GetPixel(index));
    }
  }
};
} // namespace

template <unsigned int D>
struct CorrectiveLearning<D>::Model
{
  /** Training samples of one label: a uniform draw of at most samplesPerLabel voxels over all
   * subjects (reservoir sampling, Vitter's algorithm R). */
  struct Reservoir
  {
    std::vector<float> rows, answers;
    size_t             seen = 0;
  };
  /** A label's forest, or (when its training voxels all gave one answer) that answer. */
  struct Classifier
  {
    std::shared_ptr<void> forest;
    float                 constant = 0;
  };
  std::map<LabelPixel, Reservoir>  samples;
  std::map<LabelPixel, Classifier> forests;
  std::mt19937_64                  random;
  bool                             confidence = false; ///< a feature: the method's confidence
};

template <unsigned int D>
CorrectiveLearning<D>::CorrectiveLearning()
  : m_Model(std::make_unique<Model>())
{}
template <unsigned int D>
CorrectiveLearning<D>::~CorrectiveLearning() = default;
template <unsigned int D>
CorrectiveLearning<D>::CorrectiveLearning(CorrectiveLearning &&) noexcept = default;
template <unsigned int D>
CorrectiveLearning<D> & CorrectiveLearning<D>::operator=(CorrectiveLearning &&) noexcept = default;

template <unsigned int D>
void
CorrectiveLearning<D>::AddSubject(const ImageType * image, const LabelImageType * automatic,
                                  const LabelImageType * manual, const MaskImageType * mask,
                                  const ImageType * confidence)
{
  CheckSameGrid(image, "image", automatic, "automatic labels");
  CheckSameGrid(image, "image", manual, "manual labels");
  if (mask)
    CheckSameGrid(image, "image", mask, "mask");
  if (confidence)
    CheckSameGrid(image, "image", confidence, "confidence");
  if (m_Model->samples.empty() && m_Model->forests.empty())
  {
    m_Model->random.seed(m_Settings.seed);
    m_Model->confidence = confidence != nullptr;
  }
  else if (m_Model->confidence != (confidence != nullptr))
    throw Error("confidence", "give it for every training subject or for none");
  const Subject<D>   subject(image, automatic, mask, confidence);
  const LabelPixel * truth = manual->GetBufferPointer();
  const unsigned     F = FeatureCount<D>(m_Model->confidence);
  size_t             done = 0;
  for (const auto & entry : subject.boxes)
  {
    const LabelPixel    label = entry.first;
    std::vector<float>  rows;
    std::vector<size_t> voxels;
    subject.Features(label, m_Settings.dilation, rows, voxels);
    auto & r = m_Model->samples[label];
    for (size_t v = 0; v < voxels.size(); ++v, ++r.seen)
    {
      size_t slot = r.answers.size();
      if (slot >= m_Settings.samplesPerLabel)
      {
        slot = std::uniform_int_distribution<size_t>(0, r.seen)(m_Model->random);
        if (slot >= m_Settings.samplesPerLabel)
          continue;
      }
      else
      {
        r.answers.push_back(0);
        r.rows.resize(r.rows.size() + F);
      }
      std::copy_n(rows.begin() + static_cast<std::ptrdiff_t>(v * F), F, r.rows.begin() + static_cast<std::ptrdiff_t>(slot * F));
      r.answers[slot] = truth[voxels[v]] == label ? 1.0f : 0.0f;
    }
    if (m_Observer)
      m_Observer("features", double(++done) / subject.boxes.size());
  }
}

template <unsigned int D>
void
CorrectiveLearning<D>::Train()
{
  auto & samples = m_Model->samples;
  if (samples.empty())
    throw Error("corrective learning", "no training subject was added");
  std::vector<LabelPixel> labels;
  bool                    agrees = false;
  for (const auto & entry : samples)
  {
    labels.push_back(entry.first);
    agrees = agrees || std::find(entry.second.answers.begin(), entry.second.answers.end(), 1.0f) != entry.second.answers.end();
  }
  if (!agrees)
    throw Error("manual labels", "no voxel's manual label equals its automatic label: the method must give the manual "
                                 "labels' values (remap its labels first)");
  std::vector<typename Model::Classifier> forests(labels.size());
  const int F = static_cast<int>(FeatureCount<D>(m_Model->confidence));
  const auto train = ModuleFunction<void *(const float *, const float *, size_t, unsigned, unsigned, unsigned)>(
    ForestModule, "tesseraForestTrain");
  std::vector<char> failed(labels.size(), 0);
  ParallelRanges(labels.size(), WorkUnits(labels.size(), 0, 2), [&](size_t begin, size_t end, unsigned) {
    for (size_t i = begin; i < end; ++i)
    {
      const auto & r = samples.at(labels[i]);
      if (std::all_of(r.answers.begin(), r.answers.end(), [&](float a) { return a == r.answers.front(); }))
      {
        forests[i].constant = r.answers.front();
        continue;
      }
      forests[i].forest =
        OwnedForest(train(r.rows.data(), r.answers.data(), r.answers.size(), F, m_Settings.trees, m_Settings.depth));
      failed[i] = !forests[i].forest;
    }
  });
  for (size_t i = 0; i < labels.size(); ++i)
  {
    if (failed[i])
      throw Error("corrective learning", "OpenCV could not fit the forest of label " + std::to_string(labels[i]));
    m_Model->forests[labels[i]] = forests[i];
  }
  samples.clear();
}

template <unsigned int D>
typename LabelImage<D>::Pointer
CorrectiveLearning<D>::Apply(const ImageType * image, const LabelImageType * automatic, const MaskImageType * mask,
                             const ImageType * confidence) const
{
  if (m_Model->forests.empty())
    throw Error("corrective learning", "the model has no classifier: train it first");
  if (m_Model->confidence && !confidence)
    throw Error("confidence", "the model learnt from the method's confidence: give the confidence of these labels");
  if (!m_Model->confidence && confidence)
    throw Error("confidence", "the model learnt without the method's confidence: leave it out");
  CheckSameGrid(image, "image", automatic, "automatic labels");
  if (mask)
    CheckSameGrid(image, "image", mask, "mask");
  if (confidence)
    CheckSameGrid(image, "image", confidence, "confidence");
  const Subject<D> subject(image, automatic, mask, confidence);
  const size_t     n = automatic->GetLargestPossibleRegion().GetNumberOfPixels();
  auto             out = LabelImageType::New();
  out->CopyInformation(automatic);
  out->SetRegions(automatic->GetLargestPossibleRegion());
  out->Allocate();
  std::copy_n(automatic->GetBufferPointer(), n, out->GetBufferPointer());
  LabelPixel * result = out->GetBufferPointer();
  // A voxel of a label the model has not seen keeps it unless another label is more likely than not.
  const LabelPixel * a = automatic->GetBufferPointer();
  std::vector<float> best(n, -1.0f);
  for (size_t i = 0; i < n; ++i)
    if (!m_Model->forests.count(a[i]))
      best[i] = 0.5f;
  const auto predict =
    ModuleFunction<int(const void *, const float *, size_t, unsigned, float *)>(ForestModule, "tesseraForestPredict");
  size_t done = 0;
  for (const auto & entry : subject.boxes)
  {
    const auto forest = m_Model->forests.find(entry.first);
    if (forest != m_Model->forests.end())
    {
      std::vector<float>  rows;
      std::vector<size_t> voxels;
      subject.Features(entry.first, m_Settings.dilation, rows, voxels);
      if (!voxels.empty())
      {
        std::vector<float> p(voxels.size(), forest->second.constant);
        if (forest->second.forest &&
            !predict(forest->second.forest.get(), rows.data(), voxels.size(), FeatureCount<D>(m_Model->confidence),
                     p.data()))
          throw Error("corrective learning", "OpenCV could not apply the forest of label " + std::to_string(entry.first));
        for (size_t v = 0; v < voxels.size(); ++v)
        {
          // Ties keep the automatic label.
          const float score = p[v];
          if (score > best[voxels[v]] || (score == best[voxels[v]] && a[voxels[v]] == entry.first))
          {
            best[voxels[v]] = score;
            result[voxels[v]] = entry.first;
          }
        }
      }
    }
    if (m_Observer)
      m_Observer("correcting", double(++done) / subject.boxes.size());
  }
  m_Changed = 0;
  for (size_t i = 0; i < n; ++i)
    m_Changed += result[i] != a[i];
  return out;
}

template <unsigned int D>
bool
CorrectiveLearning<D>::UsesConfidence() const
{
  return m_Model->confidence;
}

template <unsigned int D>
std::vector<LabelPixel>
CorrectiveLearning<D>::GetLabels() const
{
  std::vector<LabelPixel> labels;
  for (const auto & entry : m_Model->forests)
    labels.push_back(entry.first);
  return labels;
}

template <unsigned int D>
void
CorrectiveLearning<D>::Save(const std::string & path) const
{
  // A JSON header (what the model is, its settings, labels and constant answers), then the forests.
  nlohmann::json header{ { "model", ModelName },
                         { "version", ModelVersion },
                         { "dimension", D },
                         { "dilation", m_Settings.dilation },
                         { "samplesPerLabel", m_Settings.samplesPerLabel },
                         { "trees", m_Settings.trees },
                         { "depth", m_Settings.depth },
                         { "seed", m_Settings.seed },
                         { "confidence", m_Model->confidence } };
  for (const auto & [label, classifier] : m_Model->forests)
  {
    header["labels"].push_back(label);
    header["constants"].push_back(classifier.forest ? nullptr : nlohmann::json(classifier.constant));
  }
  ModelFile  file(path, true);
  const auto text = ModuleFunction<int(void *, const char *, const char *)>(ForestModule, "tesseraModelFileWriteText");
  const auto forest =
    ModuleFunction<int(void *, const char *, const void *)>(ForestModule, "tesseraModelFileWriteForest");
  bool written = file.Get() && text(file.Get(), "header", header.dump().c_str());
  for (const auto & [label, classifier] : m_Model->forests)
    if (written && classifier.forest)
      written = forest(file.Get(), ("forest_" + std::to_string(label)).c_str(), classifier.forest.get());
  if (!file.Get() || !file.Close() || !written)
    throw Error(path, "cannot be written");
}

template <unsigned int D>
CorrectiveLearning<D>
CorrectiveLearning<D>::Load(const std::string & path)
{
  const std::string notModel = "is not a corrective-learning model (tessera corrective-learning train writes them)";
  ModelFile         file(path, false);
  const char *      text =
    file.Get() ? ModuleFunction<const char *(void *, const char *)>(ForestModule, "tesseraModelFileReadText")(
                   file.Get(), "header")
               : nullptr;
  const auto header = nlohmann::json::parse(text ? text : "", nullptr, false);
  if (!header.is_object() || header.value("model", "") != ModelName)
    throw Error(path, notModel);
  if (header.value("version", 0) != ModelVersion)
    throw Error(path, "is a corrective-learning model of version " + std::to_string(header.value("version", 0)) +
                        "; this Tessera reads version " + std::to_string(ModelVersion));
  if (header.value("dimension", 0u) != D)
    throw Error(path, "was trained on " + std::to_string(header.value("dimension", 0u)) + "D images, not " +
                        std::to_string(D) + "D");
  CorrectiveLearning model;
  try
  {
    model.m_Settings.dilation = header.at("dilation").get<unsigned>();
    model.m_Settings.samplesPerLabel = header.at("samplesPerLabel").get<unsigned>();
    model.m_Settings.trees = header.at("trees").get<unsigned>();
    model.m_Settings.depth = header.at("depth").get<unsigned>();
    model.m_Settings.seed = header.at("seed").get<unsigned>();
    model.m_Model->confidence = header.at("confidence").get<bool>();
    const auto & labels = header.at("labels");
    const auto & constants = header.at("constants");
    const auto   read = ModuleFunction<void *(void *, const char *)>(ForestModule, "tesseraModelFileReadForest");
    for (size_t i = 0; i < labels.size(); ++i)
    {
      const auto label = labels.at(i).get<LabelPixel>();
      auto &     classifier = model.m_Model->forests[label];
      if (!constants.at(i).is_null())
      {
        classifier.constant = constants.at(i).get<float>();
        continue;
      }
      classifier.forest = OwnedForest(read(file.Get(), ("forest_" + std::to_string(label)).c_str()));
      if (!classifier.forest)
        throw Error(path, "holds no readable forest for label " + std::to_string(label));
    }
  }
  catch (const nlohmann::json::exception &)
  {
    throw Error(path, "is a damaged corrective-learning model (its header lacks a field or has one of the wrong type)");
  }
  if (model.m_Model->forests.empty())
    throw Error(path, "holds no classifier");
  return model;
}

template class CorrectiveLearning<2>;
template class CorrectiveLearning<3>;
} // namespace tessera
