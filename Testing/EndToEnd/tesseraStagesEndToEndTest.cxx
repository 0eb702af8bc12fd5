// The applications generated from the stage registry: every --help documents every option, option
// errors have the documented form, folders are processed in turn, and the small stages between
// methods (argmax, threshold, mask, remap, connected-components) give known answers.
#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "tesseraCommandLine.h"
#include "tesseraProbabilityImage.h"
#include "tesseraStages.h"

using namespace tessera;
using namespace tessera::testing;
namespace fs = std::filesystem;

namespace
{
std::string
Coins()
{
  return std::string(TESSERA_SKIMAGE_DATA_DIR) + "/coins.png";
}

/** A 2D label image from rows of text, one character per pixel ('.' = 0). */
std::string
WriteLabels(const fs::path & path, const std::vector<std::string> & rows)
{
  auto image = LabelImage<2>::New();
  image->SetRegions(LabelImage<2>::SizeType{ { rows[0].size(), rows.size() } });
  image->Allocate();
  for (size_t y = 0; y < rows.size(); ++y)
    for (size_t x = 0; x < rows[y].size(); ++x)
      image->SetPixel({ { static_cast<long>(x), static_cast<long>(y) } },
                      rows[y][x] == '.' ? 0 : static_cast<LabelPixel>(rows[y][x] - '0'));
  WriteImageFile(image.GetPointer(), path.string());
  return path.string();
}

std::map<int, size_t>
Histogram(const std::string & path)
{
  const auto            labels = ReadLabelImage<2>(path);
  std::map<int, size_t> h;
  const size_t          n = labels->GetLargestPossibleRegion().GetNumberOfPixels();
  for (size_t i = 0; i < n; ++i)
    ++h[labels->GetBufferPointer()[i]];
  return h;
}
} // namespace

TEST(Applications, EveryHelpDocumentsEveryOptionOfItsStage)
{
  for (const auto & [name, stage] : Stages().All())
  {
    const auto r = Tessera(name + " --help");
    ASSERT_EQ(r.exitCode, 0) << name;
    for (const auto & d : stage.parameters)
    {
      EXPECT_NE(r.out.find("--" + d.name), std::string::npos) << name << " --" << d.name;
      EXPECT_NE(r.out.find(d.HelpText()), std::string::npos) << name << " --" << d.name;
    }
    for (const auto * ports : { &stage.inputs, &stage.outputs })
      for (const auto & p : *ports)
      {
        EXPECT_NE(r.out.find("--" + p.name), std::string::npos) << name << " --" << p.name;
        EXPECT_NE(r.out.find(p.doc), std::string::npos) << name << " --" << p.name;
      }
  }
}

TEST(Applications, OptionErrorsHaveTheDocumentedForm)
{
  auto r = Tessera("--version");
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_EQ(r.out.rfind("tessera ", 0), 0u) << r.out;
  const auto dir = ScratchDir("option-errors");
  const auto out = (dir / "out.png").string();
  const std::vector<std::pair<std::string, std::string>> cases{
    { "kmeans -i " + Coins() + " -o " + out + " --no-such-option", "tessera kmeans: error: " },
    { "kmeans -i " + Coins(), "tessera kmeans: error: -o,--output: is required" },
    { "kmeans -i " + Coins() + " -o " + out + " --classes two", "tessera kmeans: error: --classes: 'two' is not an integer" },
    { "kmeans -i " + Coins() + " -o " + out + " --threads 100000", "tessera kmeans: error: --threads: must be in [0, 1024]" },
    { "mrf -i " + Coins() + " -o " + out, "is not a probability image" },
    { "kmeans -i " + Coins() + " -o " + (dir / "out.xyz").string(), "unsupported image format" },
    { "kmeans -i " + Coins() + " -o " + out + " --overlay " + (dir / "o.jpg").string(), "an overlay is written as .png" },
    { "kmeans -i " + Coins() + " -o " + (dir / "out.jpg").string(), "JPEG is lossy" },
  };
  for (const auto & [arguments, expected] : cases)
  {
    r = Tessera(arguments);
    EXPECT_EQ(r.exitCode, 1) << arguments;
    const auto lines = r.ErrorLines();
    ASSERT_EQ(lines.size(), 1u) << arguments << "\n" << r.err;
    EXPECT_NE(lines[0].find(expected), std::string::npos) << lines[0];
  }
  EXPECT_TRUE(fs::is_empty(dir)) << "a refused run wrote something";
  fs::remove_all(dir);
}

TEST(Applications, AFolderInGivesAFolderOut)
{
  const auto dir = ScratchDir("folder");
  fs::create_directories(dir / "in");
  fs::copy_file(Coins(), dir / "in" / "a.png");
  fs::copy_file(std::string(TESSERA_SKIMAGE_DATA_DIR) + "/camera.png", dir / "in" / "b.png");
  const auto r = Tessera("kmeans -q --classes 2 -i " + (dir / "in").string() + " -o " + (dir / "out").string() +
                         " --overlay " + (dir / "overlays").string());
  ASSERT_EQ(r.exitCode, 0) << r.err;
  for (const char * name : { "a.png", "b.png" })
  {
    EXPECT_EQ(Histogram((dir / "out" / name).string()).size(), 2u) << name;
    EXPECT_TRUE(fs::exists(dir / "overlays" / name)) << name;
  }
  fs::remove_all(dir);
}

TEST(SmallStages, ConnectedComponentsAreNumberedBySize)
{
  const auto dir = ScratchDir("components");
  // Two squares of label 1 (9 and 4 pixels) and a region of label 2 (6 pixels) touching the
  // big square: equal neighbours only are connected.
  const auto in = WriteLabels(dir / "in.nii.gz", { "111....",
                                                   "111.22.",
                                                   "111.22.",
                                                   ".....22",
                                                   "11.....",
                                                   "11....." });
  auto       r = Tessera("connected-components -q -i " + in + " -o " + (dir / "all.nii.gz").string());
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(Histogram((dir / "all.nii.gz").string()), (std::map<int, size_t>{ { 0, 23 }, { 1, 9 }, { 2, 6 }, { 3, 4 } }));
  r = Tessera("connected-components -q --connectivity 2 --min-size 5 -i " + in + " -o " + (dir / "big.nii.gz").string());
  ASSERT_EQ(r.exitCode, 0) << r.err;
  // With all 8 neighbours the components stay the same here, and the 4-pixel square goes.
  EXPECT_EQ(Histogram((dir / "big.nii.gz").string()), (std::map<int, size_t>{ { 0, 27 }, { 1, 9 }, { 2, 6 } }));
  fs::remove_all(dir);
}

TEST(SmallStages, CityscapesLabelIdsToTheEightCategories)
{
  const auto dir = ScratchDir("remap");
  const auto out = (dir / "categories.png").string();
  const auto r = Tessera("remap -q -i " +
                         SharedData("cityscapes-frame/frankfurt_000000_000294_gtFine_labelIds.png") + " --mapping " +
                         std::string(TESSERA_SOURCE_DIR) + "/Documentation/Tables/cityscapes-categories.json -o " + out);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  // Counts of the frame's label ids (1-4 void, 7-8 flat, 11/13 construction, 17/20 object,
  // 21 nature, 23 sky, 24 human, 26 vehicle) added up by category.
  EXPECT_EQ(Histogram(out), (std::map<int, size_t>{ { 0, 3874 },
                                                    { 1, 12368 },
                                                    { 2, 12788 },
                                                    { 3, 584 },
                                                    { 4, 664 },
                                                    { 5, 581 },
                                                    { 6, 107 },
                                                    { 7, 1802 } }));
  const auto table = LabelTable::Load(LabelTableSidecarPath(out));
  EXPECT_EQ(table.Name(7), "vehicle");
  // An id the mapping does not list is an error naming the voxel, unless --unmapped says what to do.
  const auto odd = WriteLabels(dir / "odd.nii.gz", { "7~", "88" }); // '~' is label 78
  auto       refused = Tessera("remap -q -i " + odd + " --mapping " + std::string(TESSERA_SOURCE_DIR) +
                               "/Documentation/Tables/cityscapes-categories.json -o " + (dir / "odd-out.nii.gz").string());
  EXPECT_EQ(refused.exitCode, 1);
  EXPECT_NE(refused.err.find("label 78 at voxel [1, 0] is not in the mapping"), std::string::npos) << refused.err;
  fs::remove_all(dir);
}

TEST(SmallStages, ArgmaxThresholdAndMaskOfSoftKMeans)
{
  const auto dir = ScratchDir("argmax");
  const auto labels = (dir / "kmeans.nii.gz").string(), p = (dir / "p.nrrd").string();
  auto       r = Tessera("kmeans -q --soft --classes 3 -i " + Coins() + " -o " + labels + " --probabilities " + p);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  // The most probable class of soft k-means memberships is the nearest centroid: k-means' labels.
  r = Tessera("argmax -q -i " + p + " -o " + (dir / "argmax.nii.gz").string());
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(Histogram((dir / "argmax.nii.gz").string()), Histogram(labels));
  // Class 3 (brightest) where p >= 0.5, else 0.
  r = Tessera("threshold -q -i " + p + " --class 3 --threshold 0.5 -o " + (dir / "bright.nii.gz").string());
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const auto probabilities = ReadProbabilityImage<2>(p);
  const auto bright = ReadLabelImage<2>((dir / "bright.nii.gz").string());
  const size_t n = bright->GetLargestPossibleRegion().GetNumberOfPixels();
  for (size_t i = 0; i < n; i += 37)
    EXPECT_EQ(bright->GetBufferPointer()[i], probabilities->GetBufferPointer()[i * 3 + 2] >= 0.5f ? 3 : 0) << i;
  // Masking the k-means labels with the bright mask keeps class 3 only.
  r = Tessera("mask -q -i " + labels + " --mask " + (dir / "bright.nii.gz").string() + " -o " + (dir / "masked.nii.gz").string());
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const auto masked = Histogram((dir / "masked.nii.gz").string());
  EXPECT_EQ(masked.size(), 2u);
  EXPECT_EQ(masked.count(3), 1u);
  r = Tessera("threshold -q -i " + p + " --class 9 -o " + (dir / "none.nii.gz").string());
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("--class: 9 is not a class"), std::string::npos) << r.err;
  fs::remove_all(dir);
}

TEST(Reliability, TinyImagesAreRefusedNotCrashed)
{
  // OpenCV's superpixels crashed (SIGSEGV, SIGFPE) or looped on images of a few pixels, and ITK's
  // Gaussian gradient printed its own message for a 1x1 watershed.
  const auto dir = ScratchDir("tiny");
  for (const auto & [w, h] : std::vector<std::pair<unsigned, unsigned>>{ { 1, 1 }, { 1, 200 }, { 32, 32 } })
  {
    auto image = VectorImage<2>::New();
    image->SetRegions(VectorImage<2>::SizeType{ { w, h } });
    image->SetNumberOfComponentsPerPixel(3);
    image->Allocate();
    for (size_t i = 0; i < 3u * w * h; ++i)
      image->GetBufferPointer()[i] = static_cast<float>((i * 37) % 251);
    const auto in = (dir / ("tiny" + std::to_string(w) + "x" + std::to_string(h) + ".nrrd")).string();
    WriteImageFile(image.GetPointer(), in);
    for (const char * method : { "slico", "mslic", "lsc", "seeds", "opencv-slic" })
    {
      const auto r = Tessera(std::string("superpixels -q --method ") + method + " -i " + in + " -o " + (dir / "sp.nrrd").string());
      EXPECT_EQ(r.exitCode, 1) << method << " " << w << "x" << h;
      ASSERT_EQ(r.ErrorLines().size(), 1u) << r.err;
      EXPECT_NE(r.err.find("tessera superpixels: error: --superpixels: "), std::string::npos) << r.err;
    }
    if (w == 1)
    {
      const auto r = Tessera("watershed -q -i " + in + " -o " + (dir / "ws.nrrd").string());
      EXPECT_EQ(r.exitCode, 1);
      EXPECT_EQ(r.ErrorLines().size(), 1u) << r.err;
      EXPECT_EQ(r.err.find("ITK ERROR"), std::string::npos) << r.err;
      EXPECT_NE(r.err.find(in + ": "), std::string::npos) << r.err;
    }
  }
  EXPECT_FALSE(fs::exists(dir / "sp.nrrd"));
  EXPECT_FALSE(fs::exists(dir / "ws.nrrd"));
  // A FIFO blocked `info` forever.
  const auto fifo = dir / "fifo.nii";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto r = Tessera("info -i " + fifo.string());
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("is not a regular file"), std::string::npos) << r.err;
  fs::remove_all(dir);
}

TEST(SmallStages, InfoPrintsLabelsAsIntegersNamedFromATable)
{
  const auto dir = ScratchDir("info-labels");
  auto       image = LabelImage<2>::New();
  image->SetRegions(LabelImage<2>::SizeType{ { 4, 1 } });
  image->Allocate();
  const LabelPixel values[] = { 0, 100, 207, 255 };
  for (long x = 0; x < 4; ++x)
    image->SetPixel({ { x, 0 } }, values[x]);
  const auto plain = (dir / "plain.png").string();
  WriteImageFile(image.GetPointer(), plain);
  auto lines = [](const std::string & text) {
    std::vector<std::string> v;
    std::istringstream       s(text);
    for (std::string line; std::getline(s, line);)
      v.push_back(line);
    return v;
  };
  auto has = [&](const std::string & text, const std::string & line) {
    const auto v = lines(text);
    return std::find(v.begin(), v.end(), line) != v.end();
  };
  // Before, a stream precision leaked between rows: 255 printed as 2.6e+02.
  auto r = Tessera("info -i " + plain);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_TRUE(has(r.out, "coordinates: ITK physical space in mm, LPS (+x left, +y posterior, +z superior); "
                         "RAS is (-x, -y, z)"))
    << r.out;
  EXPECT_TRUE(has(r.out, "spacing: 1.0000 x 1.0000 mm")) << r.out;
  EXPECT_TRUE(has(r.out, "origin: 0.0000, 0.0000 mm (centre of the first voxel)")) << r.out;
  EXPECT_TRUE(has(r.out, "direction: axis 0 [1.0000, 0.0000], axis 1 [0.0000, 1.0000]")) << r.out;
  EXPECT_TRUE(has(r.out, "intensity: min 0, max 255, mean 140.5000")) << r.out;
  EXPECT_TRUE(has(r.out, "     100           1   25.00%")) << r.out;
  EXPECT_TRUE(has(r.out, "     207           1   25.00%")) << r.out;
  EXPECT_TRUE(has(r.out, "     255           1   25.00%")) << r.out;
  EXPECT_EQ(r.out.find("e+"), std::string::npos) << r.out;

  // Names from --labels, else from the table the image carries.
  const auto table = dir / "table.json";
  std::ofstream(table) << R"({"labels": [{"id": 100, "name": "Hundred"}, {"id": 255, "name": "Membrane"}]})";
  r = Tessera("info -i " + plain + " --labels " + table.string());
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_TRUE(has(r.out, "     100           1   25.00%  Hundred")) << r.out;
  EXPECT_TRUE(has(r.out, "     207           1   25.00%")) << r.out;
  EXPECT_TRUE(has(r.out, "     255           1   25.00%  Membrane")) << r.out;
  const auto carrying = (dir / "carrying.nrrd").string();
  SetLabelTable(image.GetPointer(), LabelTable::FromJson(R"({"labels": [{"id": 207, "name": "Carried"}]})", "test"));
  WriteImageFile(image.GetPointer(), carrying);
  r = Tessera("info -i " + carrying);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_TRUE(has(r.out, "     207           1   25.00%  Carried")) << r.out;
  r = Tessera("info -i " + carrying + " --labels " + table.string());
  EXPECT_TRUE(has(r.out, "     255           1   25.00%  Membrane")) << r.out;
  EXPECT_TRUE(has(r.out, "     207           1   25.00%")) << r.out;
  fs::remove_all(dir);
}
