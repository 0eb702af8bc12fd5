#include "tesseraRegionAdjacencyGraph.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "tesseraError.h"
#include "tesseraImageUtilities.h"

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
/** Per-region accumulators in flat arrays (vertex-major) for a cache-friendly sweep. */
struct EdgeAccumulator
{
  std::uint32_t a, b; // vertices, a < b
  BoundaryStatistics stats;
};
} // namespace

template <unsigned int D>
RegionAdjacencyGraph<D>::RegionAdjacencyGraph(const LabelImage<D> * labels, const VectorImage<D> * features,
                                              unsigned int connectivity)
  : m_VertexOfLabel(65536, -1)
  , m_Connectivity(connectivity)
  , m_Labels(labels)
{
  if (!labels)
  {
    throw Error("labels", "no label image given");
  }
  if (connectivity < 1 || connectivity > D)
  {
    throw Error("connectivity", "must be 1.." + std::to_string(D) + " for a " + std::to_string(D) + "D image, not " +
                                  std::to_string(connectivity));
  }
  if (features)
  {
    CheckSameGrid(labels, "label image", features, "image");
  }
  const auto          region = labels->GetBufferedRegion();
  const auto          size = region.GetSize();
  const std::size_t   n = region.GetNumberOfPixels();
  const LabelPixel *  L = labels->GetBufferPointer();
  const unsigned int  nc = features ? features->GetNumberOfComponentsPerPixel() : 0;
  const float *       F = features ? features->GetBufferPointer() : nullptr;
  m_NumberOfFeatures = nc;

  // Which labels are present: vertices in increasing label order.
  {
    std::vector<char> present(65536, 0);
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
    if (next < 2)
    {
      throw Error("label image", next == 0 ? "holds no regions (every voxel is 0, the background)"
                                           : "holds a single region; a region adjacency graph needs at least two");
    }
  }
  const std::size_t nv = static_cast<std::size_t>(*std::max_element(m_VertexOfLabel.begin(), m_VertexOfLabel.end()) + 1);

  // Region statistics: one sweep over labels and features.
  std::vector<std::uint64_t> count(nv, 0);
  std::vector<double>        sum(nv * nc, 0.0), prod(nv * nc * nc, 0.0), isum(nv * D, 0.0);
  std::vector<itk::IndexValueType> lo(nv * D, std::numeric_limits<itk::IndexValueType>::max()),
    hi(nv * D, std::numeric_limits<itk::IndexValueType>::min());
  {
    std::array<itk::IndexValueType, D> idx{};
    const int *                        vol = m_VertexOfLabel.data();
    for (std::size_t i = 0; i < n; ++i)
    {
      const int v = vol[L[i]];
      if (v >= 0)
      {
        ++count[v];
        if (nc)
        {
          const float * f = F + i * nc;
          double *      s = &sum[v * nc];
          double *      p = &prod[v * nc * nc];
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
        for (unsigned int d = 0; d < D; ++d)
        {
          isum[v * D + d] += static_cast<double>(idx[d]);
          lo[v * D + d] = std::min(lo[v * D + d], idx[d]);
          hi[v * D + d] = std::max(hi[v * D + d], idx[d]);
        }
      }
      for (unsigned int d = 0; d < D; ++d)
      {
        if (++idx[d] < static_cast<itk::IndexValueType>(size[d]))
        {
          break;
        }
        idx[d] = 0;
      }
    }
  }

  // Edges: for each forward offset of the neighbourhood, sweep the voxels whose neighbour lies
  // inside. Per-vertex neighbour lists with a last-hit cache (rows cross the same boundary).
  std::vector<EdgeAccumulator>                         edges;
  std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> adjacency(nv); // (b, edge index) for a < b
  {
    std::array<std::size_t, D> stride{};
    stride[0] = 1;
    for (unsigned int d = 1; d < D; ++d)
    {
      stride[d] = stride[d - 1] * size[d - 1];
    }
    const auto spacing = labels->GetSpacing();
    const int *vol = m_VertexOfLabel.data();
    // offsets in {-1,0,1}^D with 1..connectivity non-zero entries, keeping one of each +/- pair
    // (the one whose last non-zero entry is +1).
    std::array<int, D> o{};
    const int          total = D == 2 ? 9 : 27;
    for (int code = 0; code < total; ++code)
    {
      int          c = code;
      unsigned int nonzero = 0;
      int          last = 0;
      for (unsigned int d = 0; d < D; ++d)
      {
        o[d] = c % 3 - 1;
        c /= 3;
        if (o[d])
        {
          ++nonzero;
          last = o[d];
        }
      }
      if (nonzero == 0 || nonzero > connectivity || last != 1)
      {
        continue;
      }
      std::ptrdiff_t delta = 0;
      double         dist2 = 0;
      std::array<itk::IndexValueType, D> begin{}, end{};
      for (unsigned int d = 0; d < D; ++d)
      {
        delta += o[d] * static_cast<std::ptrdiff_t>(stride[d]);
        dist2 += o[d] ? spacing[d] * spacing[d] : 0.0;
        begin[d] = o[d] < 0 ? 1 : 0;
        end[d] = static_cast<itk::IndexValueType>(size[d]) - (o[d] > 0 ? 1 : 0);
      }
      const double invDist = 1.0 / std::sqrt(dist2);
      bool         empty = false;
      for (unsigned int d = 0; d < D; ++d)
      {
        empty |= begin[d] >= end[d];
      }
      if (empty)
      {
        continue;
      }
      std::uint32_t lastA = ~0u, lastB = ~0u, lastE = 0;
      // iterate over rows (axis 0 contiguous)
      std::array<itk::IndexValueType, D> idx = begin;
      while (true)
      {
        std::size_t base = 0;
        for (unsigned int d = 1; d < D; ++d)
        {
          base += static_cast<std::size_t>(idx[d]) * stride[d];
        }
        for (itk::IndexValueType x = begin[0]; x < end[0]; ++x)
        {
          const std::size_t p = base + static_cast<std::size_t>(x);
          const std::size_t q = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(p) + delta);
          const LabelPixel  lp = L[p], lq = L[q];
          if (lp == lq)
          {
            continue;
          }
          const int vp = vol[lp], vq = vol[lq];
          if (vp < 0 || vq < 0)
          {
            continue;
          }
          const std::uint32_t a = static_cast<std::uint32_t>(std::min(vp, vq)),
                              b = static_cast<std::uint32_t>(std::max(vp, vq));
          std::uint32_t e;
          if (a == lastA && b == lastB)
          {
            e = lastE;
          }
          else
          {
            auto & list = adjacency[a];
            auto   it = std::find_if(list.begin(), list.end(), [b](const auto & x) { return x.first == b; });
            if (it == list.end())
            {
              e = static_cast<std::uint32_t>(edges.size());
              edges.push_back({ a, b, {} });
              list.emplace_back(b, e);
            }
            else
            {
              e = it->second;
            }
            lastA = a;
            lastB = b;
            lastE = e;
          }
          auto & s = edges[e].stats;
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
          break;
        }
      }
    }
  }

  // The Boost graph: vertices in label order, then edges.
  m_Graph = GraphType(nv);
  for (std::size_t l = 1; l < 65536; ++l)
  {
    const int v = m_VertexOfLabel[l];
    if (v < 0)
    {
      continue;
    }
    RegionStatistics<D> & r = m_Graph[static_cast<Vertex>(v)];
    r.label = static_cast<LabelPixel>(l);
    r.size = count[v];
    r.sum.assign(sum.begin() + v * nc, sum.begin() + (v + 1) * nc);
    r.sumOfProducts.assign(prod.begin() + v * nc * nc, prod.begin() + (v + 1) * nc * nc);
    for (unsigned int d = 0; d < D; ++d)
    {
      r.indexSum[d] = isum[v * D + d];
      r.lower[d] = lo[v * D + d] + region.GetIndex()[d];
      r.upper[d] = hi[v * D + d] + region.GetIndex()[d];
      r.indexSum[d] += static_cast<double>(region.GetIndex()[d]) * static_cast<double>(count[v]);
    }
  }
  // Sorted edges for a deterministic out-edge order.
  std::sort(edges.begin(), edges.end(),
            [](const EdgeAccumulator & x, const EdgeAccumulator & y) { return x.a != y.a ? x.a < y.a : x.b < y.b; });
  for (const auto & e : edges)
  {
    boost::add_edge(e.a, e.b, e.stats, m_Graph);
  }
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
  m_Labels->TransformContinuousIndexToPhysicalPoint(index, p);
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
