// The main job: `tessera segment` on real 2D grey, 2D colour and 3D images writes label images
// on the input's grid (size, spacing, origin, direction), with labels 1..K, and overlays.
#include <fstream>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "tesseraCommandLine.h"
#include "tesseraImageUtilities.h"

using namespace tessera;
using namespace tessera::testing;

namespace
{
template <unsigned int D>
void
ExpectSegmentation(const std::string & input, const std::string & extraOptions, unsigned int classes,
                   const std::string & name, const std::string & outputExtension)
{
  const auto        dir = ScratchDir(name);
  const std::string labels = (dir / ("labels" + outputExtension)).string();
  const std::string overlay = (dir / "overlay.png").string();
  const auto        r = Tessera("segment -i " + input + " -o " + labels + " --overlay " + overlay + " --classes " +
                         std::to_string(classes) + " " + extraOptions);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("Potts energy"), std::string::npos);

  const auto image = ReadIntensityImage<D>(input);
  const auto result = ReadImageFile<LabelImage<D>>(labels);
  EXPECT_NO_THROW(CheckSameGrid(image.GetPointer(), input, result.GetPointer(), labels));
  std::vector<size_t> counts(classes + 1, 0);
  const size_t        n = result->GetLargestPossibleRegion().GetNumberOfPixels();
  for (size_t i = 0; i < n; ++i)
  {
    const LabelPixel l = result->GetBufferPointer()[i];
    ASSERT_LE(l, classes);
    ++counts[l];
  }
  for (unsigned int k = 1; k <= classes; ++k)
  {
    EXPECT_GT(counts[k], 0u) << "class " << k << " is empty";
  }
  // Classes are numbered by increasing intensity: class means must increase.
  std::vector<double> sums(classes + 1, 0.0);
  const unsigned int  nc = image->GetNumberOfComponentsPerPixel();
  for (size_t i = 0; i < n; ++i)
  {
    double v = 0.0;
    for (unsigned int c = 0; c < nc; ++c)
    {
      v += image->GetBufferPointer()[i * nc + c];
    }
    sums[result->GetBufferPointer()[i]] += v / nc;
  }
  for (unsigned int k = 2; k <= classes; ++k)
  {
    EXPECT_LT(sums[k - 1] / counts[k - 1], sums[k] / counts[k]) << "class " << k;
  }
  const auto info = ReadImageInfo(overlay);
  EXPECT_EQ(info.components, 3u);
  EXPECT_EQ(info.dimension, 2u);
}
} // namespace

TEST(SegmentEndToEnd, BrainT1Slice2DGrey)
{
  ExpectSegmentation<2>(ItkExample("BrainT1Slice.png"), "", 4, "brain2d", ".png");
}

TEST(SegmentEndToEnd, KmeansTestVolume3DKeepsPhysicalSpace)
{
  // 128×128×62 at 2×2×3 mm with a non-identity direction: the labels must keep all of it.
  ExpectSegmentation<3>(ItkExample("KmeansTest_T1UCharRaw.nii.gz"), "--smoothness 0.3", 3, "kmeans3d", ".nii.gz");
}

TEST(SegmentEndToEnd, Coins2DGrey)
{
  ExpectSegmentation<2>(std::string(TESSERA_SKIMAGE_DATA_DIR) + "/coins.png", "", 2, "coins", ".png");
}

TEST(SegmentEndToEnd, DubaiAerialTileColour)
{
  // NIfTI output: PNG stores spacing as whole pixels per metre, which rounds the JPEG's 0.352778 mm.
  ExpectSegmentation<2>(SharedData("dubai-aerial/tile1/images/image_part_001.jpg"), "--seed 3", 5, "dubai", ".nii.gz");
}

TEST(SegmentEndToEnd, SameSeedSameLabels)
{
  const auto dir = ScratchDir("seed");
  const auto in = ItkExample("BrainT1Slice.png");
  for (const char * name : { "a.nii.gz", "b.nii.gz" })
  {
    ASSERT_EQ(Tessera("segment -q -i " + in + " -o " + (dir / name).string() + " --seed 7").exitCode, 0);
  }
  const auto a = ReadImageFile<LabelImage<2>>((dir / "a.nii.gz").string());
  const auto b = ReadImageFile<LabelImage<2>>((dir / "b.nii.gz").string());
  const size_t n = a->GetLargestPossibleRegion().GetNumberOfPixels();
  EXPECT_TRUE(std::equal(a->GetBufferPointer(), a->GetBufferPointer() + n, b->GetBufferPointer()));
}

TEST(SegmentEndToEnd, KMeansAndGMMApplicationsWriteProbabilities)
{
  const auto dir = ScratchDir("kmeans-gmm");
  const auto in = ItkExample("KmeansTest_T1UCharRaw.nii.gz");
  for (const std::string app : { "kmeans", "gmm" })
  {
    const auto p = (dir / (app + "_p.nii.gz")).string();
    const auto r = Tessera(app + " -q -i " + in + " -o " + (dir / (app + ".nii.gz")).string() + " --probabilities " + p +
                           " -k 3");
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto probabilities = ReadImageFile<ProbabilityImage<3>>(p);
    EXPECT_EQ(probabilities->GetNumberOfComponentsPerPixel(), 3u); // one per class 1..3
    EXPECT_TRUE(std::filesystem::exists(dir / (app + "_p.labels.json"))); // the classes travel beside NIfTI
  }
  // The GMM's posteriors feed `tessera mrf`.
  const auto r = Tessera("mrf -q -i " + (dir / "gmm_p.nii.gz").string() + " -o " + (dir / "mrf.nii.gz").string());
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "mrf.nii.gz"));
}

TEST(SegmentEndToEnd, KNNTrainedOnOneMembraneImageLabelsAnother)
{
  // ISBI 2012: train on image 0's labels, apply to image 1, score against its labels.
  const auto dir = ScratchDir("knn");
  const auto model = (dir / "knn.json.gz").string();
  auto       r = Tessera("knn train -q -i " + SharedData("isbi2012-membrane/image/0.png") + " -l " +
                   SharedData("isbi2012-membrane/label/0.png") + " -m " + model + " --neighbours 15 --local-mean-radius 2");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const auto labels = (dir / "1.png").string();
  const auto overlay = (dir / "1-overlay.png").string();
  r = Tessera("knn apply -q -m " + model + " -i " + SharedData("isbi2012-membrane/image/1.png") + " -o " + labels +
              " --labels " + std::string(TESSERA_SOURCE_DIR) + "/Documentation/Learning/isbi2012-labels.json" + " --overlay " + overlay);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  // The membrane class is label 0: the overlay colours it red (the table's colour) where it was found.
  const auto found = ReadImageFile<LabelImage<2>>(labels);
  const auto drawn = ReadImageFile<VectorImage<2>>(overlay);
  size_t     membrane = 0, red = 0;
  for (size_t i = 0; i < found->GetLargestPossibleRegion().GetNumberOfPixels(); ++i)
  {
    if (found->GetBufferPointer()[i] == 0)
    {
      ++membrane;
      const float * rgb = drawn->GetBufferPointer() + 3 * i; // same rows: the legend is below
      red += rgb[0] > rgb[1] + 60 && rgb[0] > rgb[2] + 60;
    }
  }
  ASSERT_GT(membrane, 10000u);
  EXPECT_EQ(red, membrane);
  // Named, coloured classes: each scored class gets one bar in its colour.
  const auto table = (dir / "isbi.json").string();
  std::ofstream(table) << R"({"labels": [{"id": 0, "name": "membrane", "color": [200, 30, 30]},
                                          {"id": 255, "name": "cell", "color": [30, 30, 200]}]})";
  const auto scores = dir / "scores";
  r = Tessera("evaluate -r " + SharedData("isbi2012-membrane/label/1.png") + " -s " + labels + " --labels " + table +
              " --no-hausdorff --csv " + (scores / "scores.csv").string() + " --json " + (scores / "scores.json").string());
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const auto at = r.out.find("pixel accuracy ");
  ASSERT_NE(at, std::string::npos) << r.out;
  EXPECT_GT(std::stod(r.out.substr(at + 15)), 0.80) << r.out;

  const cv::Mat dice = cv::imread((scores / "scores-dice.png").string());
  ASSERT_FALSE(dice.empty());
  EXPECT_GE(dice.cols, 600);
  // One bar per class: rows of the chart that hold each class colour form one band.
  for (const cv::Vec3b & colour : { cv::Vec3b(30, 30, 200), cv::Vec3b(200, 30, 30) })
  {
    int bands = 0;
    bool inside = false;
    for (int y = 0; y < dice.rows; ++y)
    {
      int n = 0;
      for (int x = 0; x < dice.cols; ++x)
        n += dice.at<cv::Vec3b>(y, x) == colour;
      bands += n > 50 && !inside;
      inside = n > 50;
    }
    EXPECT_EQ(bands, 1) << colour;
  }
  const cv::Mat confusion = cv::imread((scores / "scores-confusion.png").string());
  ASSERT_FALSE(confusion.empty());
  EXPECT_GE(confusion.cols, 600);
}

TEST(SegmentEndToEnd, EvaluateFiguresAreCheckedAndWrittenWithTheTable)
{
  const auto dir = ScratchDir("evaluate-figures");
  const auto reference = SharedData("isbi2012-membrane/label/1.png");
  // A figure's name that is an input is refused before any work, and nothing is written.
  const auto input = dir / "scores-dice.png";
  std::filesystem::copy_file(SharedData("isbi2012-membrane/label/2.png"), input);
  auto r = Tessera("evaluate -q -r " + reference + " -s " + input.string() + " --csv " + (dir / "scores.csv").string());
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.err.find("scores-dice.png: is also an input"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "scores.csv"));
  EXPECT_FALSE(std::filesystem::exists(dir / "scores-confusion.png"));
  // A failed run (grids differ) leaves neither the table nor its figures.
  r = Tessera("evaluate -q -r " + reference + " -s " + SharedData("camvid/valannot/0016E5_07959.png") +
              " --json " + (dir / "bad.json").string());
  EXPECT_NE(r.exitCode, 0);
  EXPECT_FALSE(std::filesystem::exists(dir / "bad.json"));
  EXPECT_FALSE(std::filesystem::exists(dir / "bad-dice.png"));
  // Without a CSV the figures go beside the JSON; without either, none is written.
  r = Tessera("evaluate -q -r " + reference + " -s " + input.string() + " --json " + (dir / "only.json").string());
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "only-dice.png"));
  EXPECT_TRUE(std::filesystem::exists(dir / "only-confusion.png"));
}
