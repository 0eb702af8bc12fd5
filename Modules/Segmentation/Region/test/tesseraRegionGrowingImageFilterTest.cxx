// Region growing recovers synthetic shapes exactly, in 2D and 3D, grey and colour, and rejects
// bad seeds and thresholds with tessera::Error.
#include <gtest/gtest.h>

#include "tesseraError.h"
#include "tesseraRegionGrowingImageFilter.h"
#include "tesseraRegionTestImages.h"

using namespace tessera;
using namespace tessera::testing;

namespace
{
using Criterion = RegionGrowingCriterion;

/** 64x64 disc of radius 15 (200) on 50, or, with channels = 3, disc (200, 40, 90) on (50, 120, 10). */
VectorImage<2>::Pointer
Disc(unsigned int channels = 1)
{
  return MakeImage<2>({ { 64, 64 } }, channels, [](const itk::Index<2> & i, unsigned int c) {
    const bool in = Distance2<2>(i, { 32.0, 30.0 }) <= 225.0;
    const float inside[3] = { 200, 40, 90 }, outside[3] = { 50, 120, 10 };
    return in ? inside[c] : outside[c];
  });
}

LabelImage<2>::Pointer
DiscTruth(const VectorImage<2> * image, LabelPixel in = 1, LabelPixel out = 0)
{
  return MakeLabels<2>(image, [=](const itk::Index<2> & i) { return Distance2<2>(i, { 32.0, 30.0 }) <= 225.0 ? in : out; });
}

LabelImage<2>::Pointer
Grow(const VectorImage<2> * image, Criterion criterion, const std::function<void(RegionGrowingImageFilter<2> *)> & setup)
{
  auto f = RegionGrowingImageFilter<2>::New();
  f->SetInput(image);
  f->SetCriterion(criterion);
  setup(f);
  f->Update();
  return f->GetOutput();
}
} // namespace

TEST(RegionGrowing, IntervalRecoversDisc)
{
  auto image = Disc();
  auto out = Grow(image, Criterion::Interval, [](auto * f) {
    f->AddSeed({ { 32, 30 } });
    f->SetLower(150);
    f->SetUpper(255);
  });
  EXPECT_EQ(Differences<2>(out, DiscTruth(image)), 0u);
}

TEST(RegionGrowing, ConfidenceRecoversDisc)
{
  auto image = Disc();
  auto out = Grow(image, Criterion::Confidence, [](auto * f) {
    f->AddSeed({ { 32, 30 } }, 7);
    f->SetMultiplier(2.5);
  });
  EXPECT_EQ(Differences<2>(out, DiscTruth(image, 7)), 0u);
}

TEST(RegionGrowing, MeanDistanceCompetingSeedsLabelEverything)
{
  auto image = Disc();
  auto out = Grow(image, Criterion::MeanDistance, [](auto * f) {
    f->AddSeed({ { 32, 30 } }, 1);
    f->AddSeed({ { 2, 2 } }, 2);
  });
  EXPECT_EQ(Differences<2>(out, DiscTruth(image, 1, 2)), 0u);
}

TEST(RegionGrowing, MeanDistanceStopsAtMaximumDistance)
{
  auto image = Disc();
  auto out = Grow(image, Criterion::MeanDistance, [](auto * f) {
    f->AddSeed({ { 32, 30 } }, 1);
    f->SetMaximumDistance(10.0);
  });
  EXPECT_EQ(Differences<2>(out, DiscTruth(image)), 0u);
}

TEST(RegionGrowing, ColourDiscAllCriteria)
{
  auto image = Disc(3);
  // Interval per channel.
  auto interval = Grow(image, Criterion::Interval, [](auto * f) {
    f->AddSeed({ { 32, 30 } });
    f->SetLowerPerChannel({ 150, 0, 50 });
    f->SetUpperPerChannel({ 255, 100, 100 });
  });
  EXPECT_EQ(Differences<2>(interval, DiscTruth(image)), 0u);
  auto distance = Grow(image, Criterion::MeanDistance, [](auto * f) {
    f->AddSeed({ { 32, 30 } }, 3);
    f->AddSeed({ { 63, 63 } }, 4);
  });
  EXPECT_EQ(Differences<2>(distance, DiscTruth(image, 3, 4)), 0u);
  // Vector confidence needs a non-singular covariance: add a small deterministic texture.
  auto textured = MakeImage<2>({ { 64, 64 } }, 3, [&](const itk::Index<2> & i, unsigned int c) {
    const float base = image->GetPixel(i)[c];
    const unsigned long h = (static_cast<unsigned long>(i[0]) * 73856093ul) ^ (static_cast<unsigned long>(i[1]) * 19349663ul) ^
                            ((c + 1) * 83492791ul);
    return base + static_cast<float>(h % 5) - 2.0f; // independent texture per channel, within ±2
  });
  auto confidence = Grow(textured, Criterion::Confidence, [](auto * f) {
    f->AddSeed({ { 32, 30 } });
    f->SetMultiplier(6.0);
    f->SetInitialNeighborhoodRadius(3);
  });
  EXPECT_EQ(Differences<2>(confidence, DiscTruth(image)), 0u);
}

TEST(RegionGrowing, SquaresFromSeedImage)
{
  // Four 32x32 squares of 10, 20, 30, 40; one seed voxel per square in a seed label image.
  auto image = MakeImage<2>({ { 64, 64 } }, 1, [](const itk::Index<2> & i, unsigned int) {
    return 10.0f * (1 + (i[0] >= 32) + 2 * (i[1] >= 32));
  });
  auto truth = MakeLabels<2>(image.GetPointer(), [](const itk::Index<2> & i) {
    return static_cast<LabelPixel>(1 + (i[0] >= 32) + 2 * (i[1] >= 32));
  });
  auto seeds = MakeLabels<2>(image.GetPointer(), [](const itk::Index<2> & i) {
    return (i[0] % 32 == 5 && i[1] % 32 == 9) ? static_cast<LabelPixel>(1 + (i[0] >= 32) + 2 * (i[1] >= 32)) : LabelPixel(0);
  });
  for (auto criterion : { Criterion::MeanDistance, Criterion::Confidence })
  {
    auto f = RegionGrowingImageFilter<2>::New();
    f->SetInput(image);
    f->SetSeedImage(seeds);
    f->SetCriterion(criterion);
    f->Update();
    EXPECT_EQ(Differences<2>(f->GetOutput(), truth), 0u) << static_cast<int>(criterion);
  }
}

TEST(RegionGrowing, SphereFromPhysicalPoint3D)
{
  auto image = MakeImage<3>({ { 40, 40, 20 } }, 1, [](const itk::Index<3> & i, unsigned int) {
    // Sphere of radius 8 mm at (20, 20, 20) mm, spacing 1 x 1 x 2 mm.
    const double dx = i[0] - 20.0, dy = i[1] - 20.0, dz = 2.0 * i[2] - 20.0;
    return dx * dx + dy * dy + dz * dz <= 64.0 ? 100.0f : 0.0f;
  });
  VectorImage<3>::SpacingType spacing;
  spacing[0] = 1;
  spacing[1] = 1;
  spacing[2] = 2;
  image->SetSpacing(spacing);
  VectorImage<3>::PointType origin;
  origin.Fill(-5.0);
  image->SetOrigin(origin);
  auto truth = MakeLabels<3>(image.GetPointer(), [&](const itk::Index<3> & i) {
    return static_cast<LabelPixel>(image->GetPixel(i)[0] > 0 ? 1 : 2);
  });
  itk::Point<double, 3> centre;
  centre[0] = 15.0; // index 20 at origin -5, 1 mm
  centre[1] = 15.0;
  centre[2] = 15.0; // index 10 at 2 mm
  auto f = RegionGrowingImageFilter<3>::New();
  f->SetInput(image);
  f->AddSeed(SeedIndexFromPoint<3>(image, centre, "--seed-point"), 1);
  f->AddSeed({ { 0, 0, 0 } }, 2);
  f->Update();
  EXPECT_EQ(Differences<3>(f->GetOutput(), truth), 0u);
  EXPECT_EQ(f->GetOutput()->GetSpacing(), image->GetSpacing());
  EXPECT_EQ(f->GetOutput()->GetOrigin(), image->GetOrigin());
}

TEST(RegionGrowing, BadInput)
{
  auto image = Disc();
  auto expectError = [&](const std::string & subject, const std::function<void(RegionGrowingImageFilter<2> *)> & setup,
                         Criterion criterion = Criterion::MeanDistance) {
    auto f = RegionGrowingImageFilter<2>::New();
    f->SetInput(image);
    f->SetCriterion(criterion);
    setup(f);
    EXPECT_EQ(ErrorSubject([&] { f->Update(); }), subject);
  };
  expectError("seed", [](auto *) {});
  expectError("seed", [](auto * f) { f->AddSeed({ { 64, 3 } }); });
  expectError("seed", [](auto * f) { f->AddSeed({ { -1, 3 } }); });
  expectError("max-distance", [](auto * f) {
    f->AddSeed({ { 3, 3 } });
    f->SetMaximumDistance(0.0);
  });
  expectError("multiplier", [](auto * f) {
    f->AddSeed({ { 3, 3 } });
    f->SetMultiplier(-1.0);
  }, Criterion::Confidence);
  expectError("lower", [](auto * f) {
    f->AddSeed({ { 3, 3 } });
    f->SetLower(10);
    f->SetUpper(5);
  }, Criterion::Interval);
  expectError("seeds", [&](auto * f) { f->SetSeedImage(MakeLabels<2>(image.GetPointer(), [](auto &) { return LabelPixel(0); })); });
  auto small = MakeImage<2>({ { 32, 64 } }, 1, [](auto &, unsigned int) { return 0.0f; });
  expectError("seeds", [&](auto * f) { f->SetSeedImage(MakeLabels<2>(small.GetPointer(), [](auto &) { return LabelPixel(1); })); });
  auto shifted = MakeLabels<2>(image.GetPointer(), [](auto &) { return LabelPixel(1); });
  LabelImage<2>::PointType o;
  o.Fill(3.0);
  shifted->SetOrigin(o);
  expectError("seeds", [&](auto * f) { f->SetSeedImage(shifted); });
  itk::Point<double, 2> outside;
  outside[0] = 100.0;
  outside[1] = 1.0;
  EXPECT_THROW(SeedIndexFromPoint<2>(image, outside, "--seed-point"), Error);
}

TEST(RegionGrowing, PrintSelfListsTheParameters)
{
  auto f = RegionGrowingImageFilter<2>::New();
  f->SetCriterion(RegionGrowingCriterion::Confidence);
  f->SetLowerPerChannel({ 10, 20 });
  f->SetMultiplier(1.5);
  f->AddSeed({ { 3, 4 } });
  const std::string s = Printed(f);
  for (const char * line : { "Seeds: 1", "Criterion: Confidence", "Lower: 10 20", "Upper: inf", "Multiplier: 1.5",
                             "NumberOfIterations: 4", "InitialNeighborhoodRadius: 1", "MaximumDistance: inf",
                             "FullyConnected: Off" })
  {
    EXPECT_NE(s.find(line), std::string::npos) << line << " not in\n" << s;
  }
}
