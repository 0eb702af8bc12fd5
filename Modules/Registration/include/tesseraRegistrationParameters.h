#ifndef tesseraRegistrationParameters_h
#define tesseraRegistrationParameters_h

#include <string>
#include <vector>

#include "itkImageBase.h"
#include "tesseraError.h"
#include "tesseraImageRegistration.h"
#include "tesseraParameter.h"

namespace tessera
{
/** The parameters of a registration (transform chain, metric, pyramid, iterations, deformable
 * settings), as `register` and `atlas-segment` take them. */
std::vector<ParameterDescription> RegistrationParameters();

/** RegistrationParameters() with the deformable defaults of ANTs' SyN scripts (antsRegistrationSyN.sh:
 * local correlation radius 4, no smoothing of the field itself), for label propagation between
 * subjects (`atlas-segment`, `atlas build`): on three MICCAI 2012 brain pairs they raise the warped
 * labels' mean Dice from 0.652 to 0.671. `register` keeps greedy's (radius 2, field sigma 0.707
 * voxels), which recover a known smooth deformation better (0.23 mm RMS against 1.7 mm in the unit
 * test, where the unsmoothed field is left behind in the flat background). */
std::vector<ParameterDescription> InterSubjectRegistrationParameters();

/** Settings from values of RegistrationParameters(); seed draws the metric samples. */
RegistrationSettings RegistrationSettingsFrom(const ParameterValues & p, unsigned int seed);

/** Shrink factors that leave fewer than 4 voxels along an axis make no pyramid level. */
template <unsigned int D>
inline void
CheckShrinkFactors(const RegistrationSettings & s, const itk::ImageBase<D> * image, const std::string & name)
{
  for (const auto f : s.shrinkFactors)
  {
    for (unsigned int d = 0; d < D; ++d)
    {
      if (image->GetLargestPossibleRegion().GetSize(d) / f < 4)
      {
        throw Error("shrink-factors", std::to_string(f) + " leaves fewer than 4 voxels along axis " + std::to_string(d) +
                                        " of " + name + " (" +
                                        std::to_string(image->GetLargestPossibleRegion().GetSize(d)) + " voxels)");
      }
    }
  }
}
} // namespace tessera

#endif
