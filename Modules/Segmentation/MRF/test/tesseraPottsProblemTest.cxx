#include "tesseraPottsProblem.h"

#include <gtest/gtest.h>

#include <cmath>

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
}
} // namespace
