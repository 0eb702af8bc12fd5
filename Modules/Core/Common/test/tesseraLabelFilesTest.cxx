#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "itkImageRegionIteratorWithIndex.h"
#include "tesseraLabelFiles.h"

namespace fs = std::filesystem;
using namespace tessera;

namespace
{
LabelTable
BrainTable()
{
  LabelTable table;
  table.Add(0, { "Background", { { 0, 0, 0 } }, true });
  table.Add(1, { "Cerebrospinal fluid", { { 0, 0, 255 } }, false });
  table.Add(2, { "Grey \"matter\"", { { 0, 255, 0 } }, false });
  table.Add(300, { "WM", { { 255, 255, 255 } }, false });
  return table;
}

struct Row
{
  int         r = 0, g = 0, b = 0;
  double      a = 0;
  int         visible = 0;
  std::string name;
};

/** Rows of a label file: '#' comment lines are skipped, every other line must match `grammar`
 * (one row per label index, no index twice), and `row` turns its match into a Row. */
std::map<int, Row>
ParseRows(const std::string & text, const std::regex & grammar, Row (*row)(const std::smatch &))
{
  std::map<int, Row> rows;
  std::istringstream s(text);
  for (std::string line; std::getline(s, line);)
  {
    if (line.empty() || line[0] == '#')
    {
      continue;
    }
    std::smatch m;
    EXPECT_TRUE(std::regex_match(line, m, grammar)) << line;
    if (!m.empty())
    {
      EXPECT_EQ(rows.count(std::stoi(m[1])), 0u) << "duplicate index: " << line;
      rows[std::stoi(m[1])] = row(m);
    }
  }
  return rows;
}

/** ITK-SNAP's grammar: `IDX R G B A VIS MSH "LABEL"`. */
std::map<int, Row>
ParseItkSnap(const std::string & text)
{
  static const std::regex grammar(
    R"re(^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([0-9]*\.?[0-9]+)\s+([01])\s+([01])\s+"([^"]*)"\s*$)re");
  return ParseRows(text, grammar, [](const std::smatch & m) {
    return Row{ std::stoi(m[2]), std::stoi(m[3]), std::stoi(m[4]), std::stod(m[5]), std::stoi(m[6]), m[8] };
  });
}

/** Slicer's colour table grammar: `label name R G B A`, no spaces in name. */
std::map<int, Row>
ParseSlicer(const std::string & text)
{
  static const std::regex grammar(R"(^(\d+) (\S+) (\d+) (\d+) (\d+) (\d+)$)");
  return ParseRows(text, grammar, [](const std::smatch & m) {
    return Row{ std::stoi(m[3]), std::stoi(m[4]), std::stoi(m[5]), std::stoi(m[6]) / 255.0, 1, m[2] };
  });
}
} // namespace

TEST(LabelFiles, ItkSnapLabelDescriptionFollowsTheGrammar)
{
  const auto rows = ParseItkSnap(ItkSnapLabelDescription(BrainTable()));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows.at(0).visible, 0); // ignored background: hidden
  EXPECT_EQ(rows.at(0).a, 0.0);
  EXPECT_EQ(rows.at(1).name, "Cerebrospinal fluid");
  EXPECT_EQ(rows.at(1).b, 255);
  EXPECT_EQ(rows.at(1).a, 1.0);
  EXPECT_EQ(rows.at(2).name, "Grey 'matter'"); // quotes cannot appear inside the quoted label
  EXPECT_EQ(rows.at(300).r, 255);
}

TEST(LabelFiles, ItkSnapListsTheClearLabelWhenTheTableDoesNot)
{
  LabelTable table;
  table.Add(3, { "Tumour", { { 255, 0, 0 } }, false });
  const auto rows = ParseItkSnap(ItkSnapLabelDescription(table));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows.at(0).name, "Clear Label");
  EXPECT_EQ(rows.at(3).name, "Tumour");
}

TEST(LabelFiles, SlicerColorTableFollowsTheGrammar)
{
  const auto rows = ParseSlicer(SlicerColorTable(BrainTable()));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows.at(1).name, "Cerebrospinal_fluid");
  EXPECT_EQ(rows.at(0).a, 0.0);
  EXPECT_EQ(rows.at(2).g, 255);
  EXPECT_EQ(rows.at(300).a, 1.0);
}

TEST(LabelFiles, PathsBesideTheImage)
{
  EXPECT_EQ(ItkSnapLabelDescriptionPath("out/brain.nii.gz"), "out/brain.itksnap.txt");
  EXPECT_EQ(SlicerColorTablePath("out/brain.nii.gz"), "out/brain.ctbl");
  EXPECT_TRUE(IsSlicerSegmentationPath("a/b.SEG.nrrd"));
  EXPECT_FALSE(IsSlicerSegmentationPath("a/b.nrrd"));
}

TEST(LabelFiles, SegNrrdCarriesOneSegmentPerLabelWithItsExtent)
{
  auto labels = LabelImage<3>::New();
  labels->SetRegions(LabelImage<3>::SizeType{ { 4, 5, 6 } });
  labels->Allocate(true);
  labels->SetPixel({ { 1, 2, 3 } }, 1);
  labels->SetPixel({ { 2, 4, 5 } }, 1);
  labels->SetPixel({ { 3, 0, 0 } }, 300);
  SetLabelTable(labels, BrainTable());
  const fs::path dir = fs::temp_directory_path() / ("tessera-labelfiles-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    AtomicOutput out((dir / "brain.seg.nrrd").string());
    WriteLabelImageForViewers<3>(labels, out);
    out.Commit();
  }
  // The header (up to the first empty line) holds the keys as `key:=value`.
  std::map<std::string, std::string> keys;
  std::istringstream                 header(ReadTextFile((dir / "brain.seg.nrrd").string()));
  for (std::string line; std::getline(header, line) && !line.empty();)
  {
    if (const auto at = line.find(":="); at != std::string::npos)
    {
      keys[line.substr(0, at)] = line.substr(at + 2);
    }
  }
  EXPECT_EQ(keys["Segmentation_MasterRepresentation"], "Binary labelmap");
  EXPECT_EQ(keys["Segment0_LabelValue"], "1");
  EXPECT_EQ(keys["Segment0_Name"], "Cerebrospinal fluid");
  EXPECT_EQ(keys["Segment0_Extent"], "1 2 2 4 3 5");
  EXPECT_EQ(keys["Segment0_Color"], "0 0 1");
  EXPECT_EQ(keys["Segment1_LabelValue"], "300");
  EXPECT_EQ(keys["Segment1_Extent"], "3 3 0 0 0 0");
  EXPECT_EQ(keys.count("Segment2_LabelValue"), 0u); // background is not a segment
  EXPECT_EQ(ParseItkSnap(ReadTextFile((dir / "brain.itksnap.txt").string())).size(), 4u);
  EXPECT_EQ(ParseSlicer(ReadTextFile((dir / "brain.ctbl").string())).size(), 4u);
  // The image's own header is left as it was.
  std::string value;
  EXPECT_FALSE(itk::ExposeMetaData<std::string>(labels->GetMetaDataDictionary(), "Segment0_Name", value));
  fs::remove_all(dir);
}

TEST(LabelFiles, ImagesWithoutATableGetTheirLabelsNumbered)
{
  auto labels = LabelImage<2>::New();
  labels->SetRegions(LabelImage<2>::SizeType{ { 3, 3 } });
  labels->Allocate(true);
  labels->SetPixel({ { 1, 1 } }, 7);
  const fs::path dir = fs::temp_directory_path() / ("tessera-labelfiles2-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    AtomicOutput out((dir / "l.png").string());
    WriteLabelImageForViewers<2>(labels, out);
    out.Commit();
  }
  const auto rows = ParseSlicer(ReadTextFile((dir / "l.ctbl").string()));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows.at(7).name, "7");
  EXPECT_TRUE(fs::exists(dir / "l.itksnap.txt"));
  fs::remove_all(dir);
}

TEST(LabelFiles, BidsSegmentationTableAndNames)
{
  const std::string tsv = BidsSegmentationTable(BrainTable());
  EXPECT_EQ(tsv.substr(0, tsv.find('\n')), "index\tname\tcolor");
  EXPECT_NE(tsv.find("\n1\tCerebrospinal fluid\t#0000ff\n"), std::string::npos) << tsv;
  EXPECT_NE(tsv.find("\n300\tWM\t#ffffff\n"), std::string::npos) << tsv;
  EXPECT_TRUE(IsBidsSegmentationPath("d/sub-01_desc-segment_dseg.nii.gz"));
  EXPECT_FALSE(IsBidsSegmentationPath("d/sub-01_T1w.nii.gz"));
  EXPECT_FALSE(IsBidsSegmentationPath("d_dseg/x.png"));
  EXPECT_EQ(LabelColoursPath("d/x.nii.gz"), "d/x.colours.png");
}

TEST(LabelFiles, ColourPictureHoldsEachLabelsColour)
{
  auto labels = LabelImage<2>::New();
  labels->SetRegions(LabelImage<2>::SizeType{ { 4, 2 } });
  labels->Allocate(true);
  labels->SetPixel({ { 3, 1 } }, 1);
  SetLabelTable(labels, BrainTable());
  const fs::path dir = fs::temp_directory_path() / ("tessera-labelfiles3-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    AtomicOutput out((dir / "l_dseg.png").string());
    WriteLabelImageForViewers<2>(labels, out, true);
    out.Commit();
  }
  const auto colours = ReadImageFile<VectorImage<2>>((dir / "l_dseg.colours.png").string());
  ASSERT_EQ(colours->GetNumberOfComponentsPerPixel(), 3u);
  EXPECT_EQ(colours->GetLargestPossibleRegion().GetSize(), labels->GetLargestPossibleRegion().GetSize());
  const auto csf = colours->GetPixel({ { 3, 1 } });
  EXPECT_EQ(csf[0], 0.0f);
  EXPECT_EQ(csf[2], 255.0f);
  EXPECT_EQ(colours->GetPixel({ { 0, 0 } })[2], 0.0f); // the table's (ignored) background: black
  EXPECT_TRUE(fs::exists(dir / "l_dseg.tsv"));
  fs::remove_all(dir);
}

TEST(LabelFiles, LabelExtentsAreTheBoundsOfEachLabel)
{
  // A buffer that starts at index (3, -2, 5), with scattered labels: bounds by brute force.
  auto labels = LabelImage<3>::New();
  LabelImage<3>::RegionType region;
  region.SetIndex({ { 3, -2, 5 } });
  region.SetSize({ { 7, 5, 4 } });
  labels->SetRegions(region);
  labels->Allocate(true);
  std::map<LabelPixel, LabelExtent> expected;
  std::uint32_t                     state = 12345;
  for (itk::ImageRegionIteratorWithIndex<LabelImage<3>> it(labels, region); !it.IsAtEnd(); ++it)
  {
    state = state * 1664525u + 1013904223u;
    const LabelPixel l = (state >> 24) % 5 == 0 ? static_cast<LabelPixel>(1 + (state >> 8) % 6) : 0;
    it.Set(l);
    const auto i = it.GetIndex();
    auto [e, added] = expected.try_emplace(l, LabelExtent{ i[0], i[0], i[1], i[1], i[2], i[2] });
    for (unsigned int d = 0; d < 3; ++d)
    {
      e->second[2 * d] = std::min<long>(e->second[2 * d], i[d]);
      e->second[2 * d + 1] = std::max<long>(e->second[2 * d + 1], i[d]);
    }
  }
  ASSERT_GT(expected.size(), 5u);
  EXPECT_EQ(LabelExtents<3>(labels), expected);
  // 2D: the third axis is 0 0.
  auto slice = LabelImage<2>::New();
  slice->SetRegions(LabelImage<2>::SizeType{ { 4, 3 } });
  slice->Allocate(true);
  slice->SetPixel({ { 1, 2 } }, 9);
  slice->SetPixel({ { 3, 0 } }, 9);
  const auto extents = LabelExtents<2>(slice);
  EXPECT_EQ(extents.at(9), (LabelExtent{ 1, 3, 0, 2, 0, 0 }));
  EXPECT_EQ(extents.at(0), (LabelExtent{ 0, 3, 0, 2, 0, 0 }));
  EXPECT_EQ(extents.size(), 2u);
}
