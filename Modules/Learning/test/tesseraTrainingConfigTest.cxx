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
