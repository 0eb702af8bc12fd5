// Superpixels: exact answers on synthetic images, 2D and 3D, every OpenCV method, quality
// metrics on hand-computed cases, and ASA >= 0.90 on two real Dubai aerial tiles.
#include <filesystem>

#include <gtest/gtest.h>
#include <map>
#include <opencv2/ximgproc/segmentation.hpp>

#include "tesseraError.h"
#include "tesseraImageIO.h"
#include "tesseraImageUtilities.h"
#include "tesseraRegionTestImages.h"
#include "tesseraSuperpixelMetrics.h"
#include "tesseraSuperpixels.h"

using namespace tessera;
using namespace tessera::testing;

namespace
{
/** 60x60 RGB image of four 30x30 squares of distinct colours; truth labels 1..4. */
VectorImage<2>::Pointer
Squares()
{
  return MakeImage<2>({ { 60, 60 } }, 3, [](const itk::Index<2> & i, unsigned int c) {
    const int   q = (i[0] >= 30) + 2 * (i[1] >= 30);
    const float colours[4][3] = { { 200, 30, 30 }, { 30, 200, 30 }, { 30, 30, 200 }, { 220, 220, 40 } };
    return colours[q][c];
  });
}
LabelImage<2>::Pointer
SquaresTruth(const VectorImage<2> * image)
{
  return MakeLabels<2>(image, [](const itk::Index<2> & i) { return static_cast<LabelPixel>(1 + (i[0] >= 30) + 2 * (i[1] >= 30)); });
}
} // namespace

TEST(SuperpixelMetrics, HandComputed)
{
  auto grid = MakeImage<2>({ { 4, 4 } }, 1, [](auto &, unsigned int) { return 0.0f; });
  auto truth = MakeLabels<2>(grid.GetPointer(), [](const itk::Index<2> & i) { return LabelPixel(i[0] < 2 ? 1 : 2); });
  auto q = EvaluateSuperpixels<2>(truth, truth, 0);
  EXPECT_DOUBLE_EQ(q.boundaryRecall, 1.0);
  EXPECT_DOUBLE_EQ(q.undersegmentationError, 0.0);
  EXPECT_DOUBLE_EQ(q.achievableAccuracy, 1.0);
  EXPECT_EQ(q.segments, 2u);
  auto one = MakeLabels<2>(grid.GetPointer(), [](auto &) { return LabelPixel(1); });
  q = EvaluateSuperpixels<2>(one, truth, 2);
  EXPECT_DOUBLE_EQ(q.boundaryRecall, 0.0);
  EXPECT_DOUBLE_EQ(q.undersegmentationError, 1.0); // (min(8,8) + min(8,8)) / 16
  EXPECT_DOUBLE_EQ(q.achievableAccuracy, 0.5);
  // Superpixels split after column 2 instead of column 1.
  auto shifted = MakeLabels<2>(grid.GetPointer(), [](const itk::Index<2> & i) { return LabelPixel(i[0] < 3 ? 1 : 2); });
  q = EvaluateSuperpixels<2>(shifted, truth, 0);
  EXPECT_DOUBLE_EQ(q.boundaryRecall, 0.5); // truth boundary columns 1, 2; superpixel boundary 2, 3
  EXPECT_DOUBLE_EQ(q.undersegmentationError, 0.5); // (min(8,4) + min(4,8) + min(4,0)) / 16
  EXPECT_DOUBLE_EQ(q.achievableAccuracy, 0.75);    // (8 + 4) / 16
  q = EvaluateSuperpixels<2>(shifted, truth, 1);
  EXPECT_DOUBLE_EQ(q.boundaryRecall, 1.0);
}

TEST(Superpixels, ITKSLICRecoversSquaresExactly)
{
  auto image = Squares();
  SuperpixelOptions o;
  o.segments = 4;
  auto labels = ComputeSuperpixels<2>(image, o);
  const auto q = EvaluateSuperpixels<2>(labels, SquaresTruth(image));
  EXPECT_EQ(q.segments, 4u);
  EXPECT_DOUBLE_EQ(q.achievableAccuracy, 1.0);
  EXPECT_DOUBLE_EQ(q.boundaryRecall, 1.0);
  // More segments: still never across a square boundary.
  o.segments = 36;
  const auto q36 = EvaluateSuperpixels<2>(ComputeSuperpixels<2>(image, o), SquaresTruth(image));
  EXPECT_DOUBLE_EQ(q36.achievableAccuracy, 1.0);
  EXPECT_NEAR(static_cast<double>(q36.segments), 36.0, 8.0);
}

TEST(Superpixels, EveryOpenCVMethodRespectsTheSquares)
{
  auto image = Squares();
  auto truth = SquaresTruth(image);
  for (auto method : { SuperpixelMethod::OpenCVSLIC, SuperpixelMethod::SLICO, SuperpixelMethod::MSLIC,
                       SuperpixelMethod::SEEDS, SuperpixelMethod::LSC, SuperpixelMethod::Felzenszwalb })
  {
    SuperpixelOptions o;
    o.method = method;
    o.segments = 36;
    o.scale = 100; // felzenszwalb: k / |C| must fall below the 170–240 RGB steps before regions reach 900 px
    auto f = SuperpixelImageFilter<2>::New();
    f->SetInput(image);
    f->SetOptions(o);
    f->Update();
    const auto q = EvaluateSuperpixels<2>(f->GetOutput(), truth);
    EXPECT_GE(q.achievableAccuracy, 0.99) << SuperpixelMethodName(method);
    EXPECT_GE(q.boundaryRecall, 0.99) << SuperpixelMethodName(method);
    EXPECT_GE(f->GetNumberOfSegments(), 4u) << SuperpixelMethodName(method);
    EXPECT_EQ(f->GetNumberOfSegments(), q.segments) << "labels 1..N";
  }
}

TEST(Superpixels, FelzenszwalbGivesOpenCVsSegmentationForTheSameSettings)
{
  // The graph is built on the RGB distances, as in the paper, scikit-image and OpenCV: the same
  // scale, sigma and minimum size give OpenCV's partition of the same image, region for region.
  const std::string path = std::string(TESSERA_DATA_DIR) + "/dubai-aerial/tile1/images/image_part_001.jpg";
  if (!std::filesystem::exists(path))
  {
    GTEST_SKIP() << path << " missing";
  }
  const auto image = ReadImageFile<VectorImage<2>>(path);
  SuperpixelOptions o;
  o.method = SuperpixelMethod::Felzenszwalb;
  auto f = SuperpixelImageFilter<2>::New();
  f->SetInput(image);
  f->SetOptions(o);
  f->Update();
  const auto size = image->GetLargestPossibleRegion().GetSize();
  cv::Mat    rgb(static_cast<int>(size[1]), static_cast<int>(size[0]), CV_32FC3, image->GetBufferPointer());
  cv::Mat    bytes;
  rgb.convertTo(bytes, CV_8UC3);
  cv::Mat theirs;
  cv::ximgproc::segmentation::createGraphSegmentation(o.sigma, static_cast<float>(o.scale), static_cast<int>(o.minimumSize))
    ->processImage(bytes, theirs);
  std::map<LabelPixel, int> toTheirs;
  std::map<int, LabelPixel> toOurs;
  const LabelPixel *        ours = f->GetOutput()->GetBufferPointer();
  size_t                    disagreements = 0;
  for (size_t i = 0; i < size[0] * size[1]; ++i)
  {
    const int t = theirs.ptr<int>()[i];
    disagreements += toTheirs.emplace(ours[i], t).first->second != t;
    disagreements += toOurs.emplace(t, ours[i]).first->second != ours[i];
  }
  EXPECT_EQ(disagreements, 0u);
  EXPECT_EQ(f->GetNumberOfSegments(), toOurs.size());
  EXPECT_GT(toOurs.size(), 100u);
}

TEST(Superpixels, ITKSLICGivesTheSameLabelsOnAnyNumberOfThreads)
{
  // Its iterations run on all work units; the connectivity pass, racy in ITK 5.2, in order.
  const std::string path = std::string(TESSERA_DATA_DIR) + "/dubai-aerial/tile1/images/image_part_001.jpg";
  if (!std::filesystem::exists(path))
  {
    GTEST_SKIP() << path << " missing";
  }
  const auto   image = ReadImageFile<VectorImage<2>>(path);
  const auto   threads = itk::MultiThreaderBase::GetGlobalDefaultNumberOfThreads();
  SuperpixelOptions o;
  std::vector<std::vector<LabelPixel>> results;
  for (const unsigned int n : { 1u, 4u })
  {
    itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(n);
    const auto labels = ComputeSuperpixels<2>(image, o);
    const LabelPixel * p = labels->GetBufferPointer();
    results.emplace_back(p, p + labels->GetBufferedRegion().GetNumberOfPixels());
  }
  itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(threads);
  EXPECT_EQ(results[0], results[1]);
  EXPECT_GT(*std::max_element(results[0].begin(), results[0].end()), 500);
}

TEST(Superpixels, SupervoxelsIn3DKeepGeometry)
{
  auto image = MakeImage<3>({ { 40, 40, 20 } }, 1, [](const itk::Index<3> & i, unsigned int) {
    return i[0] < 20 ? 10.0f : 90.0f;
  });
  VectorImage<3>::SpacingType spacing;
  spacing[0] = 1;
  spacing[1] = 1;
  spacing[2] = 2;
  image->SetSpacing(spacing);
  VectorImage<3>::PointType origin;
  origin.Fill(4.0);
  image->SetOrigin(origin);
  SuperpixelOptions o;
  o.segments = 64; // 40 x 40 x 40 mm → 10 mm supervoxels: 10 x 10 x 5 voxels
  auto labels = ComputeSuperpixels<3>(image, o);
  auto truth = MakeLabels<3>(image.GetPointer(), [](const itk::Index<3> & i) { return LabelPixel(i[0] < 20 ? 1 : 2); });
  const auto q = EvaluateSuperpixels<3>(labels, truth);
  EXPECT_DOUBLE_EQ(q.achievableAccuracy, 1.0);
  EXPECT_NEAR(static_cast<double>(q.segments), 64.0, 16.0);
  EXPECT_EQ(labels->GetSpacing(), image->GetSpacing());
  EXPECT_EQ(labels->GetOrigin(), image->GetOrigin());
  o.method = SuperpixelMethod::SLICO;
  EXPECT_THROW(ComputeSuperpixels<3>(image, o), Error);
}

TEST(Superpixels, BadOptions)
{
  auto image = Squares();
  auto subject = [&](const std::function<void(SuperpixelOptions &)> & change) {
    SuperpixelOptions o;
    change(o);
    return ErrorSubject([&] { ComputeSuperpixels<2>(image, o); });
  };
  EXPECT_EQ(subject([](auto & o) { o.segments = 0; }), "superpixels");
  EXPECT_EQ(subject([](auto & o) { o.compactness = 0; }), "compactness");
  EXPECT_EQ(subject([](auto & o) { o.compactness = -3; }), "compactness");
  EXPECT_EQ(subject([](auto & o) { o.scale = 0; }), "scale");
  EXPECT_THROW(ParseSuperpixelMethod("quickshift"), Error);
  EXPECT_EQ(ParseSuperpixelMethod("slico"), SuperpixelMethod::SLICO);
}

/** The README's colour table (0,0,0 counts as Unlabeled). */
const std::map<std::array<int, 3>, LabelPixel> &
DubaiColours()
{
  static const std::map<std::array<int, 3>, LabelPixel> table{
    { { 60, 16, 152 }, 1 },   { { 132, 41, 246 }, 2 }, { { 110, 193, 228 }, 3 }, { { 254, 221, 58 }, 4 },
    { { 226, 169, 41 }, 5 },  { { 155, 155, 155 }, 6 }, { { 0, 0, 0 }, 6 }
  };
  return table;
}

TEST(Superpixels, DubaiAerialAchievableAccuracy)
{
  const std::string root = std::string(TESSERA_DATA_DIR) + "/dubai-aerial/";
  for (const std::string tile : { "tile1", "tile3" })
  {
    const std::string imagePath = root + tile + "/images/image_part_001.jpg";
    const std::string maskPath = root + tile + "/masks/image_part_001.png";
    if (!std::filesystem::exists(imagePath))
    {
      GTEST_SKIP() << "no " << imagePath;
    }
    auto image = ReadIntensityImage<2>(imagePath);
    auto truth = LabelsFromColours(ReadImageFile<VectorImage<2>>(maskPath), DubaiColours(), maskPath);
    SuperpixelOptions o;
    o.segments = 1000;
    auto       labels = ComputeSuperpixels<2>(image, o);
    const auto q = EvaluateSuperpixels<2>(labels, truth);
    EXPECT_GE(q.achievableAccuracy, 0.90) << tile;
    EXPECT_GE(q.boundaryRecall, 0.6) << tile;
    EXPECT_NEAR(static_cast<double>(q.segments), 1000.0, 300.0) << tile;
    std::cout << tile << ": " << q.segments << " superpixels, ASA " << q.achievableAccuracy << ", BR "
              << q.boundaryRecall << ", UE " << q.undersegmentationError << std::endl;
  }
}

TEST(Superpixels, PrintSelfListsTheOptions)
{
  auto f = SuperpixelImageFilter<2>::New();
  f->SetMethod(SuperpixelMethod::SLICO);
  f->SetNumberOfSegments(250);
  const std::string s = Printed(f);
  for (const char * line : { "Method: slico", "Segments: 250", "Compactness: 10", "Iterations: 10", "Lab: On",
                             "Scale: 300", "Sigma: 0.5", "MinimumSize: 50", "SeedsLevels: 4", "SeedsBins: 5",
                             "NumberOfSegments: 0" })
  {
    EXPECT_NE(s.find(line), std::string::npos) << line << " not in\n" << s;
  }
}
