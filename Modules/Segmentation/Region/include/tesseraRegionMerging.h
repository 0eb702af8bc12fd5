#ifndef tesseraRegionMerging_h
#define tesseraRegionMerging_h

#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "tesseraRegionAdjacencyGraph.h"

/** \file Merging on a region adjacency graph: threshold cut, greedy hierarchical merging
 * (lowest weight first, weights recomputed after each merge), size-constrained merging and
 * normalized cut (Shi & Malik). Every merge is recorded in a MergeHierarchy, which can be
 * cut at any level without recomputing and written as CSV or JSON.
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
/** Edge weight between two regions: lower = more alike (merged first). */
template <unsigned int D>
using MergeWeightFunction =
  std::function<double(const RegionStatistics<D> & a, const RegionStatistics<D> & b, const BoundaryStatistics & boundary)>;

/** Euclidean distance between the mean features of the two regions (scikit-image's
 * rag_mean_color, mode='distance', with merge_hierarchical's mean-colour weight recomputation).
 * For one-channel images scikit-image broadcasts the grey value into 3 channels, so its
 * distances are sqrt(3) times these. */
template <unsigned int D>
MergeWeightFunction<D> MeanColorWeight();
/** Mean boundary gradient (BoundaryStatistics::MeanGradient), recomputed exactly from the
 * merged boundary's voxel pairs (as scikit-image's rag_boundary + count-weighted merge). */
template <unsigned int D>
MergeWeightFunction<D> BoundaryWeight();

/** One merge: region `from` joins region `into`, which keeps its label. Labels are those of the
 * original label image; `into` is the larger region (ties: the smaller label). */
struct MergeStep
{
  LabelPixel    from = 0;
  LabelPixel    into = 0;
  double        weight = 0; ///< the edge weight at the time of the merge (NaN for normalized cut groups)
  std::uint64_t size = 0;   ///< voxels of the merged region
};

/** The ordered list of merges applied to the regions of a label image. Cutting it at level k
 * (the first k merges) gives the partition after k merges, without recomputing anything. */
class MergeHierarchy
{
public:
  MergeHierarchy() = default;
  explicit MergeHierarchy(std::vector<LabelPixel> regions)
    : m_Regions(std::move(regions))
  {}

  const std::vector<LabelPixel> & Regions() const { return m_Regions; } ///< initial region labels
  const std::vector<MergeStep> &  Steps() const { return m_Steps; }
  std::size_t                     NumberOfMerges() const { return m_Steps.size(); }
  void                            Append(const MergeStep & step) { m_Steps.push_back(step); }

  /** Level of a weight threshold: the number of leading merges whose weight is < threshold
   * (the merges greedy merging with that threshold would have made). */
  std::size_t LevelForThreshold(double threshold) const;
  /** label -> label after the first `level` merges (65536 entries; identity for other labels,
   * 0 stays 0). \throws Error when level exceeds NumberOfMerges(). */
  std::vector<LabelPixel> LabelMap(std::size_t level) const;
  /** The label image after the first `level` merges (same grid; merged regions carry their
   * surviving label). */
  template <unsigned int D>
  typename LabelImage<D>::Pointer Apply(const LabelImage<D> * labels, std::size_t level) const;

  /** CSV: header "step,from,into,weight,size", one merge per line (step from 1). */
  std::string ToCsv() const;
  /** JSON: {"regions": [...], "merges": [{"step":1,"from":..,"into":..,"weight":..,"size":..}, ...]}. */
  std::string ToJson() const;

private:
  std::vector<LabelPixel> m_Regions;
  std::vector<MergeStep>  m_Steps;
};

/** Options of the normalized cut (Shi & Malik 2000; scikit-image's cut_normalized). */
struct NormalizedCutOptions
{
  double       threshold = 0.001; ///< a subgraph is split only while the best N-cut value is below this
  unsigned int cuts = 10;         ///< evenly spaced thresholds tried on the eigenvector
  double       sigma = 255.0;     ///< similarity exp(-d^2 / sigma) of the mean-feature distance d
  double       maximumEdge = 1.0; ///< self-edge weight of every node
  std::size_t  maximumRegions = 4000; ///< dense eigensolver: refuse larger graphs (merge first)
};

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
  /** The merged label image (the hierarchy applied in full to the RAG's labels). */
  typename LabelImage<D>::Pointer Labels() const;

private:
  struct Impl;
  std::unique_ptr<Impl> m_Impl;
};

extern template class RegionMerger<2>;
extern template class RegionMerger<3>;
extern template MergeWeightFunction<2> MeanColorWeight<2>();
extern template MergeWeightFunction<3> MeanColorWeight<3>();
extern template MergeWeightFunction<2> BoundaryWeight<2>();
extern template MergeWeightFunction<3> BoundaryWeight<3>();
extern template LabelImage<2>::Pointer MergeHierarchy::Apply<2>(const LabelImage<2> *, std::size_t) const;
extern template LabelImage<3>::Pointer MergeHierarchy::Apply<3>(const LabelImage<3> *, std::size_t) const;
} // namespace tessera

#endif
