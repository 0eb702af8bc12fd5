#ifndef tesseraAtlasPriors_h
#define tesseraAtlasPriors_h

#include <functional>
#include <string>

#include "tesseraAtlasDescription.h"
#include "tesseraGaussianMixture.h"
#include "tesseraImageRegistration.h"
#include "tesseraImageTypes.h"

/** \file Tissue priors from a probabilistic atlas (Atlases/icbm152-2009a.json, or a template that
 * `tessera atlas build` made from labelled subjects): the template registered onto the subject,
 * its probability maps warped along, and a Gaussian mixture whose mixing proportions follow them
 * (Atropos's prior-probability model). */
namespace tessera
{
/** The classes of a probabilistic atlas, ascending by label: its priors and the remainder class,
 * or every label of its "labelProbabilities" image (as `tessera atlas build` writes), 0 included.
 * \throws Error naming that image when it cannot be read or has fewer than 2 labels. */
LabelTable PriorClassTable(const AtlasDescription & atlas);

/** Registers the atlas template onto the target (fixed = target, fixed mask = mask) and warps the
 * probability maps linearly onto the target grid: one component per class of PriorClassTable(),
 * each map / its scale, the remainder 1 − their sum (at least 0), or the label's component of the
 * "labelProbabilities" image; each voxel renormalised to sum 1 (uniform where all are 0; 0 outside
 * the mask). `observer(step, fraction)` follows the registration.
 * \throws Error naming an atlas file that cannot be read or registered. */
template <unsigned int D>
typename ProbabilityImage<D>::Pointer
WarpAtlasPriors(const AtlasDescription & atlas, const ScalarImage<D> * target, const MaskImage<D> * mask,
                const RegistrationSettings & settings,
                const std::function<void(const std::string &, double)> & observer = {});

/** Posteriors of a Gaussian mixture with spatial priors (FitGaussianMixtureWithPriors) over the
 * voxels inside the mask: a ProbabilityImage with the priors' label table; `model` receives the fit. */
template <unsigned int D>
typename ProbabilityImage<D>::Pointer
PriorWeightedMixture(const VectorImage<D> * image, const MaskImage<D> * mask, const ProbabilityImage<D> * priors,
                     double weight, const GaussianMixtureOptions & options, GaussianMixtureModel * model = nullptr);
} // namespace tessera

#endif
