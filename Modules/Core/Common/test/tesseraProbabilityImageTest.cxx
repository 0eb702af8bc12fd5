#include <filesystem>

#include <gtest/gtest.h>

#include "tesseraProbabilityImage.h"

using namespace tessera;
namespace fs = std::filesystem;

namespace
{
/** 3×2 pixels, 2 classes with labels 0 and 255 (as an ISBI membrane prediction). */
ProbabilityImage<2>::Pointer
TwoClasses()
{
  auto p = ProbabilityImage<2>::New();
  p->SetRegions(ProbabilityImage<2>::SizeType{ { 3, 2 } });
  p->SetNumberOfComponentsPerPixel(2);
  p->Allocate();
  const float values[12] = { 0.9f, 0.1f, 0.2f, 0.8f, 0.5f, 0.5f, 0.0f, 0.0f, 0.3f, 0.7f, 1.0f, 0.0f };
  std::copy(values, values + 12, p->GetBufferPointer());
  LabelTable table;
  table.Add(0, { "membrane", { 255, 0, 0 }, false });
  table.Add(255, { "cell", { 0, 255, 0 }, false });
  SetLabelTable(p, table);
  return p;
}
} // namespace

TEST(ProbabilityImage, TwoClassesWithLabels0And255HaveTwoComponentsAndArgmaxGivesTheLabels)
{
  const auto p = TwoClasses();
  EXPECT_EQ(ClassTable<2>(p, "p").Labels(), (std::vector<LabelPixel>{ 0, 255 }));
  const auto labels = ArgMaxLabels<2>(p, nullptr, "p", 7);
  const std::vector<LabelPixel> expected{ 0, 255, 0, 7, 255, 0 }; // tie -> lower label; all zero -> unlabelled
  EXPECT_EQ(std::vector<LabelPixel>(labels->GetBufferPointer(), labels->GetBufferPointer() + 6), expected);
}

TEST(ProbabilityImage, TheTableTravelsInHeadersAndSidecars)
{
  const auto dir = fs::temp_directory_path() / ("tessera-prob-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const std::string name : { "p.nii.gz", "p.nrrd", "p.mha", "p.tif" })
  {
    const auto path = (dir / name).string();
    WriteImageFile(TwoClasses().GetPointer(), path);
    EXPECT_EQ(fs::exists(dir / "p.labels.json"), !FormatKeepsMetaData(path)) << name;
    const auto back = ReadProbabilityImage<2>(path);
    const auto table = ClassTable<2>(back, path);
    EXPECT_EQ(table.Labels(), (std::vector<LabelPixel>{ 0, 255 })) << name;
    EXPECT_EQ(table.Name(255), "cell") << name;
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  fs::remove_all(dir);
}

TEST(ProbabilityImage, NonProbabilitiesAreRefused)
{
  auto p = TwoClasses();
  p->GetBufferPointer()[0] = 200.0f; // 0-255 RGB is not a probability
  EXPECT_THROW(CheckProbabilities<2>(p, "p"), Error);
  p = TwoClasses();
  p->GetBufferPointer()[0] = 0.5f; // sums to 0.6
  EXPECT_THROW(CheckProbabilities<2>(p, "p"), Error);
  LabelTable three = LabelTable::Numbered({ 1, 2, 3 });
  SetLabelTable(p, three);
  EXPECT_THROW(ClassTable<2>(p, "p"), Error);
}

TEST(ProbabilityImage, SplitExtensionKeepsDoubleExtensions)
{
  EXPECT_EQ(SplitExtension("/a/b/p.nii.gz").second, ".nii.gz");
  EXPECT_EQ(SplitExtension("/a/b/p.nii.gz").first, "/a/b/p");
  EXPECT_EQ(LabelTableSidecarPath("x/y.seg.nrrd"), "x/y.labels.json");
  EXPECT_EQ(SplitExtension("noext").second, "");
}
