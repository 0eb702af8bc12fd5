// The region methods as stages: region growing, split-and-merge, watershed, superpixels and
// region adjacency graph merging.
#include "tesseraRegionStages.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "tesseraRegionGrowingImageFilter.h"
#include "tesseraNormalizedCut.h"
#include "tesseraRegionMerger.h"
#include "tesseraSplitAndMergeImageFilter.h"
#include "tesseraSuperpixels.h"
#include "tesseraWatershedImageFilter.h"

namespace tessera
{
namespace
{
/** Parses "x,y[,z]" (D numbers) with an optional ":label" suffix (default 1).
 * \throws Error(option) for a malformed value. */
template <unsigned int D>
std::pair<std::array<double, D>, unsigned int>
ParsePointWithLabel(const std::string & text, const std::string & option)
{
  std::string coordinates = text;
  unsigned int label = 1;
  const auto   colon = text.find(':');
  const auto   bad = [&](const std::string & why) {
    return Error(option, "'" + text + "' " + why + " (expected " + (D == 2 ? "x,y" : "x,y,z") + " or " +
                           (D == 2 ? "x,y" : "x,y,z") + ":label)");
  };
  if (colon != std::string::npos)
  {
    coordinates = text.substr(0, colon);
    try
    {
      size_t     used = 0;
      const long l = std::stol(text.substr(colon + 1), &used);
      if (used != text.size() - colon - 1 || l < 1 || l > 65535)
      {
        throw bad("has a label that is not an integer in 1-65535");
      }
      label = static_cast<unsigned int>(l);
    }
    catch (const std::logic_error &)
    {
      throw bad("has a label that is not an integer in 1-65535");
    }
  }
  std::array<double, D> p{};
  std::istringstream    s(coordinates);
  std::string           item;
  unsigned int          count = 0;
  while (std::getline(s, item, ','))
  {
    if (count >= D)
    {
      throw bad("has more than " + std::to_string(D) + " coordinates for a " + std::to_string(D) + "D image");
    }
    try
    {
      size_t used = 0;
      p[count] = std::stod(item, &used);
      if (used != item.size())
      {
        throw bad("is not a list of numbers");
      }
    }
    catch (const std::logic_error &)
    {
      throw bad("is not a list of numbers");
    }
    ++count;
  }
  if (count != D)
  {
    throw bad("has " + std::to_string(count) + " coordinates for a " + std::to_string(D) + "D image");
  }
  return { p, label };
}

/** Throws Error(name, ...) when a seed or marker image has no non-zero voxel. */
template <unsigned int D>
void
CheckNotEmpty(const LabelImage<D> * labels, const std::string & name, const std::string & what)
{
  const size_t n = labels->GetLargestPossibleRegion().GetNumberOfPixels();
  if (std::all_of(labels->GetBufferPointer(), labels->GetBufferPointer() + n, [](LabelPixel l) { return l == 0; }))
  {
    throw Error(name, "the " + what + " image is empty (no non-zero voxel)");
  }
}

/** Intensities in; a label image and an overlay of its borders out. */
void
AddRegionPorts(StageDescription & s, const std::string & inputDoc)
{
  s.inputs.insert(s.inputs.begin(), InputPort("input", PortKind::Image, inputDoc).Alias("i"));
  s.outputs.insert(s.outputs.begin(), OutputPort("output", PortKind::Labels, "Label image of the regions 1..N").Alias("o"));
  s.outputs.push_back(OverlayPort("overlay", "output"));
}

ParameterDescription
ConnectivityParameter()
{
  return IntegerParameter("connectivity", "1", "neighbourhood",
                          "1 = face neighbours (4 in 2D, 6 in 3D); 2 = also edges (8 in 2D, 18 in 3D); 3 = all 26 in 3D")
    .AtLeast(1)
    .AtMost(3);
}

/** Face (1) or full (D) connectivity, for the filters that offer only these two. */
template <unsigned int D>
bool
FullyConnected(const ParameterValues & p)
{
  const auto c = p.Integer("connectivity");
  if (c != 1 && c != D)
  {
    throw Error("connectivity", "this method takes 1 (face neighbours) or " + std::to_string(D) + " (all) in " +
                                  std::to_string(D) + "D, not " + std::to_string(c));
  }
  return c == D;
}

template <unsigned int D>
void
RegionGrow(StageContext & c)
{
  const auto & p = c.Parameters();
  auto         image = c.Input<VectorImage<D>>("input");
  auto         filter = RegionGrowingImageFilter<D>::New();
  filter->SetInput(image);
  const auto seedIndices = p.Has("seed-index") ? p.TextList("seed-index") : std::vector<std::string>{};
  const auto seedPoints = p.Has("seed-point") ? p.TextList("seed-point") : std::vector<std::string>{};
  for (const auto & text : seedIndices)
  {
    const auto [point, label] = ParsePointWithLabel<D>(text, "seed-index");
    itk::Index<D> index;
    for (unsigned int d = 0; d < D; ++d)
    {
      if (point[d] != std::floor(point[d]))
      {
        throw Error("seed-index", "'" + text + "' is not a voxel index (integers expected)");
      }
      index[d] = static_cast<itk::IndexValueType>(point[d]);
    }
    if (!image->GetLargestPossibleRegion().IsInside(index))
    {
      std::ostringstream size;
      size << image->GetLargestPossibleRegion().GetSize();
      throw Error("seed-index", "'" + text + "' lies outside the image of " + size.str() + " voxels");
    }
    filter->AddSeed(index, static_cast<LabelPixel>(label));
  }
  for (const auto & text : seedPoints)
  {
    const auto [coordinates, label] = ParsePointWithLabel<D>(text, "seed-point");
    itk::Point<double, D> point;
    for (unsigned int d = 0; d < D; ++d)
    {
      point[d] = coordinates[d];
    }
    filter->AddSeed(SeedIndexFromPoint<D>(image.GetPointer(), point, "seed-point"), static_cast<LabelPixel>(label));
  }
  if (auto seeds = c.Input<LabelImage<D>>("seeds"))
  {
    CheckNotEmpty<D>(seeds, c.InputName("seeds"), "seed");
    filter->SetSeedImage(seeds);
  }
  else if (seedIndices.empty() && seedPoints.empty())
  {
    throw Error("seeds", "no seed given (seed-index, seed-point or a seed image)");
  }
  const std::string criterion = p.Text("criterion");
  if (criterion == "interval")
  {
    if (!p.Has("lower") && !p.Has("upper"))
    {
      throw Error("criterion", "interval needs a lower and/or upper bound (without, the whole image is one region)");
    }
    filter->SetCriterion(RegionGrowingCriterion::Interval);
  }
  else
  {
    filter->SetCriterion(criterion == "confidence" ? RegionGrowingCriterion::Confidence
                                                   : RegionGrowingCriterion::MeanDistance);
  }
  if (p.Has("lower"))
  {
    filter->SetLowerPerChannel(p.RealList("lower"));
  }
  if (p.Has("upper"))
  {
    filter->SetUpperPerChannel(p.RealList("upper"));
  }
  filter->SetMultiplier(p.Real("multiplier"));
  filter->SetNumberOfIterations(p.Count("iterations"));
  filter->SetInitialNeighborhoodRadius(p.Count("radius"));
  if (p.Has("max-distance"))
  {
    filter->SetMaximumDistance(p.Real("max-distance"));
  }
  filter->SetFullyConnected(FullyConnected<D>(p));
  c.Progress().Watch(filter, "");
  filter->Update();
  c.SetOutput("output", filter->GetOutput());
  const LabelImage<D> *        out = filter->GetOutput();
  const size_t                 n = out->GetLargestPossibleRegion().GetNumberOfPixels();
  std::map<LabelPixel, size_t> sizes;
  for (size_t i = 0; i < n; ++i)
  {
    if (out->GetBufferPointer()[i])
    {
      ++sizes[out->GetBufferPointer()[i]];
    }
  }
  std::ostringstream s;
  s << "regions:";
  for (const auto & [label, count] : sizes)
  {
    s << " " << label << "=" << count << " voxels";
  }
  c.Report(s.str());
}

template <unsigned int D>
void
SplitMerge(StageContext & c)
{
  const auto & p = c.Parameters();
  auto         filter = SplitAndMergeImageFilter<D>::New();
  filter->SetInput(c.Input<VectorImage<D>>("input"));
  filter->SetPredicate(p.Text("predicate") == "range" ? HomogeneityPredicate::Range : HomogeneityPredicate::Variance);
  filter->SetThreshold(p.Real("threshold"));
  filter->SetMergeThreshold(p.Has("merge-threshold") ? p.Real("merge-threshold") : 0.0);
  filter->SetMinimumBlockSize(p.Count("min-block-size"));
  filter->SetMerge(!p.Boolean("no-merge"));
  c.Progress().Watch(filter, "");
  filter->Update();
  c.SetOutput("output", filter->GetOutput());
  c.SetOutput("leaves", const_cast<LabelImage<D> *>(filter->GetSplitLabels()));
  c.Report(std::to_string(filter->GetNumberOfLeaves()) + " blocks after the split, " +
           std::to_string(filter->GetNumberOfRegions()) + " regions after merging");
}

template <unsigned int D>
void
Watershed(StageContext & c)
{
  const auto & p = c.Parameters();
  auto         filter = WatershedSegmentationImageFilter<D>::New();
  filter->SetInput(c.Input<VectorImage<D>>("input"));
  if (auto markers = c.Input<LabelImage<D>>("markers"))
  {
    CheckNotEmpty<D>(markers, c.InputName("markers"), "marker");
    filter->SetMarkerImage(markers);
  }
  filter->SetSigma(p.Real("sigma"));
  filter->SetLevel(p.Real("level"));
  filter->SetMarkWatershedLine(p.Boolean("line"));
  filter->SetFullyConnected(FullyConnected<D>(p));
  c.Progress().Watch(filter, "");
  filter->Update();
  c.SetOutput("output", filter->GetOutput());
  c.SetOutput("relief", const_cast<ScalarImage<D> *>(filter->GetRelief()));
  c.Report(std::to_string(filter->GetNumberOfRegions()) + " regions");
}

SuperpixelOptions
SuperpixelParameters(const ParameterValues & p)
{
  SuperpixelOptions o;
  o.method = ParseSuperpixelMethod(p.Text("method"));
  o.segments = p.Count("superpixels");
  o.compactness = p.Real("compactness");
  o.iterations = p.Count("iterations");
  o.lab = !p.Boolean("no-lab");
  o.scale = p.Real("scale");
  o.sigma = p.Real("sigma");
  o.minimumSize = p.Count("min-size");
  return o;
}

template <unsigned int D>
void
Superpixels(StageContext & c)
{
  const auto        image = c.Input<VectorImage<D>>("input");
  const SuperpixelOptions options = SuperpixelParameters(c.Parameters());
  if constexpr (D == 2)
  {
    if (c.Placement().Tiled())
    {
      c.SetOutput("output", ComputeTileSuperpixels(image, options, c.Placement()));
      return;
    }
  }
  auto filter = SuperpixelImageFilter<D>::New();
  filter->SetInput(image);
  filter->SetOptions(options);
  c.Progress().Watch(filter, "");
  filter->Update();
  c.SetOutput("output", filter->GetOutput());
  c.Report(std::to_string(filter->GetNumberOfSegments()) + " superpixels (" + c.Parameters().Text("method") + ")");
}

/** The checks of rag-merge's parameters that need no image. */
void
CheckMergeParameters(const ParameterValues & p, unsigned int dimension)
{
  if (p.Integer("connectivity") > static_cast<std::int64_t>(dimension))
  {
    throw Error("connectivity", "must be 1.." + std::to_string(dimension) + " for a " + std::to_string(dimension) + "D image");
  }
  if (p.Text("method") == "none" && p.Integer("min-size") == 0)
  {
    throw Error("method", "'none' needs min-size (nothing would be merged)");
  }
}

/** Merges the regions of `rag` as --method, --weight and --min-size ask; `report` gets the result line. */
template <unsigned int D>
std::unique_ptr<RegionMerger<D>>
MergeAsAsked(const RegionAdjacencyGraph<D> & rag, const ParameterValues & p, std::string & report)
{
  const std::string method = p.Text("method");
  auto merger = std::make_unique<RegionMerger<D>>(rag, p.Text("weight") == "boundary" ? BoundaryWeight<D>() : MeanColorWeight<D>());
  if (method == "hierarchical")
  {
    merger->MergeHierarchical(p.Real("threshold"));
  }
  else if (method == "threshold")
  {
    merger->ThresholdCut(p.Real("threshold"));
  }
  else if (method == "ncut")
  {
    NormalizedCutOptions options;
    options.threshold = p.Real("ncut-threshold");
    options.sigma = p.Real("ncut-sigma");
    merger->NormalizedCut(options);
  }
  if (p.Integer("min-size") > 0)
  {
    merger->MergeSmallRegions(static_cast<std::uint64_t>(p.Integer("min-size")));
  }
  report = std::to_string(rag.NumberOfRegions()) + " regions, " + std::to_string(rag.NumberOfEdges()) + " edges -> " +
           std::to_string(merger->NumberOfRegions()) + " regions after " +
           std::to_string(merger->Hierarchy().NumberOfMerges()) + " merges (" + method + ")";
  return merger;
}

/** The merges as the hierarchy output's extension asks (.json or .csv). */
std::string
HierarchyText(const MergeHierarchy & hierarchy, const std::string & path)
{
  return SplitExtension(path).second == ".json" ? hierarchy.ToJson() : hierarchy.ToCsv();
}

template <unsigned int D>
void
RagMerge(StageContext & c)
{
  const auto & p = c.Parameters();
  CheckMergeParameters(p, D);
  auto                            image = c.Input<VectorImage<D>>("input");
  typename LabelImage<D>::Pointer labels = c.Input<LabelImage<D>>("regions");
  if (!labels)
  {
    SuperpixelOptions options;
    options.segments = p.Count("superpixels");
    options.compactness = p.Real("compactness");
    auto filter = SuperpixelImageFilter<D>::New();
    filter->SetInput(image);
    filter->SetOptions(options);
    c.Progress().Watch(filter, "superpixels");
    filter->Update();
    labels = filter->GetOutput();
    labels->DisconnectPipeline();
  }
  std::unique_ptr<RegionAdjacencyGraph<D>> rag;
  try
  {
    rag = std::make_unique<RegionAdjacencyGraph<D>>(labels, image, static_cast<unsigned int>(p.Integer("connectivity")));
  }
  catch (const Error & e)
  {
    throw Error(c.HasInput("regions") ? c.InputName("regions") : c.InputName("input"), e.Problem());
  }
  std::string report;
  const auto  merger = MergeAsAsked<D>(*rag, p, report);
  c.SetOutput("output", merger->Labels());
  if (c.Wants("hierarchy"))
  {
    c.SetText("hierarchy", HierarchyText(merger->Hierarchy(), c.OutputPath("hierarchy")));
  }
  c.Report(report);
}

/** rag-merge tiled (--ram): the region adjacency graph gathered tile by tile (a 1-pixel halo holds the
 * neighbour pairs across tile borders), merged once, then each tile's regions relabelled. */
class RagMergeGathering final : public TiledGathering
{
public:
  explicit RagMergeGathering(ParameterValues parameters)
    : m_Parameters(std::move(parameters))
  {
    CheckMergeParameters(m_Parameters, 2);
  }

  void Gather(StageContext & c) override
  {
    const auto            image = c.Input<VectorImage<2>>("input");
    const auto            labels = c.Input<LabelImage<2>>("regions");
    const TilePlacement & at = c.Placement();
    itk::ImageRegion<2>   read(image->GetLargestPossibleRegion().GetSize()), tile;
    itk::Index<2>         toWhole;
    for (unsigned int a = 0; a < 2; ++a)
    {
      read.SetIndex(a, at.offset[a]);
      tile.SetIndex(a, at.offset[a] + at.keepOffset[a]);
      tile.SetSize(a, static_cast<itk::SizeValueType>(at.keepSize[a]));
      toWhole[a] = -at.offset[a];
    }
    m_Regions = c.InputName("regions");
    if (!m_Graph)
    {
      // The whole image's geometry: its first pixel lies `offset` pixels before the tile's.
      auto grid = itk::ImageBase<2>::New();
      grid->CopyInformation(image);
      itk::Point<double, 2> origin;
      image->TransformIndexToPhysicalPoint(toWhole, origin);
      grid->SetOrigin(origin);
      grid->SetLargestPossibleRegion(
        itk::ImageRegion<2>(itk::Size<2>{ { static_cast<itk::SizeValueType>(at.wholeSize[0]), static_cast<itk::SizeValueType>(at.wholeSize[1]) } }));
      m_Graph = std::make_unique<RegionAdjacencyGraph<2>>(grid, image->GetNumberOfComponentsPerPixel(),
                                                          static_cast<unsigned int>(m_Parameters.Integer("connectivity")));
    }
    m_Graph->AddTile(labels, image, read, tile);
  }

  std::map<std::string, std::string> Decide(const PortFiles & files, std::string & report) override
  {
    try
    {
      m_Graph->Finish();
    }
    catch (const Error & e)
    {
      throw Error(m_Regions, e.Problem());
    }
    const auto merger = MergeAsAsked<2>(*m_Graph, m_Parameters, report);
    m_Map = merger->Hierarchy().LabelMap(merger->Hierarchy().NumberOfMerges());
    // Every tile carries the table of all the regions left: one pixel type for the file, whole sidecars.
    m_Table = LabelTable::Numbered(merger->CurrentRegions()).ToJson(true);
    std::map<std::string, std::string> texts;
    if (files.count("hierarchy"))
    {
      texts["hierarchy"] = HierarchyText(merger->Hierarchy(), files.at("hierarchy").at(0));
    }
    return texts;
  }

  void Apply(StageContext & c) override
  {
    const auto labels = c.Input<LabelImage<2>>("regions");
    auto       out = LabelImage<2>::New();
    out->CopyInformation(labels);
    out->SetRegions(labels->GetLargestPossibleRegion());
    out->Allocate();
    std::transform(labels->GetBufferPointer(), labels->GetBufferPointer() + labels->GetLargestPossibleRegion().GetNumberOfPixels(),
                   out->GetBufferPointer(), [this](LabelPixel l) { return m_Map[l]; });
    itk::EncapsulateMetaData<std::string>(out->GetMetaDataDictionary(), LabelTableKey, m_Table);
    c.SetOutput("output", out);
  }

private:
  ParameterValues                          m_Parameters;
  std::unique_ptr<RegionAdjacencyGraph<2>> m_Graph;
  std::string                              m_Regions;
  std::vector<LabelPixel>                  m_Map;
  std::string                              m_Table;
};

} // namespace

void
RegisterRegionStages(StageRegistry & registry)
{
  {
    StageDescription s;
    s.name = "region-grow";
    s.summary = "Seeded region growing: intensity interval, confidence, or competing regions by distance to the mean";
    s.source = "ITK ConnectedThreshold / ConfidenceConnected; Adams and Bischof, IEEE PAMI 16(6) 1994";
    s.inputs = { InputPort("seeds", PortKind::Labels, "Seed label image on the input's grid: every non-zero voxel "
                                                      "seeds its label")
                   .Optional() };
    AddRegionPorts(s, "Image to segment: scalar, RGB or multi-component, 2D or 3D");
    s.parameters = {
      ListParameter("seed-index", ParameterType::TextList, "voxels",
                    "Seed voxel index x,y[,z] (0-based), optionally :label (default label 1); repeatable")
        .WhenAbsent("none"),
      ListParameter("seed-point", ParameterType::TextList, "mm",
                    "Seed physical point x,y[,z] in mm, in ITK's LPS coordinates as `tessera info` prints them "
                    "(through the image's origin, spacing and direction; from RAS, as nibabel, FreeSurfer and Slicer "
                    "give points, negate x and y), optionally :label (default 1); repeatable")
        .WhenAbsent("none"),
      ChoiceParameter("criterion", "distance", { "interval", "confidence", "distance" },
                      "interval: every channel within [lower, upper]; confidence: within mean ± multiplier·sigma, "
                      "iterated; distance: competing regions by distance to the running mean"),
      ListParameter("lower", ParameterType::RealList, "intensity", "interval: lower bound; one value or one per channel")
        .AtLeast(-1e30)
        .AtMost(1e30)
        .WhenAbsent("-inf"),
      ListParameter("upper", ParameterType::RealList, "intensity", "interval: upper bound; one value or one per channel")
        .AtLeast(-1e30)
        .AtMost(1e30)
        .WhenAbsent("+inf"),
      RealParameter("multiplier", "2.5", "sigmas", "confidence: k in mean ± k·sigma").Above(0).AtMost(100),
      IntegerParameter("iterations", "4", "count", "confidence: re-estimations of the mean and sigma").AtLeast(0).AtMost(1000),
      IntegerParameter("radius", "1", "voxels",
                       "confidence: radius of the neighbourhood of each seed giving the first mean and sigma")
        .AtLeast(0)
        .AtMost(100),
      RealParameter("max-distance", "", "intensity",
                    "distance: voxels farther than this from every bordering region's mean stay 0")
        .Above(0)
        .AtMost(1e30)
        .WhenAbsent("no limit, every connected voxel is labelled"),
      ConnectivityParameter(),
    };
    s.run = RunByDimension<RegionGrow<2>, RegionGrow<3>>;
    registry.Add(s);
  }
  {
    StageDescription s;
    s.name = "split-merge";
    s.summary = "Split-and-merge: quadtree/octree split by homogeneity, then merging through the region adjacency graph";
    s.source = "Horowitz and Pavlidis 1976";
    AddRegionPorts(s, "Image to segment: scalar, RGB or multi-component, 2D (quadtree) or 3D (octree)");
    s.outputs.insert(s.outputs.begin() + 1,
                     OutputPort("leaves", PortKind::Labels, "Also write the split's leaves (labels 1..L)").Optional());
    s.parameters = {
      ChoiceParameter("predicate", "variance", { "variance", "range" },
                      "variance: largest per-channel variance <= threshold; range: largest per-channel max - min <= "
                      "threshold"),
      RealParameter("threshold", "100", "intensity² (variance) or intensity (range)", "Homogeneity threshold")
        .Above(0)
        .AtMost(1e30)
        .Alias("t"),
      IntegerParameter("min-block-size", "2", "voxels", "Smallest block side").AtLeast(1).AtMost(65536),
      RealParameter("merge-threshold", "", "as threshold",
                    "Merge adjacent regions while the weight (variance: the union's largest per-channel variance; "
                    "range: largest per-channel difference of means) <= this")
        .Above(0)
        .AtMost(1e30)
        .WhenAbsent("the threshold"),
      BooleanParameter("no-merge", "Stop after the split: the output is the quadtree/octree leaves"),
    };
    s.run = RunByDimension<SplitMerge<2>, SplitMerge<3>>;
    registry.Add(s);
  }
  {
    StageDescription s;
    s.name = "watershed";
    s.summary = "Watershed of the gradient magnitude, from regional minima (flooding level) or from markers";
    s.source = "Meyer's priority flood (Meyer 1991; Beucher and Meyer 1993); minima by ITK HMinima/RegionalMinima";
    s.inputs = { InputPort("markers", PortKind::Labels,
                           "Marker label image on the input's grid (non-zero = markers): one region per marker label, "
                           "labels kept. Without it: regional minima")
                   .Optional() };
    AddRegionPorts(s, "Image to segment: scalar, RGB or multi-component, 2D or 3D");
    s.outputs.insert(s.outputs.begin() + 1,
                     OutputPort("relief", PortKind::Image, "Also write the relief (gradient magnitude) that was flooded")
                       .Optional());
    s.parameters = {
      RealParameter("sigma", "1", "mm",
                    "Gradient scale (Gaussian derivative); 0 floods the one-channel input itself as the relief")
        .AtLeast(0)
        .AtMost(1000),
      RealParameter("level", "0.05", "fraction",
                    "Without markers: flooding level as a fraction of the relief's maximum; minima shallower than it "
                    "are removed (h-minima), so higher = fewer regions")
        .AtLeast(0)
        .Below(1),
      BooleanParameter("line", "Keep one-voxel watershed lines of label 0 between regions"),
      ConnectivityParameter(),
    };
    s.run = RunByDimension<Watershed<2>, Watershed<3>>;
    registry.Add(s);
  }
  {
    StageDescription s;
    s.name = "superpixels";
    s.summary = "Superpixels / supervoxels: SLIC (2D/3D), SLICO, MSLIC, SEEDS, LSC, Felzenszwalb (2D)";
    s.source = "Achanta et al. 2012 (SLIC); Van den Bergh et al. 2012 (SEEDS); Li and Chen 2015 (LSC); Felzenszwalb "
               "and Huttenlocher 2004";
    AddRegionPorts(s, "Image: scalar, RGB or multi-component; 2D (all methods) or 3D (slic)");
    s.parameters = {
      ChoiceParameter("method", "slic", { "slic", "opencv-slic", "slico", "mslic", "seeds", "lsc", "felzenszwalb" },
                      "slic (ITK, 2D and 3D); opencv-slic, slico, mslic, seeds, lsc, felzenszwalb (OpenCV ximgproc, 2D)"),
      IntegerParameter("superpixels", "1000", "count",
                       "Requested number of superpixels; grid step = (physical extent / n)^(1/D) mm")
        .AtLeast(1)
        .AtMost(65535)
        .Alias("n"),
      RealParameter("compactness", "10", "unitless",
                    "slic/opencv-slic/slico/mslic/lsc: weight of space against colour (ITK SpatialProximityWeight, "
                    "OpenCV ruler, LSC ratio = compactness/100)")
        .Above(0)
        .AtMost(1e6),
      IntegerParameter("iterations", "10", "count", "slic/seeds/lsc iterations").AtLeast(1).AtMost(1000),
      BooleanParameter("no-lab", "Cluster 3-channel images in their own values, not CIE L*a*b*"),
      RealParameter("scale", "300", "unitless", "felzenszwalb: scale k (larger = larger regions)").Above(0).AtMost(1e9),
      RealParameter("sigma", "0.5", "pixels", "felzenszwalb: Gaussian pre-smoothing").AtLeast(0).AtMost(100),
      IntegerParameter("min-size", "50", "voxels", "felzenszwalb: smallest region").AtLeast(0).AtMost(1e9),
    };
    // Tiled (--ram): a tile's edge moves the clusters next to it, and each iteration passes that on
    // by about one grid step S; the effect fades, and a halo of (iterations / 2 + 1) S (6 S at 10
    // iterations or more) gives SLIC's whole-run regions on 99.98 % of the pixels of a 2000² Dubai crop
    // (2 S: 98.65 %). The regions crossing tile borders are joined by the tiled run (TileRegionStitcher).
    s.tiling.halo = [](const ParameterValues & p, const PortFiles & files) {
      const ImageInfo info = ReadImageInfo(files.at("input").at(0));
      const double    step = std::sqrt(static_cast<double>(info.size[0]) * static_cast<double>(info.size[1]) /
                                    static_cast<double>(p.Count("superpixels")));
      return std::max(32u, static_cast<unsigned int>(std::ceil((std::min<double>(p.Count("iterations"), 10) / 2.0 + 1.0) * step)));
    };
    // A whole RGB run peaks at 31-33 bytes per pixel above the process (SLIC; Felzenszwalb 91); a tile
    // also holds its crop onto the seed grid and its labels pasted back: 77 bytes per pixel read for
    // SLIC (heap, valgrind massif), about 190 for Felzenszwalb (peak RSS), on tiles of a 2000² Dubai crop.
    s.tiling.bytesPerPixel = [](const ParameterValues & p, const PortFiles &, unsigned int components) {
      return p.Text("method") == "felzenszwalb" ? 60.0 + 40.0 * components : 24.0 + 18.0 * components;
    };
    s.tiling.refusal = [](const ParameterValues & p, const PortFiles &) -> std::string {
      const std::string method = p.Text("method");
      if (method == "slic" || method == "felzenszwalb")
      {
        return "";
      }
      return "run --method " + method + ": OpenCV fits its seed grid to each image's size, so tiles would disagree at "
             "their borders (--method slic seeds on the whole image's grid; felzenszwalb has no grid)";
    };
    s.tiling.regions = true;
    s.run = RunByDimension<Superpixels<2>, Superpixels<3>>;
    registry.Add(s);
  }
  {
    StageDescription s;
    s.name = "rag-merge";
    s.summary = "Region adjacency graph merging of superpixels: hierarchical, threshold, normalized cut, small regions";
    s.source = "scikit-image's rag_mean_color / merge_hierarchical; Shi and Malik, IEEE PAMI 22(8) 2000";
    s.inputs = { InputPort("regions", PortKind::Labels,
                           "Initial regions: a label image on the input's grid (0 = background, not a region). "
                           "Default: SLIC superpixels computed on the fly (not with --ram: make them with superpixels --ram)")
                   .Optional() };
    AddRegionPorts(s, "Image whose features (grey, RGB or multi-component values) the regions are compared on; 2D or 3D");
    s.outputs.insert(s.outputs.begin() + 1,
                     OutputPort("hierarchy", PortKind::Text,
                                "Also write the merges in order (.csv: step,from,into,weight,size; or .json): replaying "
                                "the first k gives the partition after k merges")
                       .Optional()
                       .Extensions({ ".csv", ".json" }));
    s.parameters = {
      IntegerParameter("superpixels", "2000", "count", "Without regions: requested number of SLIC superpixels")
        .AtLeast(1)
        .AtMost(65535)
        .Alias("n"),
      RealParameter("compactness", "10", "unitless", "Without regions: SLIC weight of space against colour")
        .Above(0)
        .AtMost(1e6),
      ChoiceParameter("method", "hierarchical", { "hierarchical", "threshold", "ncut", "none" },
                      "hierarchical: greedy, lowest weight first, weights recomputed after each merge, while the weight "
                      "< threshold; threshold: join regions across edges of weight < threshold (no recomputation); "
                      "ncut: normalized cut; none: only min-size"),
      ChoiceParameter("weight", "mean-color", { "mean-color", "boundary" },
                      "mean-color: Euclidean distance of the mean features; boundary: mean feature difference across "
                      "the shared boundary, per mm"),
      RealParameter("threshold", "30", "intensity (mean-color) or intensity/mm (boundary)",
                    "hierarchical/threshold: merge while the weight is below this")
        .Above(0)
        .AtMost(1e30)
        .Alias("t"),
      IntegerParameter("min-size", "0", "voxels",
                       "Afterwards, absorb every region under this size into its most similar neighbour (0 = off)")
        .AtLeast(0)
        .AtMost(1e12),
      ConnectivityParameter(),
      RealParameter("ncut-threshold", "0.001", "unitless", "ncut: split a subgraph only while its N-cut value is below this")
        .Above(0)
        .AtMost(2),
      RealParameter("ncut-sigma", "255", "intensity²", "ncut: similarity exp(-d²/sigma) of the mean-feature distance d")
        .Above(0)
        .AtMost(1e30),
    };
    // Tiled (--ram): the graph's statistics are running sums over voxels and neighbour pairs, gathered
    // tile by tile and merged once: the whole run's regions (exactly, on integer-valued images with
    // mean-color weights; boundary weights up to the rounding of their sums). A tile holds its image
    // and regions and the output (8 + 4 bytes per channel per pixel, read and converted); the graph's
    // sums take a slot for each of the 65535 labels, and the graph and merger as much again.
    s.tiling.halo = [](const ParameterValues &, const PortFiles &) { return 1u; };
    s.tiling.bytesPerPixel = [](const ParameterValues &, const PortFiles &, unsigned int components) {
      return 8.0 + 8.0 * components;
    };
    s.tiling.fixedBytes = [](const ParameterValues &, const PortFiles & files) {
      const double nc = ReadImageInfo(files.at("input").at(0)).components;
      return 2.0 * 65536.0 * 8.0 * (4.0 + nc + nc * nc);
    };
    s.tiling.refusal = [](const ParameterValues &, const PortFiles & files) -> std::string {
      return files.count("regions") ? "" : "make the superpixels itself: make them first with tessera superpixels --ram "
                                           "and pass them as --regions";
    };
    s.tiling.gathering = [](const ParameterValues & p) { return std::make_unique<RagMergeGathering>(p); };
    s.run = RunByDimension<RagMerge<2>, RagMerge<3>>;
    registry.Add(s);
  }
}
} // namespace tessera
