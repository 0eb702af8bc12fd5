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
