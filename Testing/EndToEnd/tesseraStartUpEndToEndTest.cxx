// Start-up: commands load only the libraries they use. LibTorch, OpenCV (whose core binds BLAS and
// LAPACK; its ximgproc brings its codecs and GDAL) and ITK's DICOM/HDF5/MINC IO sit in modules loaded on first use
// (tesseraModuleLoader.h); these tests read the dynamic loader's own list of the files it opened.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "tesseraCommandLine.h"

namespace
{
using tessera::testing::CommandResult;
using tessera::testing::ScratchDir;
using tessera::testing::Tessera;

/** The libraries `tessera arguments` opened, as glibc's loader reports them (LD_DEBUG=files). */
std::set<std::string>
LoadedLibraries(const std::string & arguments)
{
  const auto dir = ScratchDir("loader");
  const auto report = dir / "loader.txt";
  const std::string command =
    "LD_DEBUG=files " + std::string(TESSERA_EXECUTABLE) + " " + arguments + " > /dev/null 2> " + report.string();
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  std::set<std::string> files;
  std::ifstream         s(report);
  for (std::string line; std::getline(s, line);)
  {
    const auto at = line.find("file=");
    if (at != std::string::npos)
    {
      files.insert(line.substr(at + 5, line.find(' ', at) - at - 5));
    }
  }
  std::filesystem::remove_all(dir);
  return files;
}
} // namespace

TEST(StartUp, HelpAndInfoLoadNoHeavyLibrary)
{
  const std::string png = tessera::testing::ItkExample("BrainProtonDensitySlice.png");
  for (const std::string & arguments : std::vector<std::string>{ "--help", "info " + png, "kmeans --help" })
  {
    const auto files = LoadedLibraries(arguments);
    ASSERT_GT(files.size(), 5u) << arguments << ": the loader's report was not read";
    for (const auto & file : files)
    {
      for (const char * heavy : { "libtorch", "libc10", "opencv", "blas", "lapack", "gdal", "gdcm", "hdf5", "minc", "Qt5" })
      {
        EXPECT_EQ(file.find(heavy), std::string::npos) << arguments << " loaded " << file;
      }
    }
  }
}

TEST(StartUp, OpenCVIsLoadedOnlyToDrawAnOverlay)
{
  const std::string png = tessera::testing::ItkExample("BrainProtonDensitySlice.png");
  const auto        dir = ScratchDir("overlay");
  const auto        opened = [](const std::set<std::string> & files, const std::string & name) {
    return std::any_of(files.begin(), files.end(), [&](const std::string & f) { return f.find(name) != std::string::npos; });
  };
  const auto plain = LoadedLibraries("kmeans -i " + png + " --classes 3 -o " + (dir / "plain.png").string());
  EXPECT_TRUE(std::filesystem::exists(dir / "plain.png"));
  EXPECT_FALSE(opened(plain, "libopencv_core")) << "kmeans without a figure loaded OpenCV";
  EXPECT_FALSE(opened(plain, "libTesseraFigures"));
  const auto drawn = LoadedLibraries("kmeans -i " + png + " --classes 3 -o " + (dir / "drawn.png").string() +
                                     " --overlay " + (dir / "overlay.png").string());
  EXPECT_TRUE(std::filesystem::exists(dir / "overlay.png"));
  EXPECT_TRUE(opened(drawn, "libTesseraFigures"));
  EXPECT_TRUE(opened(drawn, "libopencv_core"));
  std::filesystem::remove_all(dir);
}

TEST(StartUp, DicomAndMincAreReadThroughTheExtraIOModule)
{
  const CommandResult dicom = Tessera(std::string("info ") + TESSERA_NIBABEL_DATA_DIR + "/0.dcm");
  EXPECT_EQ(dicom.exitCode, 0) << dicom.err;
  EXPECT_NE(dicom.out.find("size: 256 x 256 voxels"), std::string::npos) << dicom.out;
  const CommandResult minc = Tessera(std::string("info ") + TESSERA_NIBABEL_DATA_DIR + "/tiny.mnc");
  EXPECT_EQ(minc.exitCode, 0) << minc.err;
  EXPECT_NE(minc.out.find("size: 20 x 20 x 10 voxels"), std::string::npos) << minc.out;
  EXPECT_NE(minc.out.find("spacing: 2.0000 x 2.0000 x 2.0000 mm"), std::string::npos) << minc.out;
}
