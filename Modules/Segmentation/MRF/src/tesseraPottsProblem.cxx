#include "tesseraPottsProblem.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <ostream>
#include <utility>

#include "tesseraError.h"
#include "tesseraGraphCut.h"
#include "tesseraParallelRanges.h"

namespace tessera
{
namespace
{
/** Runs f(begin, end) over contiguous ranges of [0, n) on ITK's threads: for passes whose nodes are independent. */
template <typename F>
void
InParallel(size_t n, F && f)
{
  ParallelRanges(n, WorkUnits(n, 0, 65536), [&](size_t begin, size_t end, unsigned int) { f(begin, end); });
}
} // namespace

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
  // Greedy colouring: the smallest colour none of the neighbours added before has (at most count + 1 colours).
  const auto   id = static_cast<NodeId>(m_Pixel.size());
  std::uint64_t taken[4] = {};
  for (unsigned int i = 0; i < count; ++i)
  {
    if (neighbours[i] < id)
    {
      const std::uint8_t c = m_Colour[neighbours[i]];
      taken[c / 64] |= std::uint64_t{ 1 } << (c % 64);
    }
  }
  unsigned int colour = 0;
  while (taken[colour / 64] >> (colour % 64) & 1u)
  {
    ++colour;
  }
  m_Colour.push_back(static_cast<std::uint8_t>(colour));
  m_Pixel.push_back(pixel);
  m_Neighbour.insert(m_Neighbour.end(), neighbours, neighbours + count);
  m_Class.insert(m_Class.end(), classes, classes + count);
  m_RowStart.push_back(m_Neighbour.size());
  return static_cast<NodeId>(m_Pixel.size() - 1);
}

void
PottsProblem::SetGraph(UninitializedVector<std::uint64_t> pixel, UninitializedVector<std::uint64_t> rowStart,
                       UninitializedVector<NodeId> neighbours, UninitializedVector<std::uint8_t> classes,
                       UninitializedVector<std::uint8_t> colours)
{
  const size_t n = pixel.size();
  if (n >= std::numeric_limits<NodeId>::max() - 2)
  {
    throw Error("mask", "more than 2^32 - 3 pixels inside; too large for one graph");
  }
  if (rowStart.size() != n + 1 || colours.size() != n || rowStart.front() != 0 ||
      rowStart.back() != neighbours.size() || classes.size() != neighbours.size())
  {
    throw Error("graph", "pixel, row start, neighbour, class and colour arrays disagree in size");
  }
  const size_t k = m_PairCost.size();
  const auto   faults = BlockSums(n, 1, 0, [&](size_t begin, size_t end, std::vector<double> & partial) {
    for (size_t p = begin; p < end; ++p)
    {
      if (rowStart[p + 1] < rowStart[p] || rowStart[p + 1] > neighbours.size())
      {
        ++partial[0];
        continue;
      }
      for (auto j = rowStart[p]; j < rowStart[p + 1]; ++j)
      {
        const bool bad = classes[j] >= k ||
                         (j > rowStart[p] && classes[j] <= classes[j - 1]) || neighbours[j] >= n ||
                         colours[neighbours[j]] == colours[p];
        partial[0] += bad;
        if (bad)
        {
          break;
        }
      }
    }
  });
  if (faults[0] > 0)
  {
    throw Error("graph", "a row start, neighbour id or class is invalid, classes do not increase, or neighbours share "
                         "a colour");
  }
  m_Pixel = std::move(pixel);
  m_RowStart = std::move(rowStart);
  m_Neighbour = std::move(neighbours);
  m_Class = std::move(classes);
  m_Colour = std::move(colours);
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
  InParallel(labels.size(), [&](size_t begin, size_t end) {
    for (size_t p = begin; p < end; ++p)
    {
      const float * v = m_Probabilities + m_Pixel[p] * m_NumberOfComponents;
      labels[p] = static_cast<LabelPixel>(std::max_element(v, v + m_NumberOfComponents) - v);
    }
  });
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
  // Summed by blocks in a fixed order: the same value on any number of threads. partial[2] counts labels without
  // a component, checked before the sum is used.
  const auto sums = BlockSums(n, 3, 0, [&](size_t begin, size_t end, std::vector<double> & partial) {
    for (size_t p = begin; p < end; ++p)
    {
      if (labels[p] >= m_NumberOfComponents)
      {
        ++partial[2];
        continue;
      }
      partial[0] += Unary(static_cast<NodeId>(p), labels[p]);
      for (auto j = m_RowStart[p]; j < m_RowStart[p + 1]; ++j)
      {
        const NodeId q = m_Neighbour[j];
        if (q > p && labels[q] != labels[p])
        {
          partial[1] += m_PairCost[m_Class[j]];
        }
      }
    }
  });
  if (sums[2] > 0)
  {
    const LabelPixel bad = *std::find_if(labels.begin(), labels.end(), [&](LabelPixel l) { return l >= m_NumberOfComponents; });
    throw Error("labels", "label " + std::to_string(bad) + " has no probability component (" +
                            std::to_string(m_NumberOfComponents) + " components)");
  }
  return sums[0] + sums[1];
}

template <typename T>
UninitializedVector<T>
PottsProblem::UnaryTable(const std::vector<LabelPixel> & candidates) const
{
  const size_t   n = GetNumberOfNodes();
  const size_t   k = candidates.size();
  UninitializedVector<T> unary(n * k);
  const T        epsilon = static_cast<T>(m_Epsilon);
  InParallel(n, [&](size_t begin, size_t end) {
    for (size_t p = begin; p < end; ++p)
    {
      for (size_t i = 0; i < k; ++i)
      {
        const T probability = m_Probabilities[m_Pixel[p] * m_NumberOfComponents + candidates[i]];
        unary[p * k + i] = -std::log(std::max(probability, epsilon));
      }
    }
  });
  return unary;
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
  // Each -log once, not once per sweep.
  const size_t              k = candidates.size();
  const auto unary = UnaryTable<double>(candidates);
  // The nodes grouped by colour (counting sort: raster order within a colour).
  std::vector<size_t> colourStart(257, 0);
  for (const std::uint8_t c : m_Colour)
  {
    ++colourStart[c + 1];
  }
  std::partial_sum(colourStart.begin(), colourStart.end(), colourStart.begin());
  std::vector<NodeId> order(n);
  {
    std::vector<size_t> next(colourStart.begin(), colourStart.end() - 1);
    for (size_t p = 0; p < n; ++p)
    {
      order[next[m_Colour[p]]++] = static_cast<NodeId>(p);
    }
  }
  // Moves the nodes order[begin, end) of one colour; partial[0] counts the changes.
  const auto move = [&](size_t begin, size_t end, std::vector<double> & partial) {
    std::vector<double> agree(k);
    for (size_t i = begin; i < end; ++i)
    {
      const NodeId p = order[i];
      // Local energy of label c: Unary(p, c) + total - agree[c], where total is the cost of all
      // of p's pairs and agree[c] that of the pairs whose other end has label c.
      std::fill(agree.begin(), agree.end(), 0.0);
      double total = 0.0;
      double agreeCurrent = 0.0;
      for (auto j = m_RowStart[p]; j < m_RowStart[p + 1]; ++j)
      {
        const double     cost = m_PairCost[m_Class[j]];
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
      const int    own = slot[labels[p]];
      const double current = (own >= 0 ? unary[p * k + own] : Unary(p, labels[p])) + total - agreeCurrent;
      double       best = current;
      LabelPixel   bestLabel = labels[p];
      for (size_t c = 0; c < k; ++c)
      {
        const double e = unary[p * k + c] + total - agree[c];
        if (e < best)
        {
          best = e;
          bestLabel = candidates[c];
        }
      }
      // A strict decrease beyond rounding noise, so that ICM cannot cycle.
      if (bestLabel != labels[p] && best < current - 1e-12 * (1.0 + std::abs(current)))
      {
        labels[p] = bestLabel;
        ++partial[0];
      }
    }
  };
  unsigned int sweeps = 0;
  for (unsigned int iteration = 0; iteration < maximumIterations; ++iteration)
  {
    double changed = 0;
    for (size_t c = 0; c + 1 < colourStart.size(); ++c)
    {
      const size_t begin = colourStart[c];
      const size_t count = colourStart[c + 1] - begin;
      if (count)
      {
        changed += BlockSums(count, 1, 0, [&](size_t b, size_t e, std::vector<double> & partial) {
          move(begin + b, begin + e, partial);
        })[0];
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
  for (const LabelPixel l : labels)
  {
    if (l >= m_NumberOfComponents)
    {
      throw Error("initial labels", "label " + std::to_string(l) + " has no probability component (" +
                                      std::to_string(m_NumberOfComponents) + " components)");
    }
  }
  // -log(max(p, epsilon)) of every candidate at every node, once (not once per move); float suffices for capacities,
  // while energies are summed in double from Unary(). slot[label] = its column, or -1 for labels that are not
  // candidates (an initial label may be one), whose unaries are computed where needed.
  const size_t     k = candidates.size();
  std::vector<int> slot(m_NumberOfComponents, -1);
  for (size_t i = 0; i < k; ++i)
  {
    slot.at(candidates[i]) = static_cast<int>(i);
  }
  const auto unary = UnaryTable<float>(candidates); // float's log: half the time of double's
  const std::vector<float> pairCost(m_PairCost.begin(), m_PairCost.end());
  // Fixing (below) needs a gain beyond float rounding of the sums it compares: 1e-4 of the largest sum of pairs.
  const float allPairs = std::accumulate(pairCost.begin(), pairCost.end(), 0.0f);
  const float margin = 1e-4f * (1.0f + allPairs);
  const auto  currentUnary = [&](size_t p, LabelPixel label) {
    return slot[label] >= 0 ? unary[p * k + slot[label]] : static_cast<float>(Unary(static_cast<NodeId>(p), label));
  };

  // Per move: whether a node's move is known (see below), its bound, and for free nodes their id in the move's
  // graph, which holds the free nodes only: freeNodes[i] is node i of the graph, rowStart and heads its arcs (the
  // pairs between free nodes), capacity and terminal their capacities.
  std::vector<std::uint8_t>  fixed(n);
  std::vector<float>         bound(n); // lowest E_p(1) - E_p(0) of a free node, its pairs included
  std::vector<NodeId>        stack;
  std::vector<NodeId>        localOf(n);
  std::vector<NodeId>        freeNodes;
  std::vector<std::uint64_t> rowStart;
  std::vector<NodeId>        heads;
  std::vector<float>         capacity;
  std::vector<float>         terminal;
  // Moves must lower the energy by more than rounding: 1e-12 of its unary part, summed from the table.
  const double unarySum = BlockSums(n, 1, 0, [&](size_t begin, size_t end, std::vector<double> & sum) {
    for (size_t p = begin; p < end; ++p)
    {
      sum[0] += currentUnary(p, labels[p]);
    }
  })[0];
  const double tolerance = 1e-12 * (1.0 + unarySum);
  size_t       movesWithoutImprovement = 0;
  unsigned int cycles = 0;
  for (unsigned int cycle = 0; cycle < maximumIterations && movesWithoutImprovement < k; ++cycle)
  {
    for (size_t a = 0; a < k && movesWithoutImprovement < k; ++a)
    {
      const LabelPixel alpha = candidates[a];
      // Binary move: x_p = 0 keeps l_p, x_p = 1 takes alpha; a node on the sink side of the cut has x_p = 1.
      // Fixed nodes first: a node labelled alpha is the same either way, and a node whose unary loss from alpha
      // exceeds what all its pairs could gain (E_p(1) - E_p(0) > the sum of the K pair costs, a node's most) keeps
      // its label in every minimum cut, whatever its neighbours do. Fixing them leaves the family of minimum cuts,
      // hence the sink tree, unchanged; they get no capacity (isolated, never searched), and their pairs become
      // unary terms of their free neighbours. On a brain this leaves 8-38 % of the nodes free; the pass below
      // tightens it.
      InParallel(n, [&](size_t begin, size_t end) {
        for (size_t p = begin; p < end; ++p)
        {
          const LabelPixel lp = labels[p];
          const bool       fix = lp == alpha || unary[p * k + a] - currentUnary(p, lp) > allPairs + margin;
          fixed[p] = fix;
        }
      });
      // Then with the bounds that fixing tightens: a free node whose gain cannot pay for its pairs with free
      // neighbours, given what its fixed neighbours cost or save it, keeps its label in every minimum cut of what is
      // left. In node order, each node's lowest E_p(1) - E_p(0) is summed once; fixing a node raises the bounds of
      // its free neighbours already summed by what their pair with it now costs instead of the worst case -w, which
      // may fix them in turn (a stack): the least fixed point that repeated passes would reach. On a brain this
      // leaves 0.5-7 % of the nodes free.
      const auto pairGain = [&](size_t p, NodeId q, float w) { // E(1) - E(0) of the pair with q fixed
        return (alpha != labels[q] ? w : 0.0f) - (labels[p] != labels[q] ? w : 0.0f);
      };
      for (size_t p = 0; p < n; ++p)
      {
        if (fixed[p])
        {
          continue;
        }
        float sum = unary[p * k + a] - currentUnary(p, labels[p]);
        for (auto j = m_RowStart[p]; j < m_RowStart[p + 1]; ++j)
        {
          const float w = pairCost[m_Class[j]];
          sum += fixed[m_Neighbour[j]] ? pairGain(p, m_Neighbour[j], w) : -w;
        }
        bound[p] = sum;
        if (sum <= margin)
        {
          continue;
        }
        fixed[p] = 1;
        stack.assign(1, static_cast<NodeId>(p));
        while (!stack.empty())
        {
          const NodeId r = stack.back();
          stack.pop_back();
          for (auto j = m_RowStart[r]; j < m_RowStart[r + 1]; ++j)
          {
            const NodeId q = m_Neighbour[j];
            if (q >= p || fixed[q]) // not summed yet, or fixed
            {
              continue;
            }
            const float w = pairCost[m_Class[j]];
            bound[q] += pairGain(q, r, w) + w;
            if (bound[q] > margin)
            {
              fixed[q] = 1;
              stack.push_back(q);
            }
          }
        }
      }
      // The graph of the free nodes. A free node's terminal residual is E_p(1) - E_p(0) plus its share of its pairs
      // (> 0: paid to the source when p takes alpha; < 0: paid to the sink when it keeps l_p). A pair with a fixed q
      // (whose label stays l'_q) adds E(1) - E(0) = w [alpha != l'_q] - w [l_p != l'_q] to p. A free pair p < q
      // (Kolmogorov & Zabih, PAMI 26(2), 2004): A = E(0,0), B = E(0,1), C = E(1,0), D = E(1,1) = 0; p gets C - A,
      // q gets D - C, arc p->q B + C - A - D >= 0 (Potts is a metric), q->p 0.
      freeNodes.clear();
      for (size_t p = 0; p < n; ++p)
      {
        if (!fixed[p])
        {
          localOf[p] = static_cast<NodeId>(freeNodes.size());
          freeNodes.push_back(static_cast<NodeId>(p));
        }
      }
      size_t arcs = 0; // at most: the free nodes' pairs, those with fixed nodes included
      for (const NodeId p : freeNodes)
      {
        arcs += m_RowStart[p + 1] - m_RowStart[p];
      }
      rowStart.assign(1, 0);
      heads.clear();
      capacity.clear();
      terminal.clear();
      heads.reserve(arcs); // not doubling as they grow
      capacity.reserve(arcs);
      rowStart.reserve(freeNodes.size() + 1);
      terminal.reserve(freeNodes.size());
      for (const NodeId p : freeNodes)
      {
        const LabelPixel lp = labels[p];
        float            linear = unary[p * k + a] - currentUnary(p, lp);
        for (auto j = m_RowStart[p]; j < m_RowStart[p + 1]; ++j)
        {
          const NodeId     q = m_Neighbour[j];
          const LabelPixel lq = labels[q];
          const float      w = pairCost[m_Class[j]];
          if (fixed[q])
          {
            linear += (alpha != lq ? w : 0.0f) - (lp != lq ? w : 0.0f);
            continue;
          }
          float arc = 0.0f;
          if (q > p)
          {
            const float A = lp != lq ? w : 0.0f;
            const float C = alpha != lq ? w : 0.0f;
            linear += C - A;
            arc = w + C - A; // B = w: p is free, so lp != alpha
          }
          else
          {
            linear -= w; // D - C of the free pair (q, p)
          }
          heads.push_back(localOf[q]);
          capacity.push_back(arc);
        }
        rowStart.push_back(heads.size());
        terminal.push_back(linear);
      }
      GraphCut<float> graph(rowStart, heads);
      for (size_t i = 0; i < heads.size(); ++i)
      {
        graph.SetArcCapacity(static_cast<GraphCut<float>::ArcId>(i), capacity[i]);
      }
      for (size_t i = 0; i < freeNodes.size(); ++i)
      {
        graph.SetTerminalCapacity(static_cast<NodeId>(i), terminal[i]);
      }
      graph.ComputeMaximumFlow();

      // Nodes in the sink's search tree take alpha; free nodes keep their label (both splits are minimum cuts; this
      // one changes fewer labels). The energy change is summed in double over the changed nodes and their pairs.
      const auto changes = [&](NodeId p) { // only free nodes can (fixed ones are not in the graph)
        return !fixed[p] && graph.GetTree(localOf[p]) == GraphCut<float>::Tree::Sink;
      };
      const auto sums = BlockSums(freeNodes.size(), 2, 0, [&](size_t begin, size_t end, std::vector<double> & partial) {
        for (size_t i = begin; i < end; ++i)
        {
          const NodeId p = freeNodes[i];
          if (!changes(p))
          {
            continue;
          }
          const LabelPixel lp = labels[p];
          double           delta = Unary(p, alpha) - Unary(p, lp);
          for (auto j = m_RowStart[p]; j < m_RowStart[p + 1]; ++j)
          {
            const NodeId     q = m_Neighbour[j];
            const LabelPixel lq = labels[q];
            const double     w = m_PairCost[m_Class[j]];
            if (!changes(q))
            {
              delta += (alpha != lq ? w : 0.0) - (lp != lq ? w : 0.0);
            }
            else if (q > p) // both change (the pair once): it ends equal
            {
              delta -= lp != lq ? w : 0.0;
            }
          }
          partial[0] += delta;
          partial[1] += 1.0;
        }
      });
      const double delta = sums[0];
      const size_t changed = static_cast<size_t>(sums[1]);
      const bool   accepted = changed > 0 && delta < -tolerance;
      if (accepted)
      {
        for (const NodeId p : freeNodes)
        {
          if (changes(p))
          {
            labels[p] = alpha;
          }
        }
      }
      // An accepted move leaves a labelling that the same alpha cannot improve: the search has
      // converged once every candidate has been tried on it (k moves in a row,
      // counting the accepted one), which may end before a full cycle does.
      movesWithoutImprovement = accepted ? 1 : movesWithoutImprovement + 1;
      if (progress)
      {
        progress(static_cast<double>(cycle * k + a + 1) / static_cast<double>(maximumIterations * k));
      }
    }
    cycles = cycle + 1;
  }
  return cycles;
}
} // namespace tessera
