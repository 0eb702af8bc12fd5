// Watershed: two touching discs split by markers, regional minima with a level, physical space
// kept, bad markers and parameters rejected.
#include <gtest/gtest.h>

#include "itkEuler2DTransform.h"
#include "tesseraError.h"
#include "tesseraRegionTestImages.h"
#include "tesseraWatershedImageFilter.h"

using namespace tessera;
using namespace tessera::testing;

namespace
{
// Two touching discs of radius 18 px at (30, 40) and (64, 40) (34 px apart: they overlap by 2 px),
// intensities 100 and 180, on 0; pixels of the overlap belong to the nearer centre.
const std::array<double, 2> c1{ 30.0, 40.0 }, c2{ 64.0, 40.0 };
LabelPixel
TrueDisc(const itk::Index<2> & i)
{
  const double d1 = Distance2<2>(i, c1), d2 = Distance2<2>(i, c2);
  if (d1 <= 324.0 && d1 <= d2)
  {
    return 1;
  }
  return d2 <= 324.0 ? 2 : 3;
}

VectorImage<2>::Pointer
TwoDiscs()
{
  auto image = MakeImage<2>({ { 96, 80 } }, 1, [](const itk::Index<2> & i, unsigned int) {
    const LabelPixel l = TrueDisc(i);
    return l == 1 ? 100.0f : l == 2 ? 180.0f : 0.0f;
  });
  // Physical space: 0.5 x 0.8 mm pixels, shifted and rotated by 30 degrees.
  VectorImage<2>::SpacingType spacing;
  spacing[0] = 0.5;
  spacing[1] = 0.8;
  image->SetSpacing(spacing);
  VectorImage<2>::PointType origin;
  origin[0] = 12.0;
  origin[1] = -7.5;
  image->SetOrigin(origin);
  auto rotation = itk::Euler2DTransform<double>::New();
  rotation->SetAngle(M_PI / 6);
  image->SetDirection(rotation->GetMatrix());
  return image;
}

/** Pixels labelled differently from the truth that are farther than `band` px from every disc
 * boundary, and the total number of differences. */
std::pair<size_t, size_t>
Mismatches(const LabelImage<2> * out, double band)
{
  size_t far = 0, all = 0;
  itk::ImageRegionConstIteratorWithIndex<LabelImage<2>> it(out, out->GetLargestPossibleRegion());
  for (; !it.IsAtEnd(); ++it)
  {
    const auto & i = it.GetIndex();
    if (it.Get() != TrueDisc(i))
    {
      ++all;
      const double r1 = std::abs(std::sqrt(Distance2<2>(i, c1)) - 18.0), r2 = std::abs(std::sqrt(Distance2<2>(i, c2)) - 18.0);
      far += std::min(r1, r2) > band;
    }
  }
  return { far, all };
}
} // namespace

TEST(Watershed, TouchingDiscsSeparatedByMarkers)
{
  auto image = TwoDiscs();
  auto markers = MakeLabels<2>(image.GetPointer(), [](const itk::Index<2> & i) {
    if (i == itk::Index<2>{ { 30, 40 } })
      return LabelPixel(1);
    if (i == itk::Index<2>{ { 64, 40 } })
      return LabelPixel(2);
    return LabelPixel(i[0] < 2 && i[1] < 2 ? 3 : 0);
  });
  auto f = WatershedSegmentationImageFilter<2>::New();
  f->SetInput(image);
  f->SetMarkerImage(markers);
  f->SetSigma(0.5); // mm: one pixel along x
  f->Update();
  const LabelImage<2> * out = f->GetOutput();
  EXPECT_EQ(f->GetNumberOfRegions(), 3u);
  const auto [far, all] = Mismatches(out, 2.0);
  EXPECT_EQ(far, 0u) << "pixels misassigned more than 2 px from a disc boundary";
  EXPECT_LT(all, 150u);
  // Physical space kept.
  EXPECT_EQ(out->GetSpacing(), image->GetSpacing());
  EXPECT_EQ(out->GetOrigin(), image->GetOrigin());
  EXPECT_EQ(out->GetDirection(), image->GetDirection());
}

TEST(Watershed, RegionalMinimaWithLevel)
{
  // Four constant squares: the gradient has one flat minimum inside each.
  auto image = MakeImage<2>({ { 64, 64 } }, 3, [](const itk::Index<2> & i, unsigned int c) {
    const int q = (i[0] >= 32) + 2 * (i[1] >= 32);
    return static_cast<float>(40 * q + 10 * c);
  });
  auto f = WatershedSegmentationImageFilter<2>::New();
  f->SetInput(image);
  f->SetSigma(1.0);
  f->SetLevel(0.01);
  f->Update();
  EXPECT_EQ(f->GetNumberOfRegions(), 4u);
  const LabelImage<2> * out = f->GetOutput();
  // Each square's centre in its own region, and each region away from the edges constant.
  std::set<LabelPixel> centres;
  for (itk::IndexValueType y : { 16, 48 })
    for (itk::IndexValueType x : { 16, 48 })
      centres.insert(out->GetPixel({ { x, y } }));
  EXPECT_EQ(centres.size(), 4u);
  size_t wrong = 0;
  itk::ImageRegionConstIteratorWithIndex<LabelImage<2>> it(out, out->GetLargestPossibleRegion());
  for (; !it.IsAtEnd(); ++it)
  {
    const auto & i = it.GetIndex();
    const bool   nearEdge = std::abs(i[0] - 31.5) < 3 || std::abs(i[1] - 31.5) < 3;
    const auto   expected = out->GetPixel({ { i[0] < 32 ? 16 : 48, i[1] < 32 ? 16 : 48 } });
    wrong += !nearEdge && it.Get() != expected;
  }
  EXPECT_EQ(wrong, 0u);
}

TEST(Watershed, TouchingSpheresWithMarkers3D)
{
  auto image = MakeImage<3>({ { 48, 32, 32 } }, 1, [](const itk::Index<3> & i, unsigned int) {
    const double d1 = Distance2<3>(i, { 14.0, 16.0, 16.0 }), d2 = Distance2<3>(i, { 32.0, 16.0, 16.0 });
    return d1 <= 100.0 && d1 <= d2 ? 50.0f : d2 <= 100.0 ? 90.0f : 0.0f;
  });
  auto markers = MakeLabels<3>(image.GetPointer(), [](const itk::Index<3> & i) {
    if (i == itk::Index<3>{ { 14, 16, 16 } })
      return LabelPixel(5);
    if (i == itk::Index<3>{ { 32, 16, 16 } })
      return LabelPixel(9);
    return LabelPixel(i[0] == 0 && i[1] == 0 && i[2] == 0 ? 1 : 0);
  });
  auto f = WatershedSegmentationImageFilter<3>::New();
  f->SetInput(image);
  f->SetMarkerImage(markers);
  f->Update();
  size_t wrong = 0;
  itk::ImageRegionConstIteratorWithIndex<LabelImage<3>> it(f->GetOutput(), f->GetOutput()->GetLargestPossibleRegion());
  for (; !it.IsAtEnd(); ++it)
  {
    const double r1 = std::sqrt(Distance2<3>(it.GetIndex(), { 14.0, 16.0, 16.0 }));
    const double r2 = std::sqrt(Distance2<3>(it.GetIndex(), { 32.0, 16.0, 16.0 }));
    if (std::abs(r1 - 10) <= 2 || std::abs(r2 - 10) <= 2)
      continue; // boundary band
    const LabelPixel expected = r1 < 10 && r1 <= r2 ? 5 : r2 < 10 ? 9 : 1;
    wrong += it.Get() != expected;
  }
  EXPECT_EQ(wrong, 0u);
}

TEST(Watershed, BadInput)
{
  auto image = TwoDiscs();
  auto expectError = [&](const std::string & subject, const std::function<void(WatershedSegmentationImageFilter<2> *)> & setup) {
    auto f = WatershedSegmentationImageFilter<2>::New();
    f->SetInput(image);
    setup(f);
    EXPECT_EQ(ErrorSubject([&] { f->Update(); }), subject);
  };
  expectError("level", [](auto * f) { f->SetLevel(-0.1); });
  expectError("level", [](auto * f) { f->SetLevel(1.0); });
  expectError("sigma", [](auto * f) { f->SetSigma(-1.0); });
  expectError("markers", [&](auto * f) { f->SetMarkerImage(MakeLabels<2>(image.GetPointer(), [](auto &) { return LabelPixel(0); })); });
  auto other = MakeImage<2>({ { 96, 80 } }, 1, [](auto &, unsigned int) { return 0.0f; }); // identity geometry
  expectError("markers", [&](auto * f) { f->SetMarkerImage(MakeLabels<2>(other.GetPointer(), [](auto &) { return LabelPixel(1); })); });
}

TEST(Watershed, PrintSelfListsTheParameters)
{
  auto f = WatershedSegmentationImageFilter<2>::New();
  f->SetLevel(0.25);
  f->MarkWatershedLineOn();
  const std::string s = Printed(f);
  for (const char * line :
       { "Sigma: 1", "Level: 0.25", "MarkWatershedLine: On", "FullyConnected: Off", "NumberOfRegions: 0" })
  {
    EXPECT_NE(s.find(line), std::string::npos) << line << " not in\n" << s;
  }
}
