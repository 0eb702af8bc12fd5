// info, contact-sheet, and the small stages between methods: argmax, threshold, mask, remap, connected-components.
#include "tesseraCommonStages.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>

#include "itkImageIOFactory.h"
#include "tesseraImageUtilities.h"
#include "tesseraLabelFiles.h"
#include "tesseraModuleLoader.h"
#include "itkRelabelComponentImageFilter.h"
#include "itkScalarConnectedComponentImageFilter.h"

namespace tessera
{
LabelMapping
LabelMapping::Load(const std::string & path)
{
  std::ifstream file(path);
  if (!file)
  {
    throw Error(path, "no such label mapping");
  }
  nlohmann::json doc;
  try
  {
    doc = nlohmann::json::parse(file);
  }
  catch (const nlohmann::json::exception & e)
  {
    throw Error(path, std::string("is not valid JSON: ") + e.what());
  }
  if (!doc.is_object() || !doc.contains("mapping") || !doc["mapping"].is_object())
  {
    throw Error(path, "a label mapping needs a \"mapping\" object of \"from\": to");
  }
  for (const auto & [key, value] : doc.items())
  {
    if (key != "mapping" && key != "labels")
    {
      throw Error(path, "unknown key \"" + key + "\" (expected mapping, labels)");
    }
  }
  LabelMapping m;
  auto         label = [&](const std::string & text) {
    std::size_t used = 0;
    long        v = -1;
    try
    {
      v = std::stol(text, &used);
    }
    catch (const std::exception &)
    {
    }
    if (used != text.size() || v < 0 || v > 65535)
    {
      throw Error(path, "'" + text + "' is not a label (an integer in 0-65535)");
    }
    return static_cast<LabelPixel>(v);
  };
  for (const auto & [from, to] : doc["mapping"].items())
  {
    if (!to.is_number_integer())
    {
      throw Error(path, "label " + from + " maps to " + to.dump() + ", not a label");
    }
    m.mapping[label(from)] = label(std::to_string(to.get<long long>()));
  }
  if (doc.contains("labels"))
  {
    m.table = LabelTable::FromJson(nlohmann::json{ { "labels", doc["labels"] } }.dump(), path);
  }
  return m;
}

namespace
{
/** A length, coordinate, cosine or real intensity: fixed point with 4 decimals, never "-0.0000". */
std::string
Fixed4(double value)
{
  const double rounded = std::round(value * 1e4) / 1e4;
  char         text[64];
  std::snprintf(text, sizeof text, "%.4f", rounded == 0.0 ? 0.0 : rounded);
  return text;
}

std::string
Join4(const std::vector<double> & values, const char * sep)
{
  std::string s;
  for (size_t i = 0; i < values.size(); ++i)
  {
    s += (i ? sep : "") + Fixed4(values[i]);
  }
  return s;
}

/** Integer pixel types print values as integers; everything else with 4 decimals. */
bool
IsIntegral(const ImageInfo & info)
{
  return info.componentType.find("float") == std::string::npos && info.componentType.find("double") == std::string::npos;
}

/** "min a, max b, mean c" of the finite values data[0], data[stride], ... (n of them), with the
 * count of the others; "no finite voxel (...)" when there is none. */
std::string
FiniteValueSummary(const float * data, size_t n, unsigned int stride, bool integral)
{
  double sum = 0.0;
  size_t finite = 0;
  float  lo = std::numeric_limits<float>::max(), hi = std::numeric_limits<float>::lowest();
  for (size_t i = 0; i < n; ++i)
  {
    const float v = data[i * stride];
    if (std::isfinite(v))
    {
      sum += v;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      ++finite;
    }
  }
  if (finite == 0)
  {
    return "no finite voxel (" + std::to_string(n) + " NaN or infinite)";
  }
  auto value = [&](float v) { return integral ? std::to_string(static_cast<long long>(v)) : Fixed4(v); };
  return "min " + value(lo) + ", max " + value(hi) + ", mean " + Fixed4(sum / static_cast<double>(finite)) +
         (finite < n ? " (of the finite voxels; " + std::to_string(n - finite) + " NaN or infinite)" : "");
}

template <unsigned int D>
void
PrintValues(const std::string & path, const ImageInfo & info, const LabelTable & table)
{
  const bool    integral = IsIntegral(info);
  const auto    image = ReadImageFile<ScalarImage<D>>(path);
  const float * data = image->GetBufferPointer();
  const size_t  n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  std::cout << "intensity: " << FiniteValueSummary(data, n, 1, integral) << "\n";
  if (!integral)
  {
    return;
  }
  std::map<float, size_t> histogram;
  for (size_t i = 0; i < n && histogram.size() <= 256; ++i)
  {
    if (std::isfinite(data[i]))
    {
      ++histogram[data[i]];
    }
  }
  if (histogram.empty() || histogram.size() > 256) // no finite voxel, or not labels
  {
    return;
  }
  std::cout << "label histogram (" << histogram.size() << " values): label, voxels, percent, name\n";
  for (const auto & [v, count] : histogram)
  {
    const long long label = static_cast<long long>(v);
    const bool      named = label >= 0 && label <= 65535 && table.Contains(static_cast<LabelPixel>(label));
    char            row[64];
    std::snprintf(row, sizeof row, "  %6lld  %10zu  %6.2f%%", label, count,
                  100.0 * static_cast<double>(count) / static_cast<double>(n));
    std::cout << row << (named ? "  " + table.Name(static_cast<LabelPixel>(label)) : std::string()) << "\n";
  }
}

/** The same summary for each component (band, colour channel); reading them all also refuses a
 * file whose data end early. */
template <unsigned int D>
void
PrintComponentValues(const std::string & path, const ImageInfo & info)
{
  const auto         image = ReadImageFile<VectorImage<D>>(path);
  const unsigned int nc = image->GetNumberOfComponentsPerPixel();
  const size_t       n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  for (unsigned int k = 0; k < nc; ++k)
  {
    std::cout << "component " << k + 1 << ": "
              << FiniteValueSummary(image->GetBufferPointer() + k, n, nc, IsIntegral(info)) << "\n";
  }
}

void
Info(StageContext & c)
{
  const std::string path = c.InputPaths("input").at(0);
  const ImageInfo   info = ReadImageInfo(path);
  std::string       size;
  for (size_t d = 0; d < info.size.size(); ++d)
  {
    size += (d ? " x " : "") + std::to_string(info.size[d]);
  }
  std::cout << "file: " << path << "\n"
            << (info.crs.empty() ? "coordinates: ITK physical space in mm, LPS (+x left, +y posterior, +z superior); "
                                   "RAS is (-x, -y, z)\n"
                                 : "coordinates: map coordinates of the CRS " + CrsName(info.crs) +
                                     ", in its units (below as mm)\n")
            << "dimension: " << info.dimension << "\n"
            << "size: " << size << " voxels\n"
            << "spacing: " << Join4(info.spacing, " x ") << " mm\n"
            << "origin: " << Join4(info.origin, ", ") << " mm (centre of the first voxel)\n"
            << "direction:";
  for (size_t d = 0; d < info.direction.size(); ++d)
  {
    std::cout << (d ? ", " : " ") << "axis " << d << " [" << Join4(info.direction[d], ", ") << "]";
  }
  std::cout << "\npixel: " << info.pixelType << " of " << info.componentType << ", " << info.components
            << " component(s)\n";
  // Names from the table given, else from the one the image carries: in its header (NRRD, MetaImage; the
  // file was checked by ReadImageInfo) or in a sidecar.
  auto io = CreateImageIO(path, itk::ImageIOFactory::IOFileModeEnum::ReadMode);
  io->SetFileName(path);
  io->ReadImageInformation();
  LabelTable        table = c.InputLabelTable("labels");
  const std::string carried = ReadLabelTableText(path, io->GetMetaDataDictionary());
  if (!carried.empty())
  {
    const LabelTable own = LabelTable::FromJson(carried, path);
    std::cout << "label table: " << own.Size() << " labels carried by the image\n";
    table = table.Empty() ? own : table;
  }
  if (c.InputPaths("labels").size() == 1)
  {
    std::cout << "label names: " << c.InputPaths("labels")[0] << "\n";
  }
  if (info.components == 1 && info.dimension == 2)
  {
    PrintValues<2>(path, info, table);
  }
  else if (info.components == 1 && info.dimension == 3)
  {
    PrintValues<3>(path, info, table);
  }
  else if (info.pixelType != "complex" && info.dimension == 2)
  {
    PrintComponentValues<2>(path, info);
  }
  else if (info.pixelType != "complex" && info.dimension == 3)
  {
    PrintComponentValues<3>(path, info);
  }
}

template <unsigned int D>
void
ArgMax(StageContext & c)
{
  const auto p = c.Input<ProbabilityImage<D>>("input");
  auto       labels = ArgMaxLabels<D>(p, c.Input<MaskImage<D>>("mask"), c.InputName("input"),
                                static_cast<LabelPixel>(c.Parameters().Integer("unlabelled")));
  SetLabelTable(labels, ClassTable<D>(p, c.InputName("input")));
  c.SetOutput("output", labels);
}

template <unsigned int D>
void
Threshold(StageContext & c)
{
  const auto         p = c.Input<ProbabilityImage<D>>("input");
  const LabelTable   table = ClassTable<D>(p, c.InputName("input"));
  const auto         classes = table.Labels();
  const auto &       v = c.Parameters();
  const LabelPixel   target = v.Has("class") ? static_cast<LabelPixel>(v.Integer("class")) : classes.back();
  const auto         it = std::find(classes.begin(), classes.end(), target);
  if (it == classes.end())
  {
    throw Error("class", std::to_string(target) + " is not a class of " + c.InputName("input"));
  }
  const unsigned int component = static_cast<unsigned int>(it - classes.begin());
  const unsigned int nc = p->GetNumberOfComponentsPerPixel();
  const double       threshold = v.Real("threshold");
  const auto         background = static_cast<LabelPixel>(v.Integer("background"));
  auto               out = LabelImage<D>::New();
  out->CopyInformation(p);
  out->SetRegions(p->GetLargestPossibleRegion());
  out->Allocate();
  const size_t n = out->GetLargestPossibleRegion().GetNumberOfPixels();
  size_t       inside = 0;
  for (size_t i = 0; i < n; ++i)
  {
    const bool in = p->GetBufferPointer()[i * nc + component] >= threshold;
    out->GetBufferPointer()[i] = in ? target : background;
    inside += in;
  }
  LabelTable outTable;
  outTable.Add(target, table.Entries().at(target));
  SetLabelTable(out, outTable);
  c.SetOutput("output", out);
  c.Report(std::to_string(inside) + " of " + std::to_string(n) + " voxels have p(" + table.Name(target) +
           ") >= " + FormatNumber(threshold));
}

template <unsigned int D>
void
Mask(StageContext & c)
{
  auto       labels = c.Input<LabelImage<D>>("input");
  const auto mask = c.Input<MaskImage<D>>("mask");
  auto       out = LabelImage<D>::New();
  out->CopyInformation(labels);
  out->SetMetaDataDictionary(labels->GetMetaDataDictionary());
  out->SetRegions(labels->GetLargestPossibleRegion());
  out->Allocate();
  const auto   outside = static_cast<LabelPixel>(c.Parameters().Integer("outside"));
  const size_t n = out->GetLargestPossibleRegion().GetNumberOfPixels();
  for (size_t i = 0; i < n; ++i)
  {
    out->GetBufferPointer()[i] = mask->GetBufferPointer()[i] ? labels->GetBufferPointer()[i] : outside;
  }
  c.SetOutput("output", out);
}

template <unsigned int D>
void
Remap(StageContext & c)
{
  const auto         labels = c.Input<LabelImage<D>>("input");
  const LabelMapping m = LabelMapping::Load(c.InputPaths("mapping").at(0));
  const auto &       v = c.Parameters();
  std::vector<int>   lut(65536, -1);
  for (const auto & [from, to] : m.mapping)
  {
    lut[from] = to;
  }
  auto out = LabelImage<D>::New();
  out->CopyInformation(labels);
  out->SetRegions(labels->GetLargestPossibleRegion());
  out->Allocate();
  const size_t n = out->GetLargestPossibleRegion().GetNumberOfPixels();
  for (size_t i = 0; i < n; ++i)
  {
    const LabelPixel l = labels->GetBufferPointer()[i];
    if (lut[l] < 0)
    {
      if (!v.Has("unmapped"))
      {
        std::ostringstream s;
        s << "label " << l << " at voxel " << labels->ComputeIndex(static_cast<itk::OffsetValueType>(i))
          << " is not in the mapping " << c.InputPaths("mapping").at(0) << " (give --unmapped to map it)";
        throw Error(c.InputName("input"), s.str());
      }
      lut[l] = static_cast<int>(v.Integer("unmapped"));
    }
    out->GetBufferPointer()[i] = static_cast<LabelPixel>(lut[l]);
  }
  if (!m.table.Empty())
  {
    SetLabelTable(out, m.table);
  }
  c.SetOutput("output", out);
}

void
Polygonize(StageContext & c)
{
  if (c.Dimension() != 2)
  {
    throw Error(c.InputName("input"), "polygons need a 2D label image");
  }
  const auto labels = c.Input<LabelImage<2>>("input");
  LabelTable given = c.InputLabelTable("labels");
  if (given.Empty())
  {
    given = GetLabelTable(labels, c.InputName("input"));
  }
  // Every label of the image gets a name and a colour: the table's, else its number and palette colour.
  LabelTable table;
  for (const auto & [label, extent] : LabelExtents<2>(labels))
  {
    table.Add(label, { given.Name(label), given.Color(label), false });
  }
  const int connectivity = c.Parameters().Integer("connectivity") == 2 ? 8 : 4;
  const int background = static_cast<int>(c.Parameters().Integer("background"));
  c.SetWriter("output", [labels, table, connectivity, background, output = c.OutputPath("output")](
                          const std::string & path) {
    try
    {
      ModuleFunction<void(const LabelImage<2> *, const LabelTable *, int, int, const char *)>(
        "TesseraGDALIO", "tesseraPolygonize")(labels, &table, connectivity, background, path.c_str());
    }
    catch (const Error & e)
    {
      throw Error(output, e.Problem()); // the file the user named, not its temporary
    }
  });
}

template <unsigned int D>
void
ConnectedComponents(StageContext & c)
{
  const auto labels = c.Input<LabelImage<D>>("input");
  const auto connectivity = c.Parameters().Integer("connectivity");
  if (connectivity != 1 && connectivity != D)
  {
    throw Error("connectivity", "takes 1 (face neighbours) or " + std::to_string(D) + " (all neighbours) in " +
                                  std::to_string(D) + "D");
  }
  // Equal, non-zero neighbours are connected: each label's components become instances.
  using InstanceImage = itk::Image<std::uint32_t, D>;
  auto foreground = MaskImage<D>::New();
  foreground->CopyInformation(labels);
  foreground->SetRegions(labels->GetLargestPossibleRegion());
  foreground->Allocate();
  const size_t n = labels->GetLargestPossibleRegion().GetNumberOfPixels();
  for (size_t i = 0; i < n; ++i)
  {
    foreground->GetBufferPointer()[i] = labels->GetBufferPointer()[i] != 0;
  }
  auto components = itk::ScalarConnectedComponentImageFilter<LabelImage<D>, InstanceImage, MaskImage<D>>::New();
  components->SetInput(labels);
  components->SetMaskImage(foreground);
  components->SetDistanceThreshold(0);
  components->SetFullyConnected(connectivity == D);
  auto relabel = itk::RelabelComponentImageFilter<InstanceImage, InstanceImage>::New();
  relabel->SetInput(components->GetOutput());
  relabel->SetMinimumObjectSize(c.Parameters().Integer("min-size"));
  relabel->SetSortByObjectSize(true);
  c.Progress().Watch(components, "components");
  relabel->Update();
  const auto count = relabel->GetNumberOfObjects();
  if (count > 65535)
  {
    throw Error(c.InputName("input"), std::to_string(count) + " components: more than a label image holds (65535); "
                                                               "raise --min-size");
  }
  auto out = LabelImage<D>::New();
  out->CopyInformation(labels);
  out->SetRegions(labels->GetLargestPossibleRegion());
  out->Allocate();
  for (size_t i = 0; i < n; ++i)
  {
    out->GetBufferPointer()[i] = static_cast<LabelPixel>(relabel->GetOutput()->GetBufferPointer()[i]);
  }
  c.SetOutput("output", out);
  const auto & sizes = relabel->GetSizeOfObjectsInPixels();
  c.Report(std::to_string(count) + " components" +
           (count ? " (largest " + std::to_string(sizes.front()) + " voxels, smallest " + std::to_string(sizes.back()) +
                      ")"
                  : std::string()));
}

PortDescription
LabelsOut(const std::string & doc)
{
  return OutputPort("output", PortKind::Labels, doc).Alias("o");
}
} // namespace

void
RegisterCommonStages(StageRegistry & registry)
{
  {
    StageDescription s;
    s.name = "info";
    s.summary = "Size, spacing, origin, direction (ITK's LPS physical coordinates, mm), pixel type and label histogram "
                "of an image";
    s.perImage = false;
    s.inputs = { InputPort("input", PortKind::File, "Image file (any ITK-readable format)").Alias("i").Positional(),
                 InputPort("labels", PortKind::LabelTable,
                           "Label table naming the labels in the histogram (default: the table the image carries)")
                   .Optional() };
    s.run = Info;
    registry.Add(s);
  }
  {
    StageDescription s;
    s.name = "contact-sheet";
    s.summary = "One overlay per image of a folder, beside its reference's when given, in one PNG to look over";
    s.perImage = false;
    s.inputs = {
      InputPort("input", PortKind::File, "Folder of images (or one image)").Alias("i"),
      InputPort("segmentation", PortKind::File,
                "Folder of label images named as the images (any image extension), or one label image")
        .Alias("s"),
      InputPort("reference", PortKind::File, "Folder of reference label images named as the images, or one").Optional(),
      InputPort("labels", PortKind::LabelTable,
                "Label table for colours, names and the legend (default: the table the first label image carries)")
        .Optional(),
    };
    s.outputs = { OutputPort("output", PortKind::File, "The contact sheet").Alias("o").Extensions({ ".png" }) };
    s.parameters = {
      IntegerParameter("row-height", "256", "px", "Height of each overlay in the sheet").AtLeast(32).AtMost(4096),
      RealParameter("opacity", "0.45", "weight", "Weight of the label colours inside the regions").AtLeast(0).AtMost(1),
      BooleanParameter("outline", "Draw only the region borders"),
    };
    s.run = ModuleRun("TesseraFigures", "tesseraRunContactSheet");
    registry.Add(s);
  }
  {
    StageDescription s;
    s.name = "argmax";
    s.summary = "Labels of the most probable class of a probability image";
    s.inputs = { InputPort("input", PortKind::Probabilities, "Per-class probabilities").Alias("i"),
                 InputPort("mask", PortKind::Mask, "Mask on the input's grid: voxels outside get --unlabelled").Optional() };
    s.outputs = { LabelsOut("Label image of the most probable class (the input's label values)") };
    s.parameters = { IntegerParameter("unlabelled", "0", "label",
                                      "Label of voxels outside the mask or with all probabilities 0")
                       .AtLeast(0)
                       .AtMost(65535) };
    s.run = RunByDimension<ArgMax<2>, ArgMax<3>>;
    registry.Add(s);
  }
  {
    StageDescription s;
    s.name = "threshold";
    s.summary = "Binary labels from one class's probability: the class where p >= threshold";
    s.inputs = { InputPort("input", PortKind::Probabilities, "Per-class probabilities").Alias("i") };
    s.outputs = { LabelsOut("Label image: the class's label where its probability reaches the threshold") };
    s.parameters = {
      IntegerParameter("class", "", "label", "The class (label value) whose probability is thresholded")
        .AtLeast(0)
        .AtMost(65535)
        .WhenAbsent("the last class"),
      RealParameter("threshold", "0.5", "probability", "Smallest probability labelled as the class").AtLeast(0).AtMost(1),
      IntegerParameter("background", "0", "label", "Label of the other voxels").AtLeast(0).AtMost(65535),
    };
    s.run = RunByDimension<Threshold<2>, Threshold<3>>;
    registry.Add(s);
  }
  {
    StageDescription s;
    s.name = "mask";
    s.summary = "Labels kept inside a mask, set to one label outside";
    s.inputs = { InputPort("input", PortKind::Labels, "Label image").Alias("i"),
                 InputPort("mask", PortKind::Mask, "Mask on the input's grid, non-zero = inside") };
    s.outputs = { LabelsOut("The labels inside the mask, --outside elsewhere") };
    s.parameters = { IntegerParameter("outside", "0", "label", "Label outside the mask").AtLeast(0).AtMost(65535) };
    s.run = RunByDimension<Mask<2>, Mask<3>>;
    registry.Add(s);
  }
  {
    StageDescription s;
    s.name = "remap";
    s.summary = "Label values mapped through a table, e.g. Cityscapes' 34 label ids to its 8 categories";
    s.inputs = { InputPort("input", PortKind::Labels, "Label image").Alias("i"),
                 InputPort("mapping", PortKind::File,
                           "Label mapping (JSON): {\"mapping\": {\"from\": to, ...}, \"labels\": [output label table]}") };
    s.outputs = { LabelsOut("The mapped labels, carrying the mapping's label table") };
    s.parameters = { IntegerParameter("unmapped", "", "label", "Label for values the mapping does not list")
                       .AtLeast(0)
                       .AtMost(65535)
                       .WhenAbsent("an error naming the first such voxel") };
    s.run = RunByDimension<Remap<2>, Remap<3>>;
    registry.Add(s);
  }
  {
    StageDescription s;
    s.name = "connected-components";
    s.summary = "Instances from a semantic label image: connected components of each label, numbered by size";
    s.source = "ITK ScalarConnectedComponentImageFilter and RelabelComponentImageFilter";
    s.inputs = { InputPort("input", PortKind::Labels, "Label image (0 = background, not an instance)").Alias("i") };
    s.outputs = { LabelsOut("Instances 1..N, 1 the largest; 0 background and removed components") };
    s.parameters = {
      IntegerParameter("connectivity", "1", "neighbourhood", "1 = face neighbours; 2 in 2D or 3 in 3D = all")
        .AtLeast(1)
        .AtMost(3),
      IntegerParameter("min-size", "0", "voxels", "Components smaller than this are removed (set to 0)")
        .AtLeast(0)
        .AtMost(1e12),
    };
    s.run = RunByDimension<ConnectedComponents<2>, ConnectedComponents<3>>;
    registry.Add(s);
  }
  {
    StageDescription s;
    s.name = "polygonize";
    s.summary = "Label regions as polygons in a GeoPackage, GeoJSON or Shapefile (label, name and colour), in the "
                "image's CRS, for QGIS and other GIS";
    s.source = "GDAL GDALPolygonize";
    s.inputs = { InputPort("input", PortKind::Labels, "2D label image (e.g. a GeoTIFF from segment)").Alias("i"),
                 InputPort("labels", PortKind::LabelTable,
                           "Label table for the polygons' names and colours (default: the table the image carries)")
                   .Optional() };
    s.outputs = { OutputPort("output", PortKind::File, "Polygons, one feature per connected region: layer "
                                                        "\"regions\", fields label, name, colour (#rrggbb)")
                    .Alias("o")
                    .Extensions({ ".gpkg", ".geojson", ".shp" }) };
    s.parameters = {
      IntegerParameter("connectivity", "1", "neighbourhood", "1 = 4-connected regions; 2 = 8-connected")
        .AtLeast(1)
        .AtMost(2),
      IntegerParameter("background", "0", "label", "Label whose regions get no polygon").AtLeast(0).AtMost(65535),
    };
    s.run = Polygonize;
    registry.Add(s);
  }
}
} // namespace tessera
