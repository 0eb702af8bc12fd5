#include "tesseraEvaluationReport.h"

#include <cmath>
#include <sstream>

#include <gtest/gtest.h>

namespace
{
using tessera::EvaluationOptions;
using tessera::EvaluationReport;
using tessera::LabelImage;
using tessera::LabelPixel;

template <unsigned int D>
typename LabelImage<D>::Pointer
MakeImage(const itk::Size<D> & size, double spacing, const std::vector<LabelPixel> & pixels)
{
  auto image = LabelImage<D>::New();
  image->SetRegions(size);
  typename LabelImage<D>::SpacingType s;
  s.Fill(spacing);
  image->SetSpacing(s);
  image->Allocate();
  EXPECT_EQ(image->GetLargestPossibleRegion().GetNumberOfPixels(), pixels.size());
  std::copy(pixels.begin(), pixels.end(), image->GetBufferPointer());
  return image;
}

// 6x4, spacing 2 mm. Class 1: 2x2 square at x 0..1 in the reference, x 3..4 in the
// segmentation (shifted 3 px = 6 mm; no overlap). Class 2: identical 2x2 squares.
// Label 7 (ignored) in the reference at x 5 of the last row, where the segmentation says 2.
const std::vector<LabelPixel> kReference{ 1, 1, 0, 0, 0, 0, //
                                          1, 1, 0, 0, 0, 0, //
                                          0, 0, 2, 2, 0, 0, //
                                          0, 0, 2, 2, 0, 7 };
const std::vector<LabelPixel> kSegmentation{ 0, 0, 0, 1, 1, 0, //
                                             0, 0, 0, 1, 1, 0, //
                                             0, 0, 2, 2, 0, 0, //
                                             0, 0, 2, 2, 0, 2 };

EvaluationReport
MakeReport(bool distances = true)
{
  const auto        ref = MakeImage<2>({ { 6, 4 } }, 2.0, kReference);
  const auto        seg = MakeImage<2>({ { 6, 4 } }, 2.0, kSegmentation);
  EvaluationOptions options;
  options.ignoreLabel = 7;
  options.excludeBackground = true;
  options.surfaceDistances = distances;
  options.names = { { 1, "Lesion, left" }, { 2, "Organ" } };
  options.referenceName = "ref.nii.gz";
  options.segmentationName = "seg.nii.gz";
  return EvaluationReport::Compute<2>(ref, seg, options);
}

TEST(EvaluationReport, ScoresAndSummary)
{
  const EvaluationReport r = MakeReport();
  ASSERT_EQ(r.classes.size(), 2u); // 0 excluded, 7 ignored
  const auto & c1 = r.classes[0];
  const auto & c2 = r.classes[1];
  EXPECT_EQ(c1.label, 1);
  EXPECT_EQ(c1.name, "Lesion, left");
  EXPECT_EQ(c1.referenceVoxels, 4);
  EXPECT_EQ(c1.segmentationVoxels, 4);
  EXPECT_EQ(c1.truePositives, 0);
  EXPECT_DOUBLE_EQ(c1.iou, 0.0);
  EXPECT_DOUBLE_EQ(c1.dice, 0.0);
  // Every voxel of a 2x2 square is surface. Reference columns x 0, 1 to the segmentation's
  // nearest column x 3: 3, 3, 2, 2 px; segmentation x 3, 4 to reference x 1: 2, 2, 3, 3 px.
  // HD95 = P95{2, 2, 3, 3} = 3 px = 6 mm; ASSD = 2.5 px = 5 mm.
  EXPECT_NEAR(c1.hausdorffPercentile, 6.0, 1e-9);
  EXPECT_NEAR(c1.hausdorff, 6.0, 1e-9);
  EXPECT_NEAR(c1.averageSymmetric, 5.0, 1e-9);
  EXPECT_EQ(c2.label, 2);
  EXPECT_EQ(c2.segmentationVoxels, 4); // the 2 at the ignored voxel does not count
  EXPECT_DOUBLE_EQ(c2.dice, 1.0);
  EXPECT_DOUBLE_EQ(c2.hausdorffPercentile, 0.0); // its stray voxel is in the ignored region
  EXPECT_EQ(r.comparedVoxels, 23);
  EXPECT_EQ(r.ignoredVoxels, 1);
  // Correct: class 2's 4 + background's 15 reference 0s less the 4 where the segmentation says 1.
  EXPECT_EQ(r.correctVoxels, 4 + 11);
  EXPECT_DOUBLE_EQ(r.pixelAccuracy, 15.0 / 23.0);
  EXPECT_DOUBLE_EQ(r.meanIoU, 0.5);
  EXPECT_DOUBLE_EQ(r.meanDice, 0.5);
  EXPECT_NEAR(r.meanHausdorffPercentile, 3.0, 1e-9);
  EXPECT_NEAR(r.meanAverageSymmetric, 2.5, 1e-9);
  // The counts behind the scores (for the confusion-matrix figure) keep the unscored label 0.
  EXPECT_EQ(r.matrix.Pairs(1, 0), 4);
  EXPECT_EQ(r.matrix.Pairs(0, 1), 4);
  EXPECT_EQ(r.matrix.Pairs(0, 0), 11);
  EXPECT_EQ(r.matrix.Pairs(2, 2), 4);
  EXPECT_EQ(r.matrix.Compared(), 23);
}

TEST(EvaluationReport, Csv)
{
  const std::string expected = "label,name,iou,dice,precision,recall,hd95_mm,hausdorff_mm,assd_mm,"
                               "reference_voxels,segmentation_voxels,true_positives\n"
                               "1,\"Lesion, left\",0,0,0,0,6,6,5,4,4,0\n"
                               "2,Organ,1,1,1,1,0,0,0,4,4,4\n"
                               "mean,,0.5,0.5,0.5,0.5,3,3,2.5,,,\n";
  EXPECT_EQ(MakeReport().ToCsv(), expected);
  const std::string withoutDistances = "label,name,iou,dice,precision,recall,"
                                       "reference_voxels,segmentation_voxels,true_positives\n"
                                       "1,\"Lesion, left\",0,0,0,0,4,4,0\n"
                                       "2,Organ,1,1,1,1,4,4,4\n"
                                       "mean,,0.5,0.5,0.5,0.5,,,\n";
  EXPECT_EQ(MakeReport(false).ToCsv(), withoutDistances);
}

TEST(EvaluationReport, Json)
{
  const nlohmann::ordered_json j = MakeReport().ToJson();
  EXPECT_EQ(j["reference"], "ref.nii.gz");
  EXPECT_EQ(j["segmentation"], "seg.nii.gz");
  EXPECT_EQ(j["ignore_label"], 7);
  EXPECT_EQ(j["percentile"], 95.0);
  ASSERT_EQ(j["classes"].size(), 2u);
  EXPECT_EQ(j["classes"][0]["label"], 1);
  EXPECT_EQ(j["classes"][0]["name"], "Lesion, left");
  EXPECT_EQ(j["classes"][0]["dice"], 0.0);
  EXPECT_NEAR(j["classes"][0]["hd95_mm"].get<double>(), 6.0, 1e-9);
  EXPECT_EQ(j["classes"][1]["reference_voxels"], 4);
  EXPECT_EQ(j["classes"][1]["iou"], 1.0);
  EXPECT_DOUBLE_EQ(j["summary"]["pixel_accuracy"].get<double>(), 15.0 / 23.0);
  EXPECT_EQ(j["summary"]["correct_voxels"], 15);
  EXPECT_EQ(j["summary"]["mean_iou"], 0.5);
  EXPECT_EQ(j["summary"]["compared_voxels"], 23);
  EXPECT_EQ(j["summary"]["ignored_voxels"], 1);
  EXPECT_FALSE(MakeReport(false).ToJson()["classes"][0].contains("hd95_mm"));
}

TEST(EvaluationReport, UndefinedAndInfiniteValuesAreExplicit)
{
  // Class 3 asked for but absent from both (NaN everywhere); class 1 missed entirely: IoU = Dice
  // = recall = 0, precision 0/0 = NaN, distances inf.
  const auto        ref = MakeImage<2>({ { 3, 1 } }, 1.0, { 1, 0, 0 });
  const auto        seg = MakeImage<2>({ { 3, 1 } }, 1.0, { 0, 0, 0 });
  EvaluationOptions options;
  options.classes = { 1, 3 };
  const EvaluationReport r = EvaluationReport::Compute<2>(ref, seg, options);
  ASSERT_EQ(r.classes.size(), 2u);
  EXPECT_TRUE(std::isinf(r.classes[0].hausdorffPercentile));
  EXPECT_TRUE(std::isnan(r.classes[1].iou));
  EXPECT_TRUE(std::isinf(r.meanHausdorffPercentile)); // inf propagates, NaN is skipped
  EXPECT_DOUBLE_EQ(r.meanDice, 0.0);                   // class 3's NaN left out
  const nlohmann::ordered_json j = r.ToJson();
  EXPECT_EQ(j["classes"][0]["hd95_mm"], "inf");
  EXPECT_TRUE(j["classes"][1]["iou"].is_null());
  EXPECT_TRUE(j["classes"][1]["hd95_mm"].is_null());
  EXPECT_EQ(j["classes"][1]["name"], "3");
  const std::string csv = r.ToCsv();
  EXPECT_NE(csv.find("1,1,0,0,nan,0,inf,inf,inf,1,0,0\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("3,3,nan,nan,nan,nan,nan,nan,nan,0,0,0\n"), std::string::npos) << csv;
  const std::string text = r.ToText();
  EXPECT_NE(text.find("inf"), std::string::npos);
  EXPECT_NE(text.find("nan"), std::string::npos);
}

TEST(EvaluationReport, TextTableIsAligned)
{
  const std::string text = MakeReport().ToText();
  std::istringstream lines(text);
  std::string        header, row1, row2;
  std::getline(lines, header);
  std::getline(lines, row1);
  std::getline(lines, row2);
  EXPECT_EQ(header.rfind("label", 0), 0u) << text;
  EXPECT_NE(header.find("HD95 mm"), std::string::npos);
  EXPECT_NE(row1.find("Lesion, left"), std::string::npos);
  // Right-aligned numbers: the columns end at the same place in every row.
  EXPECT_EQ(row1.size(), header.size()) << text;
  EXPECT_EQ(row2.size(), header.size()) << text;
  EXPECT_NE(text.find("6.000"), std::string::npos);
  EXPECT_NE(text.find("pixel accuracy 0.6522 (15 of 23 voxels; 1 with reference label 7 ignored)"), std::string::npos)
    << text;
  EXPECT_NE(text.find("mIoU 0.5000, mean Dice 0.5000, mean HD95 3.000 mm over 2 classes"), std::string::npos) << text;
}

TEST(EvaluationReport, RejectsTheIgnoreLabelAsAClass)
{
  const auto        ref = MakeImage<2>({ { 6, 4 } }, 2.0, kReference);
  EvaluationOptions options;
  options.ignoreLabel = 7;
  options.classes = { 1, 7 };
  try
  {
    EvaluationReport::Compute<2>(ref, ref, options);
    ADD_FAILURE() << "no error";
  }
  catch (const tessera::Error & e)
  {
    EXPECT_EQ(e.Subject(), "classes");
  }
}

TEST(EvaluationReport, PercentileNameFollowsThePercentile)
{
  EvaluationReport r;
  r.percentile = 99.5;
  EXPECT_EQ(r.PercentileName(), "hd99.5");
}
} // namespace
