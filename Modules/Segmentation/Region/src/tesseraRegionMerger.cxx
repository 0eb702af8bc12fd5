#include "tesseraRegionMerger.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <queue>
#include <sstream>
#include <string>

#include "tesseraDisjointSets.h"
#include "tesseraError.h"

namespace tessera
{
template <unsigned int D>
struct RegionMerger<D>::Impl
{
  /** An edge of the dynamic graph, in one pool; the nodes list the ids of their edges. An edge
   * redirected by a merge keeps its id, so a neighbour's list needs no update. */
  struct EdgeRecord
  {
    std::uint32_t      u, v;
    BoundaryStatistics boundary;
    double             w = std::numeric_limits<double>::quiet_NaN(); // weight of its live heap entry
    std::uint32_t      stamp = 0;                                    // heap entries of older stamps are stale
    bool               alive = true;
    std::uint32_t      Other(std::uint32_t x) const { return x == u ? v : u; }
  };
  struct Node
  {
    RegionStatistics<D>        stats;
    std::vector<std::uint32_t> edges;
    std::uint32_t              version = 0;
    bool                       alive = true;
  };
  struct HeapEntry
  {
    double        w;
    LabelPixel    la, lb; // tie-break on labels (la < lb)
    std::uint32_t e, stamp;
    bool          operator>(const HeapEntry & o) const
    {
      if (w != o.w)
      {
        return w > o.w;
      }
      if (la != o.la)
      {
        return la > o.la;
      }
      return lb > o.lb;
    }
  };

  std::vector<Node>           nodes;
  std::vector<EdgeRecord>     edges;
  std::vector<int>            vertexOfLabel; // 65536
  DisjointSets<std::uint32_t> merged;        // vertices merged into one region
  std::vector<std::int64_t>   slot;          // scratch per vertex: edge id to it, -1
  std::size_t                 alive = 0;
  MergeWeightFunction<D>      weight;
  MergeHierarchy              hierarchy;
  typename LabelImage<D>::ConstPointer labels;

  double Weight(std::uint32_t e) const
  {
    const auto & r = edges[e];
    return weight(nodes[r.u].stats, nodes[r.v].stats, r.boundary);
  }
  HeapEntry Entry(std::uint32_t e, double w) const
  {
    const auto &     r = edges[e];
    const LabelPixel la = nodes[r.u].stats.label, lb = nodes[r.v].stats.label;
    return HeapEntry{ w, std::min(la, lb), std::max(la, lb), e, r.stamp };
  }
  bool Valid(const HeapEntry & h) const { return edges[h.e].alive && edges[h.e].stamp == h.stamp; }

  /** Merges u and v (vertices); the larger survives (ties: smaller label). Returns the survivor. */
  std::uint32_t Merge(std::uint32_t u, std::uint32_t v, double w)
  {
    std::uint32_t into = u, from = v;
    const auto &  su = nodes[u].stats;
    const auto &  sv = nodes[v].stats;
    if (sv.size > su.size || (sv.size == su.size && sv.label < su.label))
    {
      std::swap(into, from);
    }
    MergeInto(from, into, w);
    return into;
  }

  void MergeInto(std::uint32_t from, std::uint32_t into, double w)
  {
    Node & A = nodes[from];
    Node & B = nodes[into];
    for (const std::uint32_t e : B.edges)
    {
      slot[edges[e].Other(into)] = e;
    }
    for (const std::uint32_t e : A.edges)
    {
      EdgeRecord &        r = edges[e];
      const std::uint32_t n = r.Other(from);
      if (n == into)
      {
        r.alive = false;
        continue;
      }
      if (slot[n] >= 0)
      {
        // common neighbour: one boundary; drop A's edge from n's list
        edges[slot[n]].boundary.Merge(r.boundary);
        r.alive = false;
        auto & list = nodes[n].edges;
        for (std::size_t i = 0; i < list.size(); ++i)
        {
          if (list[i] == e)
          {
            list[i] = list.back();
            list.pop_back();
            break;
          }
        }
      }
      else
      {
        // redirect: the edge now joins `into` and n, under a new label pair
        (r.u == from ? r.u : r.v) = into;
        r.w = std::numeric_limits<double>::quiet_NaN();
        ++r.stamp;
        B.edges.push_back(e);
        slot[n] = e;
      }
    }
    for (const std::uint32_t e : B.edges)
    {
      slot[edges[e].Other(into)] = -1;
    }
    B.edges.erase(std::remove_if(B.edges.begin(), B.edges.end(), [&](std::uint32_t e) { return !edges[e].alive; }),
                  B.edges.end());
    B.stats.Merge(A.stats);
    A.alive = false;
    std::vector<std::uint32_t>().swap(A.edges);
    ++A.version;
    ++B.version;
    merged.Join(from, into);
    --alive;
    hierarchy.Append({ A.stats.label, B.stats.label, w, B.stats.size });
  }

  std::uint32_t VertexOf(LabelPixel label) const
  {
    const int v = vertexOfLabel[label];
    if (v < 0 || !nodes[v].alive)
    {
      throw Error("label " + std::to_string(label), "is not a current region");
    }
    return static_cast<std::uint32_t>(v);
  }
};

template <unsigned int D>
RegionMerger<D>::RegionMerger(const RegionAdjacencyGraph<D> & rag, MergeWeightFunction<D> weight)
  : m_Impl(std::make_unique<Impl>())
{
  if (!weight)
  {
    throw Error("weight", "no merge weight function given");
  }
  auto &            I = *m_Impl;
  const auto &      g = rag.Graph();
  const std::size_t nv = boost::num_vertices(g);
  if (nv < 2)
  {
    throw Error("region adjacency graph", "needs at least two regions to merge");
  }
  I.weight = std::move(weight);
  I.labels = rag.Labels();
  I.nodes.resize(nv);
  I.vertexOfLabel.assign(65536, -1);
  I.merged = DisjointSets<std::uint32_t>(nv);
  I.slot.assign(nv, -1);
  I.alive = nv;
  std::vector<LabelPixel> regions(nv);
  for (std::size_t v = 0; v < nv; ++v)
  {
    I.nodes[v].stats = g[v];
    I.vertexOfLabel[g[v].label] = static_cast<int>(v);
    regions[v] = g[v].label;
  }
  I.hierarchy = MergeHierarchy(std::move(regions));
  I.edges.reserve(boost::num_edges(g));
  for (auto [e, end] = boost::edges(g); e != end; ++e)
  {
    const auto a = static_cast<std::uint32_t>(boost::source(*e, g)), b = static_cast<std::uint32_t>(boost::target(*e, g));
    const auto id = static_cast<std::uint32_t>(I.edges.size());
    typename Impl::EdgeRecord r;
    r.u = a;
    r.v = b;
    r.boundary = g[*e];
    I.edges.push_back(r);
    I.nodes[a].edges.push_back(id);
    I.nodes[b].edges.push_back(id);
  }
}

template <unsigned int D>
RegionMerger<D>::~RegionMerger() = default;

namespace
{
void
CheckThreshold(double threshold)
{
  if (!(threshold > 0))
  {
    std::ostringstream s;
    s << "must be positive, not " << threshold;
    throw Error("threshold", s.str());
  }
}
} // namespace

template <unsigned int D>
std::size_t
RegionMerger<D>::MergeHierarchical(double threshold)
{
  CheckThreshold(threshold);
  auto & I = *m_Impl;
  using Entry = typename Impl::HeapEntry;
  std::vector<Entry> initial;
  initial.reserve(I.edges.size());
  for (std::uint32_t e = 0; e < I.edges.size(); ++e)
  {
    auto & r = I.edges[e];
    if (r.alive)
    {
      r.w = I.Weight(e);
      ++r.stamp;
      initial.push_back(I.Entry(e, r.w));
    }
  }
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap(std::greater<Entry>(), std::move(initial));
  std::size_t merges = 0;
  while (!heap.empty() && heap.top().w < threshold)
  {
    const Entry h = heap.top();
    heap.pop();
    if (!I.Valid(h))
    {
      continue;
    }
    const std::uint32_t into = I.Merge(I.edges[h.e].u, I.edges[h.e].v, h.w);
    ++merges;
    // Recompute the merged region's edge weights; an edge whose weight and label pair are
    // unchanged keeps its heap entry (identical to re-pushing it), the others are re-pushed.
    for (const std::uint32_t e : I.nodes[into].edges)
    {
      auto &       r = I.edges[e];
      const double w = I.Weight(e);
      if (!(w == r.w))
      {
        r.w = w;
        ++r.stamp;
        heap.push(I.Entry(e, w));
      }
    }
  }
  // Later methods see fresh stamps: leave no entry weight behind.
  for (auto & r : I.edges)
  {
    r.w = std::numeric_limits<double>::quiet_NaN();
  }
  return merges;
}

template <unsigned int D>
std::size_t
RegionMerger<D>::ThresholdCut(double threshold)
{
  CheckThreshold(threshold);
  auto & I = *m_Impl;
  using Entry = typename Impl::HeapEntry;
  struct Candidate
  {
    Entry         key;
    std::uint32_t u, v;
  };
  std::vector<Candidate> candidates;
  for (std::uint32_t e = 0; e < I.edges.size(); ++e)
  {
    const auto & r = I.edges[e];
    if (r.alive)
    {
      const double w = I.Weight(e);
      if (w < threshold)
      {
        candidates.push_back({ I.Entry(e, w), r.u, r.v });
      }
    }
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate & x, const Candidate & y) { return y.key > x.key; });
  std::size_t merges = 0;
  for (const auto & c : candidates)
  {
    const std::uint32_t ra = I.merged.Find(c.u), rb = I.merged.Find(c.v);
    if (ra != rb)
    {
      I.Merge(ra, rb, c.key.w);
      ++merges;
    }
  }
  return merges;
}

template <unsigned int D>
std::size_t
RegionMerger<D>::MergeSmallRegions(std::uint64_t minimumSize)
{
  if (minimumSize == 0)
  {
    throw Error("minimum size", "must be at least 1 voxel");
  }
  auto & I = *m_Impl;
  struct Small
  {
    std::uint64_t size;
    LabelPixel    label;
    std::uint32_t v, version;
    bool          operator>(const Small & o) const { return size != o.size ? size > o.size : label > o.label; }
  };
  std::priority_queue<Small, std::vector<Small>, std::greater<Small>> heap;
  for (std::uint32_t v = 0; v < I.nodes.size(); ++v)
  {
    const auto & n = I.nodes[v];
    if (n.alive && n.stats.size < minimumSize)
    {
      heap.push({ n.stats.size, n.stats.label, v, n.version });
    }
  }
  std::size_t merges = 0;
  while (!heap.empty())
  {
    const Small s = heap.top();
    heap.pop();
    const auto & node = I.nodes[s.v];
    if (!node.alive || node.version != s.version || node.edges.empty())
    {
      continue;
    }
    // neighbour of lowest weight; ties: longest boundary, then lowest label
    std::int64_t best = -1;
    double       bestW = 0;
    for (const std::uint32_t e : node.edges)
    {
      const double w = I.Weight(e);
      bool         better = best < 0 || w < bestW;
      if (best >= 0 && w == bestW)
      {
        const auto & r = I.edges[e];
        const auto & b = I.edges[best];
        better = r.boundary.size > b.boundary.size ||
                 (r.boundary.size == b.boundary.size &&
                  I.nodes[r.Other(s.v)].stats.label < I.nodes[b.Other(s.v)].stats.label);
      }
      if (better)
      {
        best = e;
        bestW = w;
      }
    }
    const std::uint32_t into = I.Merge(s.v, I.edges[best].Other(s.v), bestW);
    ++merges;
    const auto & merged = I.nodes[into];
    if (merged.stats.size < minimumSize)
    {
      heap.push({ merged.stats.size, merged.stats.label, into, merged.version });
    }
  }
  return merges;
}

template <unsigned int D>
std::size_t
RegionMerger<D>::NormalizedCut(const NormalizedCutOptions & options)
{
  CheckThreshold(options.threshold);
  if (!(options.sigma > 0))
  {
    throw Error("sigma", "must be positive");
  }
  if (options.cuts < 1)
  {
    throw Error("cuts", "must be at least 1");
  }
  auto &                     I = *m_Impl;
  std::vector<std::uint32_t> vertices;
  std::vector<int>           index(I.nodes.size(), -1);
  for (std::uint32_t v = 0; v < I.nodes.size(); ++v)
  {
    if (I.nodes[v].alive)
    {
      index[v] = static_cast<int>(vertices.size());
      vertices.push_back(v);
    }
  }
  const std::size_t m = vertices.size();
  if (m > options.maximumRegions)
  {
    throw Error("normalized cut", std::to_string(m) + " regions exceed the limit of " +
                                    std::to_string(options.maximumRegions) + "; merge regions first");
  }
  // Similarity matrix (m x m, row-major) with self edges.
  std::vector<double> W(m * m, 0.0);
  const auto          meanDistance = MeanColorWeight<D>();
  for (std::size_t i = 0; i < m; ++i)
  {
    W[i * m + i] = options.maximumEdge;
    for (const std::uint32_t e : I.nodes[vertices[i]].edges)
    {
      const auto &        r = I.edges[e];
      const std::uint32_t other = r.Other(vertices[i]);
      const double        d = meanDistance(I.nodes[vertices[i]].stats, I.nodes[other].stats, r.boundary);
      W[i * m + static_cast<std::size_t>(index[other])] = std::exp(-d * d / options.sigma);
    }
  }
  const std::vector<std::vector<std::size_t>> groups = NormalizedCutPartition(W, m, options);
  std::size_t merges = 0;
  for (const auto & g : groups)
  {
    std::uint32_t root = vertices[g[0]];
    for (std::size_t i = 1; i < g.size(); ++i)
    {
      root = I.Merge(root, vertices[g[i]], std::numeric_limits<double>::quiet_NaN());
      ++merges;
    }
  }
  return merges;
}

template <unsigned int D>
void
RegionMerger<D>::Merge(LabelPixel from, LabelPixel into, double weight)
{
  auto & I = *m_Impl;
  if (from == into)
  {
    throw Error("label " + std::to_string(from), "cannot merge a region with itself");
  }
  I.MergeInto(I.VertexOf(from), I.VertexOf(into), weight);
}

template <unsigned int D>
std::size_t
RegionMerger<D>::NumberOfRegions() const
{
  return m_Impl->alive;
}

template <unsigned int D>
std::vector<LabelPixel>
RegionMerger<D>::CurrentRegions() const
{
  std::vector<LabelPixel> out;
  for (const auto & n : m_Impl->nodes)
  {
    if (n.alive)
    {
      out.push_back(n.stats.label);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

template <unsigned int D>
const RegionStatistics<D> &
RegionMerger<D>::Region(LabelPixel label) const
{
  return m_Impl->nodes[m_Impl->VertexOf(label)].stats;
}

template <unsigned int D>
std::vector<std::pair<LabelPixel, BoundaryStatistics>>
RegionMerger<D>::Neighbours(LabelPixel label) const
{
  const auto &                                         I = *m_Impl;
  std::vector<std::pair<LabelPixel, BoundaryStatistics>> out;
  const std::uint32_t                                    v = I.VertexOf(label);
  for (const std::uint32_t e : I.nodes[v].edges)
  {
    out.emplace_back(I.nodes[I.edges[e].Other(v)].stats.label, I.edges[e].boundary);
  }
  std::sort(out.begin(), out.end(), [](const auto & x, const auto & y) { return x.first < y.first; });
  return out;
}

template <unsigned int D>
double
RegionMerger<D>::Weight(LabelPixel a, LabelPixel b) const
{
  const auto & I = *m_Impl;
  const auto   va = I.VertexOf(a), vb = I.VertexOf(b);
  for (const std::uint32_t e : I.nodes[va].edges)
  {
    if (I.edges[e].Other(va) == vb)
    {
      return I.Weight(e);
    }
  }
  throw Error("labels " + std::to_string(a) + " and " + std::to_string(b), "are not adjacent regions");
}

template <unsigned int D>
const MergeHierarchy &
RegionMerger<D>::Hierarchy() const
{
  return m_Impl->hierarchy;
}

template <unsigned int D>
typename LabelImage<D>::Pointer
RegionMerger<D>::Labels() const
{
  if (!m_Impl->labels)
  {
    throw Error("region adjacency graph", "was built by tiles and holds no label image: apply Hierarchy().LabelMap() to each tile");
  }
  return m_Impl->hierarchy.template Apply<D>(m_Impl->labels.GetPointer(), m_Impl->hierarchy.NumberOfMerges());
}

template class RegionMerger<2>;
template class RegionMerger<3>;
} // namespace tessera
