#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <zlib.h>

#include "tesseraImageIO.h"
#include "tesseraImageUtilities.h"

namespace fs = std::filesystem;
using namespace tessera;

namespace
{
fs::path
FreshDir(const std::string & name)
{
  const fs::path dir = fs::temp_directory_path() / ("tessera-io-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

LabelImage<3>::Pointer
MakeLabels()
{
  auto image = LabelImage<3>::New();
  LabelImage<3>::SizeType size{ { 4, 3, 2 } };
  image->SetRegions(size);
  const double spacing[3] = { 0.5, 1.5, 3.0 };
  const double origin[3] = { -10.0, 20.0, 7.5 };
  image->SetSpacing(spacing);
  image->SetOrigin(origin);
  LabelImage<3>::DirectionType dir;
  dir.Fill(0.0);
  dir[0][1] = 1.0;
  dir[1][0] = -1.0;
  dir[2][2] = 1.0;
  image->SetDirection(dir);
  image->Allocate();
  for (size_t i = 0; i < 24; ++i)
  {
    image->GetBufferPointer()[i] = static_cast<LabelPixel>(i * 1000);
  }
  return image;
}

size_t
CountFiles(const fs::path & dir)
{
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}
} // namespace

TEST(ImageIO, RoundTripKeepsValuesAndPhysicalSpaceInEveryFormat)
{
  const auto dir = FreshDir("roundtrip");
  const auto image = MakeLabels();
  for (const std::string ext : { ".nii.gz", ".mha", ".mhd", ".nrrd" })
  {
    const std::string path = (dir / ("labels" + ext)).string();
    WriteImageFile(image.GetPointer(), path);
    const auto back = ReadImageFile<LabelImage<3>>(path);
    EXPECT_EQ(back->GetLargestPossibleRegion().GetSize(), image->GetLargestPossibleRegion().GetSize()) << ext;
    for (unsigned int i = 0; i < 3; ++i)
    {
      EXPECT_NEAR(back->GetSpacing()[i], image->GetSpacing()[i], 1e-6) << ext;
      EXPECT_NEAR(back->GetOrigin()[i], image->GetOrigin()[i], 1e-5) << ext;
      for (unsigned int j = 0; j < 3; ++j)
      {
        EXPECT_NEAR(back->GetDirection()[i][j], image->GetDirection()[i][j], 1e-6) << ext;
      }
    }
    for (size_t i = 0; i < 24; ++i)
    {
      EXPECT_EQ(back->GetBufferPointer()[i], image->GetBufferPointer()[i]) << ext;
    }
  }
  // .mhd writes a header and its data file.
  EXPECT_TRUE(fs::exists(dir / "labels.zraw")); // compressed .mhd data; nothing temporary is left
  EXPECT_EQ(CountFiles(dir), 5u);
}

TEST(ImageIO, NiftiGzIsTheNiftiDeflatedAtZlibsFastestLevel)
{
  const auto dir = FreshDir("deflate");
  const auto image = MakeLabels();
  WriteImageFile(image.GetPointer(), (dir / "labels.nii").string());
  WriteImageFile(image.GetPointer(), (dir / "labels.nii.gz").string());
  std::ifstream     gz(dir / "labels.nii.gz", std::ios::binary);
  std::vector<char> header(10);
  ASSERT_TRUE(gz.read(header.data(), 10));
  EXPECT_EQ(static_cast<unsigned char>(header[0]), 0x1f); // gzip magic
  EXPECT_EQ(static_cast<unsigned char>(header[1]), 0x8b);
  EXPECT_EQ(header[8], 4); // XFL 4: zlib's fastest level (ITK's NIfTI library writes 0, its default level)
  std::stringstream raw, inflated;
  raw << std::ifstream(dir / "labels.nii", std::ios::binary).rdbuf();
  gzFile in = gzopen((dir / "labels.nii.gz").c_str(), "rb");
  ASSERT_NE(in, nullptr);
  char buffer[4096];
  for (int n; (n = gzread(in, buffer, sizeof(buffer))) > 0;)
  {
    inflated.write(buffer, n);
  }
  gzclose(in);
  EXPECT_EQ(inflated.str(), raw.str());
  EXPECT_EQ(CountFiles(dir), 2u); // the uncompressed .nii it deflated is gone
}

TEST(ImageIO, FailedWriteLeavesNothingBehind)
{
  const auto dir = FreshDir("failed");
  const auto image = MakeLabels();
  EXPECT_THROW(WriteImageFile(image.GetPointer(), (dir / "labels.unknownformat").string()), Error);
  EXPECT_EQ(CountFiles(dir), 0u);
  EXPECT_THROW(WriteImageFile(image.GetPointer(), (dir / "missing-folder" / "labels.nii.gz").string()), Error);
}

TEST(ImageIO, ReadErrorsNameTheFile)
{
  const auto dir = FreshDir("errors");
  const std::string missing = (dir / "missing.nii.gz").string();
  try
  {
    ReadImageFile<ScalarImage<3>>(missing);
    FAIL() << "no exception";
  }
  catch (const Error & e)
  {
    EXPECT_EQ(e.Subject(), missing);
    EXPECT_NE(std::string(e.what()).find("no such file"), std::string::npos);
  }
  const std::string corrupt = (dir / "corrupt.nii.gz").string();
  std::ofstream(corrupt) << "this is not a NIfTI file";
  EXPECT_THROW(ReadImageFile<ScalarImage<3>>(corrupt), Error);

  const std::string png = (dir / "slice.png").string();
  auto slice = LabelImage<2>::New();
  slice->SetRegions(LabelImage<2>::SizeType{ { 5, 4 } });
  slice->Allocate(true);
  WriteImageFile(slice.GetPointer(), png);
  EXPECT_THROW(ReadImageFile<ScalarImage<3>>(png), Error); // 2D file, 3D expected
  EXPECT_NO_THROW(ReadImageFile<ScalarImage<2>>(png));
}

// ITK 5.2's PNG reader aborts the process on a corrupt header chunk (found by
// Testing/Fuzzing/tesseraImageReaderFuzzer); the header is checked first and refused instead.
TEST(ImageIO, CorruptPngHeaderIsAnErrorNotAnAbort)
{
  const auto        dir = FreshDir("corrupt-png");
  const std::string png = (dir / "slice.png").string();
  auto              slice = LabelImage<2>::New();
  slice->SetRegions(LabelImage<2>::SizeType{ { 5, 4 } });
  slice->Allocate(true);
  WriteImageFile(slice.GetPointer(), png);
  std::string bytes = ReadTextFile(png);
  bytes[16] ^= 0x40; // IHDR's width: the chunk's CRC no longer matches
  std::ofstream(png, std::ios::binary) << bytes;
  try
  {
    ReadImageFile<ScalarImage<2>>(png);
    FAIL() << "no exception";
  }
  catch (const Error & e)
  {
    EXPECT_EQ(e.Subject(), png);
    EXPECT_NE(std::string(e.what()).find("is a corrupt PNG: IHDR: CRC error"), std::string::npos) << e.what();
  }
}

TEST(ImageIO, OutputsMayNotOverwriteInputs)
{
  const auto dir = FreshDir("distinct");
  const std::string in = (dir / "in.nii.gz").string();
  std::ofstream(in) << "x";
  EXPECT_THROW(CheckOutputsDistinct({ in }, { (dir / "." / "in.nii.gz").string() }), Error);
  EXPECT_THROW(CheckOutputsDistinct({ in }, { (dir / "a.png").string(), (dir / "a.png").string() }), Error);
  EXPECT_NO_THROW(CheckOutputsDistinct({ in }, { (dir / "out.nii.gz").string(), "" }));
}

TEST(ImageIO, TextFilesAreWrittenWhole)
{
  const auto dir = FreshDir("text");
  const std::string path = (dir / "report.csv").string();
  WriteTextFile(path, "a,b\n1,2\n");
  std::ifstream     file(path);
  std::stringstream s;
  s << file.rdbuf();
  EXPECT_EQ(s.str(), "a,b\n1,2\n");
  EXPECT_EQ(CountFiles(dir), 1u);
}

TEST(ImageIO, TemporariesOfKilledRunsAreRemovedByTheNextWrite)
{
  const auto dir = FreshDir("stale");
  // A run killed before its commit leaves a temporary folder named after its (now gone) process.
  const pid_t child = ::fork();
  if (child == 0)
  {
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  const auto stale = dir / (".tessera-tmp-" + std::to_string(child) + "-7-labels.nii.gz");
  fs::create_directories(stale);
  std::ofstream(stale / "labels.nii.gz") << "half";
  // One of a running process (this one) stays.
  const auto live = dir / (".tessera-tmp-" + std::to_string(::getpid()) + "-8-other.nii.gz");
  fs::create_directories(live);
  WriteImageFile(MakeLabels().GetPointer(), (dir / "labels.nii.gz").string());
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(fs::exists(dir / "labels.nii.gz"));
  fs::remove_all(dir);
}

TEST(ImageIO, LabelsThatFitInEightBitsAreEightBitPngs)
{
  const auto dir = FreshDir("png8");
  auto       labels = LabelImage<2>::New();
  labels->SetRegions(LabelImage<2>::SizeType{ { 4, 2 } });
  labels->Allocate();
  for (size_t i = 0; i < 8; ++i)
  {
    labels->GetBufferPointer()[i] = static_cast<LabelPixel>(i * 36); // 0..252
  }
  const auto small = (dir / "small.png").string();
  WriteImageFile(labels.GetPointer(), small);
  EXPECT_EQ(ReadImageInfo(small).componentType, "unsigned_char");
  const auto back = ReadLabelImage<2>(small);
  EXPECT_TRUE(std::equal(back->GetBufferPointer(), back->GetBufferPointer() + 8, labels->GetBufferPointer()));
  labels->GetBufferPointer()[7] = 256; // no longer fits
  const auto wide = (dir / "wide.png").string();
  WriteImageFile(labels.GetPointer(), wide);
  EXPECT_EQ(ReadImageInfo(wide).componentType, "unsigned_short");
  EXPECT_EQ(ReadLabelImage<2>(wide)->GetBufferPointer()[7], 256);
  fs::remove_all(dir);
}

TEST(ImageIO, PhotographicFormatsHaveUnitPixelsWhateverTheirDpi)
{
  // A JPEG's DPI (72 dpi reads as 0.352778 mm) and PNG's rounded copy of it are not physical
  // spacings: photographic formats read as 1 mm pixels at origin 0, so an image and its labels match.
  auto image = itk::Image<unsigned char, 2>::New();
  image->SetRegions(itk::Image<unsigned char, 2>::SizeType{ { 6, 5 } });
  image->Allocate(true);
  const itk::SpacePrecisionType spacing[2] = { 0.352778, 0.352778 };
  image->SetSpacing(spacing);
  const auto dir = std::filesystem::temp_directory_path();
  for (const char * name : { "tessera-dpi.png", "tessera-dpi.jpg", "tessera-dpi.bmp", "tessera-dpi.nrrd" })
  {
    const std::string path = (dir / name).string();
    WriteImageFile(image.GetPointer(), path);
    const bool photo = std::string(name).find(".nrrd") == std::string::npos;
    const auto read = ReadImageFile<VectorImage<2>>(path); // BMP is written as RGB
    EXPECT_DOUBLE_EQ(read->GetSpacing()[0], photo ? 1.0 : 0.352778) << name;
    EXPECT_DOUBLE_EQ(ReadImageInfo(path).spacing[1], photo ? 1.0 : 0.352778) << name;
    std::filesystem::remove(path);
  }
}
