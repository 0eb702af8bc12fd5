// tessera rag-merge end to end: real images, outputs and hierarchy, and bad input.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "tesseraCommandLine.h"
#include "tesseraImageUtilities.h"

using namespace tessera::testing;
namespace fs = std::filesystem;

namespace
{
std::string
Astronaut()
{
  return std::string(TESSERA_SKIMAGE_DATA_DIR) + "/astronaut.png";
}

std::size_t
CountLabels(const tessera::LabelImage<2> * labels)
{
  std::map<int, int> seen;
  for (std::size_t i = 0; i < labels->GetBufferedRegion().GetNumberOfPixels(); ++i)
  {
    seen[labels->GetBufferPointer()[i]] = 1;
  }
  return seen.size();
}

void
ExpectOneErrorLineAndNoOutput(const CommandResult & r, const fs::path & dir, const std::string & fragment)
{
  EXPECT_NE(r.exitCode, 0);
  const auto lines = r.ErrorLines();
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_NE(lines[0].find(fragment), std::string::npos) << lines[0];
  for (const auto & name : { "out.png", "hierarchy.csv", "overlay.png" })
  {
    EXPECT_FALSE(fs::exists(dir / name)) << name;
  }
}
} // namespace

TEST(RagMerge, SuperpixelsOnTheFlyWithHierarchyAndOverlay)
{
  const auto dir = ScratchDir("rag-merge");
  const auto r = Tessera("rag-merge -i " + Astronaut() + " -o " + (dir / "out.png").string() + " -n 800 -t 25 --min-size 200" +
                         " --hierarchy " + (dir / "hierarchy.csv").string() + " --overlay " + (dir / "overlay.png").string() +
                         " --quiet");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  ASSERT_TRUE(fs::exists(dir / "out.png"));
  ASSERT_TRUE(fs::exists(dir / "overlay.png"));
  auto out = tessera::ReadLabelImage<2>((dir / "out.png").string());
  const std::size_t regions = CountLabels(out);
  EXPECT_GT(regions, 5u);
  EXPECT_LT(regions, 400u);
  std::ifstream csv(dir / "hierarchy.csv");
  std::string   header;
  std::getline(csv, header);
  EXPECT_EQ(header, "step,from,into,weight,size");
  std::size_t merges = 0;
  for (std::string line; std::getline(csv, line);)
  {
    ++merges;
  }
  EXPECT_GT(merges, 300u);
  fs::remove_all(dir);
}

TEST(RagMerge, GivenSegmentsHierarchyReplayReproducesOutput)
{
  const auto dir = ScratchDir("rag-merge-segments");
  const auto seg = (dir / "segments.png").string();
  ASSERT_EQ(Tessera("superpixels -i " + Astronaut() + " -o " + seg + " -n 600 --quiet").exitCode, 0);
  const auto r = Tessera("rag-merge -i " + Astronaut() + " --regions " + seg + " -o " + (dir / "out.png").string() +
                         " --method threshold -t 20 --connectivity 2 --hierarchy " + (dir / "h.csv").string() + " --quiet");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto segments = tessera::ReadLabelImage<2>(seg);
  auto out = tessera::ReadLabelImage<2>((dir / "out.png").string());
  // replay the CSV: every segment label maps to its surviving label
  std::map<int, int> parent;
  std::ifstream      csv(dir / "h.csv");
  std::string        line;
  std::getline(csv, line);
  auto find = [&](int x) {
    while (parent.count(x) && parent[x] != x)
    {
      x = parent[x];
    }
    return x;
  };
  while (std::getline(csv, line))
  {
    std::stringstream s(line);
    std::string       step, from, into;
    std::getline(s, step, ',');
    std::getline(s, from, ',');
    std::getline(s, into, ',');
    parent[find(std::stoi(from))] = find(std::stoi(into));
  }
  for (std::size_t i = 0; i < out->GetBufferedRegion().GetNumberOfPixels(); ++i)
  {
    ASSERT_EQ(find(segments->GetBufferPointer()[i]), out->GetBufferPointer()[i]) << i;
  }
  fs::remove_all(dir);
}

TEST(RagMerge, BadInput)
{
  const auto dir = ScratchDir("rag-merge-bad");
  // coffee.png (600x400 RGB) reads without libpng warnings, so stderr holds only the error line
  const std::string coffee = std::string(TESSERA_SKIMAGE_DATA_DIR) + "/coffee.png";
  const auto outputs = " -o " + (dir / "out.png").string() + " --hierarchy " + (dir / "hierarchy.csv").string() +
                       " --overlay " + (dir / "overlay.png").string();
  // labels on another grid: camera.png is 512x512
  ExpectOneErrorLineAndNoOutput(Tessera("rag-merge -i " + coffee + " --regions " + std::string(TESSERA_SKIMAGE_DATA_DIR) +
                                        "/camera.png" + outputs),
                                dir, "size");
  // a label image with a single region, and one with none
  auto single = tessera::LabelImage<2>::New();
  single->SetRegions(tessera::LabelImage<2>::SizeType{ { 600, 400 } });
  single->Allocate();
  single->FillBuffer(7);
  const auto singlePath = (dir / "single.nrrd").string();
  tessera::WriteImageFile(single.GetPointer(), singlePath);
  ExpectOneErrorLineAndNoOutput(Tessera("rag-merge -i " + coffee + " --regions " + singlePath + outputs), dir,
                                "single region");
  single->FillBuffer(0);
  const auto emptyPath = (dir / "empty.nrrd").string();
  tessera::WriteImageFile(single.GetPointer(), emptyPath);
  ExpectOneErrorLineAndNoOutput(Tessera("rag-merge -i " + coffee + " --regions " + emptyPath + outputs), dir, "no regions");
  // zero and negative thresholds
  ExpectOneErrorLineAndNoOutput(Tessera("rag-merge -i " + coffee + " -t 0" + outputs), dir, "--threshold");
  ExpectOneErrorLineAndNoOutput(Tessera("rag-merge -i " + coffee + " -t -3" + outputs), dir, "--threshold");
  ExpectOneErrorLineAndNoOutput(Tessera("rag-merge -i " + coffee + " --method magic" + outputs), dir, "--method");
  ExpectOneErrorLineAndNoOutput(Tessera("rag-merge -i " + coffee + " --connectivity 3" + outputs), dir,
                                "--connectivity");
  fs::remove_all(dir);
}
