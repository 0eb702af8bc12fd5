#include "tesseraPottsMRFImageFilter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>

#include "itkCommand.h"
#include "tesseraImageIO.h"

namespace
{
using tessera::LabelPixel;
using tessera::PottsMRFMethod;

template <unsigned int D>
using Probabilities = tessera::ProbabilityImage<D>;
template <unsigned int D>
using Labels = tessera::LabelImage<D>;
template <unsigned int D>
using Mask = tessera::MaskImage<D>;

template <unsigned int D>
itk::Size<D>
MakeSize(std::initializer_list<itk::SizeValueType> values)
{
  itk::Size<D> size;
  std::copy(values.begin(), values.end(), size.begin());
  return size;
}

/** Random probabilities: each pixel's vector uniform on the simplex, bounded away from 0. */
template <unsigned int D>
typename Probabilities<D>::Pointer
RandomProbabilities(const itk::Size<D> & size, unsigned int components, std::mt19937 & rng)
{
  auto image = Probabilities<D>::New();
  image->SetRegions(size);
  image->SetNumberOfComponentsPerPixel(components);
  image->Allocate();
  std::uniform_real_distribution<double> u(0.02, 1.0);
  const size_t                           n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  float *                                p = image->GetBufferPointer();
  for (size_t i = 0; i < n; ++i)
  {
    double sum = 0.0;
    std::vector<double> v(components);
    for (auto & x : v)
    {
      x = u(rng);
      sum += x;
    }
    for (unsigned int c = 0; c < components; ++c)
    {
      p[i * components + c] = static_cast<float>(v[c] / sum);
    }
  }
  return image;
}

template <typename TImage>
typename TImage::Pointer
MakeImageLike(const itk::ImageBase<TImage::ImageDimension> * reference, typename TImage::PixelType value = 0)
{
  auto image = TImage::New();
  image->CopyInformation(reference);
  image->SetRegions(reference->GetLargestPossibleRegion());
  image->Allocate();
  image->FillBuffer(value);
  return image;
}

template <unsigned int D>
typename Labels<D>::Pointer
Argmax(const Probabilities<D> * probabilities)
{
  auto         labels = MakeImageLike<Labels<D>>(probabilities);
  const auto   c = probabilities->GetNumberOfComponentsPerPixel();
  const size_t n = probabilities->GetLargestPossibleRegion().GetNumberOfPixels();
  for (size_t i = 0; i < n; ++i)
  {
    const float * v = probabilities->GetBufferPointer() + i * c;
    labels->GetBufferPointer()[i] = static_cast<LabelPixel>(std::max_element(v, v + c) - v);
  }
  return labels;
}

template <unsigned int D>
typename Labels<D>::Pointer
RunFilter(const Probabilities<D> * probabilities, PottsMRFMethod method, double beta, bool full,
          const Mask<D> * mask = nullptr, const Labels<D> * initial = nullptr, double * energy = nullptr,
          double * initialEnergy = nullptr)
{
  auto filter = tessera::PottsMRFImageFilter<D>::New();
  filter->SetInput(probabilities);
  filter->SetMethod(method);
  filter->SetSmoothness(beta);
  filter->SetFullyConnected(full);
  if (mask)
  {
    filter->SetMaskImage(mask);
  }
  if (initial)
  {
    filter->SetInitialLabels(initial);
  }
  filter->Update();
  if (energy)
  {
    *energy = filter->GetEnergy();
  }
  if (initialEnergy)
  {
    *initialEnergy = filter->GetInitialEnergy();
  }
  typename Labels<D>::Pointer out = filter->GetOutput();
  out->DisconnectPipeline();
  return out;
}

/** Alpha-expansion on two labels is exact: compare with the best of all 2^n labellings. */
template <unsigned int D>
void
CheckAgainstBruteForce(const itk::Size<D> & size, unsigned int seed, bool full, bool withMask, bool anisotropic)
{
  SCOPED_TRACE("seed " + std::to_string(seed) + (full ? " full" : " face") + (withMask ? " mask" : "") +
               (anisotropic ? " anisotropic" : ""));
  std::mt19937 rng(seed);
  auto         probabilities = RandomProbabilities<D>(size, 2, rng);
  if (anisotropic)
  {
    itk::Vector<double, D> spacing;
    for (unsigned int d = 0; d < D; ++d)
    {
      spacing[d] = 0.5 + d * 0.8;
    }
    probabilities->SetSpacing(spacing);
  }
  const double beta = std::uniform_real_distribution<double>(0.0, 1.5)(rng);
  typename Mask<D>::Pointer mask;
  if (withMask)
  {
    mask = MakeImageLike<Mask<D>>(probabilities.GetPointer(), 1);
    std::bernoulli_distribution out(0.25);
    for (size_t i = 0; i < mask->GetLargestPossibleRegion().GetNumberOfPixels(); ++i)
    {
      mask->GetBufferPointer()[i] = out(rng) ? 0 : 1;
    }
    mask->GetBufferPointer()[0] = 1;
  }
  double     energy = 0.0;
  const auto result = RunFilter<D>(probabilities, PottsMRFMethod::AlphaExpansion, beta, full, mask, nullptr, &energy);
  EXPECT_NEAR(energy, tessera::PottsEnergy<D>(probabilities, result, mask, beta, full), 1e-9);

  std::vector<size_t> inside;
  const size_t        n = probabilities->GetLargestPossibleRegion().GetNumberOfPixels();
  for (size_t i = 0; i < n; ++i)
  {
    if (!mask || mask->GetBufferPointer()[i])
    {
      inside.push_back(i);
    }
  }
  ASSERT_LE(inside.size(), 16u);
  auto   labels = MakeImageLike<Labels<D>>(probabilities.GetPointer());
  double best = std::numeric_limits<double>::infinity();
  double second = best;
  size_t bestCode = 0;
  for (size_t code = 0; code < (size_t(1) << inside.size()); ++code)
  {
    for (size_t b = 0; b < inside.size(); ++b)
    {
      labels->GetBufferPointer()[inside[b]] = (code >> b) & 1;
    }
    const double e = tessera::PottsEnergy<D>(probabilities, labels, mask, beta, full);
    if (e < best)
    {
      second = best;
      best = e;
      bestCode = code;
    }
    else if (e < second)
    {
      second = e;
    }
  }
  EXPECT_NEAR(energy, best, 1e-9);
  for (size_t i = 0; i < n; ++i)
  {
    if (mask && !mask->GetBufferPointer()[i])
    {
      EXPECT_EQ(result->GetBufferPointer()[i], 0);
    }
  }
  if (second - best > 1e-9)
  {
    for (size_t b = 0; b < inside.size(); ++b)
    {
      EXPECT_EQ(result->GetBufferPointer()[inside[b]], (bestCode >> b) & 1) << "pixel " << inside[b];
    }
  }
}

TEST(PottsMRFImageFilter, AlphaExpansionIsExactForTwoLabels2D)
{
  for (unsigned int seed = 1; seed <= 6; ++seed)
  {
    for (bool full : { false, true })
    {
      CheckAgainstBruteForce<2>(MakeSize<2>({ 3, 4 }), seed, full, seed % 3 == 0, seed % 2 == 0);
    }
  }
}

TEST(PottsMRFImageFilter, AlphaExpansionIsExactForTwoLabels3D)
{
  for (unsigned int seed = 11; seed <= 16; ++seed)
  {
    for (bool full : { false, true })
    {
      CheckAgainstBruteForce<3>(MakeSize<3>({ 2, 2, 3 }), seed, full, seed % 3 == 0, seed % 2 == 0);
    }
  }
}

template <unsigned int D>
void
CheckAlphaExpansionBeatsICM(const itk::Size<D> & size, unsigned int seed, bool full)
{
  SCOPED_TRACE("seed " + std::to_string(seed) + (full ? " full" : " face"));
  std::mt19937 rng(seed);
  auto         probabilities = RandomProbabilities<D>(size, 4, rng);
  const double beta = std::uniform_real_distribution<double>(0.3, 1.2)(rng);
  const auto   start = Argmax<D>(probabilities);
  double       icmEnergy = 0, icmInitial = 0, alphaEnergy = 0, alphaInitial = 0;
  const auto   icm = RunFilter<D>(probabilities, PottsMRFMethod::ICM, beta, full, nullptr, start, &icmEnergy, &icmInitial);
  const auto   alpha = RunFilter<D>(probabilities, PottsMRFMethod::AlphaExpansion, beta, full, nullptr, start,
                                  &alphaEnergy, &alphaInitial);
  const double initial = tessera::PottsEnergy<D>(probabilities, start, nullptr, beta, full);
  EXPECT_NEAR(icmInitial, initial, 1e-9 * initial);
  EXPECT_NEAR(alphaInitial, initial, 1e-9 * initial);
  EXPECT_NEAR(icmEnergy, tessera::PottsEnergy<D>(probabilities, icm, nullptr, beta, full), 1e-9 * initial);
  EXPECT_NEAR(alphaEnergy, tessera::PottsEnergy<D>(probabilities, alpha, nullptr, beta, full), 1e-9 * initial);
  EXPECT_LT(icmEnergy, initial);
  EXPECT_LE(alphaEnergy, icmEnergy + 1e-9);
}

TEST(PottsMRFImageFilter, AlphaExpansionBeatsICMOnRandomMultiLabel)
{
  for (unsigned int seed = 1; seed <= 4; ++seed)
  {
    for (bool full : { false, true })
    {
      CheckAlphaExpansionBeatsICM<2>(MakeSize<2>({ 23, 17 }), seed, full);
      CheckAlphaExpansionBeatsICM<3>(MakeSize<3>({ 9, 8, 7 }), 100 + seed, full);
    }
  }
}

/** Posteriors of a 3-class Gaussian model with fixed means and one standard deviation, equal
 * priors; the log-sum-exp keeps far-off intensities from underflowing to 0/0. */
template <unsigned int D>
typename Probabilities<D>::Pointer
GaussianPosteriors(const tessera::ScalarImage<D> * image, const std::vector<double> & means, double sigma)
{
  auto probabilities = Probabilities<D>::New();
  probabilities->CopyInformation(image);
  probabilities->SetRegions(image->GetLargestPossibleRegion());
  probabilities->SetNumberOfComponentsPerPixel(static_cast<unsigned int>(means.size()));
  probabilities->Allocate();
  const size_t        n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  const size_t        c = means.size();
  std::vector<double> log(c);
  for (size_t i = 0; i < n; ++i)
  {
    const double x = image->GetBufferPointer()[i];
    double       top = -std::numeric_limits<double>::infinity();
    for (size_t k = 0; k < c; ++k)
    {
      log[k] = -0.5 * (x - means[k]) * (x - means[k]) / (sigma * sigma);
      top = std::max(top, log[k]);
    }
    double sum = 0.0;
    for (size_t k = 0; k < c; ++k)
    {
      sum += std::exp(log[k] - top);
    }
    for (size_t k = 0; k < c; ++k)
    {
      probabilities->GetBufferPointer()[i * c + k] = static_cast<float>(std::exp(log[k] - top) / sum);
    }
  }
  return probabilities;
}

TEST(PottsMRFImageFilter, AlphaExpansionBeatsICMOnBrainT1Slice)
{
  const std::string path = std::string(TESSERA_ITK_EXAMPLES_DIR) + "/BrainT1Slice.png";
  if (!std::filesystem::exists(path))
  {
    GTEST_SKIP() << path << " missing (Debian package insighttoolkit5-examples)";
  }
  // The PNG is grey stored as RGB: channel 0 is the intensity.
  const auto rgb = tessera::ReadImageFile<tessera::VectorImage<2>>(path);
  auto       image = tessera::ScalarImage<2>::New();
  image->CopyInformation(rgb);
  image->SetRegions(rgb->GetLargestPossibleRegion());
  image->Allocate();
  const auto   nc = rgb->GetNumberOfComponentsPerPixel();
  const size_t n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  for (size_t i = 0; i < n; ++i)
  {
    image->GetBufferPointer()[i] = rgb->GetBufferPointer()[i * nc];
  }
  // Background / CSF, grey matter, white matter of this slice (0-255 scale).
  const auto probabilities = GaussianPosteriors<2>(image, { 30.0, 110.0, 170.0 }, 25.0);
  for (bool full : { false, true })
  {
    const double beta = 1.0;
    double       icmEnergy = 0, alphaEnergy = 0, initial = 0;
    const auto   icm = RunFilter<2>(probabilities, PottsMRFMethod::ICM, beta, full, nullptr, nullptr, &icmEnergy, &initial);
    const auto   alpha = RunFilter<2>(probabilities, PottsMRFMethod::AlphaExpansion, beta, full, nullptr, nullptr,
                                    &alphaEnergy);
    EXPECT_NEAR(icmEnergy, tessera::PottsEnergy<2>(probabilities, icm, nullptr, beta, full), 1e-9 * initial);
    EXPECT_NEAR(alphaEnergy, tessera::PottsEnergy<2>(probabilities, alpha, nullptr, beta, full), 1e-9 * initial);
    EXPECT_NEAR(initial, tessera::PottsEnergy<2>(probabilities, Argmax<2>(probabilities), nullptr, beta, full),
                1e-9 * initial);
    EXPECT_LT(icmEnergy, initial);
    EXPECT_LE(alphaEnergy, icmEnergy);
    RecordProperty("initial", std::to_string(initial));
    std::cout << (full ? "8" : "4") << "-connected: initial " << initial << ", ICM " << icmEnergy
              << ", alpha-expansion " << alphaEnergy << "\n";
  }
}

TEST(PottsMRFImageFilter, ZeroSmoothnessGivesArgmax)
{
  std::mt19937 rng(7);
  auto         probabilities = RandomProbabilities<2>(MakeSize<2>({ 15, 11 }), 5, rng);
  const auto   argmax = Argmax<2>(probabilities);
  for (auto method : { PottsMRFMethod::ICM, PottsMRFMethod::AlphaExpansion })
  {
    const auto result = RunFilter<2>(probabilities, method, 0.0, true);
    const size_t n = result->GetLargestPossibleRegion().GetNumberOfPixels();
    for (size_t i = 0; i < n; ++i)
    {
      ASSERT_EQ(result->GetBufferPointer()[i], argmax->GetBufferPointer()[i]) << "pixel " << i << ", " << method;
    }
  }
}

TEST(PottsMRFImageFilter, HugeSmoothnessGivesTheMajorityLabel)
{
  // 6x6: 20 pixels prefer label 1 (p = 0.7), a 4x4 block of 16 prefers label 0 (p = 0.6).
  // Constant 1 costs 20(-log 0.7) + 16(-log 0.4) = 21.8, constant 0 costs 32.2.
  auto probabilities = Probabilities<2>::New();
  probabilities->SetRegions(MakeSize<2>({ 6, 6 }));
  probabilities->SetNumberOfComponentsPerPixel(2);
  probabilities->Allocate();
  for (unsigned int y = 0; y < 6; ++y)
  {
    for (unsigned int x = 0; x < 6; ++x)
    {
      const float p0 = (x < 4 && y < 4) ? 0.6f : 0.3f;
      float *     v = probabilities->GetBufferPointer() + 2 * (y * 6 + x);
      v[0] = p0;
      v[1] = 1.0f - p0;
    }
  }
  for (bool full : { false, true })
  {
    double     energy = 0;
    const auto result = RunFilter<2>(probabilities, PottsMRFMethod::AlphaExpansion, 1000.0, full, nullptr, nullptr, &energy);
    for (size_t i = 0; i < 36; ++i)
    {
      ASSERT_EQ(result->GetBufferPointer()[i], 1) << "pixel " << i;
    }
    EXPECT_NEAR(energy, -20 * std::log(0.7) - 16 * std::log(0.4), 1e-5);
  }
}

TEST(PottsMRFImageFilter, SpacingWeightsOnAnisotropic2x2)
{
  // Spacing 1 mm (x) by 2 mm (y). Labels [[0, 1], [1, 1]] (row y = 0 first): pairs that differ are
  // (0,0)-(1,0) along x, weight 1/1; (0,0)-(0,1) along y, weight 1/2; and, fully connected, the
  // diagonal (0,0)-(1,1), weight 1/sqrt(5). All probabilities 0.5.
  auto probabilities = Probabilities<2>::New();
  probabilities->SetRegions(MakeSize<2>({ 2, 2 }));
  probabilities->SetNumberOfComponentsPerPixel(2);
  probabilities->Allocate();
  std::fill_n(probabilities->GetBufferPointer(), 8, 0.5f);
  itk::Vector<double, 2> spacing;
  spacing[0] = 1.0;
  spacing[1] = 2.0;
  probabilities->SetSpacing(spacing);
  auto labels = MakeImageLike<Labels<2>>(probabilities.GetPointer(), 1);
  labels->GetBufferPointer()[0] = 0;
  const double beta = 2.0;
  const double unary = 4 * std::log(2.0);
  const double face = unary + beta * (1.0 + 0.5);
  const double full = face + beta / std::sqrt(5.0);
  EXPECT_NEAR(tessera::PottsEnergy<2>(probabilities, labels, nullptr, beta, false), face, 1e-12);
  EXPECT_NEAR(tessera::PottsEnergy<2>(probabilities, labels, nullptr, beta, true), full, 1e-12);
  for (bool connected : { false, true })
  {
    auto filter = tessera::PottsMRFImageFilter<2>::New();
    filter->SetInput(probabilities);
    filter->SetInitialLabels(labels);
    filter->SetSmoothness(beta);
    filter->SetFullyConnected(connected);
    filter->SetMethod(PottsMRFMethod::ICM);
    filter->Update();
    EXPECT_NEAR(filter->GetInitialEnergy(), connected ? full : face, 1e-12);
    // Any constant labelling is optimal: no pairs pay, unary 4 log 2.
    EXPECT_NEAR(filter->GetEnergy(), unary, 1e-12);
  }
  // Zero probabilities cost -log(epsilon).
  probabilities->GetBufferPointer()[0] = 0.0f;
  EXPECT_NEAR(tessera::PottsEnergy<2>(probabilities, labels, nullptr, beta, false, 1e-4),
              3 * std::log(2.0) - std::log(1e-4) + beta * 1.5, 1e-9);
}

TEST(PottsMRFImageFilter, MaskedPixelsGetZeroAndDoNotInteract)
{
  std::mt19937 rng(3);
  auto         probabilities = RandomProbabilities<2>(MakeSize<2>({ 12, 9 }), 4, rng);
  // Outside the mask (columns x >= 7), label 3 is certain; inside, label 3 has probability 0.
  auto mask = MakeImageLike<Mask<2>>(probabilities.GetPointer(), 0);
  auto left = Probabilities<2>::New();
  left->SetRegions(MakeSize<2>({ 7, 9 }));
  left->SetNumberOfComponentsPerPixel(4);
  left->Allocate();
  for (unsigned int y = 0; y < 9; ++y)
  {
    for (unsigned int x = 0; x < 12; ++x)
    {
      float * v = probabilities->GetBufferPointer() + 4 * (y * 12 + x);
      if (x < 7)
      {
        mask->GetBufferPointer()[y * 12 + x] = 1;
        const float rest = v[0] + v[1] + v[2];
        for (int c = 0; c < 3; ++c)
        {
          v[c] /= rest;
        }
        v[3] = 0.0f;
        std::copy_n(v, 4, left->GetBufferPointer() + 4 * (y * 7 + x));
      }
      else
      {
        std::fill_n(v, 4, 0.0f);
        v[3] = 1.0f;
      }
    }
  }
  for (auto method : { PottsMRFMethod::ICM, PottsMRFMethod::AlphaExpansion })
  {
    auto filter = tessera::PottsMRFImageFilter<2>::New();
    filter->SetInput(probabilities);
    filter->SetMaskImage(mask);
    filter->SetMethod(method);
    filter->SetSmoothness(0.8);
    filter->SetFullyConnected(true);
    filter->Update();
    EXPECT_EQ(filter->GetCandidateLabels(), (std::vector<LabelPixel>{ 0, 1, 2 }));
    const auto * result = filter->GetOutput();
    EXPECT_NEAR(filter->GetEnergy(), tessera::PottsEnergy<2>(probabilities, result, mask, 0.8, true), 1e-9);
    // The same problem on the left part alone gives the same labels there.
    const auto alone = RunFilter<2>(left, method, 0.8, true);
    for (unsigned int y = 0; y < 9; ++y)
    {
      for (unsigned int x = 0; x < 12; ++x)
      {
        const LabelPixel l = result->GetBufferPointer()[y * 12 + x];
        if (x < 7)
        {
          EXPECT_EQ(l, alone->GetBufferPointer()[y * 7 + x]) << x << "," << y;
          EXPECT_NE(l, 3);
        }
        else
        {
          EXPECT_EQ(l, 0) << x << "," << y;
        }
      }
    }
  }
}

TEST(PottsMRFImageFilter, MismatchedMaskOrLabelsThrow)
{
  std::mt19937 rng(5);
  auto         probabilities = RandomProbabilities<3>(MakeSize<3>({ 4, 5, 6 }), 3, rng);
  auto         run = [&](const Mask<3> * mask, const Labels<3> * initial) {
    auto filter = tessera::PottsMRFImageFilter<3>::New();
    filter->SetInput(probabilities);
    if (mask)
    {
      filter->SetMaskImage(mask);
    }
    if (initial)
    {
      filter->SetInitialLabels(initial);
    }
    filter->Update();
  };
  auto wrongSize = Mask<3>::New();
  wrongSize->SetRegions(MakeSize<3>({ 4, 5, 5 }));
  wrongSize->Allocate();
  wrongSize->FillBuffer(1);
  EXPECT_THROW(run(wrongSize, nullptr), tessera::Error);

  auto wrongSpacing = MakeImageLike<Mask<3>>(probabilities.GetPointer(), 1);
  auto spacing = wrongSpacing->GetSpacing();
  spacing[2] = 1.5;
  wrongSpacing->SetSpacing(spacing);
  EXPECT_THROW(run(wrongSpacing, nullptr), tessera::Error);

  auto wrongOrigin = MakeImageLike<Mask<3>>(probabilities.GetPointer(), 1);
  auto origin = wrongOrigin->GetOrigin();
  origin[0] = 3.0;
  wrongOrigin->SetOrigin(origin);
  EXPECT_THROW(run(wrongOrigin, nullptr), tessera::Error);

  auto wrongLabels = MakeImageLike<Labels<3>>(probabilities.GetPointer(), 0);
  wrongLabels->GetBufferPointer()[17] = 3; // only components 0..2
  EXPECT_THROW(run(nullptr, wrongLabels), tessera::Error);

  auto good = MakeImageLike<Mask<3>>(probabilities.GetPointer(), 1);
  EXPECT_NO_THROW(run(good, nullptr));
  EXPECT_THROW(tessera::PottsEnergy<3>(probabilities, wrongLabels, nullptr, 1.0, false), tessera::Error);
}

TEST(PottsMRFImageFilter, OutputKeepsThePhysicalSpace)
{
  std::mt19937 rng(9);
  auto         probabilities = RandomProbabilities<3>(MakeSize<3>({ 6, 5, 4 }), 3, rng);
  itk::Vector<double, 3> spacing;
  spacing[0] = 0.8;
  spacing[1] = 1.1;
  spacing[2] = 3.0;
  itk::Point<double, 3> origin;
  origin[0] = -12.5;
  origin[1] = 4.0;
  origin[2] = 100.25;
  itk::Matrix<double, 3, 3> direction;
  direction.Fill(0.0);
  direction[0][1] = 1.0; // axes permuted and flipped
  direction[1][0] = -1.0;
  direction[2][2] = 1.0;
  probabilities->SetSpacing(spacing);
  probabilities->SetOrigin(origin);
  probabilities->SetDirection(direction);
  for (auto method : { PottsMRFMethod::ICM, PottsMRFMethod::AlphaExpansion })
  {
    const auto result = RunFilter<3>(probabilities, method, 0.7, false);
    EXPECT_EQ(result->GetLargestPossibleRegion(), probabilities->GetLargestPossibleRegion());
    EXPECT_EQ(result->GetSpacing(), spacing);
    EXPECT_EQ(result->GetOrigin(), origin);
    EXPECT_EQ(result->GetDirection(), direction);
  }
}

TEST(PottsMRFImageFilter, ICMEndsInALocalMinimumAndReportsProgress)
{
  std::mt19937 rng(21);
  auto         probabilities = RandomProbabilities<2>(MakeSize<2>({ 8, 7 }), 3, rng);
  auto         filter = tessera::PottsMRFImageFilter<2>::New();
  filter->SetInput(probabilities);
  filter->SetMethod(PottsMRFMethod::ICM);
  filter->SetSmoothness(0.9);
  size_t events = 0;
  auto   observer = itk::CStyleCommand::New();
  observer->SetClientData(&events);
  observer->SetCallback([](itk::Object *, const itk::EventObject &, void * data) { ++*static_cast<size_t *>(data); });
  filter->AddObserver(itk::ProgressEvent(), observer);
  filter->Update();
  EXPECT_GE(events, filter->GetIterations());
  EXPECT_GE(filter->GetIterations(), 2u);
  auto         labels = MakeImageLike<Labels<2>>(probabilities.GetPointer());
  const size_t n = labels->GetLargestPossibleRegion().GetNumberOfPixels();
  std::copy_n(filter->GetOutput()->GetBufferPointer(), n, labels->GetBufferPointer());
  const double energy = tessera::PottsEnergy<2>(probabilities, labels, nullptr, 0.9, false);
  EXPECT_NEAR(energy, filter->GetEnergy(), 1e-9);
  for (size_t i = 0; i < n; ++i)
  {
    const LabelPixel keep = labels->GetBufferPointer()[i];
    for (LabelPixel c = 0; c < 3; ++c)
    {
      labels->GetBufferPointer()[i] = c;
      EXPECT_GE(tessera::PottsEnergy<2>(probabilities, labels, nullptr, 0.9, false), energy - 1e-12);
    }
    labels->GetBufferPointer()[i] = keep;
  }
}

TEST(PottsMRFImageFilter, GraphAndICMDoNotDependOnTheThreadCount)
{
  // Large enough (123 k pixels, 70 % inside) for the graph building and each ICM colour to run on several threads.
  std::mt19937  rng(5);
  const auto    size = MakeSize<3>({ 64, 48, 40 });
  auto          probabilities = RandomProbabilities<3>(size, 3, rng);
  auto          mask = MakeImageLike<Mask<3>>(probabilities.GetPointer());
  const size_t  n = mask->GetLargestPossibleRegion().GetNumberOfPixels();
  std::bernoulli_distribution in(0.7);
  for (size_t i = 0; i < n; ++i)
  {
    mask->GetBufferPointer()[i] = in(rng);
  }
  const unsigned int threadsBefore = itk::MultiThreaderBase::GetGlobalDefaultNumberOfThreads();
  for (const bool full : { false, true })
  {
    std::vector<tessera::PottsProblem> problems;
    std::vector<Labels<3>::Pointer>    icm;
    for (const unsigned int threads : { 1u, 3u })
    {
      itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(threads);
      problems.push_back(tessera::MakePottsProblem<3>(probabilities, mask, 0.8, full, 1e-6));
      icm.push_back(RunFilter<3>(probabilities, PottsMRFMethod::ICM, 0.8, full, mask));
    }
    EXPECT_EQ(problems[0].RowStart(), problems[1].RowStart());
    EXPECT_EQ(problems[0].Neighbours(), problems[1].Neighbours());
    EXPECT_EQ(problems[0].NeighbourClasses(), problems[1].NeighbourClasses());
    EXPECT_TRUE(std::equal(icm[0]->GetBufferPointer(), icm[0]->GetBufferPointer() + n, icm[1]->GetBufferPointer()));
    // The graph by hand: every pixel inside, in raster order, with its neighbours inside in offset order.
    const auto   neighbourhood = tessera::MakePottsNeighbourhood<3>(probabilities->GetSpacing(), full);
    const auto & problem = problems[1];
    std::vector<std::int64_t> nodeOf(n, -1);
    size_t                    nodes = 0;
    for (size_t i = 0; i < n; ++i)
    {
      if (mask->GetBufferPointer()[i])
      {
        ASSERT_EQ(problem.GetPixel(static_cast<tessera::PottsProblem::NodeId>(nodes)), i);
        nodeOf[i] = static_cast<std::int64_t>(nodes++);
      }
    }
    ASSERT_EQ(problem.GetNumberOfNodes(), nodes);
    for (size_t p = 0; p < nodes; ++p)
    {
      const auto index = mask->ComputeIndex(static_cast<itk::OffsetValueType>(problem.GetPixel(static_cast<tessera::PottsProblem::NodeId>(p))));
      std::vector<tessera::PottsProblem::NodeId> expected;
      std::vector<std::uint8_t>                  classes;
      for (size_t c = 0; c < neighbourhood.offsets.size(); ++c)
      {
        const auto q = index + neighbourhood.offsets[c];
        if (mask->GetLargestPossibleRegion().IsInside(q) && mask->GetPixel(q))
        {
          expected.push_back(static_cast<tessera::PottsProblem::NodeId>(nodeOf[mask->ComputeOffset(q)]));
          classes.push_back(static_cast<std::uint8_t>(c));
        }
      }
      const auto begin = problem.RowStart()[p], end = problem.RowStart()[p + 1];
      ASSERT_EQ(std::vector<tessera::PottsProblem::NodeId>(problem.Neighbours().begin() + begin, problem.Neighbours().begin() + end), expected) << p;
      ASSERT_EQ(std::vector<std::uint8_t>(problem.NeighbourClasses().begin() + begin, problem.NeighbourClasses().begin() + end), classes) << p;
    }
  }
  itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(threadsBefore);
}

/** The size of the CI pipeline's problem: a brain-masked T1 volume (about 1.5 million voxels
 * inside), three tissue classes from Gaussian likelihoods at fixed means. */
TEST(PottsMRFImageFilter, BrainVolume3D)
{
  const std::string dir = std::string(TESSERA_DATA_DIR) + "/miccai2012-multiatlas/";
  if (!std::filesystem::exists(dir + "1000_SS.nii.gz"))
  {
    GTEST_SKIP() << dir << " missing";
  }
  const auto image = tessera::ReadImageFile<tessera::ScalarImage<3>>(dir + "1000_SS.nii.gz");
  const auto rawMask = tessera::ReadImageFile<tessera::ScalarImage<3>>(dir + "1000_mask.nii.gz");
  auto       mask = MakeImageLike<Mask<3>>(image.GetPointer(), 0);
  const size_t n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  double       sum = 0.0;
  size_t       inside = 0;
  for (size_t i = 0; i < n; ++i)
  {
    mask->GetBufferPointer()[i] = rawMask->GetBufferPointer()[i] > 0 ? 1 : 0;
    if (mask->GetBufferPointer()[i])
    {
      sum += image->GetBufferPointer()[i];
      ++inside;
    }
  }
  // Means at 0.45, 0.95 and 1.2 times the mean intensity inside the mask (CSF, GM, WM of T1).
  const double mean = sum / static_cast<double>(inside);
  const auto   probabilities = GaussianPosteriors<3>(image, { 0.45 * mean, 0.95 * mean, 1.2 * mean }, 0.15 * mean);
  for (auto method : { PottsMRFMethod::ICM, PottsMRFMethod::AlphaExpansion })
  {
    auto filter = tessera::PottsMRFImageFilter<3>::New();
    filter->SetInput(probabilities);
    filter->SetMaskImage(mask);
    filter->SetMethod(method);
    filter->SetSmoothness(0.5);
    const auto start = std::chrono::steady_clock::now();
    filter->Update();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << method << ": " << inside << " voxels inside, initial energy " << filter->GetInitialEnergy()
              << ", final " << filter->GetEnergy() << ", " << filter->GetIterations() << " iterations, " << seconds
              << " s\n";
    EXPECT_LT(filter->GetEnergy(), filter->GetInitialEnergy());
    EXPECT_NEAR(filter->GetEnergy(), tessera::PottsEnergy<3>(probabilities, filter->GetOutput(), mask, 0.5, false),
                1e-9 * filter->GetInitialEnergy());
  }
}
} // namespace
