// Watershed: two touching discs split by markers, regional minima with a level, physical space
// kept, bad markers and parameters rejected; the flooding's exact labels on ramps and plateaus
// (tie-breaking, watershed lines, 2D and 3D), its identity with ITK's on real images and with
// OpenCV's lines on a plateau.
#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "itkEuler2DTransform.h"
#include "itkExtractImageFilter.h"
#include "itkMorphologicalWatershedFromMarkersImageFilter.h"
#include "itkMorphologicalWatershedImageFilter.h"
#include "itkMultiThreaderBase.h"
#include "tesseraError.h"
#include "tesseraImageIO.h"
#include "tesseraImageUtilities.h"
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

/** A relief of the given size, value(index) per pixel. */
template <unsigned int D>
typename ScalarImage<D>::Pointer
MakeRelief(const std::array<unsigned int, D> & size, const std::function<float(const itk::Index<D> &)> & value)
{
  auto relief = ScalarImage<D>::New();
  typename ScalarImage<D>::SizeType s;
  std::copy(size.begin(), size.end(), s.begin());
  relief->SetRegions(s);
  relief->Allocate();
  itk::ImageRegionIteratorWithIndex<ScalarImage<D>> it(relief, relief->GetBufferedRegion());
  for (; !it.IsAtEnd(); ++it)
  {
    it.Set(value(it.GetIndex()));
  }
  return relief;
}

template <unsigned int D>
typename LabelImage<D>::Pointer
Flood(const ScalarImage<D> * relief, const LabelImage<D> * markers, bool line, bool fully)
{
  auto out = LabelImage<D>::New();
  out->CopyInformation(relief);
  out->SetRegions(relief->GetLargestPossibleRegion());
  out->Allocate();
  FloodFromMarkers<D>(relief, markers, line, fully, out);
  return out;
}

/** The labels along the one row of a W x 1 image. */
std::vector<int>
Row(const LabelImage<2> * labels)
{
  return std::vector<int>(labels->GetBufferPointer(),
                          labels->GetBufferPointer() + labels->GetLargestPossibleRegion().GetNumberOfPixels());
}

/** Single-pixel markers every `step` pixels from step / 2, numbered 1, 2, ... in raster order. */
template <unsigned int D>
typename LabelImage<D>::Pointer
GridMarkers(const ScalarImage<D> * grid, unsigned int step)
{
  LabelPixel next = 0;
  return MakeLabels<D>(grid, [&](const itk::Index<D> & i) {
    for (unsigned int d = 0; d < D; ++d)
    {
      if (i[d] % step != step / 2)
        return LabelPixel(0);
    }
    return ++next;
  });
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

TEST(FloodFromMarkers, RampIsFloodedFromTheLowMarkerUpToTheHighOne)
{
  // Relief 0..9 along x; the marker at the top holds only its own pixel: the low marker's flood
  // reaches level 8 before the high marker (level 9) leaves the queue. With lines, pixel 8 touches
  // both regions and is the line.
  auto relief = MakeRelief<2>({ { 10, 1 } }, [](const itk::Index<2> & i) { return static_cast<float>(i[0]); });
  auto markers = MakeLabels<2>({ { 10, 1 } }, [](const itk::Index<2> & i) {
    return LabelPixel(i[0] == 0 ? 4 : i[0] == 9 ? 7 : 0);
  });
  EXPECT_EQ(Row(Flood<2>(relief, markers, false, false)), (std::vector<int>{ 4, 4, 4, 4, 4, 4, 4, 4, 4, 7 }));
  EXPECT_EQ(Row(Flood<2>(relief, markers, true, false)), (std::vector<int>{ 4, 4, 4, 4, 4, 4, 4, 4, 0, 7 }));
}

TEST(FloodFromMarkers, RidgeSplitsTwoBasinsWithOrWithoutALine)
{
  // Two basins 0..4..0 with a marker in each bottom: the ridge pixel goes to the first marker in
  // raster order, or is the line.
  auto relief = MakeRelief<2>({ { 9, 1 } }, [](const itk::Index<2> & i) { return 4.0f - std::abs(i[0] - 4.0f); });
  auto markers = MakeLabels<2>({ { 9, 1 } }, [](const itk::Index<2> & i) {
    return LabelPixel(i[0] == 0 ? 1 : i[0] == 8 ? 2 : 0);
  });
  EXPECT_EQ(Row(Flood<2>(relief, markers, false, false)), (std::vector<int>{ 1, 1, 1, 1, 1, 2, 2, 2, 2 }));
  EXPECT_EQ(Row(Flood<2>(relief, markers, true, false)), (std::vector<int>{ 1, 1, 1, 1, 0, 2, 2, 2, 2 }));
  // Negative values and -0 are ordered as numbers (-0 = +0): the same relief shifted below zero.
  auto below = MakeRelief<2>({ { 9, 1 } },
                             [](const itk::Index<2> & i) { return i[0] == 4 ? -0.0f : -std::abs(i[0] - 4.0f); });
  EXPECT_EQ(Row(Flood<2>(below, markers, true, false)), (std::vector<int>{ 1, 1, 1, 1, 0, 2, 2, 2, 2 }));
}

TEST(FloodFromMarkers, PlateauIsSplitByDistanceTiesToTheFirstMarker)
{
  // A flat 7 x 7 relief, markers at opposite corners: first in, first out splits it by the
  // distance in steps (city block with faces, chessboard with all 8 neighbours); pixels at equal
  // distance go to the marker first in raster order, or are the line (faces only: with diagonal
  // steps the line thickens where a pixel's labelled neighbours lie two steps apart).
  auto relief = MakeRelief<2>({ { 7, 7 } }, [](const itk::Index<2> &) { return 3.0f; });
  auto markers = MakeLabels<2>({ { 7, 7 } }, [](const itk::Index<2> & i) {
    return LabelPixel(i[0] == 0 && i[1] == 0 ? 1 : i[0] == 6 && i[1] == 6 ? 2 : 0);
  });
  auto cityBlock = [](const itk::Index<2> & i, const itk::Index<2> & j) {
    return std::abs(i[0] - j[0]) + std::abs(i[1] - j[1]);
  };
  auto chessboard = [](const itk::Index<2> & i, const itk::Index<2> & j) {
    return std::max(std::abs(i[0] - j[0]), std::abs(i[1] - j[1]));
  };
  for (const auto & [fully, line] : { std::pair{ false, false }, std::pair{ false, true }, std::pair{ true, false } })
  {
    auto   out = Flood<2>(relief, markers, line, fully);
    size_t wrong = 0;
    itk::ImageRegionConstIteratorWithIndex<LabelImage<2>> it(out, out->GetLargestPossibleRegion());
    for (; !it.IsAtEnd(); ++it)
    {
      const auto d1 = (fully ? chessboard : cityBlock)(it.GetIndex(), { { 0, 0 } });
      const auto d2 = (fully ? chessboard : cityBlock)(it.GetIndex(), { { 6, 6 } });
      const int  expected = d1 < d2 ? 1 : d1 > d2 ? 2 : line ? 0 : 1;
      wrong += it.Get() != expected;
    }
    EXPECT_EQ(wrong, 0u) << (fully ? "8" : "4") << " neighbours, line " << line;
  }
}

TEST(FloodFromMarkers, PlateauAndWall3D)
{
  // 5 x 5 x 5 flat volume, markers 3 and 7 at opposite corners, faces: split at x + y + z = 6.
  auto relief = MakeRelief<3>({ { 5, 5, 5 } }, [](const itk::Index<3> &) { return 0.5f; });
  auto markers = MakeLabels<3>({ { 5, 5, 5 } }, [](const itk::Index<3> & i) {
    const auto s = i[0] + i[1] + i[2];
    return LabelPixel(s == 0 ? 3 : s == 12 ? 7 : 0);
  });
  for (const bool line : { false, true })
  {
    auto out = Flood<3>(relief, markers, line, false);
    size_t wrong = 0;
    itk::ImageRegionConstIteratorWithIndex<LabelImage<3>> it(out, out->GetLargestPossibleRegion());
    for (; !it.IsAtEnd(); ++it)
    {
      const auto s = it.GetIndex()[0] + it.GetIndex()[1] + it.GetIndex()[2];
      wrong += it.Get() != (s < 6 ? 3 : s > 6 ? 7 : line ? 0 : 3);
    }
    EXPECT_EQ(wrong, 0u) << "line " << line;
  }
  // A wall of 9 on the plane x = 3 between two flat sides of 1, a marker on each side, 26
  // neighbours: both floods reach the wall in two steps, so it goes to the first marker in raster
  // order (label 1 at (6, 0, 0)), or is the line.
  auto wall = MakeRelief<3>({ { 7, 4, 4 } }, [](const itk::Index<3> & i) { return i[0] == 3 ? 9.0f : 1.0f; });
  auto sides = MakeLabels<3>({ { 7, 4, 4 } }, [](const itk::Index<3> & i) {
    return LabelPixel(i == itk::Index<3>{ { 0, 3, 3 } } ? 2 : i == itk::Index<3>{ { 6, 0, 0 } } ? 1 : 0);
  });
  for (const bool line : { false, true })
  {
    auto out = Flood<3>(wall, sides, line, true);
    size_t wrong = 0;
    itk::ImageRegionConstIteratorWithIndex<LabelImage<3>> it(out, out->GetLargestPossibleRegion());
    for (; !it.IsAtEnd(); ++it)
    {
      const auto x = it.GetIndex()[0];
      wrong += it.Get() != (x < 3 ? 2 : x > 3 ? 1 : line ? 0 : 1);
    }
    EXPECT_EQ(wrong, 0u) << "line " << line;
  }
}

TEST(FloodFromMarkers, SameLabelsAsItkOnRealImages)
{
  // Gradient of a Dubai aerial tile (509 x 544, RGB, sigma 1 mm) and of a 64^3 block of a
  // MICCAI T1 (sigma 1 mm), single-voxel markers on a grid: every variant gives ITK
  // MorphologicalWatershedFromMarkersImageFilter's labels exactly.
  auto tile = ReadIntensityImage<2>(std::string(TESSERA_DATA_DIR) + "/dubai-aerial/tile2/images/image_part_001.jpg");
  auto relief2 = GradientMagnitude<2>(tile, 1.0);
  auto markers2 = GridMarkers<2>(relief2, 24);
  auto t1 = ReadIntensityImage<3>(std::string(TESSERA_DATA_DIR) + "/miccai2012-multiatlas/1000_SS.nii.gz");
  auto extract = itk::ExtractImageFilter<ScalarImage<3>, ScalarImage<3>>::New();
  extract->SetInput(GradientMagnitude<3>(t1, 1.0));
  extract->SetExtractionRegion({ { { 50, 70, 60 } }, { { 64, 64, 64 } } });
  extract->SetDirectionCollapseToIdentity();
  extract->Update();
  ScalarImage<3>::Pointer relief3 = extract->GetOutput();
  auto                    markers3 = GridMarkers<3>(relief3, 10);
  auto                    compare = [](auto relief, auto markers, bool line, bool fully) {
    constexpr unsigned int D = std::remove_pointer_t<decltype(relief.GetPointer())>::ImageDimension;
    auto itk = itk::MorphologicalWatershedFromMarkersImageFilter<ScalarImage<D>, LabelImage<D>>::New();
    itk->SetInput(relief);
    itk->SetMarkerImage(markers);
    itk->SetMarkWatershedLine(line);
    itk->SetFullyConnected(fully);
    itk->Update();
    auto ours = Flood<D>(relief, markers, line, fully);
    EXPECT_EQ(Differences<D>(ours, itk->GetOutput()), 0u) << D << "D, line " << line << ", fully connected " << fully;
  };
  for (const bool line : { false, true })
  {
    for (const bool fully : { false, true })
    {
      compare(relief2, markers2, line, fully);
      compare(relief3, markers3, line, fully);
    }
  }
}

TEST(Watershed, RegionalMinimaGiveItkMorphologicalWatershedLabels)
{
  // Without markers: the same labels as ITK MorphologicalWatershedImageFilter (h-minima, regional
  // minima labelled in raster order, flooding) on the gradient of a real image.
  auto tile = ReadIntensityImage<2>(std::string(TESSERA_DATA_DIR) + "/dubai-aerial/tile2/images/image_part_001.jpg");
  for (const bool line : { false, true })
  {
    auto f = WatershedSegmentationImageFilter<2>::New();
    f->SetInput(tile);
    f->SetSigma(2.0);
    f->SetLevel(0.02);
    f->SetMarkWatershedLine(line);
    f->Update();
    const ScalarImage<2> * relief = f->GetRelief();
    const size_t           n = relief->GetLargestPossibleRegion().GetNumberOfPixels();
    const float            maximum = *std::max_element(relief->GetBufferPointer(), relief->GetBufferPointer() + n);
    auto itk = itk::MorphologicalWatershedImageFilter<ScalarImage<2>, LabelImage<2>>::New();
    itk->SetInput(relief);
    itk->SetLevel(static_cast<float>(0.02 * maximum));
    itk->SetMarkWatershedLine(line);
    itk->Update();
    EXPECT_GT(f->GetNumberOfRegions(), 50u);
    EXPECT_EQ(Differences<2>(f->GetOutput(), itk->GetOutput()), 0u) << "line " << line;
  }
}

TEST(FloodFromMarkers, RejectsMismatchedSizesAndNaN)
{
  auto relief = MakeRelief<2>({ { 4, 3 } }, [](const itk::Index<2> & i) { return i[0] == 2 ? NAN : 1.0f; });
  auto markers = MakeLabels<2>({ { 4, 3 } }, [](const itk::Index<2> & i) { return LabelPixel(i[0] == 0); });
  auto small = MakeLabels<2>({ { 3, 3 } }, [](const itk::Index<2> &) { return LabelPixel(1); });
  EXPECT_EQ(ErrorSubject([&] { Flood<2>(relief, small, false, false); }), "markers");
  EXPECT_EQ(ErrorSubject([&] { Flood<2>(relief, markers, false, false); }), "relief");
}

TEST(FloodFromMarkers, PlateauLinesAsOpenCV)
{
  // On a plateau both floods are breadth-first from the markers, with faces: with lines, the
  // labels are cv::watershed's (which always draws lines, and a line around the image: compared
  // inside it), whatever the order in which each queues equal pixels.
  constexpr int w = 31, h = 23;
  auto          relief = MakeRelief<2>({ { w, h } }, [](const itk::Index<2> &) { return 7.0f; });
  const std::array<itk::Index<2>, 3> seeds{ { { { 4, 5 } }, { { 25, 17 } }, { { 22, 3 } } } };
  auto markers = MakeLabels<2>({ { w, h } }, [&](const itk::Index<2> & i) {
    for (size_t k = 0; k < seeds.size(); ++k)
      if (i == seeds[k])
        return LabelPixel(k + 1);
    return LabelPixel(0);
  });
  auto    ours = Flood<2>(relief, markers, true, false);
  cv::Mat image(h, w, CV_8UC3, cv::Scalar(7, 7, 7)), cvLabels(h, w, CV_32S, cv::Scalar(0));
  for (size_t k = 0; k < seeds.size(); ++k)
    cvLabels.at<int>(static_cast<int>(seeds[k][1]), static_cast<int>(seeds[k][0])) = static_cast<int>(k + 1);
  cv::watershed(image, cvLabels);
  size_t differ = 0, lines = 0;
  for (int y = 1; y + 1 < h; ++y)
    for (int x = 1; x + 1 < w; ++x)
    {
      const int theirs = std::max(cvLabels.at<int>(y, x), 0), mine = ours->GetPixel({ { x, y } });
      differ += theirs != mine;
      lines += mine == 0;
    }
  EXPECT_EQ(differ, 0u);
  EXPECT_GT(lines, 20u);
}

TEST(FloodFromMarkers, SameLabelsWithAnyNumberOfThreads)
{
  // The relief is sorted in chunks, one per thread: the order, hence the labels, must not depend
  // on how many there are.
  auto tile = ReadIntensityImage<2>(std::string(TESSERA_DATA_DIR) + "/dubai-aerial/tile2/images/image_part_001.jpg");
  auto relief = GradientMagnitude<2>(tile, 1.0);
  auto markers = GridMarkers<2>(relief, 24);
  const auto threads = itk::MultiThreaderBase::GetGlobalDefaultNumberOfThreads();
  itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(1);
  auto one = Flood<2>(relief, markers, true, true);
  itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(3);
  auto three = Flood<2>(relief, markers, true, true);
  itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(threads);
  EXPECT_EQ(Differences<2>(one, three), 0u);
}
