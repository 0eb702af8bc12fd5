#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tesseraError.h"
#include "tesseraTrainingConfig.h"

using namespace tessera;
namespace fs = std::filesystem;

namespace
{
struct ConfigFile
{
  fs::path dir = fs::temp_directory_path() / ("tessera-config-test-" + std::to_string(::getpid()));
  std::string Write(const std::string & text)
  {
    fs::create_directories(dir);
    const auto p = (dir / "config.json").string();
    std::ofstream(p) << text;
    return p;
  }
  ~ConfigFile() { fs::remove_all(dir); }
};

const std::string isbi = std::string(TESSERA_DATA_DIR) + "/isbi2012-membrane/";

std::string
ExpectError(const std::string & path)
{
  try
  {
    ReadTrainingConfig(path);
  }
  catch (const Error & e)
  {
    EXPECT_EQ(e.Subject(), path);
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}
} // namespace

TEST(TrainingConfig, ReadsRemapAndDerivesClassesAndOutputValues)
{
  ConfigFile f;
  const auto p = f.Write(R"({"data": {"train": {"images": [")" + isbi + R"(image/0.png"], "labels": [")" + isbi +
                         R"(label/0.png"]}, "remap": {"0": 0, "255": 1}}, "crop_size": [128, 128], "max_minutes": 1.5})");
  const auto c = ReadTrainingConfig(p);
  EXPECT_EQ(c.Classes(), 2);
  EXPECT_EQ(c.outputValues, (std::vector<LabelPixel>{ 0, 255 }));
  EXPECT_EQ(c.ClassOf(255, "x"), 1);
  EXPECT_THROW(c.ClassOf(7, "x"), Error);
  EXPECT_DOUBLE_EQ(c.maxMinutes, 1.5);
  EXPECT_EQ(c.train.images.size(), 1u);
}

TEST(TrainingConfig, CityscapesStyleManyToOneRemapWithIgnore)
{
  ConfigFile f;
  const auto p = f.Write(R"({"data": {"train": {"images": [")" + isbi + R"(image/0.png"], "labels": [")" + isbi +
                         R"(label/0.png"]}, "remap": {"0": null, "7": 0, "8": 0, "11": 1, "26": 2, "27": 2}}})");
  const auto c = ReadTrainingConfig(p);
  EXPECT_EQ(c.Classes(), 3);
  EXPECT_EQ(c.ClassOf(0, "x"), -1);
  EXPECT_EQ(c.ClassOf(8, "x"), 0);
  EXPECT_EQ(c.outputValues, (std::vector<LabelPixel>{ 0, 11, 2 })); // 0 and 2 are many-to-one: the class itself
}

TEST(TrainingConfig, ErrorsNameTheKey)
{
  ConfigFile f;
  const std::string data = R"("data": {"train": {"images": [")" + isbi + R"(image/0.png"], "labels": [")" + isbi +
                           R"(label/0.png"]}, "remap": {"0": 0, "255": 1}})";
  EXPECT_NE(ExpectError(f.Write("{" + data + R"(, "learning_rate": 0.1})")).find("learning_rate"), std::string::npos);
  EXPECT_NE(ExpectError(f.Write("{" + data + R"(, "augmentation": {"flips": true}})")).find("augmentation.flips"),
            std::string::npos);
  EXPECT_NE(ExpectError(f.Write("{" + data + R"(, "network": {"widht": 3}})")).find("widht"), std::string::npos);
  EXPECT_NE(ExpectError(f.Write("{" + data + R"(, "batch_size": "four"})")).find("batch_size"), std::string::npos);
  EXPECT_NE(ExpectError(f.Write("{" + data + R"(, "crop_size": [256]})")).find("crop_size"), std::string::npos);
  EXPECT_NE(ExpectError(f.Write(R"({"data": {"train": {"images": "/nonexistent", "labels": "/nonexistent"}}})"))
              .find("data.train.images"),
            std::string::npos);
  EXPECT_NE(ExpectError(f.Write(R"({"data": {"train": {"images": [")" + isbi + R"(image/0.png"], "labels": [")" +
                                isbi + R"(label/0.png"]}}})"))
              .find("network.classes"),
            std::string::npos);
  EXPECT_NE(ExpectError(f.Write("{ not json")).find("JSON"), std::string::npos);
  // Equivariance by loss: a group name, and square 2D crops to turn.
  EXPECT_NE(ExpectError(f.Write("{" + data + R"(, "equivariance_loss": {"weight": 0.1, "group": "p6"}})"))
              .find("equivariance_loss.group"),
            std::string::npos);
  EXPECT_NE(ExpectError(f.Write("{" + data + R"(, "crop_size": [64, 96], "equivariance_loss": {"weight": 0.1}})"))
              .find("square crops"),
            std::string::npos);
  const auto c = ReadTrainingConfig(f.Write("{" + data + R"(, "equivariance_loss": {"weight": 0.5, "group": "p4"}})"));
  EXPECT_EQ(c.equivarianceWeight, 0.5);
  EXPECT_EQ(c.equivarianceGroup, "p4");
}

TEST(TrainingConfig, SemiAndWeakSupervisionKeys)
{
  ConfigFile        f;
  const std::string train = R"("train": {"images": [")" + isbi + R"(image/0.png"], "labels": [")" + isbi + R"(label/0.png"]})";
  const std::string data = R"("data": {)" + train + R"(, "remap": {"0": 0, "255": 1}})";
  const std::string unlabelled =
    R"("data": {)" + train + R"(, "unlabelled": [")" + isbi + R"(image/1.png", ")" + isbi + R"(image/2.png"], "remap": {"0": 0, "255": 1}})";
  // Unlabelled images and the way to learn from them go together.
  EXPECT_NE(ExpectError(f.Write("{" + unlabelled + "}")).find("semi_supervised"), std::string::npos);
  EXPECT_NE(ExpectError(f.Write("{" + data + R"(, "semi_supervised": {}})")).find("data.unlabelled"), std::string::npos);
  EXPECT_NE(ExpectError(f.Write("{" + unlabelled + R"(, "semi_supervised": {"teacher": "p6"}})")).find("semi_supervised.teacher"),
            std::string::npos);
  EXPECT_NE(ExpectError(f.Write("{" + unlabelled + R"(, "crop_size": [64, 96], "semi_supervised": {"teacher": "p4m"}})"))
              .find("square crops"),
            std::string::npos);
  EXPECT_NE(ExpectError(f.Write("{" + unlabelled + R"(, "semi_supervised": {"threshold": 1.5}})")).find("semi_supervised.threshold"),
            std::string::npos);
  EXPECT_NE(ExpectError(f.Write("{" + unlabelled + R"(, "semi_supervised": {"strong": {"jitter": 1}}})"))
              .find("semi_supervised.strong.jitter"),
            std::string::npos);
  EXPECT_NE(ExpectError(f.Write("{" + data + R"(, "weak_supervision": {"potts_beta": -1}})")).find("weak_supervision.potts_beta"),
            std::string::npos);
  EXPECT_NE(ExpectError(f.Write("{" + data + R"(, "weak_supervision": {"update_every": 0}})")).find("weak_supervision.update_every"),
            std::string::npos);
  const auto c = ReadTrainingConfig(f.Write(
    "{" + unlabelled +
    R"(, "semi_supervised": {"weight": 2, "threshold": 0.8, "teacher": "p4m", "strong": {"cutmix": 0, "blur": 0.25}},
       "weak_supervision": {"potts_beta": 0.5, "warmup_epochs": 3, "update_every": 2}})"));
  EXPECT_EQ(c.semi.images.size(), 2u);
  EXPECT_EQ(c.semi.weight, 2.0);
  EXPECT_EQ(c.semi.threshold, 0.8);
  EXPECT_EQ(c.semi.teacher, "p4m");
  EXPECT_EQ(c.semi.cutmix, 0.0);
  EXPECT_EQ(c.semi.blur, 0.25);
  EXPECT_EQ(c.semi.brightness, 0.4);
  EXPECT_EQ(c.weak.pottsBeta, 0.5);
  EXPECT_EQ(c.weak.warmupEpochs, 3);
  EXPECT_EQ(c.weak.updateEvery, 2);
}
