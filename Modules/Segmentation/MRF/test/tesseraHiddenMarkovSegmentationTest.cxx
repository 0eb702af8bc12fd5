#include <random>

#include <gtest/gtest.h>

#include "tesseraError.h"
#include "tesseraGaussianMixtureImageFilter.h"
#include "tesseraHiddenMarkovSegmentation.h"
#include "tesseraProbabilityImage.h"

using namespace tessera;

namespace
{
constexpr size_t N = 64;

/** 64x64 image of three vertical bands (means 10, 20, 30) under noise of sd 6, with spacing, origin and a mask that
 * leaves out the first row. */
struct Scene
{
  VectorImage<2>::Pointer image = VectorImage<2>::New();
  MaskImage<2>::Pointer   mask = MaskImage<2>::New();
  std::vector<unsigned>   truth; // 1..3

  Scene()
  {
    image->SetRegions(VectorImage<2>::SizeType{ { N, N } });
    image->SetNumberOfComponentsPerPixel(1);
    const double spacing[2] = { 0.7, 1.3 }, origin[2] = { 5.0, -2.0 };
    image->SetSpacing(spacing);
    image->SetOrigin(origin);
    image->Allocate();
    mask->CopyInformation(image);
    mask->SetRegions(image->GetLargestPossibleRegion());
    mask->Allocate();
    std::mt19937               rng(3);
    std::normal_distribution<> noise(0.0, 6.0);
    for (size_t i = 0; i < N * N; ++i)
    {
      truth.push_back(static_cast<unsigned>(3 * (i % N) / N + 1));
      image->GetBufferPointer()[i] = static_cast<float>(10.0 * truth.back() + noise(rng));
      mask->GetBufferPointer()[i] = i >= N;
    }
  }
  double
  ErrorRate(const LabelImage<2> * labels) const
  {
    size_t wrong = 0, inside = 0;
    for (size_t i = N; i < N * N; ++i, ++inside)
      wrong += labels->GetBufferPointer()[i] != truth[i];
    return double(wrong) / inside;
  }
};
} // namespace

TEST(HiddenMarkovSegmentation, FieldAndChainBeatTheIndependentMixture)
{
  const Scene scene;
  auto        gmm = GaussianMixtureImageFilter<2>::New();
  gmm->SetInput(scene.image);
  gmm->SetMaskImage(scene.mask);
  gmm->SetNumberOfClasses(3);
  gmm->SetTolerance(1e-6);
  gmm->Update();
  const double mixture = scene.ErrorRate(gmm->GetLabelOutput());
  EXPECT_GT(mixture, 0.15);

  HiddenMarkovSegmentationSettings s;
  s.smoothness = 1.0;
  const auto field = SegmentHiddenMarkov<2>(scene.image, scene.mask, s);
  s.model = HiddenMarkovModel::Chain;
  const auto chain = SegmentHiddenMarkov<2>(scene.image, scene.mask, s);
  s.viterbi = true;
  const auto viterbi = SegmentHiddenMarkov<2>(scene.image, scene.mask, s);
  EXPECT_LT(scene.ErrorRate(field.labels), 0.1); // y pairs weigh 0.7 / 1.3: less smoothing across rows
  EXPECT_LT(scene.ErrorRate(chain.labels), 0.5 * mixture);
  EXPECT_LT(scene.ErrorRate(viterbi.labels), 0.5 * mixture);
  // Classes by increasing intensity, 0 outside the mask, the grid kept, probabilities summing to 1 inside.
  for (const auto * r : { &field, &chain })
  {
    EXPECT_NEAR(r->model.means[0], 10.0, 1.0);
    EXPECT_NEAR(r->model.means[2], 30.0, 1.0);
    EXPECT_EQ(r->labels->GetBufferPointer()[0], 0);
    EXPECT_EQ(r->labels->GetSpacing(), scene.image->GetSpacing());
    EXPECT_EQ(r->probabilities->GetOrigin(), scene.image->GetOrigin());
    EXPECT_EQ(ClassTable<2>(r->probabilities, "p").Labels(), (std::vector<LabelPixel>{ 1, 2, 3 }));
    const float * p = r->probabilities->GetBufferPointer() + 3 * N;
    EXPECT_NEAR(p[0] + p[1] + p[2], 1.0f, 1e-5f);
  }
  // The chain stays in a state far more often than it leaves it.
  EXPECT_GT(chain.chain.transition[0], 0.8);
}

TEST(HiddenMarkovSegmentation, PriorsGiveTheirClassesAndLabels)
{
  const Scene scene;
  auto        priors = ProbabilityImage<2>::New();
  priors->CopyInformation(scene.image);
  priors->SetRegions(scene.image->GetLargestPossibleRegion());
  priors->SetNumberOfComponentsPerPixel(3);
  priors->Allocate();
  for (size_t i = 0; i < N * N; ++i)
    for (unsigned int j = 0; j < 3; ++j)
      priors->GetBufferPointer()[i * 3 + j] = scene.truth[i] == j + 1 ? 0.6f : 0.2f;
  SetLabelTable(priors, LabelTable::Numbered({ 10, 20, 30 }, "tissue "));
  for (const auto model : { HiddenMarkovModel::RandomField, HiddenMarkovModel::Chain })
    for (const bool viterbi : { false, true })
    {
      if (viterbi && model == HiddenMarkovModel::RandomField)
        continue;
      HiddenMarkovSegmentationSettings s;
      s.model = model;
      s.smoothness = 1.0;
      s.viterbi = viterbi;
      const auto r = SegmentHiddenMarkov<2>(scene.image, scene.mask, s, priors);
      EXPECT_EQ(ClassTable<2>(r.probabilities, "p").Labels(), (std::vector<LabelPixel>{ 10, 20, 30 }));
      size_t wrong = 0;
      for (size_t i = N; i < N * N; ++i)
        wrong += r.labels->GetBufferPointer()[i] != 10 * scene.truth[i];
      EXPECT_LT(double(wrong) / (N * N - N), 0.05) << HiddenMarkovModelName(model) << (viterbi ? " viterbi" : "");
    }
}

TEST(HiddenMarkovSegmentation, ParsesModelNames)
{
  EXPECT_EQ(ParseHiddenMarkovModel("hmc", "model"), HiddenMarkovModel::Chain);
  EXPECT_EQ(HiddenMarkovModelName(ParseHiddenMarkovModel("hmrf", "model")), "hmrf");
  EXPECT_THROW(ParseHiddenMarkovModel("gmm", "model"), Error);
}
