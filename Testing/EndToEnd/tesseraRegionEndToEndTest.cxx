// End-to-end tests of the region applications (region-grow, watershed, superpixels,
// split-merge): exact results on synthetic images written to disk, a real aerial tile, and bad
// input giving one error line, a non-zero exit code and no output.
#include <algorithm>
#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "itkImageRegionIteratorWithIndex.h"
#include "tesseraCommandLine.h"
#include "tesseraImageIO.h"
#include "tesseraImageUtilities.h"

using namespace tessera;
using namespace tessera::testing;
namespace fs = std::filesystem;

namespace
{
class RegionApps : public ::testing::Test
{
protected:
  void SetUp() override { m_Dir = ScratchDir(::testing::UnitTest::GetInstance()->current_test_info()->name()); }
  void TearDown() override { fs::remove_all(m_Dir); }
  std::string Path(const std::string & name) const { return (m_Dir / name).string(); }

  /** A 2D float image value(x, y) with 0.5 x 0.5 mm pixels and origin (10, 20) mm. */
  std::string Write2D(const std::string & name, unsigned int w, unsigned int h, const std::function<float(long, long)> & value)
  {
    auto image = ScalarImage<2>::New();
    image->SetRegions(ScalarImage<2>::SizeType{ { w, h } });
    ScalarImage<2>::SpacingType spacing;
    spacing.Fill(0.5);
    image->SetSpacing(spacing);
    ScalarImage<2>::PointType origin;
    origin[0] = 10;
    origin[1] = 20;
    image->SetOrigin(origin);
    image->Allocate();
    itk::ImageRegionIteratorWithIndex<ScalarImage<2>> it(image, image->GetLargestPossibleRegion());
    for (; !it.IsAtEnd(); ++it)
      it.Set(value(it.GetIndex()[0], it.GetIndex()[1]));
    WriteImageFile(image.GetPointer(), Path(name));
    return Path(name);
  }
  std::string WriteLabels2D(const std::string & name, unsigned int w, unsigned int h, const std::function<LabelPixel(long, long)> & value,
                            double spacing = 0.5)
  {
    auto image = LabelImage<2>::New();
    image->SetRegions(LabelImage<2>::SizeType{ { w, h } });
    LabelImage<2>::SpacingType s;
    s.Fill(spacing);
    image->SetSpacing(s);
    LabelImage<2>::PointType origin;
    origin[0] = 10;
    origin[1] = 20;
    image->SetOrigin(origin);
    image->Allocate();
    itk::ImageRegionIteratorWithIndex<LabelImage<2>> it(image, image->GetLargestPossibleRegion());
    for (; !it.IsAtEnd(); ++it)
      it.Set(value(it.GetIndex()[0], it.GetIndex()[1]));
    WriteImageFile(image.GetPointer(), Path(name));
    return Path(name);
  }
  static bool InDisc(long x, long y) { return (x - 32) * (x - 32) + (y - 30) * (y - 30) <= 225; }
  std::string Disc() { return Write2D("disc.nii.gz", 64, 64, [](long x, long y) { return InDisc(x, y) ? 200.0f : 50.0f; }); }

  /** exit ≠ 0, exactly one stderr line "tessera <app>: error: ..." naming subject and problem, no output. */
  void ExpectRejected(const std::string & app, const std::string & arguments, const std::string & subject,
                      const std::string & problem)
  {
    const std::string output = Path("rejected.nii.gz"), overlay = Path("rejected.png");
    const auto        r = Tessera(app + " " + arguments + " -o " + output + " --overlay " + overlay + " --quiet");
    EXPECT_NE(r.exitCode, 0) << arguments;
    const auto lines = r.ErrorLines();
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_EQ(lines[0].rfind("tessera " + app + ": error: ", 0), 0u) << lines[0];
    EXPECT_NE(lines[0].find(subject), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find(problem), std::string::npos) << lines[0];
    EXPECT_FALSE(fs::exists(output));
    EXPECT_FALSE(fs::exists(overlay));
  }

  fs::path m_Dir;
};
} // namespace

TEST_F(RegionApps, RegionGrowFromPhysicalPointRecoversDisc)
{
  const std::string disc = Disc();
  // Index (32, 30) is (26, 35) mm; a background seed by index with label 2.
  const auto r = Tessera("region-grow -i " + disc + " -o " + Path("out.nii.gz") + " --seed-point 26,35 --seed-index 1,1:2 --overlay " +
                         Path("overlay.png"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto out = ReadLabelImage<2>(Path("out.nii.gz"));
  size_t wrong = 0;
  itk::ImageRegionConstIteratorWithIndex<LabelImage<2>> it(out, out->GetLargestPossibleRegion());
  for (; !it.IsAtEnd(); ++it)
    wrong += it.Get() != (InDisc(it.GetIndex()[0], it.GetIndex()[1]) ? 1 : 2);
  EXPECT_EQ(wrong, 0u);
  EXPECT_DOUBLE_EQ(out->GetSpacing()[0], 0.5);
  EXPECT_DOUBLE_EQ(out->GetOrigin()[1], 20.0);
  EXPECT_TRUE(fs::exists(Path("overlay.png")));
  EXPECT_NE(r.out.find("regions: 1=709 voxels 2=3387 voxels"), std::string::npos) << r.out;
}

TEST_F(RegionApps, RegionGrowConfidenceOnBrainSlice)
{
  // ITK's ConfidenceConnected example: white matter from seed (60, 116) of BrainProtonDensitySlice.
  const std::string input = ItkExample("BrainProtonDensitySlice.png");
  if (!fs::exists(input))
    GTEST_SKIP() << "no " << input;
  const auto r = Tessera("region-grow -i " + input + " -o " + Path("wm.nii.gz") +
                         " --criterion confidence --seed-index 60,116 --multiplier 2.5 --iterations 5 --radius 2");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto   out = ReadLabelImage<2>(Path("wm.nii.gz"));
  size_t in = 0;
  for (size_t i = 0; i < out->GetLargestPossibleRegion().GetNumberOfPixels(); ++i)
    in += out->GetBufferPointer()[i] == 1;
  EXPECT_GT(in, 3000u); // a large white-matter region, not the seed alone
  EXPECT_LT(in, 20000u); // nor the whole head
}

TEST_F(RegionApps, WatershedSplitsTouchingDiscsWithMarkers)
{
  auto label = [](long x, long y) -> LabelPixel {
    const long d1 = (x - 30) * (x - 30) + (y - 40) * (y - 40), d2 = (x - 64) * (x - 64) + (y - 40) * (y - 40);
    return d1 <= 324 && d1 <= d2 ? 1 : d2 <= 324 ? 2 : 3;
  };
  const std::string input = Write2D("discs.nii.gz", 96, 80, [&](long x, long y) {
    const LabelPixel l = label(x, y);
    return l == 1 ? 100.0f : l == 2 ? 180.0f : 0.0f;
  });
  const std::string markers = WriteLabels2D("markers.nii.gz", 96, 80, [](long x, long y) -> LabelPixel {
    return x == 30 && y == 40 ? 1 : x == 64 && y == 40 ? 2 : x == 0 && y == 0 ? 3 : 0;
  });
  const auto r = Tessera("watershed -i " + input + " --markers " + markers + " --sigma 0.5 -o " + Path("ws.nii.gz") +
                         " --overlay " + Path("ws.png") + " --relief " + Path("relief.nii.gz"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("3 regions"), std::string::npos) << r.out;
  auto   out = ReadLabelImage<2>(Path("ws.nii.gz"));
  size_t far = 0;
  itk::ImageRegionConstIteratorWithIndex<LabelImage<2>> it(out, out->GetLargestPossibleRegion());
  for (; !it.IsAtEnd(); ++it)
  {
    const long   x = it.GetIndex()[0], y = it.GetIndex()[1];
    const double r1 = std::abs(std::hypot(x - 30.0, y - 40.0) - 18), r2 = std::abs(std::hypot(x - 64.0, y - 40.0) - 18);
    far += it.Get() != label(x, y) && std::min(r1, r2) > 2.0;
  }
  EXPECT_EQ(far, 0u);
  EXPECT_TRUE(fs::exists(Path("ws.png")));
  EXPECT_TRUE(fs::exists(Path("relief.nii.gz")));
}

TEST_F(RegionApps, SuperpixelsOnAerialTile)
{
  const std::string image = SharedData("dubai-aerial/tile2/images/image_part_001.jpg");
  if (!fs::exists(image))
    GTEST_SKIP() << "no " << image;
  for (const std::string method : { "slic", "slico" })
  {
    const auto r = Tessera("superpixels -i " + image + " --method " + method + " -n 500 -o " + Path(method + ".png") +
                           " --overlay " + Path(method + "-overlay.png"));
    ASSERT_EQ(r.exitCode, 0) << r.err;
    auto   out = ReadLabelImage<2>(Path(method + ".png"));
    std::set<LabelPixel> labels(out->GetBufferPointer(), out->GetBufferPointer() + out->GetLargestPossibleRegion().GetNumberOfPixels());
    EXPECT_EQ(labels.count(0), 0u);
    EXPECT_NEAR(static_cast<double>(labels.size()), 500.0, 150.0) << method;
    EXPECT_EQ(*labels.rbegin(), labels.size()) << "labels 1..N";
    EXPECT_TRUE(fs::exists(Path(method + "-overlay.png")));
  }
}

TEST_F(RegionApps, SplitMergeGivesTheConstantRegions)
{
  const int         blocks[4][4] = { { 1, 2, 2, 3 }, { 1, 1, 3, 3 }, { 4, 4, 5, 6 }, { 4, 7, 6, 6 } };
  const std::string input = Write2D("blocks.nii.gz", 64, 64, [&](long x, long y) { return 10.0f * blocks[y / 16][x / 16]; });
  const auto        r = Tessera("split-merge -i " + input + " -t 1 --min-block-size 1 -o " + Path("sm.nii.gz") + " --leaves " +
                         Path("leaves.nii.gz") + " --overlay " + Path("sm.png"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("16 blocks after the split, 7 regions after merging"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(Path("leaves.nii.gz")));
}

TEST_F(RegionApps, BadInput)
{
  const std::string disc = Disc();
  const std::string volume = (m_Dir / "volume.nii.gz").string();
  {
    auto v = ScalarImage<3>::New();
    v->SetRegions(ScalarImage<3>::SizeType{ { 8, 8, 8 } });
    v->Allocate();
    v->FillBuffer(1.0f);
    WriteImageFile(v.GetPointer(), volume);
  }
  ExpectRejected("region-grow", "-i " + disc + " --seed-index 64,3", "seed", "outside the image");
  ExpectRejected("region-grow", "-i " + disc + " --seed-point 1,1", "--seed-point", "outside the image");
  ExpectRejected("region-grow", "-i " + disc + " --seed-index 3,3,3", "--seed-index", "more than 2 coordinates for a 2D image");
  ExpectRejected("region-grow", "-i " + disc, "seed", "no seed given");
  const std::string offGrid = WriteLabels2D("offgrid.nii.gz", 64, 64, [](long, long) { return LabelPixel(1); }, 1.0);
  ExpectRejected("region-grow", "-i " + disc + " --seeds " + offGrid, offGrid, "spacing");
  const std::string smaller = WriteLabels2D("smaller.nii.gz", 32, 64, [](long, long) { return LabelPixel(1); });
  ExpectRejected("region-grow", "-i " + disc + " --seeds " + smaller, smaller, "size");
  const std::string empty = WriteLabels2D("empty.nii.gz", 64, 64, [](long, long) { return LabelPixel(0); });
  ExpectRejected("region-grow", "-i " + disc + " --seeds " + empty, empty, "empty");
  ExpectRejected("region-grow", "-i " + disc + " --seed-index 3,3 --max-distance 0", "--max-distance", "must be in (0, 1e+30]");
  ExpectRejected("region-grow", "-i " + disc + " --seed-index 3,3 --max-distance -5", "--max-distance", "must be in (0, 1e+30]");
  ExpectRejected("region-grow", "-i " + disc + " --seed-index 3,3 --criterion confidence --multiplier 0", "--multiplier", "must be in (0, 100]");
  ExpectRejected("region-grow", "-i " + disc + " --seed-index 3,3 --criterion interval --lower 10 --upper 5", "--lower",
                 "exceeds");
  ExpectRejected("watershed", "-i " + disc + " --markers " + empty, empty, "empty");
  ExpectRejected("watershed", "-i " + disc + " --markers " + offGrid, offGrid, "spacing");
  ExpectRejected("watershed", "-i " + disc + " --level 1.5", "--level", "must be in [0, 1)");
  ExpectRejected("watershed", "-i " + disc + " --sigma -1", "--sigma", "must be in [0, 1000]");
  ExpectRejected("superpixels", "-i " + disc + " -n 0", "--superpixels", "must be in [1, 65535]");
  ExpectRejected("superpixels", "-i " + disc + " --compactness 0", "--compactness", "must be in (0, 1e+06]");
  ExpectRejected("superpixels", "-i " + volume + " --method slico", "--method", "2D images only");
  ExpectRejected("superpixels", "-i " + disc + " --method quickshift", "--method", "is not one of slic");
  ExpectRejected("split-merge", "-i " + disc + " -t 0", "--threshold", "must be in (0, 1e+30]");
  ExpectRejected("split-merge", "-i " + disc + " -t -3", "--threshold", "must be in (0, 1e+30]");
  ExpectRejected("split-merge", "-i " + disc + " --min-block-size 0", "--min-block-size", "must be in [1, 65536]");
  ExpectRejected("split-merge", "-i " + disc + " --merge-threshold 0", "--merge-threshold", "must be in (0, 1e+30]");
  // Outputs may not overwrite the input.
  const auto r = Tessera("superpixels -i " + disc + " -o " + disc + " --quiet");
  EXPECT_NE(r.exitCode, 0);
}
