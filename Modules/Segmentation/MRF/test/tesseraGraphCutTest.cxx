#include "tesseraGraphCut.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/boykov_kolmogorov_max_flow.hpp>

#include "tesseraError.h"

namespace
{
using tessera::GraphCut;
using NodeId = std::uint32_t;

/** A graph given as undirected pairs {p, q, capacity p->q, capacity q->p} plus signed terminal capacities. */
struct Pair
{
  NodeId p;
  NodeId q;
  double forward;
  double backward;
};
struct Problem
{
  std::size_t         nodes = 0;
  std::vector<Pair>   pairs;
  std::vector<double> terminal; // > 0: source->p, < 0: p->sink
};

/** A problem's arcs in compressed rows, each node's in the order the pairs list them. */
struct Rows
{
  std::vector<std::uint64_t> rowStart{ 0 };
  std::vector<NodeId>        heads;
  std::vector<double>        capacities;
};
Rows
MakeRows(const Problem & problem)
{
  std::vector<std::vector<std::pair<NodeId, double>>> arcs(problem.nodes);
  for (const Pair & e : problem.pairs)
  {
    arcs[e.p].emplace_back(e.q, e.forward);
    arcs[e.q].emplace_back(e.p, e.backward);
  }
  Rows rows;
  for (const auto & row : arcs)
  {
    for (const auto & arc : row)
    {
      rows.heads.push_back(arc.first);
      rows.capacities.push_back(arc.second);
    }
    rows.rowStart.push_back(rows.heads.size());
  }
  return rows;
}

/** Our graph of a problem, on its rows (which it refers to). */
template <typename T>
GraphCut<T>
Build(const Rows & rows, const Problem & problem)
{
  GraphCut<T> graph(rows.rowStart, rows.heads);
  for (std::size_t a = 0; a < rows.heads.size(); ++a)
  {
    graph.SetArcCapacity(static_cast<NodeId>(a), static_cast<T>(rows.capacities[a]));
  }
  for (NodeId p = 0; p < problem.nodes; ++p)
  {
    graph.SetTerminalCapacity(p, static_cast<T>(problem.terminal[p]));
  }
  return graph;
}

using Tree = GraphCut<double>::Tree;
/** Each node's tree (float's enum read as double's, to compare both with one list). */
template <typename T>
std::vector<Tree>
Trees(const GraphCut<T> & graph)
{
  std::vector<Tree> trees;
  for (NodeId p = 0; p < graph.GetNumberOfNodes(); ++p)
  {
    trees.push_back(static_cast<Tree>(graph.GetTree(p)));
  }
  return trees;
}

/** Boost.Graph's Boykov-Kolmogorov max-flow on the same problem: the flow and each node's tree. */
std::pair<double, std::vector<Tree>>
BoostMaximumFlow(const Problem & problem)
{
  using Traits = boost::adjacency_list_traits<boost::vecS, boost::vecS, boost::directedS>;
  struct VertexProperties
  {
    boost::default_color_type color;
    Traits::edge_descriptor   predecessor;
    long                      distance;
  };
  struct EdgeProperties
  {
    double                  capacity;
    double                  residual;
    Traits::edge_descriptor reverse;
  };
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, VertexProperties, EdgeProperties>;
  const std::size_t n = problem.nodes;
  Graph             g(n + 2);
  const auto        addPair = [&](std::size_t p, std::size_t q, double forward, double backward) {
    const auto e = boost::add_edge(p, q, g).first;
    const auto r = boost::add_edge(q, p, g).first;
    g[e].capacity = forward;
    g[r].capacity = backward;
    g[e].reverse = r;
    g[r].reverse = e;
  };
  for (const Pair & e : problem.pairs)
  {
    addPair(e.p, e.q, e.forward, e.backward);
  }
  for (std::size_t p = 0; p < n; ++p)
  {
    addPair(n, p, std::max(problem.terminal[p], 0.0), 0.0);
    addPair(p, n + 1, std::max(-problem.terminal[p], 0.0), 0.0);
  }
  const double flow = boost::boykov_kolmogorov_max_flow(
    g, boost::get(&EdgeProperties::capacity, g), boost::get(&EdgeProperties::residual, g),
    boost::get(&EdgeProperties::reverse, g), boost::get(&VertexProperties::predecessor, g),
    boost::get(&VertexProperties::color, g), boost::get(&VertexProperties::distance, g),
    boost::get(boost::vertex_index, g), n, n + 1);
  using Color = boost::color_traits<boost::default_color_type>;
  std::vector<Tree> trees;
  for (std::size_t p = 0; p < n; ++p)
  {
    const auto c = g[p].color;
    trees.push_back(c == Color::black() ? Tree::Source : c == Color::white() ? Tree::Sink : Tree::Free);
  }
  return { flow, trees };
}

/** A W x H 4-connected grid; capacities integers in [0, 10] (about a fifth 0) when integral, else uniform in [0, 10). */
Problem
RandomGrid(unsigned int width, unsigned int height, bool integral, std::mt19937 & random)
{
  std::uniform_real_distribution<double> uniform(0.0, 10.0);
  std::uniform_int_distribution<int>     integer(-3, 10);
  const auto draw = [&]() { return integral ? std::max(integer(random), 0) : uniform(random); };
  Problem problem;
  problem.nodes = std::size_t(width) * height;
  for (unsigned int y = 0; y < height; ++y)
  {
    for (unsigned int x = 0; x < width; ++x)
    {
      const NodeId p = y * width + x;
      if (x + 1 < width)
      {
        problem.pairs.push_back({ p, p + 1, draw(), draw() });
      }
      if (y + 1 < height)
      {
        problem.pairs.push_back({ p, p + width, draw(), draw() });
      }
      problem.terminal.push_back(draw() - draw());
    }
  }
  return problem;
}

TEST(GraphCut, DiamondByHand)
{
  // s->0: 4, s->1: 3, 2->t: 5, 3->t: 2; 0->2: 2, 0->3: 3, 1->2: 2, 1->3: 1, 0->1: 1. Node 2 takes at most 2 + 2 and
  // node 3 at most 2 (its sink arc): the cut {s, 0, 1, 3} | {2, t} of 2 + 2 + 2 = 6 is minimum. In the residual
  // graph 1 is reached from s (3 - 2 used), 3 from 1, 0 from 3 (the reverse of the 2 units on 0->3); only 2 still
  // reaches t (5 - 4 left).
  const Problem problem{ 4, { { 0, 2, 2, 0 }, { 0, 3, 3, 0 }, { 1, 2, 2, 0 }, { 1, 3, 1, 0 }, { 0, 1, 1, 0 } },
                        { 4, 3, -5, -2 } };
  const Rows rows = MakeRows(problem);
  auto       graph = Build<double>(rows, problem);
  EXPECT_EQ(graph.ComputeMaximumFlow(), 6.0);
  EXPECT_EQ(Trees(graph), (std::vector<Tree>{ Tree::Source, Tree::Source, Tree::Sink, Tree::Source }));
  EXPECT_EQ(graph.GetTerminalResidual(0) + graph.GetTerminalResidual(1), 1.0);
  EXPECT_EQ(graph.GetTerminalResidual(2), -1.0);
  EXPECT_EQ(graph.GetTerminalResidual(3), 0.0);
}

TEST(GraphCut, ZeroArcsAndIsolatedNodesStayFree)
{
  // s->0: 2, 0->1: 3, 1->2: 1, 2->t: 1: one unit flows and saturates 1->2 and 2->t, so 2 is on neither side. Node 3
  // has no arcs at all; node 4 has a sink arc of 7 but only zero-capacity arcs to 1 and 2, so nothing reaches it.
  const Problem problem{ 5, { { 0, 1, 3, 0 }, { 1, 2, 1, 0 }, { 1, 4, 0, 0 }, { 2, 4, 0, 0 } }, { 2, 0, -1, 0, -7 } };
  const Rows rows = MakeRows(problem);
  for (int precision = 0; precision < 2; ++precision)
  {
    const auto check = [&](auto graph) {
      EXPECT_EQ(graph.ComputeMaximumFlow(), 1.0);
      EXPECT_EQ(Trees(graph), (std::vector<Tree>{ Tree::Source, Tree::Source, Tree::Free, Tree::Free, Tree::Sink }));
      EXPECT_EQ(graph.GetArcResidual(graph.FirstArc(1) + 1), 0.0); // 1->2 saturated
      EXPECT_EQ(graph.GetArcResidual(graph.FirstArc(2)), 1.0);     // 2->1 carries it back
    };
    precision == 0 ? check(Build<double>(rows, problem)) : check(Build<float>(rows, problem));
  }
  // No capacity at all: no flow, every node free.
  Problem empty = problem;
  empty.terminal.assign(5, 0.0);
  auto graph = Build<double>(rows, empty);
  EXPECT_EQ(graph.ComputeMaximumFlow(), 0.0);
  EXPECT_EQ(Trees(graph), std::vector<Tree>(5, Tree::Free));
}

TEST(GraphCut, ParallelArcsPairInOrder)
{
  // Two arcs 0->1 (3 and 4) with reverses 1->0 (0 and 0): together they carry min(7, sink 10) = 7.
  const std::vector<std::uint64_t> rowStart = { 0, 2, 4 };
  const std::vector<NodeId>        heads = { 1, 1, 0, 0 };
  GraphCut<double>                 graph(rowStart, heads);
  EXPECT_EQ(graph.GetSister(0), 2u);
  EXPECT_EQ(graph.GetSister(1), 3u);
  EXPECT_EQ(graph.GetHead(3), 0u);
  graph.SetArcCapacity(0, 3);
  graph.SetArcCapacity(1, 4);
  graph.SetTerminalCapacity(0, 20);
  graph.SetTerminalCapacity(1, -10);
  EXPECT_EQ(graph.ComputeMaximumFlow(), 7.0);
  EXPECT_EQ(Trees(graph), (std::vector<Tree>{ Tree::Source, Tree::Sink }));
}

TEST(GraphCut, RejectsMalformedGraphs)
{
  EXPECT_THROW(GraphCut<float>({}, {}), tessera::Error);
  EXPECT_THROW(GraphCut<float>({ 0, 1 }, {}), tessera::Error);         // last row start != arcs
  EXPECT_THROW(GraphCut<float>({ 0, 1, 1 }, { 0 }), tessera::Error);   // self-loop
  EXPECT_THROW(GraphCut<float>({ 0, 1, 1 }, { 1 }), tessera::Error);   // 0->1 without 1->0
  EXPECT_THROW(GraphCut<float>({ 0, 1, 2 }, { 2, 0 }), tessera::Error); // head out of range
  EXPECT_THROW(GraphCut<float>({ 0, 2, 1, 3 }, { 1, 2, 0 }), tessera::Error); // descending
  EXPECT_NO_THROW(GraphCut<float>({ 0, 0, 0 }, {}));
}

TEST(GraphCut, SameFlowAndTreesAsBoostOnIntegerGrids)
{
  // Integer capacities make every flow exact, and the trees are the sets reachable from the source and reaching the
  // sink in the residual graph, the same for every maximum flow: they must match Boost's exactly.
  std::mt19937 random(15);
  std::size_t  count[3] = { 0, 0, 0 }; // nodes per tree over all trials
  for (int trial = 0; trial < 20; ++trial)
  {
    const Problem problem = RandomGrid(3 + trial % 7, 2 + trial * 3 % 11, true, random);
    const auto    expected = BoostMaximumFlow(problem);
    const Rows    rows = MakeRows(problem);
    auto          graph = Build<double>(rows, problem);
    EXPECT_EQ(graph.ComputeMaximumFlow(), expected.first) << trial;
    EXPECT_EQ(Trees(graph), expected.second) << trial;
    auto single = Build<float>(rows, problem);
    EXPECT_EQ(single.ComputeMaximumFlow(), expected.first) << trial; // small integers are exact in float too
    EXPECT_EQ(Trees(single), expected.second) << trial;
    for (const Tree tree : expected.second)
    {
      ++count[static_cast<int>(tree)];
    }
  }
  // The cases cover all three outcomes.
  EXPECT_GT(count[static_cast<int>(Tree::Free)], 10u);
  EXPECT_GT(count[static_cast<int>(Tree::Source)], 100u);
  EXPECT_GT(count[static_cast<int>(Tree::Sink)], 100u);
}

TEST(GraphCut, SameFlowAsBoostOnRealGrids)
{
  std::mt19937 random(13);
  for (int trial = 0; trial < 10; ++trial)
  {
    const Problem problem = RandomGrid(20 + trial, 30 - trial, false, random);
    const double  expected = BoostMaximumFlow(problem).first;
    ASSERT_GT(expected, 100.0);
    const Rows rows = MakeRows(problem);
    auto       graph = Build<double>(rows, problem);
    EXPECT_NEAR(graph.ComputeMaximumFlow(), expected, 1e-9 * expected) << trial;
    auto single = Build<float>(rows, problem);
    EXPECT_NEAR(single.ComputeMaximumFlow(), expected, 1e-5 * expected) << trial;
  }
}

TEST(GraphCut, SecondFlowOnResidualsAddsNothing)
{
  std::mt19937  random(7);
  const Problem problem = RandomGrid(12, 9, true, random);
  const Rows    rows = MakeRows(problem);
  auto          graph = Build<double>(rows, problem);
  const double  flow = graph.ComputeMaximumFlow();
  const auto    trees = Trees(graph);
  EXPECT_GT(flow, 0.0);
  EXPECT_EQ(graph.ComputeMaximumFlow(), 0.0);
  EXPECT_EQ(Trees(graph), trees);
}
} // namespace
