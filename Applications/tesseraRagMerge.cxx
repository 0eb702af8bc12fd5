// tessera rag-merge: region adjacency graph of superpixels (given, or SLIC on the fly) and its
// merging: greedy hierarchical, threshold cut, normalized cut, small-region absorption. Writes
// the merged label image, the merge hierarchy (CSV/JSON) and an optional border overlay.
#include <cmath>
#include <sstream>

#include "tesseraApplication.h"
#include "tesseraProgress.h"
#include "tesseraRegionIO.h"
#include "tesseraRegionMerging.h"
#include "tesseraSuperpixels.h"

namespace tessera
{
namespace
{
struct RagMergeApp
{
  RegionIO      io;
  std::string   segments;  // input label image (superpixels); empty = SLIC on the fly
  unsigned int  superpixels = 2000;
  double        compactness = 10.0;
  std::string   method = "hierarchical";
  std::string   weight = "mean-color";
  double        threshold = 30.0;
  std::uint64_t minimumSize = 0;
  unsigned int  connectivity = 1;
  double        ncutThreshold = 0.001;
  double        sigma = 255.0;
  std::string   hierarchy;
  CommonOptions common;
};

bool
EndsWith(const std::string & s, const std::string & suffix)
{
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void
Validate(const RagMergeApp & o)
{
  if (o.method != "hierarchical" && o.method != "threshold" && o.method != "ncut" && o.method != "none")
  {
    throw Error("--method", "unknown method '" + o.method + "' (hierarchical, threshold, ncut or none)");
  }
  if (o.weight != "mean-color" && o.weight != "boundary")
  {
    throw Error("--weight", "unknown weight '" + o.weight + "' (mean-color or boundary)");
  }
  if (!(o.threshold > 0))
  {
    std::ostringstream s;
    s << "must be positive, not " << o.threshold;
    throw Error("--threshold", s.str());
  }
  if (!(o.ncutThreshold > 0))
  {
    throw Error("--ncut-threshold", "must be positive");
  }
  if (!(o.sigma > 0))
  {
    throw Error("--sigma", "must be positive");
  }
  if (o.segments.empty() && o.superpixels == 0)
  {
    throw Error("--superpixels", "must be at least 1");
  }
  if (!o.hierarchy.empty() && !EndsWith(o.hierarchy, ".csv") && !EndsWith(o.hierarchy, ".json"))
  {
    throw Error(o.hierarchy, "the hierarchy is written as .csv or .json");
  }
  if (o.method == "none" && o.minimumSize == 0)
  {
    throw Error("--method", "'none' needs --min-size (nothing would be merged)");
  }
}

template <unsigned int D>
void
Run(const RagMergeApp & o)
{
  if (o.connectivity < 1 || o.connectivity > D)
  {
    throw Error("--connectivity", "must be 1.." + std::to_string(D) + " for a " + std::to_string(D) + "D image");
  }
  auto                            image = o.io.Read<D>();
  typename LabelImage<D>::Pointer labels;
  ProgressReporter                progress("rag-merge", o.common.quiet);
  if (!o.segments.empty())
  {
    labels = ReadLabelImage<D>(o.segments);
    CheckSameGrid(image.GetPointer(), o.io.input, labels.GetPointer(), o.segments);
  }
  else
  {
    SuperpixelOptions options;
    options.segments = o.superpixels;
    options.compactness = o.compactness;
    auto filter = SuperpixelImageFilter<D>::New();
    filter->SetInput(image);
    filter->SetOptions(options);
    progress.Watch(filter, "superpixels");
    filter->Update();
    labels = filter->GetOutput();
    labels->DisconnectPipeline();
  }
  std::unique_ptr<RegionAdjacencyGraph<D>> rag;
  try
  {
    rag = std::make_unique<RegionAdjacencyGraph<D>>(labels, image, o.connectivity);
  }
  catch (const Error & e)
  {
    // name the file at fault
    throw Error(o.segments.empty() ? o.io.input : o.segments, e.Problem());
  }
  const std::size_t initial = rag->NumberOfRegions();
  RegionMerger<D> merger(*rag, o.weight == "boundary" ? BoundaryWeight<D>() : MeanColorWeight<D>());
  if (o.method == "hierarchical")
  {
    merger.MergeHierarchical(o.threshold);
  }
  else if (o.method == "threshold")
  {
    merger.ThresholdCut(o.threshold);
  }
  else if (o.method == "ncut")
  {
    NormalizedCutOptions options;
    options.threshold = o.ncutThreshold;
    options.sigma = o.sigma;
    try
    {
      merger.NormalizedCut(options);
    }
    catch (const Error & e)
    {
      throw Error("--method ncut", e.Problem());
    }
  }
  if (o.minimumSize > 0)
  {
    merger.MergeSmallRegions(o.minimumSize);
  }
  auto merged = merger.Labels();
  o.io.Write<D>(image, merged);
  if (!o.hierarchy.empty())
  {
    WriteTextFile(o.hierarchy,
                  EndsWith(o.hierarchy, ".json") ? merger.Hierarchy().ToJson() : merger.Hierarchy().ToCsv());
  }
  progress.Done();
  PrintResult(o.common, std::to_string(initial) + " regions, " + std::to_string(rag->NumberOfEdges()) + " edges -> " +
                          std::to_string(merger.NumberOfRegions()) + " regions after " +
                          std::to_string(merger.Hierarchy().NumberOfMerges()) + " merges (" + o.method + ")");
}

void
Setup(CLI::App & sub)
{
  auto o = std::make_shared<RagMergeApp>();
  o->io.AddOptions(sub, "Image whose features (grey, RGB or multi-component values) the regions are compared on; 2D or 3D");
  sub.add_option("-s,--segments", o->segments,
                 "Initial regions: a label image on the input's grid (0 = background, not a region). Default: "
                 "SLIC superpixels computed on the fly");
  sub.add_option("-n,--superpixels", o->superpixels, "Without --segments: requested number of SLIC superpixels")
    ->default_val(2000);
  sub.add_option("--compactness", o->compactness, "Without --segments: SLIC weight of space against colour (> 0)")
    ->default_val(10.0);
  sub.add_option("--method", o->method,
                 "hierarchical: greedy, lowest weight first, weights recomputed after each merge, while the weight < "
                 "--threshold; threshold: join regions across edges of weight < --threshold (no recomputation); "
                 "ncut: normalized cut (Shi & Malik); none: only --min-size")
    ->default_val("hierarchical");
  sub.add_option("--weight", o->weight,
                 "Edge weight: mean-color = Euclidean distance of the mean features (intensity units); boundary = "
                 "mean feature difference across the shared boundary, per mm")
    ->default_val("mean-color");
  sub.add_option("-t,--threshold", o->threshold, "hierarchical/threshold: merge while the weight is below this (> 0)")
    ->default_val(30.0);
  sub.add_option("--min-size", o->minimumSize,
                 "Afterwards, absorb every region under this many voxels into its most similar neighbour (0 = off)")
    ->default_val(0);
  sub.add_option("--connectivity", o->connectivity,
                 "Neighbouring voxels: 1 = faces (4 in 2D, 6 in 3D), 2 = faces+edges (8 in 2D, 18 in 3D; "
                 "scikit-image's rag_mean_color), 3 = all 26 in 3D")
    ->default_val(1);
  sub.add_option("--ncut-threshold", o->ncutThreshold, "ncut: split a subgraph only while its N-cut value is below this (> 0)")
    ->default_val(0.001);
  sub.add_option("--sigma", o->sigma, "ncut: similarity exp(-d^2/sigma) of the mean-feature distance d (> 0)")
    ->default_val(255.0);
  sub.add_option("--hierarchy", o->hierarchy,
                 "Also write the merges in order (.csv: step,from,into,weight,size; or .json): replaying the first k "
                 "gives the partition after k merges");
  AddCommonOptions(sub, o->common);
  sub.callback([o] {
    ApplyCommonOptions(o->common);
    Validate(*o);
    o->io.CheckOutputs({ o->segments }, { o->hierarchy });
    DispatchDimension(o->io.input, [&](auto d) { Run<decltype(d)::value>(*o); });
  });
}

const ApplicationRegistration registration{ "rag-merge",
                                            "Region adjacency graph merging (hierarchical, threshold, normalized cut, "
                                            "small regions) of superpixels",
                                            Setup };
} // namespace
} // namespace tessera
