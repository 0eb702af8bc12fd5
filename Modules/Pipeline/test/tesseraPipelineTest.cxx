// Pipelines from files: validation before anything runs (errors name the file, line and what is
// wrong), the plan, and a run that equals the same filters composed by hand.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "tesseraGaussianMixtureImageFilter.h"
#include "tesseraPipeline.h"
#include "tesseraPottsMRFImageFilter.h"

using namespace tessera;
namespace fs = std::filesystem;

namespace
{
/** Quiet runs with the default seed given explicitly. */
RunOptions
QuietSeeded()
{
  RunOptions options;
  options.quiet = true;
  options.seedGiven = true;
  return options;
}

const std::string Slice = std::string(TESSERA_ITK_EXAMPLES_DIR) + "/BrainT1Slice.png";

const char * const GmmPotts = R"({
  "description": "GMM then Potts",
  "steps": [
    {"name": "gmm", "stage": "gmm",
     "inputs": {"input": "$input"},
     "parameters": {"classes": 4}},
    {"name": "potts", "stage": "mrf",
     "inputs": {"input": "gmm.probabilities"},
     "parameters": {"smoothness": 0.8},
     "outputs": {"output": "$output"}}
  ]
})";

/** The message of the Error that parsing `text` throws. */
std::string
Refusal(const std::string & text, const std::map<std::string, std::string> & variables = { { "input", Slice },
                                                                                            { "output", "o.nrrd" } })
{
  try
  {
    Pipeline::Parse(text, "spec.json", variables);
  }
  catch (const Error & e)
  {
    return e.what();
  }
  return "";
}

std::string
Replace(std::string text, const std::string & from, const std::string & to)
{
  text.replace(text.find(from), from.size(), to);
  return text;
}
} // namespace

TEST(Pipeline, ErrorsNameTheLineAndWhatIsWrong)
{
  EXPECT_EQ(Refusal(GmmPotts), "");
  auto r = Refusal(Replace(GmmPotts, "\"mrf\"", "\"mrff\""));
  EXPECT_NE(r.find("spec.json:7: step 'potts'"), std::string::npos) << r;
  EXPECT_NE(r.find("unknown stage"), std::string::npos) << r;
  r = Refusal(Replace(GmmPotts, "\"smoothness\": 0.8", "\"smoothness\": -1"));
  EXPECT_NE(r.find("spec.json:9"), std::string::npos) << r;
  EXPECT_NE(r.find("parameter smoothness: must be in [0, 1e+06], got -1"), std::string::npos) << r;
  r = Refusal(Replace(GmmPotts, "\"smoothness\"", "\"smoothnes\""));
  EXPECT_NE(r.find("spec.json:9"), std::string::npos) << r;
  EXPECT_NE(r.find("smoothnes: is not a parameter"), std::string::npos) << r;
  r = Refusal(Replace(GmmPotts, "\"parameters\": {\"classes\": 4}", "\"parameters\": {\"classes\": 4}, \"colour\": 1"));
  EXPECT_NE(r.find("spec.json:6"), std::string::npos) << r;
  EXPECT_NE(r.find("unknown key \"colour\""), std::string::npos) << r;
  r = Refusal(Replace(GmmPotts, "gmm.probabilities", "gmm.output"));
  EXPECT_NE(r.find("takes a probability image, but gmm.output is a label image"), std::string::npos) << r;
  r = Refusal(GmmPotts, { { "input", Slice } });
  EXPECT_NE(r.find("variable $output is not set"), std::string::npos) << r;
  r = Refusal(Replace(GmmPotts, "\"inputs\": {\"input\": \"gmm.probabilities\"},", ""));
  EXPECT_NE(r.find("mrf needs input 'input'"), std::string::npos) << r;
  EXPECT_NE(Refusal("{\"steps\": [").find("not valid JSON"), std::string::npos);
}

TEST(Pipeline, PlanListsStepsWithDefaults)
{
  const auto plan = Pipeline::Parse(GmmPotts, "spec.json", { { "input", Slice }, { "output", "o.nrrd" } }).Plan();
  EXPECT_NE(plan.find("1. gmm (gmm)"), std::string::npos) << plan;
  EXPECT_NE(plan.find("in  input <- gmm.probabilities"), std::string::npos) << plan;
  EXPECT_NE(plan.find("\"smoothness\":0.8"), std::string::npos) << plan;
  EXPECT_NE(plan.find("\"method\":\"alpha-expansion\""), std::string::npos) << plan; // a default
  EXPECT_NE(plan.find("out output -> o.nrrd"), std::string::npos) << plan;
}

TEST(Pipeline, RunEqualsTheFiltersComposedByHand)
{
  const auto dir = fs::temp_directory_path() / ("tessera-pipeline-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto out = (dir / "potts.nrrd").string();
  Pipeline::Parse(GmmPotts, "spec.json", { { "input", Slice }, { "output", out } }).Run(QuietSeeded());

  auto gmm = GaussianMixtureImageFilter<2>::New();
  gmm->SetInput(ReadIntensityImage<2>(Slice));
  gmm->SetNumberOfClasses(4);
  auto mrf = PottsMRFImageFilter<2>::New();
  mrf->SetInput(gmm->GetOutput());
  mrf->SetSmoothness(0.8);
  mrf->Update();
  const auto written = ReadLabelImage<2>(out);
  const size_t n = written->GetLargestPossibleRegion().GetNumberOfPixels();
  EXPECT_TRUE(std::equal(written->GetBufferPointer(), written->GetBufferPointer() + n, mrf->GetOutput()->GetBufferPointer()));
  // The labels carry the classes' table in the NRRD header.
  EXPECT_EQ(ReadLabelTableText(out, written->GetMetaDataDictionary()).empty(), false);

  // A failing step writes nothing, and leaves no temporary behind.
  const auto none = (dir / "none.nrrd").string();
  EXPECT_THROW(Pipeline::Parse(Replace(GmmPotts, "\"classes\": 4", "\"classes\": 900"), "spec.json",
                               { { "input", Slice }, { "output", none } })
                 .Run(QuietSeeded()),
               Error);
  EXPECT_FALSE(fs::exists(none));
  size_t files = 0;
  for (const auto & e : fs::directory_iterator(dir))
  {
    EXPECT_EQ(e.path().filename().string().rfind(".tessera-tmp", 0), std::string::npos);
    ++files;
  }
  EXPECT_EQ(files, 3u); // the labels, with their ITK-SNAP and Slicer label files
  fs::remove_all(dir);
}
