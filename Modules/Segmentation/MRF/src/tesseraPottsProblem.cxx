#include "tesseraPottsProblem.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <ostream>
#include <utility>

#include <boost/graph/boykov_kolmogorov_max_flow.hpp>
#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <boost/property_map/function_property_map.hpp>

#include "tesseraError.h"

namespace tessera
{
std::ostream &
operator<<(std::ostream & os, PottsMRFMethod method)
{
  return os << (method == PottsMRFMethod::ICM ? "ICM" : "AlphaExpansion");
}

PottsProblem::PottsProblem(const float * probabilities, unsigned int numberOfComponents,
                           std::vector<double> pairCosts, double epsilon)
  : m_Probabilities(probabilities)
  , m_NumberOfComponents(numberOfComponents)
  , m_PairCost(std::move(pairCosts))
  , m_Epsilon(epsilon)
{
  if (numberOfComponents == 0 || numberOfComponents > std::numeric_limits<LabelPixel>::max() + 1u)
  {
    throw Error("probabilities", "need 1 to 65536 components, not " + std::to_string(numberOfComponents));
  }
  if (!(epsilon > 0.0))
  {
    throw Error("epsilon", "must be > 0");
  }
  const size_t k = m_PairCost.size();
  if (k > 255)
  {
    throw Error("neighbourhood", "at most 255 neighbour classes");
  }
  for (size_t i = 0; i < k; ++i)
  {
    if (!(m_PairCost[i] >= 0.0) || !std::isfinite(m_PairCost[i]) || m_PairCost[i] != m_PairCost[k - 1 - i])
    {
      throw Error("smoothness", "pair costs must be finite, >= 0 and symmetric");
    }
  }
}

void
PottsProblem::Reserve(std::size_t nodes, std::size_t neighboursPerNode)
{
  m_Pixel.reserve(nodes);
  m_RowStart.reserve(nodes + 1);
  m_Neighbour.reserve(nodes * neighboursPerNode);
  m_Class.reserve(nodes * neighboursPerNode);
}

PottsProblem::NodeId
PottsProblem::AddNode(std::uint64_t pixel, const NodeId * neighbours, const std::uint8_t * classes, unsigned int count)
{
  if (m_Pixel.size() >= std::numeric_limits<NodeId>::max() - 2)
  {
    throw Error("mask", "more than 2^32 - 3 pixels inside; too large for one graph");
  }
  for (unsigned int i = 0; i < count; ++i)
  {
    if (classes[i] >= m_PairCost.size() || (i > 0 && classes[i] <= classes[i - 1]))
    {
      throw Error("neighbourhood", "neighbour classes must be valid and strictly increasing");
    }
  }
  m_Pixel.push_back(pixel);
  m_Neighbour.insert(m_Neighbour.end(), neighbours, neighbours + count);
  m_Class.insert(m_Class.end(), classes, classes + count);
  m_RowStart.push_back(m_Neighbour.size());
  return static_cast<NodeId>(m_Pixel.size() - 1);
}

double
PottsProblem::Unary(NodeId p, LabelPixel label) const
{
  const double probability = m_Probabilities[m_Pixel[p] * m_NumberOfComponents + label];
  return -std::log(std::max(probability, m_Epsilon));
}

std::vector<LabelPixel>
PottsProblem::CandidateLabels() const
{
  std::vector<LabelPixel> candidates;
  const size_t            n = GetNumberOfNodes();
  for (unsigned int c = 0; c < m_NumberOfComponents; ++c)
  {
    for (size_t p = 0; p < n; ++p)
    {
      if (m_Probabilities[m_Pixel[p] * m_NumberOfComponents + c] > 0.0f)
      {
        candidates.push_back(static_cast<LabelPixel>(c));
        break;
      }
    }
  }
  return candidates;
}

std::vector<LabelPixel>
PottsProblem::ArgmaxLabels() const
{
  std::vector<LabelPixel> labels(GetNumberOfNodes());
  for (size_t p = 0; p < labels.size(); ++p)
  {
    const float * v = m_Probabilities + m_Pixel[p] * m_NumberOfComponents;
    labels[p] = static_cast<LabelPixel>(std::max_element(v, v + m_NumberOfComponents) - v);
  }
  return labels;
}

double
PottsProblem::Energy(const std::vector<LabelPixel> & labels) const
{
  const size_t n = GetNumberOfNodes();
  if (labels.size() != n)
  {
    throw Error("labels", "one label per node expected");
  }
  double unary = 0.0;
  double pairwise = 0.0;
  for (size_t p = 0; p < n; ++p)
  {
    if (labels[p] >= m_NumberOfComponents)
    {
      throw Error("labels", "label " + std::to_string(labels[p]) + " has no probability component (" +
                              std::to_string(m_NumberOfComponents) + " components)");
    }
    unary += Unary(static_cast<NodeId>(p), labels[p]);
    for (auto j = m_RowStart[p]; j < m_RowStart[p + 1]; ++j)
    {
      const NodeId q = m_Neighbour[j];
      if (q > p && labels[q] != labels[p])
      {
        pairwise += m_PairCost[m_Class[j]];
      }
    }
  }
  return unary + pairwise;
}

unsigned int
PottsProblem::SolveICM(std::vector<LabelPixel> & labels, const std::vector<LabelPixel> & candidates,
                       unsigned int maximumIterations, const ProgressCallback & progress) const
{
  const size_t n = GetNumberOfNodes();
  if (labels.size() != n)
  {
    throw Error("initial labels", "one label per node expected");
  }
  // slot[label] = position in candidates, or -1.
  std::vector<int> slot(m_NumberOfComponents, -1);
  for (size_t i = 0; i < candidates.size(); ++i)
  {
    slot.at(candidates[i]) = static_cast<int>(i);
  }
  std::vector<double> agree(candidates.size());
  unsigned int        sweeps = 0;
  for (unsigned int iteration = 0; iteration < maximumIterations; ++iteration)
  {
    size_t changed = 0;
    for (size_t p = 0; p < n; ++p)
    {
      // Local energy of label c: Unary(p, c) + total - agree[c], where total is the cost of all
      // of p's pairs and agree[c] that of the pairs whose other end has label c.
      std::fill(agree.begin(), agree.end(), 0.0);
      double total = 0.0;
      double agreeCurrent = 0.0;
      for (auto j = m_RowStart[p]; j < m_RowStart[p + 1]; ++j)
      {
        const double    cost = m_PairCost[m_Class[j]];
        const LabelPixel lq = labels[m_Neighbour[j]];
        total += cost;
        if (slot[lq] >= 0)
        {
          agree[slot[lq]] += cost;
        }
        if (lq == labels[p])
        {
          agreeCurrent += cost;
        }
      }
      const NodeId node = static_cast<NodeId>(p);
      const double current = Unary(node, labels[p]) + total - agreeCurrent;
      double       best = current;
      LabelPixel   bestLabel = labels[p];
      for (size_t i = 0; i < candidates.size(); ++i)
      {
        const double e = Unary(node, candidates[i]) + total - agree[i];
        if (e < best)
        {
          best = e;
          bestLabel = candidates[i];
        }
      }
      // A strict decrease beyond rounding noise, so that ICM cannot cycle.
      if (bestLabel != labels[p] && best < current - 1e-12 * (1.0 + std::abs(current)))
      {
        labels[p] = bestLabel;
        ++changed;
      }
    }
    sweeps = iteration + 1;
    if (progress)
    {
      progress(static_cast<double>(sweeps) / maximumIterations);
    }
    if (changed == 0)
    {
      break;
    }
  }
  return sweeps;
}

namespace
{
// The expansion graph: vertices 0..N-1 are the nodes, N the source, N+1 the sink. Edges are
// stored by source vertex: node p has [p->s, p->t, p->q for each neighbour q in class order],
// then the source has s->p and the sink t->p for every p. Every edge has a reverse (p->s with
// s->p, p->t with t->p, p->q with q->p), as the Boykov-Kolmogorov algorithm requires.
using Vertex = std::uint32_t;
using EdgeIndex = std::uint32_t;
using Graph = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, boost::no_property,
                                                 boost::no_property, Vertex, EdgeIndex>;
using Edge = boost::graph_traits<Graph>::edge_descriptor;

/** Generates the (source, target) pairs of the expansion graph in source order, without
 * materialising them (the graph may hold ~50 million edges). */
class SortedEdgeIterator
{
public:
  using iterator_category = std::input_iterator_tag;
  using value_type = std::pair<Vertex, Vertex>;
  using difference_type = std::ptrdiff_t;
  using pointer = const value_type *;
  using reference = const value_type &;

  SortedEdgeIterator(const PottsProblem & problem, std::uint64_t count)
    : m_Problem(&problem)
    , m_N(static_cast<Vertex>(problem.GetNumberOfNodes()))
    , m_Count(count)
  {
    Settle();
  }
  reference operator*() const { return m_Value; }
  pointer   operator->() const { return &m_Value; }
  SortedEdgeIterator & operator++()
  {
    ++m_Position;
    ++m_Count;
    Settle();
    return *this;
  }
  bool operator==(const SortedEdgeIterator & other) const { return m_Count == other.m_Count; }
  bool operator!=(const SortedEdgeIterator & other) const { return m_Count != other.m_Count; }

private:
  std::uint64_t Length(Vertex v) const
  {
    if (v < m_N)
    {
      return 2 + m_Problem->RowStart()[v + 1] - m_Problem->RowStart()[v];
    }
    return m_N;
  }
  void Settle()
  {
    while (m_Source < m_N + 2 && m_Position >= Length(m_Source))
    {
      ++m_Source;
      m_Position = 0;
    }
    if (m_Source >= m_N + 2)
    {
      return;
    }
    Vertex target;
    if (m_Source >= m_N)
    {
      target = static_cast<Vertex>(m_Position);
    }
    else if (m_Position < 2)
    {
      target = m_N + static_cast<Vertex>(m_Position);
    }
    else
    {
      target = m_Problem->Neighbours()[m_Problem->RowStart()[m_Source] + m_Position - 2];
    }
    m_Value = { m_Source, target };
  }

  const PottsProblem * m_Problem;
  Vertex               m_N;
  std::uint64_t        m_Count;
  Vertex               m_Source = 0;
  std::uint64_t        m_Position = 0;
  value_type           m_Value{ 0, 0 };
};

/** Maps an edge to its reverse through a table of reverse edge indices (4 bytes per edge
 * instead of a stored 8-byte descriptor). */
struct ReverseEdge
{
  const Graph *            graph;
  const EdgeIndex *        reverse;
  Edge operator()(const Edge & e) const { return Edge(boost::target(e, *graph), reverse[e.idx]); }
};
} // namespace

unsigned int
PottsProblem::SolveAlphaExpansion(std::vector<LabelPixel> & labels, const std::vector<LabelPixel> & candidates,
                                  unsigned int maximumIterations, const ProgressCallback & progress) const
{
  const size_t n = GetNumberOfNodes();
  if (labels.size() != n)
  {
    throw Error("initial labels", "one label per node expected");
  }
  if (n == 0 || candidates.empty() || maximumIterations == 0)
  {
    return 0;
  }
  const std::uint64_t m = m_Neighbour.size();
  const std::uint64_t numberOfEdges = m + 4 * static_cast<std::uint64_t>(n);
  if (numberOfEdges >= std::numeric_limits<EdgeIndex>::max())
  {
    throw Error("mask", "too many pixels and neighbours for one graph (" + std::to_string(numberOfEdges) + " edges)");
  }
  const Vertex source = static_cast<Vertex>(n);
  const Vertex sink = source + 1;

  // Structure, built once.
  const Graph graph(boost::edges_are_sorted, SortedEdgeIterator(*this, 0), SortedEdgeIterator(*this, numberOfEdges),
                    static_cast<Vertex>(n + 2), static_cast<EdgeIndex>(numberOfEdges));
  auto firstEdge = [&](size_t p) { return static_cast<EdgeIndex>(m_RowStart[p] + 2 * p); };
  const EdgeIndex sourceEdges = static_cast<EdgeIndex>(m + 2 * n);
  const EdgeIndex sinkEdges = static_cast<EdgeIndex>(m + 3 * n);
  std::vector<EdgeIndex> reverse(numberOfEdges);
  const auto             k = static_cast<std::uint8_t>(m_PairCost.size());
  for (size_t p = 0; p < n; ++p)
  {
    const EdgeIndex e = firstEdge(p);
    reverse[e] = sourceEdges + static_cast<EdgeIndex>(p);
    reverse[sourceEdges + p] = e;
    reverse[e + 1] = sinkEdges + static_cast<EdgeIndex>(p);
    reverse[sinkEdges + p] = e + 1;
    for (auto j = m_RowStart[p]; j < m_RowStart[p + 1]; ++j)
    {
      const NodeId q = m_Neighbour[j];
      if (q < p)
      {
        continue; // paired from q's side
      }
      const std::uint8_t opposite = static_cast<std::uint8_t>(k - 1 - m_Class[j]);
      const auto         begin = m_Class.begin() + static_cast<std::ptrdiff_t>(m_RowStart[q]);
      const auto         end = m_Class.begin() + static_cast<std::ptrdiff_t>(m_RowStart[q + 1]);
      const auto         found = std::lower_bound(begin, end, opposite);
      if (found == end || *found != opposite || m_Neighbour[found - m_Class.begin()] != p)
      {
        throw Error("neighbourhood", "neighbour lists are not symmetric");
      }
      const EdgeIndex forward = e + 2 + static_cast<EdgeIndex>(j - m_RowStart[p]);
      const EdgeIndex backward = firstEdge(q) + 2 + static_cast<EdgeIndex>(found - begin);
      reverse[forward] = backward;
      reverse[backward] = forward;
    }
  }

  // Residual capacities double as the capacities: the algorithm reads the capacity map only to
  // initialise the residuals, so one array serves both (8 bytes per edge saved).
  std::vector<double>                    residual(numberOfEdges);
  std::vector<Edge>                      predecessor(n + 2);
  std::vector<boost::default_color_type> color(n + 2);
  std::vector<long>                      distance(n + 2);
  const auto                             vertexIndex = boost::get(boost::vertex_index, graph);
  const auto residualMap = boost::make_iterator_property_map(residual.data(), boost::get(boost::edge_index, graph));
  const boost::function_property_map<ReverseEdge, Edge, Edge> reverseMap(ReverseEdge{ &graph, reverse.data() });
  const auto predecessorMap = boost::make_iterator_property_map(predecessor.data(), vertexIndex);
  const auto colorMap = boost::make_iterator_property_map(color.data(), vertexIndex);
  const auto distanceMap = boost::make_iterator_property_map(distance.data(), vertexIndex);

  std::vector<double>     linear(n);
  std::vector<double>     alphaUnary(n);
  std::vector<double>     currentUnary(n);
  for (size_t p = 0; p < n; ++p)
  {
    currentUnary[p] = Unary(static_cast<NodeId>(p), labels[p]);
  }
  std::vector<LabelPixel> proposal(n);
  double                  energy = Energy(labels);
  const size_t            movesPerCycle = candidates.size();
  size_t                  movesWithoutImprovement = 0;
  unsigned int            cycles = 0;
  for (unsigned int cycle = 0; cycle < maximumIterations && movesWithoutImprovement < movesPerCycle; ++cycle)
  {
    for (size_t a = 0; a < movesPerCycle && movesWithoutImprovement < movesPerCycle; ++a)
    {
      const LabelPixel alpha = candidates[a];
      // Binary move: x_p = 0 keeps l_p, x_p = 1 takes alpha; a node on the sink side of the cut
      // has x_p = 1. Unary: linear[p] = E_p(1) - E_p(0). Pairs (Kolmogorov & Zabih 2004):
      // A = E(0,0), B = E(0,1), C = E(1,0), D = E(1,1) = 0; linear[p] += C - A,
      // linear[q] += D - C, edge p->q gets B + C - A - D >= 0 (Potts is a metric), q->p gets 0.
      // Nodes already labelled alpha end up with no capacity at all (isolated, never searched).
      for (size_t p = 0; p < n; ++p)
      {
        alphaUnary[p] = Unary(static_cast<NodeId>(p), alpha);
        linear[p] = alphaUnary[p] - currentUnary[p];
      }
      for (size_t p = 0; p < n; ++p)
      {
        const LabelPixel lp = labels[p];
        const EdgeIndex  e0 = firstEdge(p) + 2;
        for (auto j = m_RowStart[p]; j < m_RowStart[p + 1]; ++j)
        {
          const NodeId q = m_Neighbour[j];
          if (q < p)
          {
            continue; // set as the reverse of q->p
          }
          const double     w = m_PairCost[m_Class[j]];
          const LabelPixel lq = labels[q];
          const double     A = lp != lq ? w : 0.0;
          const double     B = lp != alpha ? w : 0.0;
          const double     C = alpha != lq ? w : 0.0;
          const EdgeIndex  e = e0 + static_cast<EdgeIndex>(j - m_RowStart[p]);
          linear[p] += C - A;
          linear[q] -= C;
          residual[e] = B + C - A;
          residual[reverse[e]] = 0.0;
        }
      }
      for (size_t p = 0; p < n; ++p)
      {
        const EdgeIndex e = firstEdge(p);
        residual[e] = 0.0;                                              // p->s
        residual[e + 1] = linear[p] < 0.0 ? -linear[p] : 0.0;           // p->t: paid when p keeps l_p
        residual[sourceEdges + p] = linear[p] > 0.0 ? linear[p] : 0.0;  // s->p: paid when p takes alpha
        residual[sinkEdges + p] = 0.0;                                  // t->p
      }
      boost::boykov_kolmogorov_max_flow(graph, residualMap, residualMap, reverseMap, predecessorMap, colorMap,
                                        distanceMap, vertexIndex, source, sink);
      // Nodes in the sink's search tree take alpha; free nodes keep their label (both splits
      // are minimum cuts; this one changes fewer labels).
      size_t changed = 0;
      for (size_t p = 0; p < n; ++p)
      {
        const bool take = color[p] == boost::color_traits<boost::default_color_type>::white();
        proposal[p] = take ? alpha : labels[p];
        changed += proposal[p] != labels[p];
      }
      bool accepted = false;
      if (changed > 0)
      {
        const double proposed = Energy(proposal);
        if (proposed < energy - 1e-12 * (1.0 + std::abs(energy)))
        {
          for (size_t p = 0; p < n; ++p)
          {
            if (proposal[p] != labels[p])
            {
              currentUnary[p] = alphaUnary[p];
            }
          }
          labels.swap(proposal);
          energy = proposed;
          accepted = true;
        }
      }
      // An accepted move leaves a labelling that the same alpha cannot improve: the search has
      // converged once every candidate has been tried on it (movesPerCycle moves in a row,
      // counting the accepted one), which may end before a full cycle does.
      movesWithoutImprovement = accepted ? 1 : movesWithoutImprovement + 1;
      if (progress)
      {
        progress(static_cast<double>(cycle * movesPerCycle + a + 1) /
                 static_cast<double>(maximumIterations * movesPerCycle));
      }
    }
    cycles = cycle + 1;
  }
  return cycles;
}
} // namespace tessera
