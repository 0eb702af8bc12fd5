#include "tesseraRegionAdjacencyGraph.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <string>

#include "tesseraError.h"
#include "tesseraImageUtilities.h"
#include "tesseraParallelRanges.h"

namespace tessera
{
template <unsigned int D>
std::vector<double>
RegionStatistics<D>::Mean() const
{
  std::vector<double> m(sum.size());
  for (std::size_t c = 0; c < sum.size(); ++c)
  {
    m[c] = sum[c] / static_cast<double>(size);
  }
  return m;
}

template <unsigned int D>
std::vector<double>
RegionStatistics<D>::Covariance() const
{
  const std::size_t   nc = sum.size();
  const double        n = static_cast<double>(size);
  std::vector<double> cov(nc * nc);
  for (std::size_t i = 0; i < nc; ++i)
  {
    for (std::size_t j = 0; j < nc; ++j)
    {
      cov[i * nc + j] = sumOfProducts[i * nc + j] / n - (sum[i] / n) * (sum[j] / n);
    }
  }
  return cov;
}

template <unsigned int D>
std::array<double, D>
RegionStatistics<D>::CentroidIndex() const
{
  std::array<double, D> c{};
  for (unsigned int d = 0; d < D; ++d)
  {
    c[d] = indexSum[d] / static_cast<double>(size);
  }
  return c;
}

template <unsigned int D>
void
RegionStatistics<D>::Merge(const RegionStatistics & other)
{
  size += other.size;
  for (std::size_t c = 0; c < sum.size(); ++c)
  {
    sum[c] += other.sum[c];
  }
  for (std::size_t c = 0; c < sumOfProducts.size(); ++c)
  {
    sumOfProducts[c] += other.sumOfProducts[c];
  }
  for (unsigned int d = 0; d < D; ++d)
  {
    indexSum[d] += other.indexSum[d];
    lower[d] = std::min(lower[d], other.lower[d]);
    upper[d] = std::max(upper[d], other.upper[d]);
  }
}

namespace
{
struct EdgeAccumulator
{
  std::uint32_t a, b; // slots, a < b
  BoundaryStatistics stats;
};

void
CheckConnectivity(unsigned int connectivity, unsigned int dimension)
{
  if (connectivity < 1 || connectivity > dimension)
  {
    throw Error("connectivity", "must be 1.." + std::to_string(dimension) + " for a " + std::to_string(dimension) +
                                  "D image, not " + std::to_string(connectivity));
  }
}

void
CheckRegionCount(std::size_t regions)
{
  if (regions < 2)
  {
    throw Error("label image", regions == 0 ? "holds no regions (every voxel is 0, the background)"
                                            : "holds a single region; a region adjacency graph needs at least two");
  }
}
} // namespace

/** Running sums per slot (a region-to-be; slots are in increasing label order) in flat arrays,
 * slot-major, for a cache-friendly sweep; neighbour lists per slot with the boundaries' sums. */
template <unsigned int D>
struct RegionAdjacencyGraph<D>::Sums
{
  Sums(std::vector<int> slots, std::size_t n, unsigned int features)
    : slotOfLabel(std::move(slots))
    , nc(features)
    , count(n, 0)
    , sum(n * nc, 0.0)
    , prod(n * nc * nc, 0.0)
    , isum(n * D, 0.0)
    , lo(n * D, std::numeric_limits<itk::IndexValueType>::max())
    , hi(n * D, std::numeric_limits<itk::IndexValueType>::min())
    , adjacency(n)
  {}
  std::vector<int>                 slotOfLabel; // 65536 entries, -1: not a region
  unsigned int                     nc;
  std::vector<std::uint64_t>       count;
  std::vector<double>              sum, prod, isum;
  std::vector<itk::IndexValueType> lo, hi;
  std::vector<EdgeAccumulator>     edges;
  std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> adjacency; // (b, edge index) for a < b

  /** The index in `edges` of the edge (a, b), a < b, appended if new. */
  std::uint32_t
  Edge(std::uint32_t a, std::uint32_t b)
  {
    auto & list = adjacency[a];
    auto   it = std::find_if(list.begin(), list.end(), [b](const auto & y) { return y.first == b; });
    if (it != list.end())
    {
      return it->second;
    }
    list.emplace_back(b, static_cast<std::uint32_t>(edges.size()));
    edges.push_back({ a, b, {} });
    return list.back().second;
  }

  /** Adds the sums of another part of the image (same slots). */
  void
  Add(const Sums & other)
  {
    for (std::size_t v = 0; v < count.size(); ++v)
    {
      count[v] += other.count[v];
    }
    const auto add = [](std::vector<double> & to, const std::vector<double> & from) {
      std::transform(to.begin(), to.end(), from.begin(), to.begin(), std::plus<>());
    };
    add(sum, other.sum);
    add(prod, other.prod);
    add(isum, other.isum);
    for (std::size_t i = 0; i < lo.size(); ++i)
    {
      lo[i] = std::min(lo[i], other.lo[i]);
      hi[i] = std::max(hi[i], other.hi[i]);
    }
    for (const auto & e : other.edges)
    {
      edges[Edge(e.a, e.b)].stats.Merge(e.stats);
    }
  }
};

template <unsigned int D>
RegionAdjacencyGraph<D>::RegionAdjacencyGraph(const LabelImage<D> * labels, const VectorImage<D> * features,
                                              unsigned int connectivity)
  : m_VertexOfLabel(65536, -1)
  , m_Connectivity(connectivity)
  , m_Labels(labels)
  , m_Grid(labels)
{
  if (!labels)
  {
    throw Error("labels", "no label image given");
  }
  CheckConnectivity(connectivity, D);
  if (features)
  {
    CheckSameGrid(labels, "label image", features, "image");
  }
  m_NumberOfFeatures = features ? features->GetNumberOfComponentsPerPixel() : 0;
  // The labels present are the vertices, in increasing label order: sums only for them.
  const std::size_t  n = labels->GetBufferedRegion().GetNumberOfPixels();
  const LabelPixel * L = labels->GetBufferPointer();
  std::vector<char>  present(65536, 0);
  for (std::size_t i = 0; i < n; ++i)
  {
    present[L[i]] = 1;
  }
  present[0] = 0;
  int next = 0;
  for (std::size_t l = 1; l < 65536; ++l)
  {
    if (present[l])
    {
      m_VertexOfLabel[l] = next++;
    }
  }
  const std::size_t regions = static_cast<std::size_t>(next);
  CheckRegionCount(regions);
  m_Sums = std::make_unique<Sums>(m_VertexOfLabel, regions, m_NumberOfFeatures);
  // Slabs of about 2^17 voxels along the last axis, at most 8, each summed on its own (on the threads), then added
  // in slab order. Each slab but the first has its own sums (about 200 bytes per region with RGB features): at
  // most one extra slab per 64 voxels per region keeps them under ~3 bytes per voxel in all.
  const auto         region = labels->GetBufferedRegion();
  const std::size_t  rows = region.GetSize(D - 1);
  const std::size_t  slabs =
    std::max<std::size_t>(1, std::min({ std::size_t{ 8 }, rows, n >> 17, 1 + n / (64 * regions) }));
  const auto         slab = [&](std::size_t s) {
    auto keep = region;
    keep.SetIndex(D - 1, region.GetIndex(D - 1) + static_cast<itk::IndexValueType>(rows * s / slabs));
    keep.SetSize(D - 1, rows * (s + 1) / slabs - rows * s / slabs);
    return keep;
  };
  std::vector<std::unique_ptr<Sums>> parts(slabs); // slab 0 goes into m_Sums
  ParallelRanges(slabs, WorkUnits(slabs, 0, 2), [&](std::size_t first, std::size_t end, unsigned int) {
    for (std::size_t s = first; s < end; ++s)
    {
      Sums & into = s ? *(parts[s] = std::make_unique<Sums>(m_VertexOfLabel, regions, m_NumberOfFeatures)) : *m_Sums;
      Accumulate(into, labels, features, slab(s), itk::Index<D>());
    }
  });
  for (std::size_t s = 1; s < slabs; ++s)
  {
    m_Sums->Add(*parts[s]);
  }
  Finish();
}

template <unsigned int D>
RegionAdjacencyGraph<D>::RegionAdjacencyGraph(const itk::ImageBase<D> * grid, unsigned int numberOfFeatures,
                                              unsigned int connectivity)
  : m_VertexOfLabel(65536, -1)
  , m_NumberOfFeatures(numberOfFeatures)
  , m_Connectivity(connectivity)
  , m_Grid(grid)
{
  CheckConnectivity(connectivity, D);
  // Which labels occur is known only at the end: a slot for every label (label l in slot l - 1).
  std::vector<int> slots(65536, -1);
  std::iota(slots.begin() + 1, slots.end(), 0);
  m_Sums = std::make_unique<Sums>(std::move(slots), 65535, numberOfFeatures);
}

template <unsigned int D>
RegionAdjacencyGraph<D>::~RegionAdjacencyGraph() = default;

template <unsigned int D>
void
RegionAdjacencyGraph<D>::AddTile(const LabelImage<D> * labels, const VectorImage<D> * features,
                                 const itk::ImageRegion<D> & read, const itk::ImageRegion<D> & tile)
{
  if (!m_Sums)
  {
    throw Error("region adjacency graph", "is finished; no tile can be added");
  }
  auto needed = tile;
  needed.PadByRadius(1);
  needed.Crop(m_Grid->GetLargestPossibleRegion());
  if (!read.IsInside(needed) || labels->GetBufferedRegion().GetSize() != read.GetSize() ||
      (features && (features->GetBufferedRegion().GetSize() != read.GetSize() ||
                    features->GetNumberOfComponentsPerPixel() != m_NumberOfFeatures)) ||
      (!features) != (m_NumberOfFeatures == 0))
  {
    throw Error("region adjacency graph", "a tile's labels and features must cover it and one voxel around it, "
                                          "with the graph's number of features");
  }
  itk::ImageRegion<D> keep(tile.GetSize());
  for (unsigned int d = 0; d < D; ++d)
  {
    keep.SetIndex(d, labels->GetBufferedRegion().GetIndex(d) + tile.GetIndex(d) - read.GetIndex(d));
  }
  itk::Index<D> offset;
  for (unsigned int d = 0; d < D; ++d)
  {
    offset[d] = read.GetIndex(d) - labels->GetBufferedRegion().GetIndex(d);
  }
  Accumulate(*m_Sums, labels, features, keep, offset);
}

template <unsigned int D>
void
RegionAdjacencyGraph<D>::Accumulate(Sums & S, const LabelImage<D> * labels, const VectorImage<D> * features,
                                    const itk::ImageRegion<D> & keep, const itk::Index<D> & offset) const
{
  const auto         region = labels->GetBufferedRegion();
  const auto         size = region.GetSize();
  const LabelPixel * L = labels->GetBufferPointer();
  const unsigned int nc = S.nc;
  const float *      F = features ? features->GetBufferPointer() : nullptr;
  const int *        slot = S.slotOfLabel.data();
  std::array<std::size_t, D> stride{};
  stride[0] = 1;
  for (unsigned int d = 1; d < D; ++d)
  {
    stride[d] = stride[d - 1] * size[d - 1];
  }
  // The kept voxels, as buffer positions [first, last).
  std::array<itk::IndexValueType, D> first{}, last{};
  for (unsigned int d = 0; d < D; ++d)
  {
    first[d] = keep.GetIndex(d) - region.GetIndex(d);
    last[d] = first[d] + static_cast<itk::IndexValueType>(keep.GetSize(d));
    if (first[d] >= last[d])
    {
      return;
    }
  }
  // Calls visit(base, idx) for each row [begin[0], end[0]) of the box [begin, end) of buffer positions.
  const auto rows = [&](const std::array<itk::IndexValueType, D> & begin, const std::array<itk::IndexValueType, D> & end,
                        const auto & visit) {
    std::array<itk::IndexValueType, D> idx = begin;
    while (true)
    {
      std::size_t base = 0;
      for (unsigned int d = 1; d < D; ++d)
      {
        base += static_cast<std::size_t>(idx[d]) * stride[d];
      }
      visit(base, idx);
      unsigned int d = 1;
      for (; d < D; ++d)
      {
        if (++idx[d] < end[d])
        {
          break;
        }
        idx[d] = begin[d];
      }
      if (d == D)
      {
        return;
      }
    }
  };

  // Region statistics, at the image's indices (buffer position + its index + offset).
  rows(first, last, [&](std::size_t base, const std::array<itk::IndexValueType, D> & idx) {
    std::array<itk::IndexValueType, D> at{};
    for (unsigned int d = 0; d < D; ++d)
    {
      at[d] = idx[d] + region.GetIndex(d) + offset[d];
    }
    for (itk::IndexValueType x = first[0]; x < last[0]; ++x)
    {
      const std::size_t i = base + static_cast<std::size_t>(x);
      const int         v = slot[L[i]];
      if (v < 0)
      {
        continue;
      }
      ++S.count[v];
      if (nc)
      {
        const float * f = F + i * nc;
        double *      s = &S.sum[v * nc];
        double *      p = &S.prod[v * nc * nc];
        for (unsigned int c = 0; c < nc; ++c)
        {
          const double fc = f[c];
          s[c] += fc;
          for (unsigned int c2 = 0; c2 < nc; ++c2)
          {
            p[c * nc + c2] += fc * static_cast<double>(f[c2]);
          }
        }
      }
      at[0] = x + region.GetIndex(0) + offset[0];
      for (unsigned int d = 0; d < D; ++d)
      {
        S.isum[v * D + d] += static_cast<double>(at[d]);
        S.lo[v * D + d] = std::min(S.lo[v * D + d], at[d]);
        S.hi[v * D + d] = std::max(S.hi[v * D + d], at[d]);
      }
    }
  });

  // Edges: for each forward offset of the neighbourhood, sweep the kept voxels whose neighbour lies
  // in the buffer. Per-slot neighbour lists with a last-hit cache (rows cross the same boundary).
  const auto spacing = labels->GetSpacing();
  // offsets in {-1,0,1}^D with 1..connectivity non-zero entries, keeping one of each +/- pair
  // (the one whose last non-zero entry is +1).
  std::array<int, D> o{};
  const int          total = D == 2 ? 9 : 27;
  for (int code = 0; code < total; ++code)
  {
    int          c = code;
    unsigned int nonzero = 0;
    int          lastSign = 0;
    for (unsigned int d = 0; d < D; ++d)
    {
      o[d] = c % 3 - 1;
      c /= 3;
      if (o[d])
      {
        ++nonzero;
        lastSign = o[d];
      }
    }
    if (nonzero == 0 || nonzero > m_Connectivity || lastSign != 1)
    {
      continue;
    }
    std::ptrdiff_t delta = 0;
    double         dist2 = 0;
    std::array<itk::IndexValueType, D> begin{}, end{};
    bool                               empty = false;
    for (unsigned int d = 0; d < D; ++d)
    {
      delta += o[d] * static_cast<std::ptrdiff_t>(stride[d]);
      dist2 += o[d] ? spacing[d] * spacing[d] : 0.0;
      begin[d] = std::max<itk::IndexValueType>(first[d], o[d] < 0 ? 1 : 0);
      end[d] = std::min<itk::IndexValueType>(last[d], static_cast<itk::IndexValueType>(size[d]) - (o[d] > 0 ? 1 : 0));
      empty |= begin[d] >= end[d];
    }
    if (empty)
    {
      continue;
    }
    const double  invDist = 1.0 / std::sqrt(dist2);
    std::uint32_t lastA = ~0u, lastB = ~0u, lastE = 0;
    rows(begin, end, [&](std::size_t base, const std::array<itk::IndexValueType, D> &) {
      for (itk::IndexValueType x = begin[0]; x < end[0]; ++x)
      {
        const std::size_t p = base + static_cast<std::size_t>(x);
        const std::size_t q = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(p) + delta);
        const LabelPixel  lp = L[p], lq = L[q];
        if (lp == lq)
        {
          continue;
        }
        const int vp = slot[lp], vq = slot[lq];
        if (vp < 0 || vq < 0)
        {
          continue;
        }
        const std::uint32_t a = static_cast<std::uint32_t>(std::min(vp, vq)),
                            b = static_cast<std::uint32_t>(std::max(vp, vq));
        if (a != lastA || b != lastB)
        {
          lastE = S.Edge(a, b);
          lastA = a;
          lastB = b;
        }
        auto & s = S.edges[lastE].stats;
        ++s.size;
        if (nc)
        {
          const float * fp = F + p * nc;
          const float * fq = F + q * nc;
          double        d2 = 0;
          for (unsigned int c2 = 0; c2 < nc; ++c2)
          {
            const double df = static_cast<double>(fp[c2]) - static_cast<double>(fq[c2]);
            d2 += df * df;
          }
          s.gradientSum += std::sqrt(d2) * invDist;
        }
      }
    });
  }
}

template <unsigned int D>
void
RegionAdjacencyGraph<D>::Finish()
{
  if (!m_Sums)
  {
    throw Error("region adjacency graph", "is already finished");
  }
  const Sums & S = *m_Sums;
  const unsigned int nc = S.nc;
  // Vertices: the slots with voxels, in slot (label) order.
  std::vector<int> vertexOfSlot(S.count.size(), -1);
  std::size_t      nv = 0;
  for (std::size_t l = 1; l < 65536; ++l)
  {
    const int s = S.slotOfLabel[l];
    m_VertexOfLabel[l] = s >= 0 && S.count[s] ? (vertexOfSlot[s] = static_cast<int>(nv++)) : -1;
  }
  CheckRegionCount(nv);
  m_Graph = GraphType(nv);
  for (std::size_t l = 1; l < 65536; ++l)
  {
    const int v = m_VertexOfLabel[l];
    if (v < 0)
    {
      continue;
    }
    const std::size_t     s = static_cast<std::size_t>(S.slotOfLabel[l]);
    RegionStatistics<D> & r = m_Graph[static_cast<Vertex>(v)];
    r.label = static_cast<LabelPixel>(l);
    r.size = S.count[s];
    r.sum.assign(S.sum.begin() + s * nc, S.sum.begin() + (s + 1) * nc);
    r.sumOfProducts.assign(S.prod.begin() + s * nc * nc, S.prod.begin() + (s + 1) * nc * nc);
    for (unsigned int d = 0; d < D; ++d)
    {
      r.indexSum[d] = S.isum[s * D + d];
      r.lower[d] = S.lo[s * D + d];
      r.upper[d] = S.hi[s * D + d];
    }
  }
  // Edges between vertices (slots map to vertices in order, so a < b holds), sorted for a
  // deterministic out-edge order.
  std::vector<EdgeAccumulator> edges = S.edges;
  for (auto & e : edges)
  {
    e.a = static_cast<std::uint32_t>(vertexOfSlot[e.a]);
    e.b = static_cast<std::uint32_t>(vertexOfSlot[e.b]);
  }
  std::sort(edges.begin(), edges.end(),
            [](const EdgeAccumulator & x, const EdgeAccumulator & y) { return x.a != y.a ? x.a < y.a : x.b < y.b; });
  for (const auto & e : edges)
  {
    boost::add_edge(e.a, e.b, e.stats, m_Graph);
  }
  m_Sums.reset();
}

template <unsigned int D>
typename RegionAdjacencyGraph<D>::Vertex
RegionAdjacencyGraph<D>::VertexOf(LabelPixel label) const
{
  if (m_VertexOfLabel[label] < 0)
  {
    throw Error("label " + std::to_string(label), "is not a region of the graph");
  }
  return static_cast<Vertex>(m_VertexOfLabel[label]);
}

template <unsigned int D>
std::array<double, D>
RegionAdjacencyGraph<D>::Centroid(Vertex v) const
{
  const auto                                            ci = m_Graph[v].CentroidIndex();
  itk::ContinuousIndex<double, D>                       index;
  for (unsigned int d = 0; d < D; ++d)
  {
    index[d] = ci[d];
  }
  typename LabelImage<D>::PointType p;
  m_Grid->TransformContinuousIndexToPhysicalPoint(index, p);
  std::array<double, D> out{};
  for (unsigned int d = 0; d < D; ++d)
  {
    out[d] = p[d];
  }
  return out;
}

template struct RegionStatistics<2>;
template struct RegionStatistics<3>;
template class RegionAdjacencyGraph<2>;
template class RegionAdjacencyGraph<3>;
} // namespace tessera
