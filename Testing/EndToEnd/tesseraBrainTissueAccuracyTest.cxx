// Brain tissue on the 10 MICCAI 2012 multi-atlas subjects: `tessera segment --classes 3` within
// the brain mask, scored by `tessera evaluate` against the manual labels collapsed to tissue
// classes (1 CSF, 2 GM, 3 WM; the manual CSF is ventricles only, so GM and WM are scored).
// Thresholds: mean Dice ≥ 0.74 (GM) and ≥ 0.87 (WM); FSL FAST scores 0.77 and 0.89 here.
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "tesseraCommandLine.h"

using namespace tessera::testing;

TEST(BrainTissueAccuracy, MiccaiMultiAtlasTenSubjects)
{
  const auto dir = ScratchDir("miccai");
  double     gm = 0.0, wm = 0.0;
  const int  subjects = 10;
  for (int id = 1000; id < 1000 + subjects; ++id)
  {
    const std::string prefix = SharedData("miccai2012-multiatlas/" + std::to_string(id));
    const std::string labels = (dir / (std::to_string(id) + ".nii.gz")).string();
    const std::string json = (dir / (std::to_string(id) + ".json")).string();
    auto              r = Tessera("segment -q --classes 3 -i " + prefix + "_SS.nii.gz --mask " + prefix +
                     "_mask.nii.gz -o " + labels);
    ASSERT_EQ(r.exitCode, 0) << r.err;
    r = Tessera("evaluate -q --classes 2,3 --no-hausdorff -r " + prefix + "_classified.nii.gz -s " + labels +
                " --json " + json);
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto report = nlohmann::json::parse(std::ifstream(json));
    double     dice[4] = { 0, 0, 0, 0 };
    for (const auto & row : report["classes"])
    {
      dice[row["label"].get<int>()] = row["dice"].get<double>();
    }
    std::cout << id << ": Dice GM " << dice[2] << ", WM " << dice[3] << std::endl;
    gm += dice[2];
    wm += dice[3];
  }
  gm /= subjects;
  wm /= subjects;
  std::cout << "mean Dice GM " << gm << ", WM " << wm << " (FSL FAST: 0.77, 0.89)" << std::endl;
  EXPECT_GE(gm, 0.74);
  EXPECT_GE(wm, 0.87);
}
