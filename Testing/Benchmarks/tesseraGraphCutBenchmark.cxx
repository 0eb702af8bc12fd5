// Graph-cut benchmark (not a test: not part of ctest). Times, in process, the alpha-expansion that `tessera segment`
// runs on a MICCAI brain: the Potts problem built as the stage builds it (Gaussian mixture posteriors of the masked
// T1, K = 3, seed 0; smoothness 0.5, face neighbours, epsilon 1e-6), from the argmax labels over the candidate
// labels, up to 20 cycles. Three contenders, interleaved round by round (the first one rotating):
//   boost     the alpha-expansion of commit 1119437, kept here as the reference: Boost.Graph's
//             boykov_kolmogorov_max_flow on a compressed_sparse_row_graph, -log unaries and a full energy per move
//             (Energy() is now threaded, which helps it a little);
//   ours      PottsProblem::SolveAlphaExpansion (GraphCut<float>, fixed nodes left out, energy changes), 2 threads;
//   ours-1t   the same on 1 thread (ITK's global default number of threads).
// One untimed warm-up run each, then --repeats timed runs each. Prints CSV rows
//   subject,method,round,seconds,peak_bytes_per_node,energy,cycles,changed_vs_boost,load1
// (peak_bytes_per_node: the peak resident memory the solver adds, over the number of nodes; changed_vs_boost: nodes
// whose final label differs from the reference's). Exit status 1 if ours ends at a higher energy than the reference.
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <boost/graph/boykov_kolmogorov_max_flow.hpp>
#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <boost/property_map/function_property_map.hpp>

#include "itkMultiThreaderBase.h"
#include "tesseraBenchmarkOptions.h"
#include "tesseraError.h"
#include "tesseraGaussianMixtureImageFilter.h"
#include "tesseraImageUtilities.h"
#include "tesseraPottsMRFImageFilter.h"

namespace
{
constexpr unsigned int D = 3;
using Clock = std::chrono::steady_clock;
using tessera::Error;
using tessera::LabelPixel;
using tessera::PottsProblem;
using NodeId = PottsProblem::NodeId;

struct Options : tessera::benchmark::BrainOptions
{
  unsigned int iterations = 20;
  double       smoothness = 0.5;
};

const char * const Usage =
  "usage: tesseraGraphCutBenchmark [--image T1.nii.gz] [--mask mask.nii.gz] [--subject NAME]\n"
  "         [--repeats N=5] [--iterations CYCLES=20] [--smoothness BETA=0.5]\n";

Options
Parse(int argc, char * argv[])
{
  Options o;
  tessera::benchmark::ReadOptions(argc, argv, Usage, o, [&](const std::string & a, const std::string & v) {
    if (a == "--iterations") o.iterations = std::max(1, std::stoi(v));
    else if (a == "--smoothness") o.smoothness = std::stod(v);
    else return false;
    return true;
  });
  return o;
}

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
/** The alpha-expansion of commit 1119437, the reference: the same moves and tie rule as
 * PottsProblem::SolveAlphaExpansion, on Boost.Graph's max-flow. */
unsigned int
BoostAlphaExpansion(const PottsProblem & problem, std::vector<LabelPixel> & labels,
                    const std::vector<LabelPixel> & candidates, unsigned int maximumIterations)
{
  const size_t n = problem.GetNumberOfNodes();
  if (labels.size() != n)
  {
    throw Error("initial labels", "one label per node expected");
  }
  if (n == 0 || candidates.empty() || maximumIterations == 0)
  {
    return 0;
  }
  const std::uint64_t m = problem.Neighbours().size();
  const std::uint64_t numberOfEdges = m + 4 * static_cast<std::uint64_t>(n);
  if (numberOfEdges >= std::numeric_limits<EdgeIndex>::max())
  {
    throw Error("mask", "too many pixels and neighbours for one graph (" + std::to_string(numberOfEdges) + " edges)");
  }
  const Vertex source = static_cast<Vertex>(n);
  const Vertex sink = source + 1;

  // Structure, built once.
  const Graph graph(boost::edges_are_sorted, SortedEdgeIterator(problem, 0), SortedEdgeIterator(problem, numberOfEdges),
                    static_cast<Vertex>(n + 2), static_cast<EdgeIndex>(numberOfEdges));
  auto firstEdge = [&](size_t p) { return static_cast<EdgeIndex>(problem.RowStart()[p] + 2 * p); };
  const EdgeIndex sourceEdges = static_cast<EdgeIndex>(m + 2 * n);
  const EdgeIndex sinkEdges = static_cast<EdgeIndex>(m + 3 * n);
  std::vector<EdgeIndex> reverse(numberOfEdges);
  const auto             k = static_cast<std::uint8_t>(problem.PairCosts().size());
  for (size_t p = 0; p < n; ++p)
  {
    const EdgeIndex e = firstEdge(p);
    reverse[e] = sourceEdges + static_cast<EdgeIndex>(p);
    reverse[sourceEdges + p] = e;
    reverse[e + 1] = sinkEdges + static_cast<EdgeIndex>(p);
    reverse[sinkEdges + p] = e + 1;
    for (auto j = problem.RowStart()[p]; j < problem.RowStart()[p + 1]; ++j)
    {
      const NodeId q = problem.Neighbours()[j];
      if (q < p)
      {
        continue; // paired from q's side
      }
      const std::uint8_t opposite = static_cast<std::uint8_t>(k - 1 - problem.NeighbourClasses()[j]);
      const auto         begin = problem.NeighbourClasses().begin() + static_cast<std::ptrdiff_t>(problem.RowStart()[q]);
      const auto         end = problem.NeighbourClasses().begin() + static_cast<std::ptrdiff_t>(problem.RowStart()[q + 1]);
      const auto         found = std::lower_bound(begin, end, opposite);
      if (found == end || *found != opposite || problem.Neighbours()[found - problem.NeighbourClasses().begin()] != p)
      {
        throw Error("neighbourhood", "neighbour lists are not symmetric");
      }
      const EdgeIndex forward = e + 2 + static_cast<EdgeIndex>(j - problem.RowStart()[p]);
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
    currentUnary[p] = problem.Unary(static_cast<NodeId>(p), labels[p]);
  }
  std::vector<LabelPixel> proposal(n);
  double                  energy = problem.Energy(labels);
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
        alphaUnary[p] = problem.Unary(static_cast<NodeId>(p), alpha);
        linear[p] = alphaUnary[p] - currentUnary[p];
      }
      for (size_t p = 0; p < n; ++p)
      {
        const LabelPixel lp = labels[p];
        const EdgeIndex  e0 = firstEdge(p) + 2;
        for (auto j = problem.RowStart()[p]; j < problem.RowStart()[p + 1]; ++j)
        {
          const NodeId q = problem.Neighbours()[j];
          if (q < p)
          {
            continue; // set as the reverse of q->p
          }
          const double     w = problem.PairCosts()[problem.NeighbourClasses()[j]];
          const LabelPixel lq = labels[q];
          const double     A = lp != lq ? w : 0.0;
          const double     B = lp != alpha ? w : 0.0;
          const double     C = alpha != lq ? w : 0.0;
          const EdgeIndex  e = e0 + static_cast<EdgeIndex>(j - problem.RowStart()[p]);
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
        const double proposed = problem.Energy(proposal);
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
    }
    cycles = cycle + 1;
  }
  return cycles;
}

/** A field of /proc/self/status, in kB. */
long
StatusKilobytes(const std::string & key)
{
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
  {
    if (line.compare(0, key.size() + 1, key + ":") == 0)
    {
      return std::stol(line.substr(key.size() + 1));
    }
  }
  throw Error("/proc/self/status", "has no " + key);
}

std::string
Load()
{
  std::ifstream in("/proc/loadavg");
  std::string   one;
  in >> one;
  return one;
}

struct Run
{
  double                  seconds = 0.0;
  double                  bytesPerNode = 0.0;
  double                  energy = 0.0;
  unsigned int            cycles = 0;
  std::vector<LabelPixel> labels;
};

Run
Solve(const PottsProblem & problem, int method, unsigned int iterations)
{
  const bool ours = method > 0;
  itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(method == 2 ? 1 : 2);
  Run run;
  run.labels = problem.ArgmaxLabels();
  const auto candidates = problem.CandidateLabels();
  std::ofstream("/proc/self/clear_refs") << "5"; // resets the peak resident size (VmHWM) to the current one
  const long rss = StatusKilobytes("VmRSS");
  const auto t0 = Clock::now();
  run.cycles = ours ? problem.SolveAlphaExpansion(run.labels, candidates, iterations)
                    : BoostAlphaExpansion(problem, run.labels, candidates, iterations);
  run.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  run.bytesPerNode = 1024.0 * static_cast<double>(StatusKilobytes("VmHWM") - rss) /
                     static_cast<double>(problem.GetNumberOfNodes());
  run.energy = problem.Energy(run.labels);
  return run;
}
} // namespace

int
main(int argc, char * argv[])
{
  try
  {
    // Large blocks straight from and back to the kernel, so that each run's peak counts its own allocations.
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    const Options o = Parse(argc, argv);
    const auto    image = tessera::ReadIntensityImage<D>(o.image);
    const auto    mask = tessera::ReadMask<D>(o.mask, image.GetPointer(), o.image);
    auto          gmm = tessera::GaussianMixtureImageFilter<D>::New(); // as `segment` with its defaults
    gmm->SetInput(image);
    gmm->SetMaskImage(mask);
    gmm->SetNumberOfClasses(3);
    gmm->SetSeed(0);
    gmm->SetMaximumNumberOfIterations(100);
    gmm->SetTolerance(1e-3);
    gmm->Update();
    const PottsProblem problem = tessera::MakePottsProblem<D>(gmm->GetOutput(), mask, o.smoothness, false, 1e-6);
    const double       initial = problem.Energy(problem.ArgmaxLabels());
    std::cerr << o.subject << ": " << problem.GetNumberOfNodes() << " nodes, " << problem.GetNumberOfNeighbourPairs()
              << " pairs, initial energy " << std::setprecision(12) << initial << "\n";

    const char * names[] = { "boost", "ours", "ours-1t" };
    const Run    reference = Solve(problem, 0, o.iterations); // warm-up runs
    for (int method = 1; method < 3; ++method)
    {
      const Run warm = Solve(problem, method, o.iterations);
      std::cerr << names[method] << ": energy " << warm.energy << " after " << warm.cycles << " cycles\n";
    }
    std::cerr << "boost: energy " << reference.energy << " after " << reference.cycles << " cycles\n";
    std::cout << std::setprecision(12);
    bool worse = false;
    for (unsigned int r = 0; r < o.repeats; ++r)
    {
      for (unsigned int k = 0; k < 3; ++k)
      {
        const int method = static_cast<int>((k + r) % 3);
        const Run run = Solve(problem, method, o.iterations);
        size_t     changed = 0;
        for (size_t p = 0; p < run.labels.size(); ++p)
        {
          changed += run.labels[p] != reference.labels[p];
        }
        worse = worse || run.energy > reference.energy;
        std::cout << o.subject << "," << names[method] << "," << r << "," << run.seconds << ","
                  << run.bytesPerNode << "," << run.energy << "," << run.cycles << "," << changed << "," << Load()
                  << "\n";
      }
    }
    return worse ? 1 : 0;
  }
  catch (const std::exception & e)
  {
    std::cerr << "tesseraGraphCutBenchmark: " << e.what() << "\n";
    return 1;
  }
}
