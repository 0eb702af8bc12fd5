// Pseudo-labels from a classical pipeline: which pixels are kept (threshold, margin), and the plumbing of
// WritePseudoLabels with a stand-in pipeline runner (variables passed, labels mapped, files written, scratch removed).
#include <filesystem>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tesseraError.h"
#include "tesseraImageIO.h"
#include "tesseraImageTensor.h"
#include "tesseraImageUtilities.h"
#include "tesseraPseudoLabels.h"

using namespace tessera;
namespace fs = std::filesystem;

TEST(PseudoLabels, ThresholdAndMarginLeaveOutTheUncertainPixels)
{
  // One row: labels 1 1 1 1 2 2 2 2, confidences rising from 0.5.
  const auto labels = torch::tensor({ 1L, 1L, 1L, 1L, 2L, 2L, 2L, 2L }).reshape({ 1, 8 });
  const auto confidence = torch::tensor({ 0.5f, 0.6f, 0.7f, 0.8f, 0.9f, 0.95f, 0.97f, 0.99f }).reshape({ 1, 8 });
  EXPECT_TRUE(torch::equal(ConfidentPseudoLabels(labels, torch::Tensor(), 0.9, 0), labels));
  EXPECT_TRUE(torch::equal(ConfidentPseudoLabels(labels, confidence, 0.75, 0),
                           torch::tensor({ -1L, -1L, -1L, 1L, 2L, 2L, 2L, 2L }).reshape({ 1, 8 })));
  EXPECT_TRUE(torch::equal(ConfidentPseudoLabels(labels, torch::Tensor(), 0, 2),
                           torch::tensor({ 1L, 1L, -1L, -1L, -1L, -1L, 2L, 2L }).reshape({ 1, 8 })));
  // 3D, chessboard distance: a 3×3×3 block of 5 centred in a 5×5×5 volume of 0s keeps only its centre; every 0
  // voxel, corners included, is 1 voxel from the block.
  auto block = torch::zeros({ 5, 5, 5 }, torch::kLong);
  block.slice(0, 1, 4).slice(1, 1, 4).slice(2, 1, 4).fill_(5);
  const auto kept = ConfidentPseudoLabels(block, torch::Tensor(), 0, 1);
  EXPECT_EQ((kept == 5).sum().item<int64_t>(), 1);
  EXPECT_EQ(kept[2][2][2].item<int64_t>(), 5);
  EXPECT_EQ((kept == -1).sum().item<int64_t>(), 124);
}

TEST(PseudoLabels, WritesThePipelinesConfidentLabelsMapped)
{
  const fs::path dir = fs::temp_directory_path() / ("tessera-pseudo-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  // A 2D "image" and a stand-in pipeline that labels its left half 1 and right half 2, and checks its variables.
  auto image = LabelImage<2>::New();
  image->SetRegions(itk::Size<2>{ { 8, 4 } });
  image->Allocate();
  image->FillBuffer(0);
  const std::string imagePath = (dir / "slice.png").string();
  WriteImageFile<LabelImage<2>>(image, imagePath);
  std::string seenOutput;
  SetPipelineRunner([&](const std::string & path, const std::map<std::string, std::string> & variables, const RunOptions &) {
    EXPECT_EQ(path, "teacher.json");
    EXPECT_EQ(variables.at("input"), imagePath);
    EXPECT_EQ(variables.at("smoothness"), "2");
    seenOutput = variables.at("output");
    auto labels = LabelImage<2>::New();
    labels->SetRegions(itk::Size<2>{ { 8, 4 } });
    labels->Allocate();
    for (itk::IndexValueType x = 0; x < 8; ++x)
      for (itk::IndexValueType y = 0; y < 4; ++y)
        labels->SetPixel({ { x, y } }, x < 4 ? 1 : 2);
    WriteImageFile<LabelImage<2>>(labels, seenOutput);
  });
  TrainingConfig c;
  c.pseudo.pipeline = "teacher.json";
  c.pseudo.images = { imagePath };
  c.pseudo.variables = { { "smoothness", "2" } };
  c.pseudo.labelValues = { { 1, 0 }, { 2, 255 } };
  c.pseudo.margin = 1;
  const auto files = WritePseudoLabels(c, (dir / "pseudo").string(), RunOptions{}, true);
  ASSERT_EQ(files, std::vector<std::string>{ (dir / "pseudo" / "slice.png").string() });
  const auto written = LabelsToTensor<2>(ReadLabelImage<2>(files[0]).GetPointer());
  const auto row = torch::tensor({ 0L, 0L, 0L, 65535L, 65535L, 255L, 255L, 255L });
  EXPECT_TRUE(torch::equal(written, row.expand({ 4, 8 })));
  EXPECT_FALSE(fs::exists(fs::path(seenOutput).parent_path())); // the scratch folder is gone
  // A label the mapping does not know: an error naming the pipeline, and nothing written.
  c.pseudo.labelValues = { { 1, 0 } };
  try
  {
    WritePseudoLabels(c, (dir / "other").string(), RunOptions{}, true);
    ADD_FAILURE() << "no error";
  }
  catch (const Error & e)
  {
    EXPECT_EQ(e.Subject(), "teacher.json");
    EXPECT_NE(std::string(e.what()).find("label 2"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(dir / "other"));
  SetPipelineRunner(nullptr);
  fs::remove_all(dir);
}
