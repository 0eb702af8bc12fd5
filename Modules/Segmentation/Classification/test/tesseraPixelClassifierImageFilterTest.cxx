#include <random>

#include <gtest/gtest.h>

#include "tesseraProbabilityImage.h"

#include "itkRegionOfInterestImageFilter.h"
#include "tesseraFeatureImage.h"
#include "tesseraGaussianMixtureImageFilter.h"
#include "tesseraImageIO.h"
#include "tesseraImageUtilities.h"
#include "tesseraKMeansImageFilter.h"
#include "tesseraKNNImageFilter.h"

using namespace tessera;

namespace
{
/** 12×8 image: three vertical bands of intensity 100 (x < 4), 10 (x < 8) and 50, with noise-free
 * values, and non-trivial spacing, origin and direction. */
VectorImage<2>::Pointer
Bands()
{
  auto image = VectorImage<2>::New();
  image->SetRegions(VectorImage<2>::SizeType{ { 12, 8 } });
  image->SetNumberOfComponentsPerPixel(1);
  const double spacing[2] = { 0.7, 1.3 };
  const double origin[2] = { 5.0, -2.0 };
  image->SetSpacing(spacing);
  image->SetOrigin(origin);
  VectorImage<2>::DirectionType dir;
  dir[0][0] = 0.0;
  dir[0][1] = 1.0;
  dir[1][0] = 1.0;
  dir[1][1] = 0.0;
  image->SetDirection(dir);
  image->Allocate();
  for (unsigned int y = 0; y < 8; ++y)
  {
    for (unsigned int x = 0; x < 12; ++x)
    {
      const float v = x < 4 ? 100.0f : (x < 8 ? 10.0f : 50.0f);
      image->GetBufferPointer()[y * 12 + x] = v + static_cast<float>((x + y) % 2); // two values per band
    }
  }
  return image;
}

LabelPixel
LabelAt(const LabelImage<2> * labels, unsigned int x, unsigned int y)
{
  return labels->GetBufferPointer()[y * 12 + x];
}
} // namespace

TEST(KMeansImageFilter, LabelsBandsByIncreasingIntensityAndKeepsPhysicalSpace)
{
  auto image = Bands();
  auto filter = KMeansImageFilter<2>::New();
  filter->SetInput(image);
  filter->SetNumberOfClasses(3);
  filter->Update();
  const auto * labels = filter->GetLabelOutput();
  for (unsigned int y = 0; y < 8; ++y)
  {
    EXPECT_EQ(LabelAt(labels, 1, y), 3); // brightest band
    EXPECT_EQ(LabelAt(labels, 5, y), 1); // darkest
    EXPECT_EQ(LabelAt(labels, 10, y), 2);
  }
  EXPECT_NO_THROW(CheckSameGrid(image.GetPointer(), "image", labels, "labels"));
  EXPECT_NO_THROW(CheckSameGrid(image.GetPointer(), "image", filter->GetOutput(), "probabilities"));
  EXPECT_EQ(filter->GetOutput()->GetNumberOfComponentsPerPixel(), 3u); // one per class 1..3
  EXPECT_EQ(ClassTable<2>(filter->GetOutput(), "p").Labels(), (std::vector<LabelPixel>{ 1, 2, 3 }));
  EXPECT_DOUBLE_EQ(filter->GetResult().inertia, 96 * 0.25); // every pixel 0.5 from its band mean
}

TEST(KMeansImageFilter, MaskedPixelsAreBackground)
{
  auto image = Bands();
  auto mask = MaskImage<2>::New();
  mask->CopyInformation(image);
  mask->SetRegions(image->GetLargestPossibleRegion());
  mask->Allocate(true);
  for (unsigned int i = 0; i < 96; ++i)
  {
    mask->GetBufferPointer()[i] = (i % 12) >= 4; // drop the bright band
  }
  auto filter = KMeansImageFilter<2>::New();
  filter->SetInput(image);
  filter->SetMaskImage(mask);
  filter->SetNumberOfClasses(2);
  filter->Update();
  const auto * labels = filter->GetLabelOutput();
  EXPECT_EQ(LabelAt(labels, 0, 0), 0);
  EXPECT_EQ(LabelAt(labels, 5, 0), 1);
  EXPECT_EQ(LabelAt(labels, 9, 3), 2);
  const auto p = filter->GetOutput()->GetPixel({ { 0, 0 } });
  EXPECT_EQ(p.GetSize(), 2u);
  EXPECT_EQ(p[0] + p[1], 0.0f); // outside the mask: unlabelled
}

TEST(KMeansImageFilter, RotatingTheInputRotatesTheOutput)
{
  // Transpose the pixel grid (a 90° rotation composed with a flip): labels must follow.
  auto image = Bands();
  auto turned = VectorImage<2>::New();
  turned->SetRegions(VectorImage<2>::SizeType{ { 8, 12 } });
  turned->SetNumberOfComponentsPerPixel(1);
  turned->Allocate();
  for (unsigned int y = 0; y < 8; ++y)
  {
    for (unsigned int x = 0; x < 12; ++x)
    {
      turned->GetBufferPointer()[(11 - x) * 8 + y] = image->GetBufferPointer()[y * 12 + x];
    }
  }
  auto a = KMeansImageFilter<2>::New();
  a->SetInput(image);
  a->SetNumberOfClasses(3);
  a->Update();
  auto b = KMeansImageFilter<2>::New();
  b->SetInput(turned);
  b->SetNumberOfClasses(3);
  b->Update();
  for (unsigned int y = 0; y < 8; ++y)
  {
    for (unsigned int x = 0; x < 12; ++x)
    {
      EXPECT_EQ(b->GetLabelOutput()->GetBufferPointer()[(11 - x) * 8 + y], a->GetLabelOutput()->GetBufferPointer()[y * 12 + x]);
    }
  }
}

TEST(KMeansImageFilter, SameOutputsOnAnyThreadCountAndLabelsWithoutProbabilities)
{
  // 64×64×32 voxels (two work units' worth) of integers, three noisy tissues inside a ball.
  auto image = VectorImage<3>::New();
  image->SetRegions(VectorImage<3>::SizeType{ { 64, 64, 32 } });
  image->SetNumberOfComponentsPerPixel(1);
  image->Allocate();
  auto mask = MaskImage<3>::New();
  mask->SetRegions(image->GetLargestPossibleRegion());
  mask->Allocate();
  std::mt19937 rng(2);
  for (unsigned int z = 0, i = 0; z < 32; ++z)
  {
    for (unsigned int y = 0; y < 64; ++y)
    {
      for (unsigned int x = 0; x < 64; ++x, ++i)
      {
        const int r2 = (int(x) - 32) * (int(x) - 32) + (int(y) - 32) * (int(y) - 32) + 4 * (int(z) - 16) * (int(z) - 16);
        mask->GetBufferPointer()[i] = r2 < 900;
        image->GetBufferPointer()[i] = static_cast<float>(300 * (1 + r2 / 300) + static_cast<int>(rng() % 150));
      }
    }
  }
  const auto run = [&](unsigned int threads, bool probabilities) {
    auto filter = KMeansImageFilter<3>::New();
    filter->SetInput(image);
    filter->SetMaskImage(mask);
    filter->SetNumberOfWorkUnits(threads);
    filter->SetComputeProbabilities(probabilities);
    filter->Update();
    return filter;
  };
  const auto one = run(1, true), two = run(2, true), labelsOnly = run(2, false);
  const size_t n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  const auto * l1 = one->GetLabelOutput()->GetBufferPointer();
  EXPECT_TRUE(std::equal(l1, l1 + n, two->GetLabelOutput()->GetBufferPointer()));
  EXPECT_TRUE(std::equal(l1, l1 + n, labelsOnly->GetLabelOutput()->GetBufferPointer()));
  const auto * p1 = one->GetOutput()->GetBufferPointer();
  EXPECT_TRUE(std::equal(p1, p1 + 3 * n, two->GetOutput()->GetBufferPointer()));
  EXPECT_EQ(one->GetResult().centroids, labelsOnly->GetResult().centroids);
  EXPECT_EQ(labelsOnly->GetOutput()->GetBufferedRegion().GetNumberOfPixels(), 0u);
  size_t labelled[4] = {};
  for (size_t i = 0; i < n; ++i)
  {
    ++labelled[l1[i]];
    ASSERT_EQ(l1[i] == 0, mask->GetBufferPointer()[i] == 0);
    if (l1[i])
    {
      ASSERT_EQ(p1[3 * i + l1[i] - 1], 1.0f); // one-hot on the label's component
    }
  }
  EXPECT_GT(labelled[1] * labelled[2] * labelled[3], 0u);
}

TEST(GaussianMixtureImageFilter, SegmentsARealMRISliceIntoOrderedTissues)
{
  const auto slice = ReadImageFile<VectorImage<2>>(std::string(TESSERA_ITK_EXAMPLES_DIR) + "/BrainT1Slice.png");
  auto       filter = GaussianMixtureImageFilter<2>::New();
  filter->SetInput(slice);
  filter->SetNumberOfClasses(4);
  filter->Update();
  const auto & m = filter->GetModel();
  const unsigned int d = m.dimension; // the PNG stores grey as three equal RGB channels
  EXPECT_EQ(d, 3u);
  for (unsigned int k = 1; k < 4; ++k)
  {
    EXPECT_LT(m.means[(k - 1) * d], m.means[k * d]);
  }
  // Posteriors sum to 1 and their argmax is the label output.
  const auto * p = filter->GetOutput();
  const size_t n = p->GetLargestPossibleRegion().GetNumberOfPixels();
  for (size_t i = 0; i < n; i += 97)
  {
    float sum = 0.0f, best = -1.0f;
    size_t arg = 0;
    for (unsigned int c = 0; c < 4; ++c) // classes 1..4, one component each
    {
      const float v = p->GetBufferPointer()[i * 4 + c];
      sum += v;
      if (v > best)
      {
        best = v;
        arg = c;
      }
    }
    EXPECT_NEAR(sum, 1.0f, 1e-5f);
    EXPECT_EQ(filter->GetLabelOutput()->GetBufferPointer()[i], arg + 1);
  }
  EXPECT_TRUE(std::isfinite(m.logLikelihood));
}

TEST(KNNImageFilter, ReproducesItsTrainingLabelsOnTheTrainingImage)
{
  auto image = Bands();
  auto labels = LabelImage<2>::New();
  labels->CopyInformation(image);
  labels->SetRegions(image->GetLargestPossibleRegion());
  labels->Allocate();
  for (unsigned int i = 0; i < 96; ++i)
  {
    labels->GetBufferPointer()[i] = static_cast<LabelPixel>(1 + (i % 12) / 4);
  }
  KNNClassifier::Parameters parameters;
  parameters.k = 3;
  parameters.features.localMeanRadius = 1;
  parameters.features.position = true;
  const auto features = BuildFeatureImage<2>(image.GetPointer(), parameters.features);
  EXPECT_EQ(features->GetNumberOfComponentsPerPixel(), 4u); // intensity, local mean, x, y (mm)
  auto classifier = std::make_shared<KNNClassifier>(parameters);
  classifier->AddTrainingPixels(features->GetBufferPointer(), 96, 4, 1, labels->GetBufferPointer(), nullptr);
  classifier->Train();
  auto filter = KNNImageFilter<2>::New();
  filter->SetInput(features);
  filter->SetClassifier(classifier);
  filter->Update();
  for (unsigned int i = 0; i < 96; ++i)
  {
    EXPECT_EQ(filter->GetLabelOutput()->GetBufferPointer()[i], labels->GetBufferPointer()[i]) << i;
  }
}
