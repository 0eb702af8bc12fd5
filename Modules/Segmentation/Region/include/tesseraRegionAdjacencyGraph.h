#ifndef tesseraRegionAdjacencyGraph_h
#define tesseraRegionAdjacencyGraph_h

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

#include "tesseraImageTypes.h"

/** \file Region adjacency graph (RAG) of any label image, 2D or 3D, as a Boost.Graph
 * adjacency_list whose vertices carry region statistics and whose edges carry boundary
 * statistics. Built in one sweep over the image. Merging lives in tesseraRegionMerger.h. */
namespace tessera
{
/** Statistics of one region. Held as running sums so that two regions merge exactly
 * (Merge() adds the sums); the means and covariances are derived from them. */
template <unsigned int D>
struct RegionStatistics
{
  LabelPixel          label = 0; ///< the region's label in the label image
  std::uint64_t       size = 0;  ///< voxels
  std::vector<double> sum;       ///< per feature: sum of values (C entries)
  std::vector<double> sumOfProducts; ///< C x C, row-major: sum of f_i f_j
  std::array<double, D> indexSum{};  ///< per axis: sum of voxel indices
  std::array<itk::IndexValueType, D> lower{}; ///< bounding box, first voxel index per axis (inclusive)
  std::array<itk::IndexValueType, D> upper{}; ///< bounding box, last voxel index per axis (inclusive)

  unsigned int NumberOfFeatures() const { return static_cast<unsigned int>(sum.size()); }
  /** Mean of feature c. */
  double Mean(unsigned int c) const { return sum[c] / static_cast<double>(size); }
  std::vector<double> Mean() const;
  /** Population covariance (divided by size), C x C row-major. */
  std::vector<double> Covariance() const;
  /** Centroid as a continuous voxel index. */
  std::array<double, D> CentroidIndex() const;
  /** Adds other's voxels to this region (label and the rest of this region are kept). */
  void Merge(const RegionStatistics & other);
};

/** Statistics of the boundary between two adjacent regions, over the pairs of neighbouring
 * voxels (one in each region) under the graph's connectivity. */
struct BoundaryStatistics
{
  std::uint64_t size = 0;         ///< neighbouring voxel pairs across the boundary
  double        gradientSum = 0;  ///< sum over the pairs of |f(p) - f(q)| / |p - q| (features per mm)
  /** Mean boundary gradient: mean over the pairs of the feature difference per mm
   * (Euclidean norm over the features). 0 for a boundary without pairs. */
  double MeanGradient() const { return size ? gradientSum / static_cast<double>(size) : 0.0; }
  void   Merge(const BoundaryStatistics & other)
  {
    size += other.size;
    gradientSum += other.gradientSum;
  }
};

/** Region adjacency graph of a label image. Label 0 is background: it is no region and has
 * no edges. Every other label present in the image is one vertex, even if not connected in
 * space (as in scikit-image). Vertices are ordered by increasing label. */
template <unsigned int D>
class RegionAdjacencyGraph
{
public:
  /** vecS/vecS: contiguous vertices 0..N-1, cache-friendly; bundled properties. */
  using GraphType = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, RegionStatistics<D>,
                                          BoundaryStatistics>;
  using Vertex = typename boost::graph_traits<GraphType>::vertex_descriptor;
  using Edge = typename boost::graph_traits<GraphType>::edge_descriptor;

  /** Builds the graph in one sweep: per-region statistics of the features and per-edge boundary
   * statistics. features may be null (sizes, centroids and boxes only; gradients 0).
   * \param connectivity which voxels neighbour: 1 = faces (4 in 2D, 6 in 3D), 2 = faces and
   *        edges (8 in 2D, 18 in 3D; scikit-image's rag_mean_color default), 3 = all 26 in 3D;
   *        as scipy.ndimage.generate_binary_structure(D, connectivity).
   * The sums run on all threads, over slabs along the last axis whose number depends on the image and
   * the region count only, added in slab order: the same graph on any number of threads.
   * \throws Error if features lie on another grid (size, spacing, origin, direction), the
   *         connectivity is not in 1..D, or the labels hold fewer than two regions
   *         (labels other than 0). */
  RegionAdjacencyGraph(const LabelImage<D> * labels, const VectorImage<D> * features, unsigned int connectivity = 1);
  /** Starts a graph of a label image too large to hold (tiled runs, --ram), built by AddTile() over
   * tiles covering the image, then Finish(). `grid` gives the whole image's geometry (Centroid());
   * Labels() is null. The statistics are running sums: on integer-valued features (8- and 16-bit
   * images) the graph equals the one-sweep graph exactly, boundary gradients up to rounding.
   * \throws Error for a connectivity outside 1..D. */
  RegionAdjacencyGraph(const itk::ImageBase<D> * grid, unsigned int numberOfFeatures, unsigned int connectivity);
  ~RegionAdjacencyGraph();
  /** Adds the voxels of `tile` and the neighbour pairs whose first voxel (in index order) lies in it.
   * `labels` and `features` (null when the graph has no features) hold `read`, index 0 at its first
   * voxel (as ReadImageFile gives a region): at least the tile padded by one voxel, within the image
   * (diagonal neighbours reach back along the first axes). Both regions are in the whole image's indices.
   * \throws Error for images that are not `read`'s size, features of another component count, or
   * a graph already finished. */
  void AddTile(const LabelImage<D> * labels, const VectorImage<D> * features, const itk::ImageRegion<D> & read,
               const itk::ImageRegion<D> & tile);
  /** Makes the graph of what the tiles added: vertices are the labels met, in increasing order.
   * \throws Error when they hold fewer than two regions. */
  void Finish();

  const GraphType & Graph() const { return m_Graph; }
  std::size_t       NumberOfRegions() const { return boost::num_vertices(m_Graph); }
  std::size_t       NumberOfEdges() const { return boost::num_edges(m_Graph); }
  unsigned int      NumberOfFeatures() const { return m_NumberOfFeatures; }
  unsigned int      Connectivity() const { return m_Connectivity; }
  const RegionStatistics<D> & Region(Vertex v) const { return m_Graph[v]; }
  const BoundaryStatistics &  Boundary(Edge e) const { return m_Graph[e]; }
  /** The vertex of a label. \throws Error when the label is not a region of the graph. */
  Vertex VertexOf(LabelPixel label) const;
  bool   Contains(LabelPixel label) const { return m_VertexOfLabel[label] >= 0; }
  /** Physical centroid (mm) of a region, through the label image's geometry. */
  std::array<double, D> Centroid(Vertex v) const;

  /** The label image the graph was built from (kept for relabelling); null for a graph built by tiles. */
  const LabelImage<D> * Labels() const { return m_Labels.GetPointer(); }

private:
  struct Sums;
  /** Adds to `sums` voxels `keep` (indices of `labels`' buffer) of a buffer whose index 0 is voxel `offset` of the image. */
  void Accumulate(Sums & sums, const LabelImage<D> * labels, const VectorImage<D> * features,
                  const itk::ImageRegion<D> & keep, const itk::Index<D> & offset) const;

  std::unique_ptr<Sums>                m_Sums; // while the graph is being built
  GraphType                            m_Graph;
  std::vector<int>                     m_VertexOfLabel; // 65536 entries, -1 = absent
  unsigned int                         m_NumberOfFeatures = 0;
  unsigned int                         m_Connectivity = 1;
  typename LabelImage<D>::ConstPointer m_Labels;
  typename itk::ImageBase<D>::ConstPointer m_Grid;
};

extern template struct RegionStatistics<2>;
extern template struct RegionStatistics<3>;
extern template class RegionAdjacencyGraph<2>;
extern template class RegionAdjacencyGraph<3>;
} // namespace tessera

#endif
