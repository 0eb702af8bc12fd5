// Times RAG construction + greedy hierarchical merging (mean-colour weights) on an image and
// an initial label image, as scikit-image's rag_mean_color + merge_hierarchical do (the peer:
// region_graph_skimage.py). Run by run-region-benchmark.sh.
//
// Usage: tesseraRegionGraphBenchmark IMAGE LABELS THRESHOLD CONNECTIVITY REPEATS [OUTPUT]
// Prints one line: "regions <n> edges <e> merged <m> build_s <t> merge_s <t> total_s <t>",
// the times being the best of REPEATS runs; OUTPUT, when given, receives the merged labels.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "tesseraImageUtilities.h"
#include "tesseraRegionMerger.h"

namespace
{
template <unsigned int D>
int
Run(int argc, char ** argv)
{
  auto               image = tessera::ReadIntensityImage<D>(argv[1]);
  auto               labels = tessera::ReadLabelImage<D>(argv[2]);
  const double       threshold = std::stod(argv[3]);
  const unsigned int connectivity = static_cast<unsigned int>(std::stoul(argv[4]));
  const int          repeats = std::stoi(argv[5]);
  using Clock = std::chrono::steady_clock;
  double      bestBuild = 1e300, bestMerge = 1e300, bestTotal = 1e300;
  std::size_t regions = 0, edges = 0, merged = 0;
  typename tessera::LabelImage<D>::Pointer out;
  for (int r = 0; r < repeats; ++r)
  {
    const auto                       t0 = Clock::now();
    tessera::RegionAdjacencyGraph<D> rag(labels, image, connectivity);
    const auto                       t1 = Clock::now();
    tessera::RegionMerger<D>         merger(rag, tessera::MeanColorWeight<D>());
    merger.MergeHierarchical(threshold);
    out = merger.Labels();
    const auto t2 = Clock::now();
    const double build = std::chrono::duration<double>(t1 - t0).count();
    const double merge = std::chrono::duration<double>(t2 - t1).count();
    bestBuild = std::min(bestBuild, build);
    bestMerge = std::min(bestMerge, merge);
    bestTotal = std::min(bestTotal, build + merge);
    regions = rag.NumberOfRegions();
    edges = rag.NumberOfEdges();
    merged = merger.NumberOfRegions();
  }
  std::printf("regions %zu edges %zu merged %zu build_s %.6f merge_s %.6f total_s %.6f\n", regions, edges, merged,
              bestBuild, bestMerge, bestTotal);
  if (argc > 6)
  {
    tessera::WriteImageFile(out.GetPointer(), argv[6]);
  }
  return 0;
}
} // namespace

int
main(int argc, char ** argv)
{
  if (argc < 6)
  {
    std::cerr << "usage: " << argv[0] << " IMAGE LABELS THRESHOLD CONNECTIVITY REPEATS [OUTPUT]\n";
    return 2;
  }
  try
  {
    return tessera::DispatchDimension(argv[2], [&](auto d) { return Run<decltype(d)::value>(argc, argv); });
  }
  catch (const std::exception & e)
  {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
