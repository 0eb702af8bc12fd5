#ifndef tesseraNormalizedCut_h
#define tesseraNormalizedCut_h

#include <cstddef>
#include <vector>

/** \file Normalized cut (Shi & Malik 2000): recursive two-way spectral partition of a graph
 * given by its similarity matrix. RegionMerger::NormalizedCut applies it to the current
 * regions of a region adjacency graph. */
namespace tessera
{
/** Options of the normalized cut (Shi & Malik 2000; scikit-image's cut_normalized). */
struct NormalizedCutOptions
{
  double       threshold = 0.001; ///< a subgraph is split only while the best N-cut value is below this
  unsigned int cuts = 10;         ///< evenly spaced thresholds tried on the eigenvector
  double       sigma = 255.0;     ///< similarity exp(-d^2 / sigma) of the mean-feature distance d
  double       maximumEdge = 1.0; ///< self-edge weight of every node
  std::size_t  maximumRegions = 4000; ///< dense eigensolver: refuse larger graphs (merge first)
};

/** Groups of the recursive normalized cut of the n nodes whose similarities are the n x n,
 * row-major, symmetric matrix `similarity` (self edges on its diagonal). A set of more than
 * two nodes is split at the best of options.cuts evenly spaced thresholds on its second
 * generalized eigenvector while that cut's N-cut value is below options.threshold (sigma,
 * maximumEdge and maximumRegions are the caller's: they shape the matrix). \returns the
 * groups as node indices, increasing within a group, groups in depth-first order.
 * \throws Error when similarity does not hold n x n entries. */
std::vector<std::vector<std::size_t>>
NormalizedCutPartition(const std::vector<double> & similarity, std::size_t n, const NormalizedCutOptions & options);
} // namespace tessera

#endif
