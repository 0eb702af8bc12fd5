// Outputs people can open and reproduce: the run record beside every application's outputs and
// `tessera rerun`, the viewer label files beside label images, Slicer segmentations.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tesseraCommandLine.h"
#include "tesseraImageIO.h"

using namespace tessera;
using namespace tessera::testing;
namespace fs = std::filesystem;

TEST(OutputsEndToEnd, RerunReproducesAVolumeAndItsOverlayByteForByte)
{
  const auto dir = ScratchDir("rerun");
  const auto first = dir / "first", again = dir / "again";
  auto       r = Tessera("segment -q -i " + ItkExample("KmeansTest_T1UCharRaw.nii.gz") + " --classes 4 --smoothness 0.3 -o " +
                   (first / "t1.nii.gz").string() + " --overlay " + (first / "t1.png").string() + " --threads 1");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const auto record = nlohmann::json::parse(ReadTextFile((first / "t1.run.json").string()));
  EXPECT_EQ(record["application"], "segment");
  EXPECT_EQ(record["parameters"]["classes"], 4);
  EXPECT_EQ(record["parameters"]["em-iterations"], 100); // defaults are recorded too
  EXPECT_EQ(record["options"]["threads"], 1);
  EXPECT_EQ(record["inputs"]["input"][0]["sha256"].get<std::string>().size(), 64u);
  EXPECT_GT(record["peak_memory_mib"].get<double>(), 1.0);
  EXPECT_GE(record["seconds"].get<double>(), 0.0);

  r = Tessera("rerun -q " + (first / "t1.run.json").string() + " -o " + again.string());
  ASSERT_EQ(r.exitCode, 0) << r.err;
  for (const char * name : { "t1.nii.gz", "t1.png", "t1.itksnap.txt", "t1.ctbl" })
  {
    EXPECT_EQ(ReadTextFile((first / name).string()), ReadTextFile((again / name).string())) << name;
  }
  // The rerun's own record points at the new outputs.
  EXPECT_EQ(nlohmann::json::parse(ReadTextFile((again / "t1.run.json").string()))["outputs"]["output"],
            fs::absolute(again / "t1.nii.gz").lexically_normal().string());
}

TEST(OutputsEndToEnd, RerunRefusesAChangedInput)
{
  const auto dir = ScratchDir("rerun-changed");
  fs::copy_file(ItkExample("BrainT1Slice.png"), dir / "slice.png");
  auto r = Tessera("kmeans -q -i " + (dir / "slice.png").string() + " -k 3 -o " + (dir / "out" / "k.png").string());
  ASSERT_EQ(r.exitCode, 0) << r.err;
  // A file where the output folder should be: refused before any work.
  r = Tessera("rerun " + (dir / "out" / "k.run.json").string() + " -o " + (dir / "slice.png").string());
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("is a file, not a folder"), std::string::npos) << r.err;
  fs::copy_file(ItkExample("BrainProtonDensitySlice.png"), dir / "slice.png", fs::copy_options::overwrite_existing);
  r = Tessera("rerun " + (dir / "out" / "k.run.json").string() + " -o " + (dir / "again").string());
  EXPECT_EQ(r.exitCode, 1);
  ASSERT_EQ(r.ErrorLines().size(), 1u) << r.err;
  EXPECT_NE(r.err.find("slice.png"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("SHA-256"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "again" / "k.png"));
  r = Tessera("rerun " + (dir / "slice.png").string() + " -o " + (dir / "again").string());
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.ErrorLines().size(), 1u) << r.err;
}

TEST(OutputsEndToEnd, LabelOutputsComeWithViewerLabelFilesAndSlicerSegmentations)
{
  const auto dir = ScratchDir("label-files");
  const auto r = Tessera("segment -q -i " + ItkExample("KmeansTest_T1UCharRaw.nii.gz") + " --classes 3 -o " +
                         (dir / "t1.seg.nrrd").string());
  ASSERT_EQ(r.exitCode, 0) << r.err;
  // ITK-SNAP and Slicer files beside it, from the label table the image carries.
  EXPECT_NE(ReadTextFile((dir / "t1.itksnap.txt").string()).find("ITK-SnAP Label Description File"), std::string::npos);
  EXPECT_NE(ReadTextFile((dir / "t1.ctbl").string()).find("\n3 "), std::string::npos);
  // The NRRD header names one segment per class, as Slicer's segmentation reader expects.
  const std::string header = ReadTextFile((dir / "t1.seg.nrrd").string()).substr(0, 8192);
  for (const char * key : { "Segmentation_MasterRepresentation:=Binary labelmap", "Segment0_LabelValue:=1",
                            "Segment2_LabelValue:=3", "Segment0_Extent:=", "space: left-posterior-superior" })
  {
    EXPECT_NE(header.find(key), std::string::npos) << key;
  }
  EXPECT_EQ(header.find("Segment3_"), std::string::npos);
  // ITK reads it back as the label image it is.
  const auto info = ReadImageInfo((dir / "t1.seg.nrrd").string());
  EXPECT_EQ(info.dimension, 3u);
}

TEST(OutputsEndToEnd, ContactSheetOfAFolderBesideItsReferences)
{
  const auto dir = ScratchDir("contact-sheet");
  fs::create_directories(dir / "images");
  fs::create_directories(dir / "labels");
  for (const char * name : { "0.png", "1.png" })
  {
    fs::copy_file(SharedData("isbi2012-membrane/image/") + name, dir / "images" / name);
    fs::copy_file(SharedData("isbi2012-membrane/label/") + name, dir / "labels" / name);
  }
  const std::string table = std::string(TESSERA_SOURCE_DIR) + "/Documentation/Learning/isbi2012-labels.json";
  const std::string sheet = (dir / "sheet.png").string();
  auto r = Tessera("contact-sheet -q -i " + (dir / "images").string() + " -s " + (dir / "labels").string() +
                   " --reference " + SharedData("isbi2012-membrane/label") + " --labels " + table + " --row-height 100 -o " + sheet);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const auto info = ReadImageInfo(sheet);
  EXPECT_EQ(info.size[0], 2u * 100 + 6); // segmentation and reference side by side
  EXPECT_GT(info.size[1], 2u * (100 + 24 + 6)); // two titled rows, then the legend
  // An image without labels of its name: one error line naming the folder, nothing written.
  fs::remove(dir / "labels" / "1.png");
  fs::remove(sheet);
  r = Tessera("contact-sheet -i " + (dir / "images").string() + " -s " + (dir / "labels").string() + " -o " + sheet);
  EXPECT_EQ(r.exitCode, 1);
  ASSERT_EQ(r.ErrorLines().size(), 1u) << r.err;
  EXPECT_NE(r.err.find("labels: holds no label image named 1"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(sheet));
}

TEST(OutputsEndToEnd, BidsDerivativeNamesAndColourPictures)
{
  const auto dir = ScratchDir("bids");
  fs::create_directories(dir / "rawdata");
  fs::copy_file(ItkExample("BrainT1Slice.png"), dir / "rawdata" / "sub-02_ses-1_T1w.png");
  const auto r = Tessera("segment -q --classes 3 --bids --label-colours -i " + (dir / "rawdata").string() + " -o " +
                         (dir / "derivatives").string());
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const auto out = dir / "derivatives";
  for (const char * name : { "sub-02_ses-1_desc-segment_dseg.png", "sub-02_ses-1_desc-segment_dseg.tsv",
                             "sub-02_ses-1_desc-segment_dseg.colours.png", "sub-02_ses-1_desc-segment_dseg.run.json" })
  {
    EXPECT_TRUE(fs::exists(out / name)) << name;
  }
  EXPECT_EQ(ReadTextFile((out / "sub-02_ses-1_desc-segment_dseg.tsv").string()).substr(0, 17), "index\tname\tcolor\n");
  EXPECT_EQ(ReadImageInfo((out / "sub-02_ses-1_desc-segment_dseg.colours.png").string()).components, 3u);
}
