#include "tesseraAtlasDescription.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "tesseraError.h"

namespace tessera
{
namespace
{
namespace fs = std::filesystem;

const std::string Atlases = std::string(TESSERA_TEST_SOURCE_DIR) + "/../../../Atlases/";

bool
HaveData()
{
  return fs::exists(std::string(TESSERA_DATA_DIR) + "/miccai2012-multiatlas/1000_SS.nii.gz") &&
         fs::exists(std::string(TESSERA_DATA_DIR) + "/icbm152-2009a/t1.nii.gz");
}

/** Expects Load to throw an Error whose message contains `problem`. */
void
ExpectProblem(const std::string & json, const std::string & problem)
{
  const fs::path dir = fs::temp_directory_path() / ("tessera-atlas-description-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "a.nii.gz") << "x";
  std::ofstream(dir / "d.json") << json;
  try
  {
    AtlasDescription::Load((dir / "d.json").string(), "");
    ADD_FAILURE() << "accepted: " << json;
  }
  catch (const Error & e)
  {
    EXPECT_NE(std::string(e.what()).find(problem), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("d.json"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST(AtlasDescription, TheShippedDescriptionsLoadWithTheSharedData)
{
  if (!HaveData())
    GTEST_SKIP() << "shared data not found";
  const auto miccai = AtlasDescription::Load(Atlases + "miccai2012-multiatlas.json", TESSERA_DATA_DIR);
  ASSERT_EQ(miccai.members.size(), 18u);
  EXPECT_EQ(miccai.members.front().id, "1000");
  EXPECT_EQ(miccai.members.back().id, "1036");
  const auto table = miccai.LoadLabelTable();
  EXPECT_GT(table.Size(), 130u);
  EXPECT_EQ(table.Name(4), "3rd Ventricle");
  EXPECT_EQ(LoadAtlasMembers(Atlases + "miccai2012-multiatlas.json", TESSERA_DATA_DIR).size(), 18u);

  const auto icbm = AtlasDescription::Load(Atlases + "icbm152-2009a.json", TESSERA_DATA_DIR);
  EXPECT_TRUE(icbm.members.empty());
  ASSERT_EQ(icbm.priors.size(), 2u);
  EXPECT_EQ(icbm.priors[0].label, 2);
  EXPECT_EQ(icbm.priors[1].name, "WM");
  EXPECT_DOUBLE_EQ(icbm.priors[0].scale, 255);
  EXPECT_EQ(icbm.remainderLabel, 1);
  EXPECT_THROW(LoadAtlasMembers(Atlases + "icbm152-2009a.json", TESSERA_DATA_DIR), Error);
  // Without the data root, the files are looked for beside the description: not there.
  EXPECT_THROW(AtlasDescription::Load(Atlases + "icbm152-2009a.json", ""), Error);
}

TEST(AtlasDescription, MalformedDescriptionsAreRefusedWithTheProblem)
{
  const std::string head = R"("name": "n", "space": "s", "provenance": "p", "licence": "l")";
  ExpectProblem("[1, 2]", "must hold a JSON object");
  ExpectProblem("{" + head, "is not valid JSON");
  ExpectProblem("{" + head + "}", "neither \"members\"");
  ExpectProblem(R"({"space": "s", "provenance": "p", "licence": "l"})", "has no \"name\"");
  ExpectProblem("{" + head + R"(, "members": []})", "non-empty list");
  ExpectProblem("{" + head + R"(, "members": [{"id": "x", "image": "a.nii.gz"}]})", "has no \"labels\"");
  ExpectProblem("{" + head + R"(, "members": [{"id": "x", "image": "a.nii.gz", "labels": "a.nii.gz"},
                                               {"id": "x", "image": "a.nii.gz", "labels": "a.nii.gz"}]})",
                "repeats the id x");
  ExpectProblem("{" + head + R"(, "members": [{"id": "x", "image": "a.nii.gz", "labels": "b.nii.gz"}]})",
                "labels");
  ExpectProblem("{" + head + R"(, "priors": [{"label": 2, "name": "GM", "image": "a.nii.gz"}]})",
                "no \"template\"");
  ExpectProblem("{" + head + R"(, "template": "a.nii.gz", "priors": [{"label": -1, "name": "GM", "image": "a.nii.gz"}]})",
                "integer 0-65535");
  ExpectProblem("{" + head + R"(, "template": "a.nii.gz", "priors": [{"label": 2, "name": "GM", "image": "a.nii.gz",
                "scale": 0}]})",
                "positive number");
  const std::string built = "{" + head + R"(, "template": "a.nii.gz", "labelProbabilities": "a.nii.gz", )";
  ExpectProblem(built + R"("registration": 4})", "\"registration\" must be an object");
  ExpectProblem(built + R"("registration": {"radius": 0}})", "radius");
  ExpectProblem(built + R"("registration": {"sigma": 1}})", "sigma: is not a parameter");
}

TEST(AtlasDescription, RegistrationSettingsOfABuiltAtlas)
{
  const fs::path dir = fs::temp_directory_path() / ("tessera-atlas-registration-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "a.nii.gz") << "x";
  std::ofstream(dir / "d.json") << R"({"name": "n", "space": "s", "provenance": "p", "licence": "l",
    "template": "a.nii.gz", "labelProbabilities": "a.nii.gz", "registration": {"radius": 4, "elastic-sigma": 0}})";
  const auto a = AtlasDescription::Load((dir / "d.json").string(), "");
  fs::remove_all(dir);
  ASSERT_TRUE(a.registration.has_value());
  EXPECT_EQ(a.registration->Count("radius"), 4u);
  EXPECT_EQ(a.registration->Real("elastic-sigma"), 0.0);
  EXPECT_EQ(a.registration->Real("fluid-sigma"), 1.732); // not given: RegistrationParameters()'s default
}

TEST(AtlasDescription, LabelTablesFromCsv)
{
  const fs::path dir = fs::temp_directory_path() / ("tessera-atlas-csv-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "labels.csv") << "Label Number,Label Name,Class\n4,3rd Ventricle,CSF\n\n47,Right Hippocampus,GM\n";
  const auto table = LoadLabelTableFile((dir / "labels.csv").string());
  EXPECT_EQ(table.Labels(), (std::vector<LabelPixel>{ 4, 47 }));
  EXPECT_EQ(table.Name(47), "Right Hippocampus");
  std::ofstream(dir / "bad.csv") << "Label Number,Label Name\nfour,3rd Ventricle\n";
  EXPECT_THROW(LoadLabelTableFile((dir / "bad.csv").string()), Error);
  fs::remove_all(dir);
}
} // namespace
} // namespace tessera
