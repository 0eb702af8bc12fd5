// GeoTIFF through GDAL (module TesseraGDALIO): bands, georeference and CRS on real rasters from
// Debian's r-cran-stars, in both of GDAL's layouts, and back out unchanged.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

#include <gtest/gtest.h>

#include "itkMetaDataObject.h"
#include "tesseraImageIO.h"

namespace fs = std::filesystem;
using namespace tessera;

namespace
{
std::string
Stars(const std::string & name)
{
  return std::string(TESSERA_STARS_DATA_DIR) + "/" + name;
}

fs::path
Scratch()
{
  const auto dir = fs::temp_directory_path() / ("tessera-gdal-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

std::string
Crs(const itk::DataObject * image)
{
  std::string wkt;
  itk::ExposeMetaData<std::string>(image->GetMetaDataDictionary(), GeoCrsKey, wkt);
  return wkt;
}

/** Same size, spacing, origin and direction (to 1e-9 of the spacing), CRS and pixels. */
void
ExpectSameRaster(const VectorImage<2> * a, const VectorImage<2> * b)
{
  ASSERT_EQ(a->GetLargestPossibleRegion(), b->GetLargestPossibleRegion());
  ASSERT_EQ(a->GetNumberOfComponentsPerPixel(), b->GetNumberOfComponentsPerPixel());
  for (unsigned int i = 0; i < 2; ++i)
  {
    EXPECT_NEAR(a->GetSpacing()[i], b->GetSpacing()[i], 1e-9 * a->GetSpacing()[i]);
    EXPECT_NEAR(a->GetOrigin()[i], b->GetOrigin()[i], 1e-9 * a->GetSpacing()[i]);
    for (unsigned int j = 0; j < 2; ++j)
    {
      EXPECT_NEAR(a->GetDirection()[i][j], b->GetDirection()[i][j], 1e-12);
    }
  }
  EXPECT_EQ(Crs(a), Crs(b));
  const size_t n = a->GetLargestPossibleRegion().GetNumberOfPixels() * a->GetNumberOfComponentsPerPixel();
  EXPECT_TRUE(std::equal(a->GetBufferPointer(), a->GetBufferPointer() + n, b->GetBufferPointer()));
}
} // namespace

TEST(GDALImageIO, ReadsTheSixBandsGeoreferenceAndCrsOfALandsatScene)
{
  const auto image = ReadImageFile<VectorImage<2>>(Stars("L7_ETMs.tif"));
  EXPECT_EQ(image->GetLargestPossibleRegion().GetSize(), (itk::Size<2>{ { 349, 352 } }));
  ASSERT_EQ(image->GetNumberOfComponentsPerPixel(), 6u);
  // gdalinfo: origin (288776.250000803, 9120760.75002874), pixel size (28.4999999992745, -28.4999999992745);
  // ITK's origin is the centre of the first pixel, half a pixel inside that corner.
  EXPECT_NEAR(image->GetSpacing()[0], 28.4999999992745, 1e-9);
  EXPECT_NEAR(image->GetSpacing()[1], 28.4999999992745, 1e-9);
  EXPECT_NEAR(image->GetOrigin()[0], 288776.250000803 + 14.25, 1e-6);
  EXPECT_NEAR(image->GetOrigin()[1], 9120760.75002874 - 14.25, 1e-6);
  EXPECT_EQ(image->GetDirection()[0][0], 1.0);
  EXPECT_EQ(image->GetDirection()[1][1], -1.0); // north up: rows go south
  EXPECT_NE(Crs(image).find("UTM zone 25S"), std::string::npos);
  // gdallocationinfo -valonly L7_ETMs.tif 0 0 and 100 200: the six bands of those pixels.
  const std::vector<float> first{ 69, 56, 46, 79, 86, 46 }, other{ 71, 55, 53, 54, 96, 71 };
  for (unsigned int b = 0; b < 6; ++b)
  {
    EXPECT_EQ(image->GetPixel({ { 0, 0 } })[b], first[b]) << b;
    EXPECT_EQ(image->GetPixel({ { 100, 200 } })[b], other[b]) << b;
  }
}

TEST(GDALImageIO, BandSequentialFilesReadAsPixelInterleavedOnes)
{
  const auto dir = Scratch();
  const auto band = (dir / "bands.tif").string();
  const std::string command =
    "gdal_translate -q -co INTERLEAVE=BAND " + Stars("L7_ETMs.tif") + " " + band + " > /dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  ExpectSameRaster(ReadImageFile<VectorImage<2>>(Stars("L7_ETMs.tif")), ReadImageFile<VectorImage<2>>(band));
  fs::remove_all(dir);
}

TEST(GDALImageIO, WritesGeoTiffsThatReadBackUnchanged)
{
  const auto dir = Scratch();
  for (const std::string name : { "L7_ETMs.tif", "geomatrix.tif" }) // north-up; rotated and flipped
  {
    const auto in = ReadImageFile<VectorImage<2>>(Stars(name));
    const auto out = (dir / name).string();
    WriteImageFile(in.GetPointer(), out);
    ExpectSameRaster(in, ReadImageFile<VectorImage<2>>(out));
  }
  // geomatrix.tif's geotransform (1841001.75, 1.5, -5, 1144003.25, -5, -1.5): direction columns
  // are its pixel steps normalised; the origin is the centre of the first pixel.
  const auto rotated = ReadImageFile<VectorImage<2>>(Stars("geomatrix.tif"));
  const double s = std::hypot(1.5, 5.0);
  EXPECT_NEAR(rotated->GetSpacing()[0], s, 1e-12);
  EXPECT_NEAR(rotated->GetDirection()[0][0], 1.5 / s, 1e-12);
  EXPECT_NEAR(rotated->GetDirection()[1][0], -5.0 / s, 1e-12);
  EXPECT_NEAR(rotated->GetDirection()[0][1], -5.0 / s, 1e-12);
  EXPECT_NEAR(rotated->GetOrigin()[0], 1841001.75 + 0.5 * 1.5 - 0.5 * 5.0, 1e-9);
  EXPECT_NEAR(rotated->GetOrigin()[1], 1144003.25 - 0.5 * 5.0 - 0.5 * 1.5, 1e-9);
  fs::remove_all(dir);
}

TEST(GDALImageIO, ThreeDimensionalTiffsStayWithITK)
{
  const auto dir = Scratch();
  auto       volume = ScalarImage<3>::New();
  volume->SetRegions(itk::Size<3>{ { 5, 4, 3 } });
  volume->Allocate();
  for (size_t i = 0; i < 60; ++i)
  {
    volume->GetBufferPointer()[i] = static_cast<float>(i);
  }
  const auto path = (dir / "stack.tif").string();
  WriteImageFile(volume.GetPointer(), path);
  const auto back = ReadImageFile<ScalarImage<3>>(path);
  EXPECT_EQ(back->GetLargestPossibleRegion(), volume->GetLargestPossibleRegion());
  EXPECT_EQ(back->GetPixel({ { 4, 3, 2 } }), 59.0f);
  fs::remove_all(dir);
}
