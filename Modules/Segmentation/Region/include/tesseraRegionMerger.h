#ifndef tesseraRegionMerger_h
#define tesseraRegionMerger_h

#include <cstdint>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "tesseraMergeHierarchy.h"
#include "tesseraMergeWeightFunction.h"
#include "tesseraNormalizedCut.h"
#include "tesseraRegionAdjacencyGraph.h"

/** \file Merging on a region adjacency graph: threshold cut, greedy hierarchical merging
 * (lowest weight first, weights recomputed after each merge), size-constrained merging and
 * normalized cut (Shi & Malik). Every merge is recorded in a MergeHierarchy.
 *
 * \code
 * tessera::RegionAdjacencyGraph<2> rag(labels, image, 2);
 * tessera::RegionMerger<2> merger(rag, tessera::MeanColorWeight<2>());
 * merger.MergeHierarchical(30.0);      // merge while the smallest weight < 30
 * merger.MergeSmallRegions(50);        // then absorb regions under 50 pixels
 * auto out = merger.Hierarchy().Apply<2>(labels, merger.Hierarchy().NumberOfMerges());
 * \endcode */
namespace tessera
{

/** Merges regions of a RAG and records every merge. Holds its own dynamic copy of the graph
 * (regions with their statistics, boundaries with theirs) so that several methods can be
 * chained: e.g. hierarchical merging, then absorption of small regions. */
template <unsigned int D>
class RegionMerger
{
public:
  /** \throws Error when the graph has fewer than two regions or weight is empty. */
  RegionMerger(const RegionAdjacencyGraph<D> & rag, MergeWeightFunction<D> weight);
  ~RegionMerger();
  RegionMerger(const RegionMerger &) = delete;
  RegionMerger & operator=(const RegionMerger &) = delete;

  /** Greedy hierarchical merging: repeatedly merges the two adjacent regions with the lowest
   * weight, recomputing the weights of the merged region's edges, while that weight is
   * < threshold (+infinity: until no edge is left). Priority queue with lazy invalidation.
   * Same partition as scikit-image's merge_hierarchical (in_place_merge=True) with
   * rag_mean_color / MeanColorWeight. \throws Error for threshold <= 0 or NaN.
   * \returns the number of merges made. */
  std::size_t MergeHierarchical(double threshold = std::numeric_limits<double>::infinity());
  /** Threshold cut: joins the regions connected by edges of weight < threshold, with the
   * weights of the current graph (not recomputed); scikit-image's cut_threshold. Merges are
   * recorded in increasing weight order (Kruskal), so the hierarchy cut at any lower threshold
   * gives that threshold's cut. \throws Error for threshold <= 0 or NaN. */
  std::size_t ThresholdCut(double threshold);
  /** Size-constrained merging: while some region has fewer than minimumSize voxels, the
   * smallest one is absorbed by its neighbour of lowest weight (ties: longest shared boundary,
   * then lowest label). Regions with no neighbour stay. \throws Error for minimumSize == 0. */
  std::size_t MergeSmallRegions(std::uint64_t minimumSize);
  /** Normalized cut on the current regions with similarity weights exp(-d^2/sigma) of the
   * mean-feature distance; each final group is merged into one region (recorded with NaN
   * weights). \throws Error for a non-positive threshold or sigma, or too many regions. */
  std::size_t NormalizedCut(const NormalizedCutOptions & options = {});

  /** Merges region `from` into region `into` (labels of current regions); for callers with
   * their own criterion (e.g. split-and-merge). \throws Error for unknown or equal labels. */
  void Merge(LabelPixel from, LabelPixel into, double weight);

  std::size_t NumberOfRegions() const;
  /** Labels of the current regions, increasing. */
  std::vector<LabelPixel> CurrentRegions() const;
  const RegionStatistics<D> & Region(LabelPixel label) const;
  /** Current neighbours of a region with their boundaries. */
  std::vector<std::pair<LabelPixel, BoundaryStatistics>> Neighbours(LabelPixel label) const;
  /** Current weight between two adjacent regions. */
  double Weight(LabelPixel a, LabelPixel b) const;

  const MergeHierarchy & Hierarchy() const;
  /** The merged label image (the hierarchy applied in full to the RAG's labels). \throws Error for a
   * graph built by tiles (it holds no label image). */
  typename LabelImage<D>::Pointer Labels() const;

private:
  struct Impl;
  std::unique_ptr<Impl> m_Impl;
};

extern template class RegionMerger<2>;
extern template class RegionMerger<3>;
} // namespace tessera

#endif
