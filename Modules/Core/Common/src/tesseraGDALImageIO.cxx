// Module TesseraGDALIO: 2D rasters through GDAL (GeoTIFF and COG, VRT, and GDAL's other formats),
// loaded by CreateImageIO (tesseraImageIO.h) only for the files that need it, since GDAL brings a
// hundred libraries. ITK 5.2 in Debian has no GDAL reader, and its TIFF reader scrambles the
// band-sequential layout GDAL writes and drops the georeference.
//
// Georeference: GDAL's geotransform (x0, a, b, y0, d, e) places the corner of pixel (i, j) at
// (x0 + i a + j b, y0 + i d + j e); ITK places pixel centres at origin + direction · spacing · index.
// So origin = the centre of pixel (0, 0), spacing = the lengths of the columns (a, d) and (b, e),
// direction = those columns normalised (north-up rasters: diag(1, -1)). Units are the CRS's (often
// metres), which ITK calls mm. The CRS travels as WKT in the image's metadata (GeoCrsKey).
#include <array>
#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>
#include <utility>

#include "cpl_conv.h"
#include "cpl_error.h"
#include "cpl_string.h"
#include "gdal_alg.h"
#include "gdal_priv.h"
#include "gdal_utils.h"
#include "ogrsf_frmts.h"
#include "itkImageIOBase.h"
#include "itkMetaDataObject.h"
#include "nlohmann/json.hpp"
#include "tesseraError.h"
#include "tesseraImageIO.h"
#include "tesseraImageTypes.h"
#include "tesseraLabelTable.h"

namespace tessera
{
namespace
{
void
InitialiseGDAL()
{
  static std::once_flag once;
  std::call_once(once, [] {
    GDALAllRegister();
    CPLSetErrorHandler(CPLQuietErrorHandler); // errors are ours to report, on one line
  });
}

std::string
LastGDALError()
{
  const std::string message = CPLGetLastErrorMsg();
  return message.empty() ? "GDAL gives no reason" : message;
}

struct DatasetCloser
{
  void operator()(GDALDataset * d) const { GDALClose(GDALDataset::ToHandle(d)); }
};
using Dataset = std::unique_ptr<GDALDataset, DatasetCloser>;

Dataset
OpenRaster(const std::string & path)
{
  InitialiseGDAL();
  return Dataset(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
}

// GDAL's pixel types and ITK's, one to one.
constexpr std::pair<GDALDataType, itk::IOComponentEnum> PixelTypes[] = {
  { GDT_Byte, itk::IOComponentEnum::UCHAR },   { GDT_UInt16, itk::IOComponentEnum::USHORT },
  { GDT_Int16, itk::IOComponentEnum::SHORT },  { GDT_UInt32, itk::IOComponentEnum::UINT },
  { GDT_Int32, itk::IOComponentEnum::INT },    { GDT_Float32, itk::IOComponentEnum::FLOAT },
  { GDT_Float64, itk::IOComponentEnum::DOUBLE },
};

itk::IOComponentEnum
ComponentOf(GDALDataType type)
{
  for (const auto & [gdal, itk] : PixelTypes)
  {
    if (gdal == type)
      return itk;
  }
  return itk::IOComponentEnum::UNKNOWNCOMPONENTTYPE;
}

GDALDataType
GDALTypeOf(itk::IOComponentEnum type)
{
  for (const auto & [gdal, itk] : PixelTypes)
  {
    if (itk == type)
      return gdal;
  }
  return GDT_Unknown;
}

/** GDAL's geotransform of an ITK grid: origin (centre of the first pixel), spacing, and the
 * direction's columns (axis 0's then axis 1's) — the inverse of ReadImageInformation's mapping. */
std::array<double, 6>
GeoTransform(std::array<double, 2> origin, std::array<double, 2> spacing, std::array<double, 4> columns)
{
  const double a = columns[0] * spacing[0], d = columns[1] * spacing[0];
  const double b = columns[2] * spacing[1], e = columns[3] * spacing[1];
  return { origin[0] - 0.5 * a - 0.5 * b, a, b, origin[1] - 0.5 * d - 0.5 * e, d, e };
}

/** Reads and writes 2D rasters through GDAL: bands are the pixel's components, the
 * geotransform gives origin, spacing and direction, and the CRS is kept as WKT in the metadata.
 * Reads stream (any region of the raster). \throws itk::ExceptionObject, as ITK's IOs do. */
class GDALImageIO : public itk::ImageIOBase
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(GDALImageIO);
  using Self = GDALImageIO;
  using Pointer = itk::SmartPointer<Self>;
  itkNewMacro(Self);
  itkTypeMacro(GDALImageIO, ImageIOBase);

  /** True for a single raster GDAL opens; false for multi-page TIFFs (ITK reads them as 3D). */
  bool CanReadFile(const char * path) override
  {
    const auto d = OpenRaster(path);
    return d && d->GetRasterCount() > 0 && CSLCount(d->GetMetadata("SUBDATASETS")) == 0;
  }

  bool CanStreamRead() override { return true; }
  /** Exactly the region asked for (ImageIOBase's default reads the whole raster). */
  itk::ImageIORegion GenerateStreamableReadRegionFromRequestedRegion(const itk::ImageIORegion & requested) const override
  {
    return requested;
  }

  void ReadImageInformation() override
  {
    const auto d = OpenRaster(m_FileName);
    if (!d || d->GetRasterCount() == 0)
    {
      itkExceptionMacro(<< LastGDALError());
    }
    const GDALDataType type = d->GetRasterBand(1)->GetRasterDataType();
    for (int b = 2; b <= d->GetRasterCount(); ++b)
    {
      if (d->GetRasterBand(b)->GetRasterDataType() != type)
      {
        itkExceptionMacro(<< "its bands have different pixel types");
      }
    }
    if (ComponentOf(type) == itk::IOComponentEnum::UNKNOWNCOMPONENTTYPE)
    {
      itkExceptionMacro(<< "GDAL pixel type " << GDALGetDataTypeName(type) << " is not supported");
    }
    SetNumberOfDimensions(2);
    SetDimensions(0, static_cast<unsigned int>(d->GetRasterXSize()));
    SetDimensions(1, static_cast<unsigned int>(d->GetRasterYSize()));
    SetComponentType(ComponentOf(type));
    SetNumberOfComponents(static_cast<unsigned int>(d->GetRasterCount()));
    SetPixelType(d->GetRasterCount() == 1 ? itk::IOPixelEnum::SCALAR : itk::IOPixelEnum::VECTOR);
    double g[6];
    if (d->GetGeoTransform(g) == CE_None)
    {
      const double sx = std::hypot(g[1], g[4]), sy = std::hypot(g[2], g[5]);
      if (!(sx > 0.0) || !(sy > 0.0))
      {
        itkExceptionMacro(<< "its geotransform has a zero pixel size");
      }
      SetSpacing(0, sx);
      SetSpacing(1, sy);
      SetOrigin(0, g[0] + 0.5 * g[1] + 0.5 * g[2]);
      SetOrigin(1, g[3] + 0.5 * g[4] + 0.5 * g[5]);
      SetDirection(0, std::vector<double>{ g[1] / sx, g[4] / sx });
      SetDirection(1, std::vector<double>{ g[2] / sy, g[5] / sy });
    }
    if (const char * wkt = d->GetProjectionRef(); wkt && *wkt)
    {
      itk::EncapsulateMetaData<std::string>(GetMetaDataDictionary(), GeoCrsKey, wkt);
    }
  }

  void Read(void * buffer) override
  {
    const auto d = OpenRaster(m_FileName);
    if (!d)
    {
      itkExceptionMacro(<< LastGDALError());
    }
    const auto &  region = GetIORegion();
    const int     bands = d->GetRasterCount();
    const int     bytes = GDALGetDataTypeSizeBytes(GDALTypeOf(GetComponentType()));
    const auto    x = static_cast<int>(region.GetIndex(0)), y = static_cast<int>(region.GetIndex(1));
    const auto    w = static_cast<int>(region.GetSize(0)), h = static_cast<int>(region.GetSize(1));
    // Pixel-interleaved, as ITK stores multi-component pixels.
    if (d->RasterIO(GF_Read, x, y, w, h, buffer, w, h, GDALTypeOf(GetComponentType()), bands, nullptr,
                    static_cast<GSpacing>(bytes) * bands, static_cast<GSpacing>(bytes) * bands * w, bytes,
                    nullptr) != CE_None)
    {
      itkExceptionMacro(<< "is truncated or damaged: " << LastGDALError());
    }
  }

  bool CanWriteFile(const char * path) override
  {
    return CPLString(CPLGetExtension(path)).tolower() == "tif" || CPLString(CPLGetExtension(path)).tolower() == "tiff";
  }

  void WriteImageInformation() override {}

  /** Writes stream: a region other than the whole raster is pasted into the file, which the
   * first such write creates (TiledRun writes a large output tile by tile). */
  bool CanStreamWrite() override { return true; }

  /** A tiled, DEFLATE-compressed GeoTIFF (BigTIFF when needed) with the geotransform from
   * origin, spacing and direction, and the CRS from the metadata when the image carries one;
   * or, for a region of it, those pixels written into the file. */
  void Write(const void * buffer) override
  {
    InitialiseGDAL();
    if (GetNumberOfDimensions() != 2)
    {
      itkExceptionMacro(<< "GDAL writes 2D rasters; use .nii.gz, .nrrd or .mha for 3D");
    }
    const GDALDataType type = GDALTypeOf(GetComponentType());
    if (type == GDT_Unknown)
    {
      itkExceptionMacro(<< "GeoTIFF cannot hold pixels of type " << GetComponentTypeAsString(GetComponentType()));
    }
    const auto & region = GetIORegion();
    const bool   whole = region.GetSize(0) == GetDimensions(0) && region.GetSize(1) == GetDimensions(1);
    Dataset      d(whole || !CPLCheckForFile(const_cast<char *>(m_FileName.c_str()), nullptr)
                     ? Create(type)
                     : Dataset(GDALDataset::Open(m_FileName.c_str(), GDAL_OF_RASTER | GDAL_OF_UPDATE)));
    if (!d)
    {
      itkExceptionMacro(<< LastGDALError());
    }
    const int bands = static_cast<int>(GetNumberOfComponents());
    if (d->GetRasterCount() != bands || d->GetRasterBand(1)->GetRasterDataType() != type)
    {
      itkExceptionMacro(<< "a region of " << bands << " band(s) of " << GDALGetDataTypeName(type)
                        << " cannot be pasted into this raster");
    }
    const int bytes = GDALGetDataTypeSizeBytes(type);
    const auto x = static_cast<int>(region.GetIndex(0)), y = static_cast<int>(region.GetIndex(1));
    const auto w = static_cast<int>(region.GetSize(0)), h = static_cast<int>(region.GetSize(1));
    if (d->RasterIO(GF_Write, x, y, w, h, const_cast<void *>(buffer), w, h, type, bands, nullptr,
                    static_cast<GSpacing>(bytes) * bands, static_cast<GSpacing>(bytes) * bands * w, bytes,
                    nullptr) != CE_None)
    {
      itkExceptionMacro(<< LastGDALError());
    }
    CPLErrorReset();
    d.reset(); // flushes the blocks: a full disk shows here
    if (CPLGetLastErrorType() == CE_Failure)
    {
      itkExceptionMacro(<< LastGDALError());
    }
  }

protected:
  /** The whole raster, empty, with its georeference, CRS and label colours. */
  Dataset Create(GDALDataType type)
  {
    const int w = static_cast<int>(GetDimensions(0)), h = static_cast<int>(GetDimensions(1));
    const int bands = static_cast<int>(GetNumberOfComponents());
    char **   options = nullptr;
    options = CSLSetNameValue(options, "TILED", "YES");
    options = CSLSetNameValue(options, "COMPRESS", "DEFLATE");
    options = CSLSetNameValue(options, "BIGTIFF", "IF_SAFER");
    if (bands > 1)
    {
      options = CSLSetNameValue(options, "INTERLEAVE", "PIXEL");
    }
    GDALDriver * driver = GetGDALDriverManager()->GetDriverByName("GTiff");
    Dataset      d(driver ? driver->Create(m_FileName.c_str(), w, h, bands, type, options) : nullptr);
    CSLDestroy(options);
    if (!d)
    {
      return d;
    }
    const bool georeferenced = GetOrigin(0) != 0.0 || GetOrigin(1) != 0.0 || GetSpacing(0) != 1.0 ||
                               GetSpacing(1) != 1.0 || GetDirection(0)[1] != 0.0 || GetDirection(1)[0] != 0.0 ||
                               GetDirection(0)[0] != 1.0 || GetDirection(1)[1] != 1.0;
    if (georeferenced)
    {
      auto g = GeoTransform({ GetOrigin(0), GetOrigin(1) }, { GetSpacing(0), GetSpacing(1) },
                            { GetDirection(0)[0], GetDirection(0)[1], GetDirection(1)[0], GetDirection(1)[1] });
      d->SetGeoTransform(g.data());
    }
    std::string wkt;
    if (itk::ExposeMetaData<std::string>(GetMetaDataDictionary(), GeoCrsKey, wkt))
    {
      d->SetProjection(wkt.c_str());
    }
    SetLabelColours(*d, type);
    return d;
  }

  /** A label raster (one 8- or 16-bit band carrying a label table) gets the table's colours as
   * its colour table, which QGIS and other GIS show as classes. */
  void SetLabelColours(GDALDataset & d, GDALDataType type)
  {
    std::string json;
    if (d.GetRasterCount() != 1 || (type != GDT_Byte && type != GDT_UInt16) ||
        !itk::ExposeMetaData<std::string>(GetMetaDataDictionary(), LabelTableKey, json))
    {
      return;
    }
    const auto      table = nlohmann::json::parse(json, nullptr, false);
    GDALColorTable  colours;
    const GDALColorEntry black{ 0, 0, 0, 255 };
    for (const auto & label : table.is_object() ? table.value("labels", nlohmann::json::array()) : nlohmann::json())
    {
      const int id = label.value("id", -1);
      const auto c = label.value("color", std::vector<int>{ 0, 0, 0 });
      if (id < 0 || id > (type == GDT_Byte ? 255 : 65535) || c.size() != 3)
      {
        continue;
      }
      for (int k = colours.GetColorEntryCount(); k < id; ++k)
      {
        colours.SetColorEntry(k, &black);
      }
      const GDALColorEntry entry{ static_cast<short>(c[0]), static_cast<short>(c[1]), static_cast<short>(c[2]), 255 };
      colours.SetColorEntry(id, &entry);
    }
    if (colours.GetColorEntryCount() > 0)
    {
      d.GetRasterBand(1)->SetColorTable(&colours);
    }
  }

  GDALImageIO()
  {
    AddSupportedReadExtension(".tif");
    AddSupportedReadExtension(".tiff");
    AddSupportedReadExtension(".vrt");
    AddSupportedWriteExtension(".tif");
    AddSupportedWriteExtension(".tiff");
  }
  ~GDALImageIO() override = default;
};
} // namespace
} // namespace tessera

/** The module's entry point (tesseraModuleLoader.h): a new GDAL ImageIO. */
extern "C" void
tesseraCreateGDALImageIO(itk::ImageIOBase::Pointer * io)
{
  *io = tessera::GDALImageIO::New().GetPointer();
}

/** Why GDAL cannot open `path` as a raster ("" when it can). CreateImageIO refuses a TIFF that GDAL
 * cannot open before ITK's TIFF reader sees it: ITK 5.2's libtiff takes 30 s and 8 GB on some
 * damaged 171-byte headers (found by tesseraImageReaderFuzzer) that GDAL's refuses at once. */
extern "C" void
tesseraGDALOpenFailure(const char * path, std::string * reason)
{
  tessera::InitialiseGDAL();
  CPLErrorReset();
  *reason = tessera::OpenRaster(path) ? "" : tessera::LastGDALError();
}

/** The module's polygons (stage `polygonize`): every connected region of `labels` whose label is
 * not `background` becomes a polygon feature (GDALPolygonize, 4- or 8-connected) of layer
 * "regions" in the vector file `path` (driver from its extension: .gpkg, .geojson, .shp), with
 * fields label, name and colour (#rrggbb) from `table` (which must list every label of the
 * image), in the image's CRS and physical coordinates. \throws tessera::Error naming `path`. */
extern "C" void
tesseraPolygonize(const tessera::LabelImage<2> * labels, const tessera::LabelTable * table, int connectivity,
                  int background, const char * path)
{
  using namespace tessera;
  InitialiseGDAL();
  const std::string ext = CPLString(CPLGetExtension(path)).tolower();
  const char *      driverName = ext == "gpkg" ? "GPKG" : ext == "shp" ? "ESRI Shapefile" : "GeoJSON";
  GDALDriver *      mem = GetGDALDriverManager()->GetDriverByName("MEM");
  GDALDriver *      vectors = GetGDALDriverManager()->GetDriverByName(driverName);
  const auto        size = labels->GetLargestPossibleRegion().GetSize();
  const int         w = static_cast<int>(size[0]), h = static_cast<int>(size[1]);
  Dataset           raster(mem->Create("", w, h, 1, GDT_UInt16, nullptr)), inside(mem->Create("", w, h, 1, GDT_Byte, nullptr));
  std::vector<GByte> mask(static_cast<size_t>(w) * h);
  for (size_t i = 0; i < mask.size(); ++i)
  {
    mask[i] = labels->GetBufferPointer()[i] != background;
  }
  const auto & o = labels->GetOrigin();
  const auto & s = labels->GetSpacing();
  const auto & m = labels->GetDirection();
  auto         g = GeoTransform({ o[0], o[1] }, { s[0], s[1] }, { m[0][0], m[1][0], m[0][1], m[1][1] });
  raster->SetGeoTransform(g.data());
  if (raster->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, w, h, const_cast<LabelPixel *>(labels->GetBufferPointer()), w,
                                         h, GDT_UInt16, 0, 0) != CE_None ||
      inside->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, w, h, mask.data(), w, h, GDT_Byte, 0, 0) != CE_None)
  {
    throw Error(path, "cannot be written: " + LastGDALError());
  }
  Dataset out(vectors ? vectors->Create(path, 0, 0, 0, GDT_Unknown, nullptr) : nullptr);
  if (!out)
  {
    throw Error(path, "cannot be written: " + LastGDALError());
  }
  std::string         wkt;
  OGRSpatialReference crs;
  const bool          hasCrs = itk::ExposeMetaData<std::string>(labels->GetMetaDataDictionary(), GeoCrsKey, wkt) &&
                      crs.importFromWkt(wkt.c_str()) == OGRERR_NONE;
  // Polygons first into memory (label field only), then copied with their names and colours:
  // GeoJSON and Shapefile layers cannot update features already written.
  Dataset    scratch(GetGDALDriverManager()->GetDriverByName("Memory")->Create("", 0, 0, 0, GDT_Unknown, nullptr));
  OGRLayer * polygons = scratch->CreateLayer("regions", hasCrs ? &crs : nullptr, wkbPolygon, nullptr);
  OGRLayer * layer = out->CreateLayer("regions", hasCrs ? &crs : nullptr, wkbPolygon, nullptr);
  OGRFieldDefn label("label", OFTInteger), name("name", OFTString), colour("colour", OFTString);
  if (!polygons || !layer || polygons->CreateField(&label) != OGRERR_NONE || layer->CreateField(&label) != OGRERR_NONE ||
      layer->CreateField(&name) != OGRERR_NONE || layer->CreateField(&colour) != OGRERR_NONE)
  {
    throw Error(path, "cannot be written: " + LastGDALError());
  }
  char ** options = connectivity == 8 ? CSLSetNameValue(nullptr, "8CONNECTED", "8") : nullptr;
  const CPLErr polygonized = GDALPolygonize(GDALRasterBand::ToHandle(raster->GetRasterBand(1)),
                                            GDALRasterBand::ToHandle(inside->GetRasterBand(1)),
                                            OGRLayer::ToHandle(polygons), 0, options, nullptr, nullptr);
  CSLDestroy(options);
  if (polygonized != CE_None)
  {
    throw Error(path, "cannot be written: " + LastGDALError());
  }
  // GeoPackage writes much faster in one transaction; GeoJSON and Shapefile have none.
  const bool transaction = out->StartTransaction() == OGRERR_NONE;
  polygons->ResetReading();
  for (std::unique_ptr<OGRFeature> region(polygons->GetNextFeature()); region; region.reset(polygons->GetNextFeature()))
  {
    // The caller's table lists every label of the image (inline accessors only: this module
    // does not link Common, which loads it).
    const int    id = region->GetFieldAsInteger(0);
    const auto & entry = table->Entries().at(static_cast<LabelPixel>(id));
    char         hex[8];
    std::snprintf(hex, sizeof hex, "#%02x%02x%02x", entry.color[0], entry.color[1], entry.color[2]);
    OGRFeature feature(layer->GetLayerDefn());
    feature.SetField(0, id);
    feature.SetField(1, entry.name.c_str());
    feature.SetField(2, hex);
    feature.SetGeometry(region->GetGeometryRef());
    if (layer->CreateFeature(&feature) != OGRERR_NONE)
    {
      throw Error(path, "cannot be written: " + LastGDALError());
    }
  }
  if (transaction && out->CommitTransaction() != OGRERR_NONE)
  {
    throw Error(path, "cannot be written: " + LastGDALError());
  }
}

/** Rewrites the GeoTIFF at `path` as a Cloud Optimized GeoTIFF (GDAL's COG driver: tiled, DEFLATE,
 * internal overviews resampled by nearest neighbour for labels, by averaging otherwise), in place;
 * bands, georeference, CRS, metadata and colour table are kept. \throws tessera::Error naming `path`. */
extern "C" void
tesseraMakeCloudOptimized(const char * path, bool labels)
{
  using namespace tessera;
  InitialiseGDAL();
  CPLErrorReset();
  const std::string target = std::string(path) + ".cog";
  {
    const Dataset source = OpenRaster(path);
    if (!source)
    {
      throw Error(path, "cannot be read back as a GeoTIFF: " + LastGDALError());
    }
    char ** arguments = nullptr;
    for (const char * a : { "-of", "COG", "-co", "COMPRESS=DEFLATE", "-co", "BIGTIFF=IF_SAFER", "-co",
                            labels ? "RESAMPLING=NEAREST" : "RESAMPLING=AVERAGE" })
    {
      arguments = CSLAddString(arguments, a);
    }
    GDALTranslateOptions * options = GDALTranslateOptionsNew(arguments, nullptr);
    CSLDestroy(arguments);
    // No .aux.xml beside the output: everything the COG keeps is in the file.
    CPLSetThreadLocalConfigOption("GDAL_PAM_ENABLED", "NO");
    int          failed = 0;
    GDALDatasetH out = GDALTranslate(target.c_str(), GDALDataset::ToHandle(source.get()), options, &failed);
    CPLSetThreadLocalConfigOption("GDAL_PAM_ENABLED", nullptr);
    GDALTranslateOptionsFree(options);
    if (out)
    {
      GDALClose(out);
    }
    if (!out || failed)
    {
      std::remove(target.c_str());
      throw Error(path, "cannot be written as a Cloud Optimized GeoTIFF: " + LastGDALError());
    }
  }
  if (std::rename(target.c_str(), path) != 0)
  {
    std::remove(target.c_str());
    throw Error(path, "cannot be replaced by its Cloud Optimized GeoTIFF");
  }
}
