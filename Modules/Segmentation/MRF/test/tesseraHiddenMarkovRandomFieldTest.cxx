#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "itkMultiThreaderBase.h"
#include "tesseraError.h"
#include "tesseraHiddenMarkovRandomField.h"

using namespace tessera;

namespace
{
/** A 48x48 image of three vertical bands (means 0, 1, 2) under Gaussian noise of sd 0.6, the truth class per pixel,
 * its samples (per pixel and distinct) and its 3-class k-means partition. */
struct NoisyBands
{
  static constexpr size_t n = 48;
  std::vector<float>      values;
  std::vector<unsigned>   truth;
  FeatureSamples          perPixel, distinct;
  KMeansResult            kmeans;
  NoisyBands()
  {
    std::mt19937               rng(17);
    std::normal_distribution<> noise(0.0, 0.6);
    for (size_t y = 0; y < n; ++y)
      for (size_t x = 0; x < n; ++x)
      {
        truth.push_back(static_cast<unsigned>(3 * x / n));
        values.push_back(static_cast<float>(truth.back() + noise(rng)));
      }
    perPixel = FeatureSamples::PerPixel(values.data(), values.size(), 1, nullptr);
    distinct = FeatureSamples::FromPixels(values.data(), values.size(), 1, nullptr);
    KMeansOptions options;
    options.classes = 3;
    kmeans = KMeans(distinct, options);
  }
  /** One-hot responsibilities [n, 3] of the k-means classes, per pixel. */
  std::vector<double>
  KMeansStart() const
  {
    std::vector<double> r(perPixel.Size() * 3, 0.0);
    for (size_t p = 0; p < values.size(); ++p)
      r[perPixel.sampleOfPixel[p] * 3 + kmeans.assignment[distinct.sampleOfPixel[p]]] = 1.0;
    return r;
  }
  PixelNeighbours Neighbours() const { return PixelNeighbours::Faces({ n, n }, { 1, 1 }, perPixel.sampleOfPixel); }
};

double
ErrorRate(const std::vector<double> & r, const std::vector<unsigned> & truth, unsigned int k)
{
  size_t wrong = 0;
  for (size_t i = 0; i < truth.size(); ++i)
    wrong += std::max_element(r.begin() + i * k, r.begin() + (i + 1) * k) - (r.begin() + i * k) != long(truth[i]);
  return double(wrong) / truth.size();
}
} // namespace

TEST(PixelNeighbours, FaceNeighboursInsideAMaskWithSpacingWeights)
{
  // 3x2 grid, pixel (1, 1) outside: samples 0..4 in raster order.
  const uint32_t O = FeatureSamples::Outside;
  const auto     g = PixelNeighbours::Faces({ 3, 2 }, { 0.5, 2.0 }, { 0, 1, 2, 3, O, 4 });
  ASSERT_EQ(g.slots, 4u);
  EXPECT_EQ(g.weights, (std::vector<float>{ 1.0f, 1.0f, 0.25f, 0.25f }));
  // Slots: -x, +x, -y, +y.
  EXPECT_EQ(std::vector<uint32_t>(g.indices.begin(), g.indices.begin() + 4), (std::vector<uint32_t>{ O, 1, O, 3 }));
  EXPECT_EQ(std::vector<uint32_t>(g.indices.begin() + 4, g.indices.begin() + 8), (std::vector<uint32_t>{ 0, 2, O, O }));
  EXPECT_EQ(std::vector<uint32_t>(g.indices.begin() + 16, g.indices.begin() + 20), (std::vector<uint32_t>{ O, O, 2, O }));
  EXPECT_EQ(g.colour, (std::vector<uint8_t>{ 0, 1, 0, 1, 1 }));
}

TEST(HiddenMarkovRandomField, WithoutSmoothnessItIsAMixtureOfEqualProportions)
{
  // β = 0: the mean-field posteriors are those of a Gaussian mixture with π_k = 1/K, and F is its log-likelihood,
  // iteration by iteration (the reference E-step written out here).
  const NoisyBands       image;
  GaussianMixtureOptions options;
  options.tolerance = 1e-9;
  std::vector<double> reference = image.KMeansStart();
  const auto          mixture = FitGaussianMixtureWithEStep(image.perPixel, 3, reference, options,
                                                   [](const GaussianMixtureModel &, std::vector<double> & r) {
                                                     double logLikelihood = 0;
                                                     for (size_t i = 0; i < r.size(); i += 3)
                                                     {
                                                       double sum = 0;
                                                       for (size_t j = 0; j < 3; ++j)
                                                         sum += (r[i + j] = std::exp(r[i + j]) / 3);
                                                       for (size_t j = 0; j < 3; ++j)
                                                         r[i + j] /= sum;
                                                       logLikelihood += std::log(sum);
                                                     }
                                                     return logLikelihood / (r.size() / 3);
                                                   });
  std::vector<double>             r = image.KMeansStart();
  HiddenMarkovRandomFieldSettings settings;
  settings.smoothness = 0;
  const auto field = FitHiddenMarkovRandomField(image.perPixel, image.Neighbours(), r, options, settings);
  ASSERT_EQ(field.objective.size(), mixture.objective.size());
  for (size_t i = 0; i < field.objective.size(); ++i)
    EXPECT_NEAR(field.objective[i], mixture.objective[i], 1e-9) << "iteration " << i;
  for (unsigned int j = 0; j < 3; ++j)
    EXPECT_NEAR(field.means[j], mixture.means[j], 1e-9);
  for (size_t i = 0; i < r.size(); ++i)
    ASSERT_NEAR(r[i], reference[i], 1e-9);
}

TEST(HiddenMarkovRandomField, FreeEnergyDecreasesAndNoiseIsRemoved)
{
  const NoisyBands       image;
  GaussianMixtureOptions options;
  options.maximumIterations = 300;
  options.tolerance = 1e-10;
  std::vector<double>             r = image.KMeansStart();
  HiddenMarkovRandomFieldSettings settings;
  settings.smoothness = 1.0;
  const auto field = FitHiddenMarkovRandomField(image.perPixel, image.Neighbours(), r, options, settings);
  ASSERT_GT(field.objective.size(), 3u);
  for (size_t i = 1; i < field.objective.size(); ++i)
    EXPECT_LE(-field.objective[i], -field.objective[i - 1] + 1e-9) << "free energy rose at iteration " << i;
  // The mixture alone misclassifies over a quarter of the pixels (the bands overlap at sd 0.6); the field about 3 %.
  const auto mixture = FitGaussianMixture(image.distinct, image.kmeans, options);
  std::vector<double> alone(image.perPixel.Size() * 3);
  const auto          posteriors = mixture.Posteriors(image.distinct);
  for (size_t p = 0; p < image.perPixel.Size(); ++p)
    for (unsigned int j = 0; j < 3; ++j)
      alone[p * 3 + j] = posteriors[image.distinct.sampleOfPixel[p] * 3 + j];
  EXPECT_GT(ErrorRate(alone, image.truth, 3), 0.25);
  EXPECT_LT(ErrorRate(r, image.truth, 3), 0.04);
  EXPECT_NEAR(field.means[1], 1.0, 0.05);
}

TEST(HiddenMarkovRandomField, RefusesBadSettings)
{
  const NoisyBands                image;
  std::vector<double>             r(image.perPixel.Size() * 2, 0.5);
  HiddenMarkovRandomFieldSettings settings;
  settings.smoothness = -1;
  EXPECT_THROW(FitHiddenMarkovRandomField(image.perPixel, image.Neighbours(), r, {}, settings), Error);
  settings.smoothness = 1;
  r.pop_back();
  EXPECT_THROW(FitHiddenMarkovRandomField(image.perPixel, image.Neighbours(), r, {}, settings), Error);
}

TEST(HiddenMarkovRandomField, ResultsDoNotDependOnTheThreadCount)
{
  // 256x200 pixels: several work blocks, updated and summed on 1 and on 4 threads.
  const size_t               w = 256, h = 200;
  std::mt19937               rng(5);
  std::normal_distribution<> noise(0.0, 0.5);
  std::vector<float>         values(w * h);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = static_cast<float>((i % w) * 2 / w + noise(rng));
  const auto          samples = FeatureSamples::PerPixel(values.data(), values.size(), 1, nullptr);
  const auto          g = PixelNeighbours::Faces({ w, h }, { 1, 1 }, samples.sampleOfPixel);
  std::vector<double> start(values.size() * 2, 0.0);
  for (size_t i = 0; i < values.size(); ++i)
    start[2 * i + (values[i] > 0.5f)] = 1.0;
  std::vector<std::vector<double>> posteriors, objectives;
  const auto                       threads = itk::MultiThreaderBase::GetGlobalDefaultNumberOfThreads();
  for (const unsigned int t : { 1u, 4u })
  {
    itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(t);
    std::vector<double> r = start;
    objectives.push_back(FitHiddenMarkovRandomField(samples, g, r, {}, {}).objective);
    posteriors.push_back(r);
  }
  itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(threads);
  EXPECT_EQ(objectives[0], objectives[1]);
  EXPECT_EQ(posteriors[0], posteriors[1]);
}
