// tessera split-merge: quadtree/octree split by homogeneity, then merging of adjacent
// homogeneous regions through the region adjacency graph.
#include "tesseraApplication.h"
#include "tesseraProgress.h"
#include "tesseraRegionIO.h"
#include "tesseraSplitAndMergeImageFilter.h"

namespace tessera
{
namespace
{
struct SplitMergeApp
{
  RegionIO      io;
  std::string   predicate = "variance";
  double        threshold = 100.0;
  double        mergeThreshold = 0.0;
  unsigned int  minimumSize = 2;
  bool          noMerge = false;
  std::string   leaves;
  CommonOptions common;
};

template <unsigned int D>
void
Run(const SplitMergeApp & o)
{
  auto image = o.io.Read<D>();
  auto filter = SplitAndMergeImageFilter<D>::New();
  filter->SetInput(image);
  filter->SetPredicate(o.predicate == "range" ? HomogeneityPredicate::Range : HomogeneityPredicate::Variance);
  filter->SetThreshold(o.threshold);
  filter->SetMergeThreshold(o.mergeThreshold);
  filter->SetMinimumBlockSize(o.minimumSize);
  filter->SetMerge(!o.noMerge);
  ProgressReporter progress("split-merge", o.common.quiet);
  progress.Watch(filter, "");
  filter->Update();
  o.io.Write<D>(image, filter->GetOutput());
  if (!o.leaves.empty())
  {
    WriteImageFile(filter->GetSplitLabels(), o.leaves);
  }
  progress.Done();
  PrintResult(o.common, std::to_string(filter->GetNumberOfLeaves()) + " blocks after the split, " +
                          std::to_string(filter->GetNumberOfRegions()) + " regions after merging");
}

void
Setup(CLI::App & sub)
{
  auto o = std::make_shared<SplitMergeApp>();
  o->io.AddOptions(sub, "Image to segment: scalar, RGB or multi-component, 2D (quadtree) or 3D (octree)");
  sub.add_option("--predicate", o->predicate,
                 "variance: largest per-channel variance <= threshold (intensity units squared); range: largest "
                 "per-channel max - min <= threshold (intensity units)")
    ->check(CLI::IsMember({ "variance", "range" }))
    ->default_val("variance");
  sub.add_option("-t,--threshold", o->threshold, "Homogeneity threshold (> 0)")->default_val(100.0);
  sub.add_option("--min-size", o->minimumSize, "Smallest block side in voxels (>= 1)")->default_val(2);
  sub.add_option("--merge-threshold", o->mergeThreshold,
                 "Merge adjacent regions while the weight (variance: the union's largest per-channel variance; range: "
                 "largest per-channel difference of means) <= this (> 0; default: --threshold)");
  sub.add_flag("--no-merge", o->noMerge, "Stop after the split: the output is the quadtree/octree leaves");
  sub.add_option("--leaves", o->leaves, "Also write the split's leaves (labels 1..L) as a label image");
  AddCommonOptions(sub, o->common, false);
  sub.callback([o, &sub] {
    ApplyCommonOptions(o->common);
    if (!(o->threshold > 0.0))
    {
      throw Error("--threshold", "must be > 0");
    }
    if (o->mergeThreshold < 0.0 || (sub.count("--merge-threshold") && !(o->mergeThreshold > 0.0)))
    {
      throw Error("--merge-threshold", "must be > 0");
    }
    o->io.CheckOutputs({}, { o->leaves });
    DispatchDimension(o->io.input, [&](auto d) { Run<decltype(d)::value>(*o); });
  });
}

const ApplicationRegistration registration{ "split-merge", "Split-and-merge: quadtree/octree split, RAG merging", Setup };
} // namespace
} // namespace tessera
