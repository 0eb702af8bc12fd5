#include "tesseraPottsProblem.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "tesseraError.h"

namespace
{
using tessera::LabelPixel;
using tessera::PottsProblem;

/** A path of three nodes 0 - 1 - 2 (one neighbour class pair, cost 0.7 per change). */
PottsProblem
Path(const std::vector<float> & probabilities)
{
  PottsProblem                 problem(probabilities.data(), 2, { 0.7, 0.7 });
  const PottsProblem::NodeId   n1[] = { 1 };
  const std::uint8_t           c1[] = { 1 };
  const PottsProblem::NodeId   n2[] = { 0, 2 };
  const std::uint8_t           c2[] = { 0, 1 };
  const PottsProblem::NodeId   n3[] = { 1 };
  const std::uint8_t           c3[] = { 0 };
  problem.AddNode(0, n1, c1, 1);
  problem.AddNode(1, n2, c2, 2);
  problem.AddNode(2, n3, c3, 1);
  return problem;
}

TEST(PottsProblem, EnergyByHand)
{
  const std::vector<float> p = { 0.9f, 0.1f, 0.4f, 0.6f, 0.2f, 0.8f };
  const PottsProblem       problem = Path(p);
  EXPECT_EQ(problem.GetNumberOfNodes(), 3u);
  EXPECT_EQ(problem.GetNumberOfNeighbourPairs(), 2u);
  const double e = problem.Energy({ 0, 1, 1 });
  EXPECT_NEAR(e, -std::log(double(0.9f)) - std::log(double(0.6f)) - std::log(double(0.8f)) + 0.7, 1e-12);
  EXPECT_EQ(problem.ArgmaxLabels(), (std::vector<LabelPixel>{ 0, 1, 1 }));
  EXPECT_EQ(problem.CandidateLabels(), (std::vector<LabelPixel>{ 0, 1 }));
  EXPECT_THROW(problem.Energy({ 0, 2, 1 }), tessera::Error);
}

TEST(PottsProblem, AlphaExpansionFlipsAWeakMiddle)
{
  // The middle prefers 1 weakly (0.45 vs 0.55): two changes (1.4) cost more than -log(0.45/0.55).
  const std::vector<float> p = { 0.9f, 0.1f, 0.45f, 0.55f, 0.9f, 0.1f };
  const PottsProblem       problem = Path(p);
  for (int method = 0; method < 2; ++method)
  {
    std::vector<LabelPixel> labels = problem.ArgmaxLabels();
    if (method == 0)
    {
      problem.SolveICM(labels, problem.CandidateLabels(), 10);
    }
    else
    {
      problem.SolveAlphaExpansion(labels, problem.CandidateLabels(), 10);
    }
    EXPECT_EQ(labels, (std::vector<LabelPixel>{ 0, 0, 0 })) << method;
  }
}

/** A width x height 4-connected grid problem over `probabilities` (components per pixel), classes
 * 0 = up, 1 = left, 2 = right, 3 = down (K - 1 - k is k's opposite), costs vertical and horizontal. */
PottsProblem
Grid(const std::vector<float> & probabilities, unsigned int components, unsigned int width, unsigned int height,
     double vertical, double horizontal)
{
  PottsProblem problem(probabilities.data(), components, { vertical, horizontal, horizontal, vertical });
  for (unsigned int y = 0; y < height; ++y)
  {
    for (unsigned int x = 0; x < width; ++x)
    {
      const PottsProblem::NodeId p = y * width + x;
      std::vector<PottsProblem::NodeId> neighbours;
      std::vector<std::uint8_t>         classes;
      const auto add = [&](bool inside, PottsProblem::NodeId q, std::uint8_t k) {
        if (inside)
        {
          neighbours.push_back(q);
          classes.push_back(k);
        }
      };
      add(y > 0, p - width, 0);
      add(x > 0, p - 1, 1);
      add(x + 1 < width, p + 1, 2);
      add(y + 1 < height, p + width, 3);
      problem.AddNode(p, neighbours.data(), classes.data(), static_cast<unsigned int>(neighbours.size()));
    }
  }
  return problem;
}

TEST(PottsProblem, ExpansionMoveIsTheSmallestOptimalMove)
{
  // One move (a single candidate, one cycle) against all 2^12 expansions of a 4 x 3 grid: it must apply the
  // intersection of the optimal sets of nodes taking alpha (the sink tree; optimal sets form a lattice), or nothing
  // when that does not lower the energy. Costs from 0.1 to 2 cover moves where most nodes are fixed before the
  // max-flow (weak pairs) and where none are (strong pairs).
  std::mt19937                           random(15);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  constexpr unsigned int                 w = 4, h = 3, n = w * h, components = 3;
  unsigned int                           moves = 0;
  for (int trial = 0; trial < 30; ++trial)
  {
    std::vector<float> probabilities(n * components);
    for (unsigned int p = 0; p < n; ++p)
    {
      double sum = 0.0;
      double v[components];
      for (double & x : v)
      {
        sum += (x = std::pow(uniform(random), 3.0) + (trial % 5 == 0 ? 0.0 : 1e-3)); // some exact zeros
      }
      for (unsigned int c = 0; c < components; ++c)
      {
        probabilities[p * components + c] = static_cast<float>(v[c] / sum);
      }
    }
    const double             cost = 0.1 + 1.9 * uniform(random);
    const PottsProblem       problem = Grid(probabilities, components, w, h, cost, 0.7 * cost);
    std::vector<LabelPixel>  initial(n);
    for (auto & l : initial)
    {
      l = static_cast<LabelPixel>(random() % components);
    }
    for (LabelPixel alpha = 0; alpha < components; ++alpha)
    {
      const double best0 = problem.Energy(initial);
      double       best = best0;
      unsigned int intersection = (1u << n) - 1;
      for (unsigned int set = 0; set < (1u << n); ++set)
      {
        std::vector<LabelPixel> labels = initial;
        for (unsigned int p = 0; p < n; ++p)
        {
          if (set >> p & 1)
          {
            labels[p] = alpha;
          }
        }
        const double e = problem.Energy(labels);
        if (e < best - 1e-9)
        {
          best = e;
          intersection = set;
        }
        else if (e <= best + 1e-9)
        {
          intersection &= set;
        }
      }
      std::vector<LabelPixel> expected = initial;
      if (best < best0 - 1e-9)
      {
        for (unsigned int p = 0; p < n; ++p)
        {
          if (intersection >> p & 1)
          {
            expected[p] = alpha;
          }
        }
        ++moves;
      }
      std::vector<LabelPixel> labels = initial;
      EXPECT_EQ(problem.SolveAlphaExpansion(labels, { alpha }, 1), 1u);
      EXPECT_EQ(labels, expected) << "trial " << trial << " alpha " << alpha << " cost " << cost;
    }
  }
  EXPECT_GT(moves, 40u); // most moves change something
}

TEST(PottsProblem, AlphaExpansionNeverRaisesTheEnergy)
{
  // Full runs from random labels: the result is a local minimum for every expansion move (checked by one more
  // cycle, which must change nothing) and lower than ICM's from the same start or equal.
  std::mt19937                           random(3);
  std::uniform_real_distribution<float>  uniform(0.0f, 1.0f);
  constexpr unsigned int                 w = 30, h = 20, n = w * h, components = 4;
  std::vector<float>                     probabilities(n * components);
  for (unsigned int p = 0; p < n; ++p)
  {
    float sum = 0.0f;
    for (unsigned int c = 0; c < components; ++c)
    {
      sum += (probabilities[p * components + c] = uniform(random) + (c == (p / 7 + p / w / 5) % components));
    }
    for (unsigned int c = 0; c < components; ++c)
    {
      probabilities[p * components + c] /= sum;
    }
  }
  const PottsProblem      problem = Grid(probabilities, components, w, h, 0.8, 0.8);
  std::vector<LabelPixel> start(n);
  for (auto & l : start)
  {
    l = static_cast<LabelPixel>(random() % components);
  }
  std::vector<LabelPixel> expansion = start;
  std::vector<LabelPixel> icm = start;
  const auto              candidates = problem.CandidateLabels();
  problem.SolveAlphaExpansion(expansion, candidates, 50);
  problem.SolveICM(icm, candidates, 50);
  EXPECT_LT(problem.Energy(expansion), problem.Energy(start) - 100.0);
  EXPECT_LE(problem.Energy(expansion), problem.Energy(icm));
  std::vector<LabelPixel> again = expansion;
  EXPECT_EQ(problem.SolveAlphaExpansion(again, candidates, 1), 1u);
  EXPECT_EQ(again, expansion);
}

TEST(PottsProblem, RejectsBadInput)
{
  const std::vector<float> p = { 1.0f, 0.0f };
  EXPECT_THROW(PottsProblem(p.data(), 0, {}), tessera::Error);
  EXPECT_THROW(PottsProblem(p.data(), 2, { 1.0, 0.5 }), tessera::Error);   // not symmetric
  EXPECT_THROW(PottsProblem(p.data(), 2, { -1.0, -1.0 }), tessera::Error); // negative
  PottsProblem               problem(p.data(), 2, { 1.0, 1.0 });
  const PottsProblem::NodeId n[] = { 0, 0 };
  const std::uint8_t         c[] = { 1, 0 };
  EXPECT_THROW(problem.AddNode(0, n, c, 2), tessera::Error); // classes not increasing
  const std::vector<float> q = { 0.9f, 0.1f, 0.45f, 0.55f, 0.9f, 0.1f };
  const PottsProblem       path = Path(q);
  std::vector<LabelPixel>  labels = { 0, 2, 0 }; // 2 is no component
  EXPECT_THROW(path.SolveAlphaExpansion(labels, { 0, 1 }, 5), tessera::Error);
  labels = { 0, 0 }; // one label short
  EXPECT_THROW(path.SolveAlphaExpansion(labels, { 0, 1 }, 5), tessera::Error);
  EXPECT_THROW(path.Energy({ 0, 3, 0 }), tessera::Error);
}

TEST(PottsProblem, SetGraphIsAddNodeAtOnce)
{
  // The path 0 - 1 - 2 given whole, coloured 0 1 0, equals the one built node by node.
  const std::vector<float> p = { 0.9f, 0.1f, 0.45f, 0.55f, 0.9f, 0.1f };
  PottsProblem             whole(p.data(), 2, { 0.7, 0.7 });
  whole.SetGraph({ 0, 1, 2 }, { 0, 1, 3, 4 }, { 1, 0, 2, 1 }, { 1, 0, 1, 0 }, { 0, 1, 0 });
  const PottsProblem path = Path(p);
  EXPECT_EQ(whole.RowStart(), path.RowStart());
  EXPECT_EQ(whole.Neighbours(), path.Neighbours());
  std::vector<LabelPixel> labels = whole.ArgmaxLabels();
  whole.SolveICM(labels, whole.CandidateLabels(), 10);
  EXPECT_EQ(labels, (std::vector<LabelPixel>{ 0, 0, 0 }));
  PottsProblem bad(p.data(), 2, { 0.7, 0.7 });
  EXPECT_THROW(bad.SetGraph({ 0, 1, 2 }, { 0, 1, 3, 4 }, { 1, 0, 2, 1 }, { 1, 0, 1, 0 }, { 0, 0, 1 }), tessera::Error)
    << "neighbours 0 and 1 share a colour";
  EXPECT_THROW(bad.SetGraph({ 0, 1, 2 }, { 0, 1, 3, 4 }, { 1, 0, 2, 1 }, { 1, 1, 1, 0 }, { 0, 1, 0 }), tessera::Error)
    << "classes not increasing";
  EXPECT_THROW(bad.SetGraph({ 0, 1, 2 }, { 0, 1, 3, 4 }, { 1, 0, 5, 1 }, { 1, 0, 1, 0 }, { 0, 1, 0 }), tessera::Error)
    << "no node 5";
  EXPECT_THROW(bad.SetGraph({ 0, 1 }, { 0, 1, 3, 4 }, { 1, 0, 2, 1 }, { 1, 0, 1, 0 }, { 0, 1, 0 }), tessera::Error)
    << "sizes";
  // Every arc valid on its own, but node 1's row ends before it starts.
  PottsProblem rows(p.data(), 2, { 0.7, 0.7, 0.7, 0.7 });
  EXPECT_THROW(rows.SetGraph({ 0, 1, 2 }, { 0, 2, 1, 4 }, { 1, 1, 0, 1 }, { 0, 1, 2, 3 }, { 0, 1, 2 }), tessera::Error)
    << "row starts decrease";
}
} // namespace
