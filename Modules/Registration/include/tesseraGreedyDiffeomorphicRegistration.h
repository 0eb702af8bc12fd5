#ifndef tesseraGreedyDiffeomorphicRegistration_h
#define tesseraGreedyDiffeomorphicRegistration_h

#include <functional>
#include <vector>

#include "itkBSplineTransform.h"
#include "itkImage.h"
#include "itkVector.h"
#include "tesseraImageTypes.h"

namespace tessera
{
/** Similarity measure of the dense registration. */
enum class DeformableMetric
{
  LocalCorrelation, ///< local normalised cross-correlation in a (2r+1)^D box window
  MeanSquares       ///< sum of squared differences (same modality, same intensity scale)
};

struct DeformableSettings
{
  std::vector<unsigned int> shrinkFactors{ 4, 2, 1 };      ///< per level, voxels
  std::vector<double>       smoothingSigmas{ 2, 1, 0 };    ///< per level, mm (Gaussian pyramid)
  std::vector<unsigned int> iterations{ 100, 50, 20 };     ///< per level
  DeformableMetric          metric = DeformableMetric::LocalCorrelation;
  unsigned int              radius = 2;                    ///< local correlation window radius, voxels
  double                    fluidSigma = 1.732;            ///< smoothing of each update, voxels of the level
  double                    elasticSigma = 0.707;          ///< smoothing of the field, voxels of the level
  double                    step = 1.0;                    ///< largest update per iteration, voxels of the level
  /** > 0: a cubic B-spline free-form deformation with this control spacing (mm) instead of the
   * dense field (the fluid and elastic sigmas are then unused). */
  double                    gridSpacing = 0;
};

/** Dense deformable registration by greedy diffeomorphic descent, in the manner of Yushkevich's
 * greedy (Joshi et al., NeuroImage 23, 2004; Avants et al., Med. Image Anal. 12, 2008 for the
 * local correlation gradient): on a Gaussian pyramid, each iteration warps the moving image,
 * takes the metric's gradient (a force field), smooths it (the "fluid" sigma), scales it so its
 * largest vector is `step` voxels, composes it with the current transform
 * (phi <- phi o (Id + u), so the map stays invertible for small steps) and smooths the result
 * (the "elastic" sigma).
 *
 * Fixed and moving images lie on one grid (the moving one resampled through the linear
 * transforms found before). The result is a displacement field phi on that grid, in mm and
 * physical (LPS) axes, mapping fixed points x to moving points x + phi(x), as ITK's
 * DisplacementFieldTransform reads it. Deterministic whatever the number of threads. 2D and 3D.
 *
 * With a grid spacing, the same force drives a cubic B-spline free-form deformation (Rueckert et
 * al., IEEE TMI 18, 1999) instead: projected onto the control points (the metric's gradient with
 * respect to the coefficients), scaled to `step` voxels and added (BSplineLattice). */
template <unsigned int D>
class GreedyDiffeomorphicRegistration
{
public:
  using ImageType = ScalarImage<D>;
  using FieldType = itk::Image<itk::Vector<float, D>, D>;

  using Settings = DeformableSettings;

  /** Called after each iteration: level (0-based), iteration (0-based), and the metric (mean
   * local correlation in [-1, 1], or minus the mean squared difference). */
  using Observer = std::function<void(unsigned int level, unsigned int iteration, double metric)>;

  void SetFixedImage(const ImageType * fixed) { m_Fixed = fixed; }
  /** On the fixed image's grid. */
  void SetMovingImage(const ImageType * moving) { m_Moving = moving; }
  /** Optional: the metric counts only voxels inside (non-zero), on the fixed grid. */
  void SetFixedMask(const MaskImage<D> * mask) { m_FixedMask = mask; }
  void SetSettings(const Settings & settings) { m_Settings = settings; }
  void SetObserver(Observer observer) { m_Observer = std::move(observer); }

  /** Runs the registration. \throws Error for settings of different lengths or empty. */
  void Update();
  /** phi on the fixed grid, after Update(). */
  typename FieldType::Pointer GetDisplacementField() const { return m_Field; }
  /** With a grid spacing: phi as an ITK B-spline transform (x -> x + phi(x)), after Update(). */
  typename itk::BSplineTransform<double, D, 3>::Pointer GetBSplineTransform() const { return m_BSpline; }

  /** The inverse of a displacement field on its own grid, by fixed-point iteration (Chen et
   * al., Med. Phys. 35, 2008; ITK InvertDisplacementFieldImageFilter), so that
   * psi(x) + phi(x + psi(x)) ~ 0. */
  static typename FieldType::Pointer Invert(const FieldType * field);

private:
  typename ImageType::ConstPointer  m_Fixed;
  typename ImageType::ConstPointer  m_Moving;
  typename MaskImage<D>::ConstPointer m_FixedMask;
  Settings                          m_Settings;
  Observer                          m_Observer;
  typename FieldType::Pointer       m_Field;
  typename itk::BSplineTransform<double, D, 3>::Pointer m_BSpline;
};
} // namespace tessera

#endif
