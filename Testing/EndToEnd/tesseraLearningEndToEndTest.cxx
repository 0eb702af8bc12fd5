// tessera train / tessera predict from the command line: tiny runs on real data (ISBI 2012, Dubai
// aerial), determinism under --seed, resume, folders, physical space, and bad input.
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "tesseraCommandLine.h"
#include "tesseraImageIO.h"
#include "tesseraImageUtilities.h"
#include "tesseraProbabilityImage.h"

using namespace tessera;
using namespace tessera::testing;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace
{
std::string
Isbi(const std::string & kind, int i)
{
  return SharedData("isbi2012-membrane/" + kind + "/" + std::to_string(i) + ".png");
}

/** A tiny, fast ISBI config: 2 training images, 1 validation image, 64² crops, 4-wide 2-level U-Net. */
json
TinyConfig(int epochs)
{
  json c;
  c["data"]["train"]["images"] = { Isbi("image", 0), Isbi("image", 1) };
  c["data"]["train"]["labels"] = { Isbi("label", 0), Isbi("label", 1) };
  c["data"]["val"]["images"] = { Isbi("image", 2) };
  c["data"]["val"]["labels"] = { Isbi("label", 2) };
  c["data"]["remap"] = { { "0", 0 }, { "255", 1 } };
  c["network"] = { { "base_width", 4 }, { "depth", 2 } };
  c["loss"] = "cross_entropy+dice";
  c["crop_size"] = { 64, 64 };
  c["batch_size"] = 2;
  c["epochs"] = epochs;
  c["steps_per_epoch"] = 3;
  c["validation_overlap"] = 0.0;
  c["augmentation"] = { { "scale", { 0.8, 1.25 } }, { "brightness", 0.1 }, { "contrast", 0.1 } };
  return c;
}

std::string
WriteJson(const fs::path & path, const json & j)
{
  std::ofstream(path) << j.dump(2);
  return path.string();
}

std::string
ReadText(const fs::path & path)
{
  std::stringstream s;
  s << std::ifstream(path).rdbuf();
  return s.str();
}

std::vector<std::string>
Lines(const std::string & text)
{
  std::vector<std::string> lines;
  std::istringstream       s(text);
  for (std::string line; std::getline(s, line);)
    lines.push_back(line);
  return lines;
}

/** The CSV without the seconds column (the only one that may differ between identical runs). */
std::vector<std::string>
WithoutSeconds(const std::string & csv)
{
  std::vector<std::string> out;
  for (auto line : Lines(csv))
    out.push_back(line.substr(0, line.rfind(',')));
  return out;
}

class Learning : public ::testing::Test
{
protected:
  static void SetUpTestSuite()
  {
    s_Dir = ScratchDir("learning");
    const auto r = Tessera("train " + WriteJson(s_Dir / "tiny.json", TinyConfig(2)) + " --seed 7 -q -o " +
                           (s_Dir / "run").string());
    s_SetUpError = r.exitCode == 0 ? "" : "training the suite's tiny model failed: " + r.err;
    s_Model = (s_Dir / "run" / "best.pt").string();
  }
  static void TearDownTestSuite() { fs::remove_all(s_Dir); }
  // A failure in SetUpTestSuite would make GoogleTest skip every test, and ctest count skips as passes.
  void SetUp() override { ASSERT_TRUE(s_SetUpError.empty()) << s_SetUpError; }

  /** exit ≠ 0, the last stderr line names subject and problem, and `output` was not written. */
  static void ExpectRejected(const CommandResult & r, const std::string & subject, const std::string & problem,
                             const std::string & output)
  {
    EXPECT_NE(r.exitCode, 0);
    const auto lines = r.ErrorLines();
    ASSERT_FALSE(lines.empty());
    EXPECT_NE(lines.back().find(subject), std::string::npos) << lines.back();
    EXPECT_NE(lines.back().find(problem), std::string::npos) << lines.back();
    EXPECT_FALSE(fs::exists(output)) << output;
  }

  static fs::path    s_Dir;
  static std::string s_Model, s_SetUpError;
};
fs::path    Learning::s_Dir;
std::string Learning::s_Model, Learning::s_SetUpError;
} // namespace

TEST_F(Learning, TrainWritesCheckpointsAndOneCsvRowPerEpoch)
{
  const auto run = s_Dir / "run";
  EXPECT_TRUE(fs::exists(run / "best.pt"));
  EXPECT_TRUE(fs::exists(run / "last.pt"));
  EXPECT_TRUE(fs::exists(run / "config.json"));
  const auto lines = Lines(ReadText(run / "training.csv"));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "epoch,train_loss,val_loss,val_miou,val_dice,lr,seconds");
  EXPECT_EQ(lines[1].substr(0, 2), "1,");
  EXPECT_EQ(lines[2].substr(0, 2), "2,");
  // The curves beside it: loss above validation mIoU (the tiny run has a validation image).
  const cv::Mat curves = cv::imread((run / "training-curves.png").string());
  ASSERT_FALSE(curves.empty());
  EXPECT_GE(curves.cols, 600);
  EXPECT_GE(curves.rows, 600); // two panels
}

TEST_F(Learning, SameSeedSameRunAndResumeContinues)
{
  const auto config = WriteJson(s_Dir / "tiny3.json", TinyConfig(3));
  const auto again = s_Dir / "again";
  auto       r = Tessera("train " + WriteJson(s_Dir / "tiny2.json", TinyConfig(2)) + " --seed 7 -q -o " + again.string());
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(WithoutSeconds(ReadText(again / "training.csv")), WithoutSeconds(ReadText(s_Dir / "run" / "training.csv")));
  // Resume to epoch 3: the first two rows are kept, one is added.
  r = Tessera("train " + config + " --resume -q -o " + again.string());
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const auto rows = WithoutSeconds(ReadText(again / "training.csv"));
  ASSERT_EQ(rows.size(), 4u);
  const auto before = WithoutSeconds(ReadText(s_Dir / "run" / "training.csv"));
  EXPECT_EQ(std::vector<std::string>(rows.begin(), rows.begin() + 3), before);
  // A different seed gives a different run.
  const auto other = s_Dir / "other";
  r = Tessera("train " + WriteJson(s_Dir / "tiny2b.json", TinyConfig(2)) + " --seed 8 -q -o " + other.string());
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(WithoutSeconds(ReadText(other / "training.csv")), before);
}

TEST_F(Learning, PredictKeepsGridAndWritesOutputValues)
{
  const auto out = (s_Dir / "25.png").string(), p = (s_Dir / "25-p.nii.gz").string(),
             overlay = (s_Dir / "25-overlay.png").string();
  auto r = Tessera("predict -q --window 256x256 --overlap 0.25 -m " + s_Model + " -i " + Isbi("image", 25) + " -o " +
                  out + " --overlay " + overlay);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto labels = ReadImageFile<LabelImage<2>>(out);
  EXPECT_EQ(labels->GetLargestPossibleRegion().GetSize()[0], 512u);
  std::set<int> values(labels->GetBufferPointer(), labels->GetBufferPointer() + 512 * 512);
  for (int v : values)
    EXPECT_TRUE(v == 0 || v == 255) << v;
  EXPECT_TRUE(fs::exists(overlay));
  // Class indices and their probabilities (2 components summing to 1), with TTA.
  r = Tessera("predict -q --tta --class-indices --window 512x512 -m " + s_Model + " -i " + Isbi("image", 25) + " -o " +
              (s_Dir / "25-classes.png").string() + " --probabilities " + p);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto probabilities = ReadImageFile<ProbabilityImage<2>>(p);
  ASSERT_EQ(probabilities->GetNumberOfComponentsPerPixel(), 2u);
  const float * q = probabilities->GetBufferPointer();
  EXPECT_NEAR(q[0] + q[1], 1.0f, 1e-5f);
}

// Under --ram the image runs tile by tile, each tile's windows placed on the whole image's grid:
// labels and probabilities are the whole run's, bit for bit (with TTA and a partial last batch too).
TEST_F(Learning, TiledPredictUnderARamBudgetIsTheWholeRun)
{
  const auto input = (s_Dir / "25.mha").string();
  WriteImageFile(ReadImageFile<ScalarImage<2>>(Isbi("image", 25)).GetPointer(), input);
  const auto path = [](const std::string & name) { return (s_Dir / name).string(); };
  for (const std::string options : { "", " --tta --overlap 0.3 --batch 3" })
  {
    const std::string run = "predict -m " + s_Model + " -i " + input + options;
    auto r = Tessera(run + " -q -o " + path("whole.tif") + " --probabilities " + path("whole-p.tif"));
    ASSERT_EQ(r.exitCode, 0) << r.err;
    // 346 MB: the process, LibTorch and a batch of 64² windows leave room for 192² tiles with 64-pixel halos.
    r = Tessera(run + " -o " + path("tiled.tif") + " --probabilities " + path("tiled-p.tif") + " --ram 346");
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("9 tiles of 192 x 192 pixels (halo 64) under 346 MB"), std::string::npos) << r.out;
    const auto whole = ReadImageFile<LabelImage<2>>(path("whole.tif")), tiled = ReadImageFile<LabelImage<2>>(path("tiled.tif"));
    EXPECT_TRUE(std::equal(whole->GetBufferPointer(), whole->GetBufferPointer() + 512 * 512, tiled->GetBufferPointer()));
    const auto p = ReadImageFile<ProbabilityImage<2>>(path("whole-p.tif"));
    const auto q = ReadImageFile<ProbabilityImage<2>>(path("tiled-p.tif"));
    EXPECT_TRUE(std::equal(p->GetBufferPointer(), p->GetBufferPointer() + 2 * 512 * 512, q->GetBufferPointer())) << options;
  }
  // A network's window wider than the budget's tiles allow, named before anything is written.
  ExpectRejected(Tessera("predict -m " + s_Model + " -i " + input + " --window 512x512 -o " + path("big.tif") +
                         " --ram 346"),
                 "--ram", "below one tile", path("big.tif"));
}

TEST_F(Learning, PipelineFileAndCppExampleEqualPredictThenMrf)
{
  // predict --probabilities, then mrf: the two-step chain through files.
  const auto p = (s_Dir / "chain-p.nii.gz").string(), viaFiles = (s_Dir / "chain-mrf.png").string();
  auto       r = Tessera("predict -q -m " + s_Model + " -i " + Isbi("image", 27) + " -o " + (s_Dir / "chain-cnn.png").string() +
                         " --probabilities " + p);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  // Two classes (labels 0 and 255) give two components, not 256.
  EXPECT_EQ(ReadImageFile<ProbabilityImage<2>>(p)->GetNumberOfComponentsPerPixel(), 2u);
  r = Tessera("mrf -q -i " + p + " -o " + viaFiles);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  // The same chain from the shipped pipeline file, in memory.
  const auto viaPipeline = (s_Dir / "chain-pipeline.png").string();
  r = Tessera("pipeline -q " + std::string(TESSERA_SOURCE_DIR) + "/Documentation/Pipelines/isbi2012-cnn-potts.json -i " +
              Isbi("image", 27) + " -o " + viaPipeline + " --set model=" + s_Model);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  // And the C++ example composing CNNImageFilter -> PottsMRFImageFilter in one ITK pipeline.
  const auto viaExample = (s_Dir / "chain-example.png").string();
  const int  status = std::system((std::string(TESSERA_CNN_POTTS_EXAMPLE) + " " + Isbi("image", 27) + " " + s_Model + " " +
                                  viaExample + " > /dev/null").c_str());
  ASSERT_EQ(status, 0);
  const auto reference = ReadLabelImage<2>(viaFiles);
  const size_t n = reference->GetLargestPossibleRegion().GetNumberOfPixels();
  for (size_t i = 0; i < n; ++i)
    ASSERT_TRUE(reference->GetBufferPointer()[i] == 0 || reference->GetBufferPointer()[i] == 255) << i;
  for (const auto & other : { viaPipeline, viaExample })
  {
    const auto labels = ReadLabelImage<2>(other);
    size_t     differ = 0;
    for (size_t i = 0; i < n; ++i)
      differ += labels->GetBufferPointer()[i] != reference->GetBufferPointer()[i];
    EXPECT_EQ(differ, 0u) << other;
  }
  // --dry-run checks and prints the plan, and runs nothing.
  const auto dry = (s_Dir / "dry.png").string();
  r = Tessera("pipeline --dry-run " + std::string(TESSERA_SOURCE_DIR) + "/Documentation/Pipelines/isbi2012-cnn-potts.json -i " +
              Isbi("image", 27) + " -o " + dry + " --set model=" + s_Model);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("2. potts (mrf)"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dry));
}

TEST_F(Learning, PredictRunsATorchScriptModuleWithItsLabelTableAndNormalisation)
{
  // A scripted 1x1 convolution: logits (x - 0.5, 0.5 - x) of the normalised intensity x = v / 255,
  // so class 0 (label 0, "Membrane") wins where v > 127.5 with probability sigmoid(2x - 1).
  const auto module = (s_Dir / "threshold.ts").string();
  const std::string script = "import sys, torch\n"
                             "class T(torch.nn.Module):\n"
                             "    def forward(self, x):\n"
                             "        return torch.cat([x - 0.5, 0.5 - x], 1)\n"
                             "torch.jit.script(T()).save(sys.argv[1])\n";
  std::ofstream(s_Dir / "make.py") << script;
  if (std::system(("/usr/bin/python3 " + (s_Dir / "make.py").string() + " " + module + " 2> /dev/null").c_str()) != 0)
    GTEST_SKIP() << "/usr/bin/python3 cannot import torch";
  const auto out = (s_Dir / "ts.png").string(), p = (s_Dir / "ts-p.nrrd").string();
  const auto r = Tessera("predict -q --torchscript " + module + " --labels " + std::string(TESSERA_SOURCE_DIR) +
                         "/Documentation/Learning/isbi2012-labels.json --mean 0 --std 255 --size-multiple 1 -i " +
                         Isbi("image", 28) + " -o " + out + " --probabilities " + p);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const auto image = ReadImageFile<ScalarImage<2>>(Isbi("image", 28));
  const auto labels = ReadLabelImage<2>(out);
  const auto probabilities = ReadProbabilityImage<2>(p);
  ASSERT_EQ(probabilities->GetNumberOfComponentsPerPixel(), 2u);
  EXPECT_EQ(ClassTable<2>(probabilities, p).Name(0), "Membrane");
  for (size_t i = 0; i < 512 * 512; i += 101)
  {
    const double v = image->GetBufferPointer()[i];
    EXPECT_EQ(labels->GetBufferPointer()[i], v > 127.5 ? 0 : 255) << i;
    EXPECT_NEAR(probabilities->GetBufferPointer()[2 * i], 1.0 / (1.0 + std::exp(-(2.0 * v / 255.0 - 1.0))), 1e-5) << i;
  }
}

TEST_F(Learning, ExportWritesATorchScriptFile)
{
  const auto ts = (s_Dir / "model.ts.pt").string();
  auto       r = Tessera("export -q -m " + s_Model + " -o " + ts);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_GT(fs::file_size(ts), 1000u);
  r = Tessera("export -q -m " + s_Model + " -o " + (s_Dir / "model.txt").string());
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("unsupported extension"), std::string::npos) << r.err;
}

TEST_F(Learning, PredictOnPhysicalGridAndFolders)
{
  // A 100×77 crop of image 26 with spacing 0.5 mm and an origin: the labels lie on its grid.
  auto image = ReadImageFile<ScalarImage<2>>(Isbi("image", 26));
  auto crop = ScalarImage<2>::New();
  crop->SetRegions(ScalarImage<2>::SizeType{ { 100, 77 } });
  crop->Allocate();
  for (unsigned y = 0; y < 77; ++y)
    for (unsigned x = 0; x < 100; ++x)
      crop->SetPixel({ { x, y } }, image->GetPixel({ { x + 200, y + 100 } }));
  crop->SetSpacing(itk::Vector<double, 2>(0.5));
  ScalarImage<2>::PointType origin;
  origin[0] = 3;
  origin[1] = -4;
  crop->SetOrigin(origin);
  const auto folder = s_Dir / "in";
  fs::create_directories(folder);
  WriteImageFile(crop.GetPointer(), (folder / "a.nii.gz").string());
  WriteImageFile(crop.GetPointer(), (folder / "b.nii.gz").string());
  const auto outFolder = s_Dir / "out";
  auto       r = Tessera("predict -q -m " + s_Model + " -i " + folder.string() + " -o " + outFolder.string());
  ASSERT_EQ(r.exitCode, 0) << r.err;
  for (const char * name : { "a.nii.gz", "b.nii.gz" })
  {
    auto labels = ReadImageFile<LabelImage<2>>((outFolder / name).string());
    CheckSameGrid(crop.GetPointer(), "input", labels.GetPointer(), name);
  }
}

TEST_F(Learning, RgbColourMasksThroughTheLabelTable)
{
  json c;
  const std::string tile = SharedData("dubai-aerial/tile1/");
  c["data"]["train"]["images"] = { tile + "images/image_part_001.jpg" };
  c["data"]["train"]["labels"] = { tile + "masks/image_part_001.png" };
  c["data"]["label_format"] = "rgb";
  // The colours of data/README.md (as Documentation/Learning/dubai-labels.json); black is ignored too.
  const json table = json::parse(R"json({"labels": [
    {"id": 0, "name": "Building", "color": [60, 16, 152]}, {"id": 1, "name": "Land", "color": [132, 41, 246]},
    {"id": 2, "name": "Road", "color": [110, 193, 228]}, {"id": 3, "name": "Vegetation", "color": [254, 221, 58]},
    {"id": 4, "name": "Water", "color": [226, 169, 41]},
    {"id": 5, "name": "Unlabeled", "color": [155, 155, 155], "ignore": true},
    {"id": 6, "name": "Unlabeled (black)", "color": [0, 0, 0], "ignore": true}]})json");
  c["data"]["label_table"] = WriteJson(s_Dir / "dubai-labels.json", table);
  c["network"] = { { "base_width", 4 }, { "depth", 2 } };
  c["crop_size"] = { 64, 64 };
  c["batch_size"] = 2;
  c["epochs"] = 1;
  c["steps_per_epoch"] = 2;
  const auto out = s_Dir / "dubai";
  auto       r = Tessera("train -q --seed 1 " + WriteJson(s_Dir / "dubai.json", c) + " -o " + out.string());
  ASSERT_EQ(r.exitCode, 0) << r.err;
  // 5 classes (Unlabeled and black are ignored): the model writes labels 0..4.
  r = Tessera("predict -q --window 256x256 --overlap 0 -m " + (out / "best.pt").string() + " -i " + tile + "images/image_part_002.jpg -o " +
              (s_Dir / "dubai.png").string());
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto labels = ReadImageFile<LabelImage<2>>((s_Dir / "dubai.png").string());
  const size_t n = labels->GetLargestPossibleRegion().GetNumberOfPixels();
  EXPECT_LT(*std::max_element(labels->GetBufferPointer(), labels->GetBufferPointer() + n), 5);
}

TEST_F(Learning, BadInputIsRejectedWithoutOutput)
{
  const auto out = (s_Dir / "bad.png").string();
  ExpectRejected(Tessera("predict -m " + (s_Dir / "missing.pt").string() + " -i " + Isbi("image", 25) + " -o " + out),
                 "missing.pt", "no such file", out);
  const auto corrupt = s_Dir / "corrupt.pt";
  std::ofstream(corrupt) << "garbage";
  ExpectRejected(Tessera("predict -m " + corrupt.string() + " -i " + Isbi("image", 25) + " -o " + out), "corrupt.pt",
                 "model", out);
  // An RGB image for a one-channel model.
  ExpectRejected(Tessera("predict -m " + s_Model + " -i " + SharedData("camvid/val/0016E5_07959.png") + " -o " + out),
                 "0016E5_07959.png", "channel", out);
  // Label values outside the classes (no remap: 255 is not a class of 2).
  auto c = TinyConfig(1);
  c["data"].erase("remap");
  c["network"]["classes"] = 2;
  const auto runOut = s_Dir / "badrun";
  ExpectRejected(Tessera("train " + WriteJson(s_Dir / "bad-labels.json", c) + " -o " + runOut.string()), "label/0.png",
                 "255", (runOut / "best.pt").string());
  // Unknown config key, named.
  c = TinyConfig(1);
  c["learning_rate"] = 0.1;
  ExpectRejected(Tessera("train " + WriteJson(s_Dir / "bad-key.json", c) + " -o " + runOut.string()), "bad-key.json",
                 "learning_rate", (runOut / "best.pt").string());
  c = TinyConfig(1);
  c["loss"] = "cross_entropy+hinge";
  ExpectRejected(Tessera("train " + WriteJson(s_Dir / "bad-loss.json", c) + " -o " + runOut.string()), "bad-loss.json",
                 "hinge", (runOut / "best.pt").string());
  std::ofstream(s_Dir / "malformed.json") << "{\"data\": ";
  ExpectRejected(Tessera("train " + (s_Dir / "malformed.json").string() + " -o " + runOut.string()), "malformed.json",
                 "JSON", (runOut / "best.pt").string());
  // Resume without a checkpoint.
  ExpectRejected(Tessera("train " + WriteJson(s_Dir / "resume.json", TinyConfig(1)) + " --resume -o " +
                         (s_Dir / "nothing").string()),
                 "last.pt", "not found", (s_Dir / "nothing" / "best.pt").string());
}

TEST_F(Learning, SemiSupervisedAndWeaklySupervisedRuns)
{
  // Unlabelled images with a p4m teacher, and hidden labels by Potts graph cuts: with every pixel labelled the
  // hidden labels are the given ones (given labels are kept), so the update changes nothing.
  auto c = TinyConfig(2);
  c["data"]["unlabelled"] = { Isbi("image", 3) };
  c["semi_supervised"] = { { "threshold", 0.5 }, { "teacher", "p4m" } };
  c["weak_supervision"] = { { "potts_beta", 0.5 }, { "warmup_epochs", 1 } };
  const auto r = Tessera("train " + WriteJson(s_Dir / "semi.json", c) + " --seed 3 -o " + (s_Dir / "semi").string());
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("pseudo-labelled"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("hidden labels updated: 0 % of the pixels changed"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(s_Dir / "semi" / "best.pt"));
}

TEST_F(Learning, PseudoLabelsFromAClassicalPipeline)
{
  // No manual labels: GMM -> Potts labels images 3 and 4; pixels next to a label change are left out.
  auto c = TinyConfig(1);
  c["data"].erase("train");
  c["pseudo_labels"] = { { "pipeline", std::string(TESSERA_SOURCE_DIR) + "/Documentation/Pipelines/isbi2012-gmm-potts.json" },
                         { "images", { Isbi("image", 3), Isbi("image", 4) } },
                         { "label_values", { { "1", 0 }, { "2", 255 } } },
                         { "margin", 1 } };
  const auto run = s_Dir / "pseudo";
  const auto r = Tessera("train " + WriteJson(s_Dir / "pseudo.json", c) + " --seed 3 -q -o " + run.string());
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_TRUE(fs::exists(run / "best.pt"));
  const auto labels = ReadLabelImage<2>((run / "pseudo-labels" / "3.png").string());
  std::map<int, size_t> count;
  for (size_t i = 0; i < labels->GetLargestPossibleRegion().GetNumberOfPixels(); ++i)
    ++count[labels->GetBufferPointer()[i]];
  EXPECT_EQ(count.size(), 3u); // membrane 0, cell 255, left out 65535
  EXPECT_GT(count[0], 10000u);
  EXPECT_GT(count[255], count[0]);
  EXPECT_GT(count[65535], 10000u);
  // The membranes (dark) of the classical labels overlap the real ones far better than chance.
  const auto truth = ReadLabelImage<2>(Isbi("label", 3));
  size_t     both = 0;
  for (size_t i = 0; i < truth->GetLargestPossibleRegion().GetNumberOfPixels(); ++i)
    both += labels->GetBufferPointer()[i] == 0 && truth->GetBufferPointer()[i] == 0;
  EXPECT_GT(static_cast<double>(both) / count[0], 0.5);
  // A pipeline that does not exist is named before anything runs.
  c["pseudo_labels"]["pipeline"] = "missing.json";
  const auto bad = s_Dir / "pseudo-bad";
  ExpectRejected(Tessera("train " + WriteJson(s_Dir / "pseudo-bad.json", c) + " -o " + bad.string()), "pseudo-bad.json",
                 "pseudo_labels.pipeline", (bad / "best.pt").string());
  EXPECT_FALSE(fs::exists(bad));
}
