#ifndef tesseraImageRegistration_h
#define tesseraImageRegistration_h

#include <functional>
#include <string>
#include <vector>

#include "itkCompositeTransform.h"
#include "tesseraGreedyDiffeomorphicRegistration.h"
#include "tesseraImageTypes.h"

namespace tessera
{
/** The transforms a registration chains, in this order (each starts from the ones before). */
enum class TransformKind
{
  Translation, ///< D parameters
  Rigid,       ///< rotation + translation (Euler 2D, versor 3D)
  Similarity,  ///< rigid + isotropic scale
  Affine,      ///< D x D matrix + translation
  BSpline,     ///< cubic B-spline free-form deformation (BSplineLattice), driven like the dense stage
  Deformable   ///< dense greedy diffeomorphic field (GreedyDiffeomorphicRegistration)
};

/** "translation", "rigid", "similarity", "affine", "bspline", "deformable". \throws Error. */
TransformKind ParseTransformKind(const std::string & name);
std::string   TransformKindName(TransformKind kind);

/** Similarity measure of the linear stages (ITK v4 metrics). */
enum class LinearMetric
{
  MutualInformation, ///< Mattes et al., IEEE TMI 22, 2003 (any modalities)
  MeanSquares,
  Correlation,       ///< global normalised cross-correlation
  LocalCorrelation   ///< ANTs neighbourhood cross-correlation (Avants et al. 2008)
};

enum class Initialisation
{
  None,     ///< identity, rotations about the fixed image's centre
  Geometry, ///< moving image centre onto the fixed image centre
  Moments   ///< moving centre of mass onto the fixed centre of mass
};

struct RegistrationSettings
{
  std::vector<TransformKind> transforms{ TransformKind::Rigid, TransformKind::Affine, TransformKind::Deformable };
  Initialisation             initialisation = Initialisation::Moments;
  LinearMetric               metric = LinearMetric::MutualInformation;
  unsigned int               bins = 32;         ///< mutual information histogram bins
  unsigned int               samples = 5000;    ///< fixed voxels the linear metrics sample per level (0 = all)
  unsigned int               radius = 2;        ///< local correlation window radius, voxels
  std::vector<unsigned int>  shrinkFactors{ 4, 2, 1 };   ///< pyramid, per level
  std::vector<double>        smoothingSigmas{ 2, 1, 0 }; ///< pyramid, per level, mm
  std::vector<unsigned int>  iterations{ 200, 100, 100 }; ///< linear stages, per level
  double                     gridSpacing = 10;  ///< B-spline control point spacing, mm
  /** The B-spline and deformable stages (their shrink factors and sigmas are the ones above). */
  DeformableSettings         deformable;
  unsigned int               seed = 0;          ///< random sampling of the linear metrics
};

/** Registers a moving image onto a fixed one through a chain of transforms, each on a
 * multi-resolution pyramid: the linear stages with ITK's v4 framework
 * (ImageRegistrationMethodv4, regular-step gradient descent, scales from physical shifts), the
 * B-spline and dense stages with GreedyDiffeomorphicRegistration. All in physical space
 * (spacing, origin, direction of both images). Deterministic for a given seed whatever the
 * number of threads: ITK's metrics run on one work unit (their thread sums are ordered by thread
 * count or lock races, ITK #4025). \throws Error for stages out of order, per-level lists of
 * different lengths, or images that do not overlap (subject "moving").
 *
 * The result maps fixed points to moving points, as resampling the moving image into the fixed
 * space needs: a CompositeTransform whose last transform is applied first (ITK's and ANTs'
 * order): [linear, B-spline, displacement field]. */
template <unsigned int D>
class ImageRegistration
{
public:
  using TransformType = itk::CompositeTransform<double, D>;
  /** Progress: stage name ("rigid", ...), level (0-based), number of levels, fraction of the stage. */
  using Observer = std::function<void(const std::string & stage, unsigned int level, unsigned int levels, double fraction)>;

  void SetFixedImage(const ScalarImage<D> * image) { m_Fixed = image; }
  void SetMovingImage(const ScalarImage<D> * image) { m_Moving = image; }
  /** Optional masks (non-zero = inside) on the fixed / moving image's grid. */
  void SetFixedMask(const MaskImage<D> * mask) { m_FixedMask = mask; }
  void SetMovingMask(const MaskImage<D> * mask) { m_MovingMask = mask; }
  void SetSettings(const RegistrationSettings & settings) { m_Settings = settings; }
  void SetObserver(Observer observer) { m_Observer = std::move(observer); }

  void Update();
  typename TransformType::Pointer GetTransform() const { return m_Transform; }
  /** Moving points to fixed points: the inverse of each transform, in reverse order (the dense
   * field inverted numerically). \throws Error when the chain holds a B-spline transform. */
  typename TransformType::Pointer GetInverseTransform() const;

private:
  typename ScalarImage<D>::ConstPointer m_Fixed;
  typename ScalarImage<D>::ConstPointer m_Moving;
  typename MaskImage<D>::ConstPointer   m_FixedMask;
  typename MaskImage<D>::ConstPointer   m_MovingMask;
  RegistrationSettings                  m_Settings;
  Observer                              m_Observer;
  typename TransformType::Pointer       m_Transform;
};
} // namespace tessera

#endif
