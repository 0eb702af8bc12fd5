// tessera register and warp as a user runs them: known answers on ITK's example pair, a MICCAI
// 2012 pair (at 2 mm, to stay quick) scored on the 126 labels, the inverse, determinism across
// thread counts, and bad input.
#include <fstream>

#include "tesseraEndToEndChecks.h"
#include "tesseraImageIO.h"

using namespace tessera;
using namespace tessera::testing;
namespace fs = std::filesystem;

namespace
{

class Registration : public ::testing::Test
{
protected:
  void SetUp() override { m_Dir = ScratchDir(::testing::UnitTest::GetInstance()->current_test_info()->name()); }
  std::string Path(const std::string & name) const { return (m_Dir / name).string(); }

  /** A MICCAI image at 2 mm (every other voxel), written into the scratch folder. */
  std::string Half(const std::string & name) const { return MiccaiShrunk(name, m_Dir, 2); }

  fs::path m_Dir;
};
} // namespace

TEST_F(Registration, RecoversITKsExampleRotationWhateverTheThreadCount)
{
  const std::string fixed = ItkExample("BrainProtonDensitySliceBorder20.png");
  const std::string moving = ItkExample("BrainProtonDensitySliceR10X13Y17.png");
  for (const std::string threads : { "1", "2" })
  {
    const auto r = Tessera("register -f " + fixed + " -m " + moving + " --transform rigid --metric ms --samples 0 -o " +
                           Path("rigid" + threads + ".tfm") + " --warped " + Path("warped" + threads + ".nii.gz") +
                           " --threads " + threads + " --quiet");
    ASSERT_EQ(r.exitCode, 0) << r.err;
  }
  EXPECT_EQ(ReadTextFile(Path("rigid1.tfm")), ReadTextFile(Path("rigid2.tfm")));
  // Euler2D parameters: angle (rad), then the translation about the fixed centre of mass.
  const std::string text = ReadTextFile(Path("rigid1.tfm"));
  EXPECT_NE(text.find("AffineTransform_double_2_2"), std::string::npos) << text;
  const auto warped = ReadImageFile<ScalarImage<2>>(Path("warped1.nii.gz"));
  const auto reference = ReadIntensityImage<2>(fixed);
  EXPECT_EQ(warped->GetLargestPossibleRegion(), reference->GetLargestPossibleRegion());
  // The warped moving image matches the fixed one: a fifth of the mean absolute difference left.
  const auto unregistered = ReadIntensityImage<2>(moving);
  double     before = 0, after = 0;
  const auto n = reference->GetLargestPossibleRegion().GetNumberOfPixels();
  ASSERT_EQ(unregistered->GetLargestPossibleRegion().GetNumberOfPixels(), n);
  for (size_t i = 0; i < n; ++i)
  {
    before += std::abs(unregistered->GetBufferPointer()[i] - reference->GetBufferPointer()[i]);
    after += std::abs(warped->GetBufferPointer()[i] - reference->GetBufferPointer()[i]);
  }
  std::cout << "mean absolute difference " << before / n << " before, " << after / n << " after\n";
  EXPECT_LT(after, 0.2 * before);
}

TEST_F(Registration, DeformableBeatsAffineOnAMiccaiPairAndItsInverseMapsBack)
{
  if (!fs::exists(SharedData("miccai2012-multiatlas/1000_SS.nii.gz")))
  {
    GTEST_SKIP() << "MICCAI 2012 data not found";
  }
  const auto fixed = Half("1000_SS.nii.gz"), moving = Half("1001_SS.nii.gz");
  const auto fixedLabels = Half("1000_glm.nii.gz"), movingLabels = Half("1001_glm.nii.gz");
  double dice[3];
  int    k = 0;
  for (const std::string chain : { "rigid,affine", "rigid,affine,deformable", "rigid,affine,bspline" })
  {
    const std::string t = Path("t" + std::to_string(k) + ".h5");
    auto r = Tessera("register -f " + fixed + " -m " + moving + " --transform " + chain + " -o " + t +
                     (k == 1 ? " --inverse " + Path("inverse.h5") + " --displacement " + Path("field.nii.gz") : "") +
                     " --shrink-factors 2,1 --smoothing-sigmas 2,0 --iterations 100,100 --deformable-iterations 100,50");
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.err.find("[" + std::string(k == 0 ? "affine" : (k == 1 ? "deformable" : "bspline")) + ", level 2/2]"),
              std::string::npos)
      << r.err;
    const std::string out = Path("labels" + std::to_string(k) + ".nii.gz");
    r = Tessera("warp -i " + movingLabels + " -r " + fixed + " -t " + t + " --interpolation label -o " + out);
    ASSERT_EQ(r.exitCode, 0) << r.err;
    dice[k++] = MeanMiccaiDice(ReadLabelImage<3>(out), ReadLabelImage<3>(fixedLabels));
  }
  std::cout << "mean Dice over the 126 labels at 2 mm: affine " << dice[0] << ", deformable " << dice[1]
            << ", B-spline " << dice[2] << "\n";
  EXPECT_GT(dice[0], 0.30);
  EXPECT_GT(dice[1], dice[0] + 0.08);
  EXPECT_GT(dice[2], dice[0] + 0.05);
  // The inverse brings the fixed labels onto the moving image about as well.
  auto r = Tessera("warp -i " + fixedLabels + " -r " + moving + " -t " + Path("inverse.h5") +
                   " --interpolation label -o " + Path("back.nii.gz"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const double back = MeanMiccaiDice(ReadLabelImage<3>(Path("back.nii.gz")), ReadLabelImage<3>(movingLabels));
  std::cout << "fixed labels through the inverse onto the moving image: " << back << "\n";
  EXPECT_GT(back, dice[1] - 0.05);
  // The displacement field: a 3-vector per fixed voxel.
  r = Tessera("info -i " + Path("field.nii.gz"));
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("3 component"), std::string::npos) << r.out;
}

TEST_F(Registration, BadInputIsRefusedAndNothingIsWritten)
{
  const std::string fixed = ItkExample("BrainProtonDensitySliceBorder20.png");
  const std::string moving = ItkExample("BrainProtonDensitySliceShifted13x17y.png");
  const std::string volume = ItkExample("KmeansTest_T1UCharRaw.nii.gz");
  const std::string out = Path("t.h5"), image = Path("out.nii.gz");
  const std::string both = " -o " + out + " --warped " + image;

  // Images that share no physical space.
  auto far = ReadIntensityImage<2>(moving);
  auto origin = far->GetOrigin();
  origin[0] += 1e5;
  far->SetOrigin(origin);
  WriteImageFile(far.GetPointer(), Path("far.nii.gz"));
  ExpectRejected("register -f " + fixed + " -m " + Path("far.nii.gz") + " --initialisation none" + both,
                 Path("far.nii.gz"), "does not overlap", { out, image });
  ExpectRejected("register -f " + fixed + " -m " + volume + both, volume, "", { out, image });
  // An empty fixed mask.
  const auto grid = ReadIntensityImage<2>(fixed);
  auto       empty = MaskImage<2>::New();
  empty->CopyInformation(grid);
  empty->SetRegions(grid->GetLargestPossibleRegion());
  empty->Allocate();
  empty->FillBuffer(0);
  WriteImageFile(empty.GetPointer(), Path("empty.nii.gz"));
  ExpectRejected("register -f " + fixed + " -m " + moving + " --fixed-mask " + Path("empty.nii.gz") + both,
                 Path("empty.nii.gz"), "empty", { out, image });
  ExpectRejected("register -f " + fixed + " -m " + moving + " --iterations 1000000" + both, "iterations", "",
                 { out, image });
  ExpectRejected("register -f " + fixed + " -m " + moving + " --shrink-factors 64 --smoothing-sigmas 0 --iterations 10" +
                   both,
                 "shrink-factors", "fewer than 4 voxels", { out, image });
  ExpectRejected("register -f " + fixed + " -m " + moving + " --transform affine,rigid" + both, "transform", "fewer to more",
                 { out, image });
  ExpectRejected("register -f " + fixed + " -m " + moving + " --transform rigid,deformable -o " + Path("t.tfm"),
                 Path("t.tfm"), ".h5", { Path("t.tfm") });
  ExpectRejected("register -f " + fixed + " -m " + moving + " --transform rigid,bspline -o " + out + " --inverse " +
                   Path("i.h5"),
                 "inverse", "B-spline", { out, Path("i.h5") });
  ExpectRejected("register -f " + fixed + " -m " + moving + " -o " + out + " --warped " + Path("w.png"), Path("w.png"),
                 "floating-point", { out, Path("w.png") });
  ExpectRejected("register -f " + fixed + " -m " + moving + " -o " + out + " --warped " + moving, moving, "input",
                 { out });

  // warp: transforms of another dimension, damaged files, label interpolation of colour.
  ASSERT_EQ(Tessera("register -f " + fixed + " -m " + moving + " --transform translation -o " + Path("2d.tfm")).exitCode, 0);
  ExpectRejected("warp -i " + volume + " -r " + volume + " -t " + Path("2d.tfm") + " -o " + image, Path("2d.tfm"),
                 "2D transform", { image });
  std::ofstream(Path("broken.h5")) << "not a transform";
  ExpectRejected("warp -i " + moving + " -r " + fixed + " -t " + Path("broken.h5") + " -o " + image, Path("broken.h5"),
                 "not an HDF5 file", { image });
  std::ofstream(Path("broken.tfm")) << "#Insight Transform File V1.0\nTransform: NoSuchTransform_double_2_2\n";
  ExpectRejected("warp -i " + moving + " -r " + fixed + " -t " + Path("broken.tfm") + " -o " + image,
                 Path("broken.tfm"), "cannot be read as a transform", { image });
  const std::string colour = ItkExample("VisibleWomanEyeSlice.png");
  ExpectRejected("warp -i " + colour + " -r " + colour + " -t " + Path("2d.tfm") + " --interpolation label -o " + image,
                 colour, "label image", { image });
  ExpectRejected("warp -i " + moving + " -r " + fixed + " -t " + Path("2d.tfm") + " -o " + moving, moving, "input", {});
}
