#include "tesseraHiddenMarkovSegmentation.h"

#include <algorithm>
#include <numeric>

#include "tesseraError.h"
#include "tesseraHilbertPeanoCurve.h"
#include "tesseraKMeansImageFilter.h"
#include "tesseraProbabilityImage.h"

namespace tessera
{
HiddenMarkovModel
ParseHiddenMarkovModel(const std::string & name, const std::string & option)
{
  if (name == "hmrf")
    return HiddenMarkovModel::RandomField;
  if (name == "hmc")
    return HiddenMarkovModel::Chain;
  throw Error(option, "unknown model '" + name + "' (hmrf or hmc)");
}

std::string
HiddenMarkovModelName(HiddenMarkovModel model)
{
  return model == HiddenMarkovModel::RandomField ? "hmrf" : "hmc";
}

namespace
{
/** Renumbers classes by increasing luminance of their means: the model's components, the posteriors [n, K] and the
 * chain. Returns the old class of each new one. */
std::vector<unsigned int>
SortByLuminance(GaussianMixtureModel & m, std::vector<double> & posteriors, MarkovChain * chain)
{
  const unsigned int  k = m.classes;
  const auto          order = SortComponentsByLuminance(m);
  std::vector<double> row(k);
  for (size_t i = 0; i < posteriors.size(); i += k)
  {
    for (unsigned int j = 0; j < k; ++j)
      row[j] = posteriors[i + order[j]];
    std::copy(row.begin(), row.end(), posteriors.begin() + i);
  }
  if (chain)
  {
    const MarkovChain c = *chain;
    for (unsigned int i = 0; i < k; ++i)
    {
      chain->initial[i] = c.initial[order[i]];
      for (unsigned int j = 0; j < k; ++j)
        chain->transition[i * k + j] = c.transition[order[i] * k + order[j]];
    }
  }
  return order;
}
} // namespace

template <unsigned int D>
HiddenMarkovSegmentation<D>
SegmentHiddenMarkov(const VectorImage<D> * image, const MaskImage<D> * mask, const HiddenMarkovSegmentationSettings & s,
                    const ProbabilityImage<D> * priors)
{
  const auto         region = image->GetLargestPossibleRegion();
  const size_t       n = region.GetNumberOfPixels();
  const unsigned int d = image->GetNumberOfComponentsPerPixel();
  const uint8_t *    maskBuffer = mask ? mask->GetBufferPointer() : nullptr;
  FeatureSamples     samples = FeatureSamples::PerPixel(image->GetBufferPointer(), n, d, maskBuffer);
  if (samples.Size() < 2)
  {
    throw Error("mask", "selects fewer than 2 pixels");
  }
  const size_t m = samples.Size();

  // Start: the priors, or one-hot k-means classes of the distinct values.
  const unsigned int  k = priors ? priors->GetNumberOfComponentsPerPixel() : s.classes;
  std::vector<double> r(m * k, 0.0);
  std::vector<float>  q;
  if (priors)
  {
    q.reserve(m * k);
    for (size_t p = 0; p < n; ++p)
      if (samples.sampleOfPixel[p] != FeatureSamples::Outside)
        q.insert(q.end(), priors->GetBufferPointer() + p * k, priors->GetBufferPointer() + (p + 1) * k);
    for (size_t i = 0; i < m; ++i)
    {
      const double sum = std::accumulate(q.begin() + i * k, q.begin() + (i + 1) * k, 0.0);
      for (unsigned int j = 0; j < k; ++j)
        r[i * k + j] = sum > 0 ? q[i * k + j] / sum : 1.0 / k;
    }
  }
  else
  {
    const auto    distinct = FeatureSamples::FromPixels(image->GetBufferPointer(), n, d, maskBuffer);
    KMeansOptions options;
    options.classes = k;
    options.seed = s.seed;
    const auto start = KMeans(distinct, options);
    for (size_t p = 0; p < n; ++p)
      if (samples.sampleOfPixel[p] != FeatureSamples::Outside)
        r[samples.sampleOfPixel[p] * k + start.assignment[distinct.sampleOfPixel[p]]] = 1.0;
  }

  HiddenMarkovSegmentation<D> out;
  std::vector<double>         posteriors;
  std::vector<uint16_t>       path; // Viterbi states per sample
  std::vector<size_t>         size(D);
  std::vector<double>         spacing(D);
  for (unsigned int a = 0; a < D; ++a)
  {
    size[a] = region.GetSize(a);
    spacing[a] = image->GetSpacing()[a];
  }
  if (s.model == HiddenMarkovModel::RandomField)
  {
    HiddenMarkovRandomFieldSettings field;
    field.smoothness = s.smoothness;
    field.priors = priors ? q.data() : nullptr;
    field.priorWeight = s.priorWeight;
    out.model = FitHiddenMarkovRandomField(samples, PixelNeighbours::Faces(size, spacing, samples.sampleOfPixel), r,
                                           s.em, field);
    posteriors.swap(r);
  }
  else
  {
    // The chain visits the samples along the Hilbert–Peano curve.
    std::vector<uint32_t> chainOrder;
    chainOrder.reserve(m);
    for (const size_t p : HilbertPeanoOrder(size))
      if (samples.sampleOfPixel[p] != FeatureSamples::Outside)
        chainOrder.push_back(samples.sampleOfPixel[p]);
    FeatureSamples      chain;
    std::vector<double> start(m * k);
    std::vector<float>  chainPriors(priors ? m * k : 0);
    chain.dimension = d;
    chain.values.resize(m * d);
    chain.weights.assign(m, 1.0);
    chain.totalWeight = static_cast<double>(m);
    for (size_t t = 0; t < m; ++t)
    {
      const uint32_t i = chainOrder[t];
      std::copy_n(samples.Sample(i), d, chain.values.begin() + t * d);
      std::copy_n(r.begin() + i * k, k, start.begin() + t * k);
      for (unsigned int j = 0; priors && j < k; ++j)
        chainPriors[t * k + j] = static_cast<float>((1 - s.priorWeight) / k + s.priorWeight * r[i * k + j]);
    }
    auto fit = FitHiddenMarkovChain(chain, std::move(start), s.em, priors ? chainPriors.data() : nullptr);
    out.model = fit.emissions;
    out.chain = fit.chain;
    std::vector<uint16_t> chainPath;
    if (s.viterbi)
    {
      auto logEmission = ClassLogDensities(fit.emissions, chain);
      if (priors)
        AddExternalField(logEmission, chainPriors.data());
      chainPath = Viterbi(logEmission, fit.chain);
    }
    posteriors.resize(m * k);
    path.resize(chainPath.size());
    for (size_t t = 0; t < m; ++t)
    {
      std::copy_n(fit.posteriors.begin() + t * k, k, posteriors.begin() + chainOrder[t] * k);
      if (s.viterbi)
        path[chainOrder[t]] = chainPath[t];
    }
  }
  std::vector<unsigned int> rank(k); // new class of each old one, for the Viterbi states
  std::iota(rank.begin(), rank.end(), 0u);
  if (!priors)
  {
    const auto order = SortByLuminance(out.model, posteriors, s.model == HiddenMarkovModel::Chain ? &out.chain : nullptr);
    for (unsigned int j = 0; j < k; ++j)
      rank[order[j]] = j;
  }

  out.probabilities = ProbabilityImage<D>::New();
  out.probabilities->CopyInformation(image);
  out.probabilities->SetRegions(region);
  out.probabilities->SetNumberOfComponentsPerPixel(k);
  out.probabilities->Allocate();
  float * buffer = out.probabilities->GetBufferPointer();
  std::fill(buffer, buffer + n * k, 0.0f);
  for (size_t p = 0; p < n; ++p)
    if (samples.sampleOfPixel[p] != FeatureSamples::Outside)
      std::copy_n(posteriors.begin() + samples.sampleOfPixel[p] * k, k, buffer + p * k);
  const LabelTable table = priors ? ClassTable<D>(priors, "priors") : UnsupervisedClassTable(k);
  SetLabelTable(out.probabilities, table);
  out.labels = ArgMaxLabels<D>(out.probabilities, mask, "posteriors");
  if (!path.empty())
  {
    const auto labels = table.Labels();
    for (size_t p = 0; p < n; ++p)
      if (samples.sampleOfPixel[p] != FeatureSamples::Outside)
        out.labels->GetBufferPointer()[p] = labels[rank[path[samples.sampleOfPixel[p]]]];
  }
  SetLabelTable(out.labels, table);
  return out;
}

template HiddenMarkovSegmentation<2> SegmentHiddenMarkov<2>(const VectorImage<2> *, const MaskImage<2> *,
                                                            const HiddenMarkovSegmentationSettings &,
                                                            const ProbabilityImage<2> *);
template HiddenMarkovSegmentation<3> SegmentHiddenMarkov<3>(const VectorImage<3> *, const MaskImage<3> *,
                                                            const HiddenMarkovSegmentationSettings &,
                                                            const ProbabilityImage<3> *);
} // namespace tessera
