// Georeferenced rasters through the applications: a 6-band Landsat-7 GeoTIFF (Debian's
// r-cran-stars) keeps its geotransform and CRS through a stage, a pipeline chained in memory and
// the GeoTIFF writer; a mask in another CRS or a model of other bands is refused.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "itkMetaDataObject.h"
#include "tesseraCommandLine.h"
#include "tesseraEndToEndChecks.h"
#include "tesseraImageIO.h"
#include "tesseraImageUtilities.h"
#include "tesseraSuperpixelMetrics.h"

using namespace tessera;
using namespace tessera::testing;
namespace fs = std::filesystem;

namespace
{
const std::string Landsat = std::string(TESSERA_STARS_DATA_DIR) + "/L7_ETMs.tif";

std::string
Crs(const itk::DataObject * image)
{
  std::string wkt;
  itk::ExposeMetaData<std::string>(image->GetMetaDataDictionary(), GeoCrsKey, wkt);
  return wkt;
}

/** The output lies on the input's grid (CheckSameGrid) and carries its CRS. */
template <typename TImage>
void
ExpectGeoreferenceOf(const std::string & input, const std::string & output)
{
  const auto in = ReadImageFile<VectorImage<2>>(input);
  const auto out = ReadImageFile<TImage>(output);
  EXPECT_NO_THROW(CheckSameGrid(in.GetPointer(), input, out.GetPointer(), output));
  EXPECT_FALSE(Crs(out).empty()) << output;
  EXPECT_EQ(CrsName(Crs(out)), CrsName(Crs(in)));
}

class Geospatial : public ::testing::Test
{
protected:
  void SetUp() override { m_Dir = ScratchDir(::testing::UnitTest::GetInstance()->current_test_info()->name()); }
  void TearDown() override { fs::remove_all(m_Dir); }
  std::string Path(const std::string & name) const { return (m_Dir / name).string(); }
  fs::path m_Dir;
};
} // namespace

TEST_F(Geospatial, SegmentKeepsTheGeotransformAndCrsOfALandsatScene)
{
  const auto r = Tessera("segment -q -i " + Landsat + " -k 4 -o " + Path("classes.tif") + " --probabilities " +
                         Path("probabilities.tif"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  ExpectGeoreferenceOf<LabelImage<2>>(Landsat, Path("classes.tif"));
  ExpectGeoreferenceOf<VectorImage<2>>(Landsat, Path("probabilities.tif"));
  EXPECT_EQ(ReadImageFile<VectorImage<2>>(Path("probabilities.tif"))->GetNumberOfComponentsPerPixel(), 4u);
  // info names the CRS instead of calling map coordinates LPS.
  const auto info = Tessera("info -i " + Path("classes.tif"));
  EXPECT_NE(info.out.find("map coordinates of the CRS SIRGAS 2000 / UTM zone 25S"), std::string::npos) << info.out;
  // Each band's statistics (gdalinfo -stats L7_ETMs.tif: band 6 minimum 1, maximum 255, mean 59.975).
  const auto bands = Tessera("info -i " + Landsat);
  EXPECT_NE(bands.out.find("component 6: min 1, max 255, mean 59.975"), std::string::npos) << bands.out;
}

TEST_F(Geospatial, APipelineInMemoryKeepsTheCrs)
{
  const auto r = Tessera("pipeline " + std::string(TESSERA_SOURCE_DIR) + "/Documentation/Pipelines/dubai-superpixels-rag.json -i " +
                         Landsat + " -o " + Path("regions.tif"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  ExpectGeoreferenceOf<LabelImage<2>>(Landsat, Path("regions.tif"));
}

TEST_F(Geospatial, AMaskInAnotherCrsIsRefused)
{
  ASSERT_EQ(Tessera("segment -q -i " + Landsat + " -k 2 -o " + Path("mask.tif")).exitCode, 0);
  const std::string reprojected = "gdal_translate -q -a_srs EPSG:32611 " + Path("mask.tif") + " " +
                                  Path("mask-utm11.tif") + " > /dev/null 2>&1";
  ASSERT_EQ(std::system(reprojected.c_str()), 0) << reprojected;
  ExpectRejected("segment -i " + Landsat + " --mask " + Path("mask-utm11.tif") + " -o " + Path("out.tif"),
                 "mask-utm11.tif", "CRS WGS 84 / UTM zone 11N differs", { Path("out.tif") });
}

TEST_F(Geospatial, AModelOfOtherBandsIsRefused)
{
  const auto grey = ItkExample("BrainProtonDensitySlice.png");
  ASSERT_EQ(Tessera("kmeans -q -i " + grey + " -k 3 -o " + Path("classes.png")).exitCode, 0);
  ASSERT_EQ(Tessera("knn train -q -i " + grey + " -l " + Path("classes.png") + " -m " + Path("grey.json")).exitCode, 0);
  ExpectRejected("knn apply -i " + Landsat + " -m " + Path("grey.json") + " -o " + Path("out.tif"), "L7_ETMs.tif",
                 "has 6 channel(s) but the model", { Path("out.tif") });
}

TEST_F(Geospatial, PolygonsCoverEachClassWithItsAreaInTheCrs)
{
  ASSERT_EQ(Tessera("segment -q -i " + Landsat + " -k 3 -o " + Path("classes.tif")).exitCode, 0);
  const auto r = Tessera("polygonize -q -i " + Path("classes.tif") + " -o " + Path("classes.gpkg"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  // Per label, the polygons' area (GeoPackage geometry, SQLite dialect of ogrinfo) must be its
  // pixel count times the pixel area: regions cover the class exactly, in map units.
  const std::string query = "ogrinfo -q " + Path("classes.gpkg") + " -dialect SQLite -sql \"SELECT label, name, " +
                            "SUM(ST_Area(geom)) AS area FROM regions GROUP BY label ORDER BY label\" > " +
                            Path("areas.txt");
  ASSERT_EQ(std::system(query.c_str()), 0) << query;
  std::ifstream      areas(Path("areas.txt"));
  std::map<int, double> area;
  int                label = -1;
  for (std::string line; std::getline(areas, line);)
  {
    if (const auto at = line.find("label (Integer) = "); at != std::string::npos)
      label = std::stoi(line.substr(at + 18));
    if (const auto at = line.find("area (Real) = "); at != std::string::npos)
      area[label] = std::stod(line.substr(at + 14));
  }
  const auto   classes = ReadImageFile<LabelImage<2>>(Path("classes.tif"));
  const double pixel = classes->GetSpacing()[0] * classes->GetSpacing()[1];
  std::map<int, double> expected;
  for (size_t i = 0; i < classes->GetLargestPossibleRegion().GetNumberOfPixels(); ++i)
    expected[classes->GetBufferPointer()[i]] += pixel;
  ASSERT_EQ(area.size(), 3u);
  for (const auto & [l, a] : expected)
    EXPECT_NEAR(area[l], a, 1e-6 * a) << "label " << l;
  // The layer keeps the scene's CRS and the table's names and colours.
  const std::string info = "ogrinfo -so " + Path("classes.gpkg") + " regions > " + Path("layer.txt");
  ASSERT_EQ(std::system(info.c_str()), 0);
  std::stringstream layer;
  layer << std::ifstream(Path("layer.txt")).rdbuf();
  EXPECT_NE(layer.str().find("UTM zone 25S"), std::string::npos) << layer.str();
  EXPECT_NE(layer.str().find("colour: String"), std::string::npos) << layer.str();
}

namespace
{
/** Fraction of the pixels of two label images (same grid) that differ. */
double
DifferingFraction(const std::string & a, const std::string & b)
{
  const auto   x = ReadImageFile<LabelImage<2>>(a);
  const auto   y = ReadImageFile<LabelImage<2>>(b);
  const size_t n = x->GetLargestPossibleRegion().GetNumberOfPixels();
  EXPECT_EQ(n, y->GetLargestPossibleRegion().GetNumberOfPixels());
  size_t differ = 0;
  for (size_t i = 0; i < n; ++i)
    differ += x->GetBufferPointer()[i] != y->GetBufferPointer()[i];
  return static_cast<double>(differ) / static_cast<double>(n);
}
} // namespace

// --ram 86 leaves 6 MB of tile memory (86 MB less the process's 80, GDAL loaded): the 349 x 352 six-band scene
// runs as 4 to 36 tiles (64 to 192 pixels a side, halos around them).
TEST_F(Geospatial, TiledRunsUnderARamBudgetGiveTheWholeRunsLabels)
{
  // Pixelwise with the same model: identical. The mixture is fitted on a sample of every pixel
  // (the scene is below 2^20 pixels), so it is the whole run's.
  ASSERT_EQ(Tessera("gmm -q -i " + Landsat + " -k 4 -o " + Path("gmm.tif")).exitCode, 0);
  auto r = Tessera("gmm -i " + Landsat + " -k 4 -o " + Path("gmm-tiled.tif") + " --ram 86");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("4 tiles of 192 x 192 pixels (halo 0) under 86 MB, the model fitted on a sample"),
            std::string::npos) << r.out;
  ExpectGeoreferenceOf<LabelImage<2>>(Landsat, Path("gmm-tiled.tif"));
  EXPECT_EQ(DifferingFraction(Path("gmm.tif"), Path("gmm-tiled.tif")), 0.0);
  ASSERT_EQ(Tessera("kmeans -q -i " + Landsat + " -k 4 -o " + Path("kmeans.tif")).exitCode, 0);
  ASSERT_EQ(Tessera("kmeans -q -i " + Landsat + " -k 4 -o " + Path("kmeans-tiled.tif") + " --ram 86").exitCode, 0);
  EXPECT_EQ(DifferingFraction(Path("kmeans.tif"), Path("kmeans-tiled.tif")), 0.0);

  // kNN with local means (a 5 x 5 window): the halo covers it, so every pixel is the whole run's.
  ASSERT_EQ(Tessera("knn train -q -i " + Landsat + " -l " + Path("gmm.tif") + " -m " + Path("knn.json") +
                    " --local-mean-radius 2 --max-samples 5000").exitCode, 0);
  ASSERT_EQ(Tessera("knn apply -q -i " + Landsat + " -m " + Path("knn.json") + " -o " + Path("knn.tif")).exitCode, 0);
  r = Tessera("knn apply -i " + Landsat + " -m " + Path("knn.json") + " -o " + Path("knn-tiled.tif") + " --ram 86");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("36 tiles of 64 x 64 pixels (halo 50)"), std::string::npos) << r.out;
  EXPECT_EQ(DifferingFraction(Path("knn.tif"), Path("knn-tiled.tif")), 0.0);

  // The Potts MRF reaches past any halo: nearly the whole run's labels (64-pixel halos around 64-pixel tiles).
  ASSERT_EQ(Tessera("segment -q -i " + Landsat + " -k 4 -o " + Path("segment.tif")).exitCode, 0);
  r = Tessera("segment -q -i " + Landsat + " -k 4 -o " + Path("segment-tiled.tif") + " --ram 86");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  ExpectGeoreferenceOf<LabelImage<2>>(Landsat, Path("segment-tiled.tif"));
  EXPECT_LT(DifferingFraction(Path("segment.tif"), Path("segment-tiled.tif")), 0.01);

  // The Potts MRF on its own, its probabilities read tile by tile with their label table (labels 1-4).
  ASSERT_EQ(Tessera("gmm -q -i " + Landsat + " -k 4 -o " + Path("gmm-labels.tif") + " --probabilities " +
                    Path("gmm-p.tif")).exitCode, 0);
  ASSERT_EQ(Tessera("mrf -q -i " + Path("gmm-p.tif") + " -o " + Path("mrf.tif")).exitCode, 0);
  r = Tessera("mrf -i " + Path("gmm-p.tif") + " -o " + Path("mrf-tiled.tif") + " --ram 86");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("36 tiles of 64 x 64 pixels (halo 64)"), std::string::npos) << r.out;
  ExpectGeoreferenceOf<LabelImage<2>>(Landsat, Path("mrf-tiled.tif"));
  EXPECT_LT(DifferingFraction(Path("mrf.tif"), Path("mrf-tiled.tif")), 0.01);
  EXPECT_EQ(ReadTextFile(Path("mrf.labels.json")), ReadTextFile(Path("mrf-tiled.labels.json")));
}

// Superpixels cross tile borders: the tiled run seeds SLIC on the whole image's grid, gives each tile a
// halo of 6 grid steps and joins the regions that cross borders (TileRegionStitcher), numbered 1..N.
// Against the whole run, the achievable segmentation accuracy (each region labelled with its best match
// in the other run) was 0.991 both ways, with 1788 regions against 1779, in 9 tiles of 128 pixels;
// without the joining the tiles would give hundreds more.
TEST_F(Geospatial, TiledSuperpixelsAreJoinedAcrossTilesAsTheWholeRunsRegions)
{
  ASSERT_EQ(Tessera("superpixels -q -i " + Landsat + " -n 2000 -o " + Path("sp.tif")).exitCode, 0);
  const auto r = Tessera("superpixels -i " + Landsat + " -n 2000 -o " + Path("sp-tiled.tif") + " --ram 88");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("9 tiles of 128 x 128 pixels (halo 48) under 88 MB"), std::string::npos) << r.out;
  ExpectGeoreferenceOf<LabelImage<2>>(Landsat, Path("sp-tiled.tif"));
  const auto whole = ReadImageFile<LabelImage<2>>(Path("sp.tif"));
  const auto tiled = ReadImageFile<LabelImage<2>>(Path("sp-tiled.tif"));
  const auto there = EvaluateSuperpixels<2>(tiled, whole), back = EvaluateSuperpixels<2>(whole, tiled);
  EXPECT_NEAR(static_cast<double>(there.segments), static_cast<double>(back.segments), 0.02 * static_cast<double>(back.segments));
  EXPECT_GT(there.achievableAccuracy, 0.98);
  EXPECT_GT(back.achievableAccuracy, 0.98);
  const size_t n = tiled->GetLargestPossibleRegion().GetNumberOfPixels();
  EXPECT_EQ(*std::max_element(tiled->GetBufferPointer(), tiled->GetBufferPointer() + n), there.segments);
  // The provisional numbers' scratch file went with its temporary folder.
  for (const auto & f : fs::directory_iterator(m_Dir))
  {
    EXPECT_EQ(f.path().filename().string().find(".regions"), std::string::npos) << f.path();
    EXPECT_EQ(f.path().filename().string().find(".tessera-tmp"), std::string::npos) << f.path();
  }
}

// RAG merging gathers its graph tile by tile (a 1-pixel halo holds the neighbour pairs across tile
// borders) and merges once: on an 8-bit scene with mean-colour weights, the whole run's regions and
// merges exactly, whatever the tiles.
TEST_F(Geospatial, TiledRagMergingGivesTheWholeRunsRegionsAndMerges)
{
  ASSERT_EQ(Tessera("superpixels -q -i " + Landsat + " -n 2000 -o " + Path("sp.tif")).exitCode, 0);
  const std::string merge = "rag-merge -i " + Landsat + " --regions " + Path("sp.tif") + " -t 12 --connectivity 2";
  ASSERT_EQ(Tessera(merge + " -q -o " + Path("whole.tif") + " --hierarchy " + Path("whole.csv")).exitCode, 0);
  const auto r = Tessera(merge + " -o " + Path("tiled.tif") + " --hierarchy " + Path("tiled.csv") + " --ram 128");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("9 tiles of 128 x 128 pixels (halo 1) under 128 MB"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("regions after"), std::string::npos) << r.out;
  ExpectGeoreferenceOf<LabelImage<2>>(Landsat, Path("tiled.tif"));
  EXPECT_EQ(DifferingFraction(Path("whole.tif"), Path("tiled.tif")), 0.0);
  const std::string merges = ReadTextFile(Path("whole.csv"));
  EXPECT_GT(std::count(merges.begin(), merges.end(), '\n'), 500) << "too few merges to compare";
  EXPECT_EQ(ReadTextFile(Path("tiled.csv")), merges);
}

// --cog rewrites GeoTIFF outputs in GDAL's COG layout (its ghost header names it), whole or tiled: the
// same labels and probabilities, the same georeference, nothing else left beside them.
TEST_F(Geospatial, CloudOptimizedOutputsKeepLabelsAndGeoreference)
{
  const auto cog = [](const std::string & path) {
    std::string head(1024, '\0');
    std::ifstream(path, std::ios::binary).read(head.data(), static_cast<std::streamsize>(head.size()));
    return head.find("LAYOUT=IFDS_BEFORE_DATA") != std::string::npos;
  };
  ASSERT_EQ(Tessera("gmm -q -i " + Landsat + " -k 4 -o " + Path("plain.tif") + " --probabilities " + Path("plain-p.tif")).exitCode, 0);
  EXPECT_FALSE(cog(Path("plain.tif")));
  for (const std::string ram : { "", " --ram 86" })
  {
    fs::remove_all(Path("cog"));
    fs::create_directories(Path("cog"));
    const auto r = Tessera("gmm -q -i " + Landsat + " -k 4 -o " + Path("cog/labels.tif") + " --probabilities " +
                           Path("cog/p.tif") + " --cog" + ram);
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_TRUE(cog(Path("cog/labels.tif")) && cog(Path("cog/p.tif"))) << ram;
    ExpectGeoreferenceOf<LabelImage<2>>(Landsat, Path("cog/labels.tif"));
    EXPECT_EQ(DifferingFraction(Path("plain.tif"), Path("cog/labels.tif")), 0.0);
    const auto p = ReadImageFile<ProbabilityImage<2>>(Path("plain-p.tif"));
    const auto q = ReadImageFile<ProbabilityImage<2>>(Path("cog/p.tif"));
    const size_t n = p->GetLargestPossibleRegion().GetNumberOfPixels() * p->GetNumberOfComponentsPerPixel();
    EXPECT_TRUE(std::equal(p->GetBufferPointer(), p->GetBufferPointer() + n, q->GetBufferPointer())) << ram;
    std::set<std::string> left;
    for (const auto & f : fs::directory_iterator(Path("cog")))
      left.insert(f.path().filename().string());
    EXPECT_EQ(left, (std::set<std::string>{ "labels.ctbl", "labels.itksnap.txt", "labels.labels.json", "labels.run.json",
                                            "labels.tif", "p.labels.json", "p.tif" }));
  }
}

TEST_F(Geospatial, ATiledRunRefusesWhatItCannotDoBeforeWriting)
{
  ExpectRejected("segment -i " + Landsat + " -o " + Path("out.tif") + " --ram 64", "--ram",
                 "is below one tile: a 64 x 64 tile with its halo of 64 pixels needs about", { Path("out.tif") });
  ExpectRejected("gmm -i " + Landsat + " -o " + Path("out.png") + " --ram 86", "--output", "writes GeoTIFF",
                 { Path("out.png") });
  ExpectRejected("gmm -i " + Landsat + " -o " + Path("out.tif") + " --overlay " + Path("o.png") + " --ram 86",
                 "--overlay", "not written by a tiled run", { Path("out.tif"), Path("o.png") });
  ExpectRejected("segment -i " + Landsat + " --model hmrf -o " + Path("out.tif") + " --ram 86", "--ram",
                 "cannot fit --model hmrf", { Path("out.tif") });
  ExpectRejected("rag-merge -i " + Landsat + " -o " + Path("out.tif") + " --ram 130", "--ram",
                 "make them first with tessera superpixels --ram", { Path("out.tif") });
  ExpectRejected("rag-merge -i " + Landsat + " --regions " + SharedData("dubai-aerial/tile1/masks/image_part_001.png") +
                   " -o " + Path("out.tif") + " --ram 130",
                 "--regions", "tiled runs read GeoTIFF, VRT or MetaImage", { Path("out.tif") });
  // A volume that does not fit is not tiled.
  ExpectRejected("segment -i " + SharedData("miccai2012-multiatlas/1000_SS.nii.gz") + " -o " +
                   Path("out.nii.gz") + " --ram 100",
                 "--ram", "tiled runs take 2D rasters, and it is 3D", { Path("out.nii.gz") });
}
