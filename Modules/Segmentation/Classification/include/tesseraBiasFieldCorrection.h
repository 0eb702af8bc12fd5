#ifndef tesseraBiasFieldCorrection_h
#define tesseraBiasFieldCorrection_h

#include <functional>

#include "tesseraImageTypes.h"

namespace tessera
{
struct BiasFieldCorrectionSettings
{
  unsigned int shrinkFactor = 4;     ///< the field is fitted on the image shrunk this many times per axis
  unsigned int levels = 4;           ///< B-spline fitting levels (control points double per level)
  unsigned int iterations = 50;      ///< most iterations per level
  double       convergence = 0.001;  ///< stop a level when the field's change (coefficient of variation) is below
};

/** The corrected image and the multiplicative bias field (image = corrected × field). */
template <unsigned int D>
struct BiasFieldCorrection
{
  typename ScalarImage<D>::Pointer corrected;
  typename ScalarImage<D>::Pointer field;
};

/** N4 bias-field correction (Tustison et al., IEEE TMI 29, 2010) with ITK's N4BiasFieldCorrectionImageFilter, fitted
 * on the image shrunk by settings.shrinkFactor (cubic B-spline, ITK's initial mesh) and evaluated on the full grid,
 * as ANTs' N4BiasFieldCorrection does. Only pixels inside the mask with intensity > 0 inform the fit (all pixels
 * > 0 without a mask); the correction applies everywhere. Spacing, origin and direction are kept.
 * \param progress called with the fraction done, may be empty.
 * \throws Error when no pixel inside the mask is positive, or the shrunk image has fewer than 4 pixels per axis. */
template <unsigned int D>
BiasFieldCorrection<D> CorrectBiasField(const ScalarImage<D> * image, const MaskImage<D> * mask,
                                        const BiasFieldCorrectionSettings & settings,
                                        const std::function<void(double)> & progress = {});
} // namespace tessera

#endif
