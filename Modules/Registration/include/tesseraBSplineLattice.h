#ifndef tesseraBSplineLattice_h
#define tesseraBSplineLattice_h

#include <array>
#include <vector>

#include "itkBSplineTransform.h"
#include "itkImage.h"
#include "itkVector.h"

namespace tessera
{
/** A cubic B-spline free-form deformation (Rueckert et al., IEEE TMI 18, 1999) on a control grid
 * of uniform spacing over a reference image's physical extent, laid out as ITK's BSplineTransform
 * lays it out: mesh M = ceil(extent / spacing) per axis, M + 3 control points, the first one
 * control spacing before the first voxel. Coefficients are displacements in mm (physical axes).
 *
 * Evaluate() gives the displacement at every voxel of a grid that shares the reference's
 * direction and extent (a pyramid level); Project() is its adjoint, the gradient with respect
 * to the coefficients of a metric whose gradient per voxel is given: both separable, one axis at
 * a time, one line per task, so the result does not depend on the thread count. */
template <unsigned int D>
class BSplineLattice
{
public:
  using Vector = itk::Vector<float, D>;
  using FieldType = itk::Image<Vector, D>;
  using TransformType = itk::BSplineTransform<double, D, 3>;

  /** \param spacing control point spacing, mm (the mesh is rounded up to cover the extent). */
  BSplineLattice(const itk::ImageBase<D> * reference, double spacing);

  /** Displacements at the voxels of `grid` (same direction, within the reference extent). */
  typename FieldType::Pointer Evaluate(const itk::ImageBase<D> * grid) const;
  /** Adds `step` times the projection of `gradient` (a field on its own grid) to the
   * coefficients, scaled so that no coefficient moves by more than `largest` mm. */
  void Ascend(const FieldType * gradient, double largest);
  /** As an ITK transform (x -> x + u(x)), for transform files and composites. */
  typename TransformType::Pointer Transform() const;

private:
  /** Per axis of `grid`: for each voxel, the first control point and its 4 weights. */
  struct AxisWeights
  {
    std::vector<size_t>               first;
    std::vector<std::array<float, 4>> weights;
  };
  std::array<AxisWeights, D> Weights(const itk::ImageBase<D> * grid) const;

  itk::Point<double, D>        m_Origin;    ///< the reference's first voxel
  typename FieldType::DirectionType m_Direction;
  itk::Vector<double, D>       m_Spacing;   ///< control spacing per axis, mm
  std::array<size_t, D>        m_Size;      ///< control points per axis (mesh + 3)
  std::vector<Vector>          m_Coefficients;
};
} // namespace tessera

#endif
