#ifndef tesseraMRFStages_h
#define tesseraMRFStages_h

#include "tesseraHiddenMarkovChain.h"
#include "tesseraPottsProblem.h"
#include "tesseraStage.h"

namespace tessera
{
/** Registers mrf, hmrf and hmc. */
void RegisterMRFStages(StageRegistry & registry);

/** EM limits of the hidden Markov models: `prefix`iterations and `prefix`tolerance (segment uses "em-"). */
std::vector<ParameterDescription> HiddenMarkovEMParameters(const std::string & prefix);

/** prior-weight: w of spatial priors, for gmm (segment --atlas), hmrf and hmc. */
ParameterDescription PriorWeightParameter();

/** One line on a fitted model (objective: the log-likelihood, or its mean-field bound; iterations, class weights and
 * means) and, for a chain, its transitions. */
std::string DescribeHiddenMarkovFit(const GaussianMixtureModel & model, const MarkovChain & chain, bool meanField);

/** The Potts parameters (smoothness, method, connectivity, iterations, epsilon) under their
 * names with `prefix` ("" for mrf; segment uses "mrf-" only for the iteration limit). */
std::vector<ParameterDescription> PottsParameters(const std::string & iterationsName = "iterations");

/** Sets a Potts filter's parameters from values described by PottsParameters(). */
template <typename TFilter>
void
SetPottsParameters(TFilter * filter, const ParameterValues & p, const std::string & iterationsName = "iterations")
{
  constexpr unsigned int D = TFilter::ImageDimension;
  const auto             connectivity = p.Integer("connectivity");
  if (connectivity != 1 && connectivity != D)
  {
    throw Error("connectivity", "the Potts model takes 1 (face neighbours) or " + std::to_string(D) +
                                  " (all neighbours) in " + std::to_string(D) + "D, not " + std::to_string(connectivity));
  }
  filter->SetSmoothness(p.Real("smoothness"));
  filter->SetFullyConnected(connectivity == D);
  filter->SetMethod(p.Text("method") == "icm" ? PottsMRFMethod::ICM : PottsMRFMethod::AlphaExpansion);
  filter->SetMaximumNumberOfIterations(p.Count(iterationsName));
  filter->SetEpsilon(p.Real("epsilon"));
}
} // namespace tessera

#endif
