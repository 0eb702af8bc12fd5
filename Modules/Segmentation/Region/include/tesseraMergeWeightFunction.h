#ifndef tesseraMergeWeightFunction_h
#define tesseraMergeWeightFunction_h

#include <functional>

#include "tesseraRegionAdjacencyGraph.h"

/** \file Edge weights of a region adjacency graph for merging: how alike two adjacent regions
 * are. RegionMerger recomputes them from the merged statistics after every merge. */
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

extern template MergeWeightFunction<2> MeanColorWeight<2>();
extern template MergeWeightFunction<3> MeanColorWeight<3>();
extern template MergeWeightFunction<2> BoundaryWeight<2>();
extern template MergeWeightFunction<3> BoundaryWeight<3>();
} // namespace tessera

#endif
