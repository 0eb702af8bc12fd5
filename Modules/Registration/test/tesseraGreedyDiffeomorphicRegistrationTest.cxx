// Known answers for the dense stage: a known smooth deformation is recovered, and the field
// composed with its inverse stays close to the identity.
#include <cmath>

#include <gtest/gtest.h>

#include "itkResampleImageFilter.h"
#include "itkDisplacementFieldTransform.h"
#include "itkVectorLinearInterpolateImageFunction.h"
#include "tesseraGreedyDiffeomorphicRegistration.h"
#include "tesseraImageUtilities.h"

namespace
{
using namespace tessera;
using Field = GreedyDiffeomorphicRegistration<2>::FieldType;

ScalarImage<2>::Pointer
Slice()
{
  return MeanOfComponents<2>(ReadIntensityImage<2>(std::string(TESSERA_ITK_EXAMPLES_DIR) + "/BrainProtonDensitySlice.png"));
}

/** A smooth displacement of up to `amplitude` mm on the image's grid. */
Field::Pointer
SmoothDeformation(const ScalarImage<2> * image, double amplitude)
{
  auto field = Field::New();
  field->CopyInformation(image);
  field->SetRegions(image->GetLargestPossibleRegion());
  field->Allocate();
  const auto size = image->GetLargestPossibleRegion().GetSize();
  for (itk::ImageRegionIteratorWithIndex<Field> it(field, field->GetLargestPossibleRegion()); !it.IsAtEnd(); ++it)
  {
    const double x = it.GetIndex()[0] / double(size[0]), y = it.GetIndex()[1] / double(size[1]);
    Field::PixelType v;
    v[0] = amplitude * std::sin(2 * M_PI * y) * std::sin(M_PI * x);
    v[1] = amplitude * std::cos(2 * M_PI * x) * std::sin(M_PI * y);
    it.Set(v);
  }
  return field;
}

/** image(x + field(x)). */
ScalarImage<2>::Pointer
Deform(const ScalarImage<2> * image, const Field * field)
{
  using Transform = itk::DisplacementFieldTransform<float, 2>;
  auto transform = Transform::New();
  auto copy = Transform::DisplacementFieldType::New();
  copy->Graft(field);
  transform->SetDisplacementField(copy);
  auto resample = itk::ResampleImageFilter<ScalarImage<2>, ScalarImage<2>, float, float>::New();
  resample->SetInput(image);
  resample->SetTransform(transform);
  resample->SetOutputParametersFromImage(image);
  resample->Update();
  return resample->GetOutput();
}

/** RMS over voxels where `where` is non-zero of |a(x) + b(x + a(x))|: how far x -> x + a then
 * + b is from the identity, in mm. */
double
CompositionError(const Field * a, const Field * b, const ScalarImage<2> * where)
{
  auto interpolate = itk::VectorLinearInterpolateImageFunction<Field, double>::New();
  interpolate->SetInputImage(b);
  double sum = 0;
  size_t n = 0;
  for (itk::ImageRegionConstIteratorWithIndex<Field> it(a, a->GetLargestPossibleRegion()); !it.IsAtEnd(); ++it)
  {
    if (where->GetPixel(it.GetIndex()) <= 0)
    {
      continue;
    }
    itk::Point<double, 2> p;
    a->TransformIndexToPhysicalPoint(it.GetIndex(), p);
    p[0] += it.Get()[0];
    p[1] += it.Get()[1];
    if (!interpolate->IsInsideBuffer(p))
    {
      continue;
    }
    const auto v = interpolate->Evaluate(p);
    sum += std::pow(it.Get()[0] + v[0], 2) + std::pow(it.Get()[1] + v[1], 2);
    ++n;
  }
  return std::sqrt(sum / n);
}

TEST(GreedyDiffeomorphicRegistration, RecoversAKnownSmoothDeformation)
{
  const auto fixed = Slice();
  const auto psi = SmoothDeformation(fixed, 4.0);
  const auto moving = Deform(fixed, psi); // moving(y) = fixed(y + psi(y))
  auto       zero = Field::New();
  zero->CopyInformation(fixed);
  zero->SetRegions(fixed->GetLargestPossibleRegion());
  zero->Allocate();
  zero->FillBuffer(Field::PixelType(0.0f));
  const double before = CompositionError(zero, psi, fixed);

  for (const auto metric : { DeformableMetric::LocalCorrelation, DeformableMetric::MeanSquares })
  {
    GreedyDiffeomorphicRegistration<2> registration;
    registration.SetFixedImage(fixed);
    registration.SetMovingImage(moving);
    DeformableSettings settings;
    settings.metric = metric;
    settings.iterations = { 100, 100, 50 };
    registration.SetSettings(settings);
    registration.Update();
    // phi should undo psi: x + phi(x) + psi(x + phi(x)) = x.
    const double after = CompositionError(registration.GetDisplacementField(), psi, fixed);
    std::cout << "residual " << before << " mm before, " << after << " mm after\n";
    EXPECT_GT(before, 2.0);
    // Mean squares moves less where contrast is low (its force scales with the difference).
    EXPECT_LT(after, metric == DeformableMetric::LocalCorrelation ? 0.5 : 1.0);
  }
}

TEST(GreedyDiffeomorphicRegistration, TheInverseUndoesTheField)
{
  const auto fixed = Slice();
  const auto psi = SmoothDeformation(fixed, 4.0);
  GreedyDiffeomorphicRegistration<2> registration;
  registration.SetFixedImage(fixed);
  registration.SetMovingImage(Deform(fixed, psi));
  registration.Update();
  const auto phi = registration.GetDisplacementField();
  const auto inverse = GreedyDiffeomorphicRegistration<2>::Invert(phi);
  const double forward = CompositionError(phi, inverse, fixed);
  const double backward = CompositionError(inverse, phi, fixed);
  std::cout << "phi then inverse: " << forward << " mm RMS; inverse then phi: " << backward << " mm RMS\n";
  EXPECT_LT(forward, 0.2);
  EXPECT_LT(backward, 0.2);
}

TEST(GreedyDiffeomorphicRegistration, RefusesLevelsOfDifferentLengths)
{
  GreedyDiffeomorphicRegistration<2> registration;
  registration.SetFixedImage(Slice());
  registration.SetMovingImage(Slice());
  DeformableSettings settings;
  settings.iterations = { 10, 10 };
  registration.SetSettings(settings);
  EXPECT_THROW(registration.Update(), Error);
}
} // namespace

namespace
{
TEST(GreedyDiffeomorphicRegistration, ABSplineGridRecoversTheDeformationAndITKsTransformAgrees)
{
  const auto fixed = Slice();
  const auto psi = SmoothDeformation(fixed, 4.0);
  GreedyDiffeomorphicRegistration<2> registration;
  registration.SetFixedImage(fixed);
  registration.SetMovingImage(Deform(fixed, psi));
  DeformableSettings settings;
  settings.gridSpacing = 15;
  settings.iterations = { 100, 100, 50 };
  registration.SetSettings(settings);
  registration.Update();
  const auto   phi = registration.GetDisplacementField();
  const double after = CompositionError(phi, psi, fixed);
  std::cout << "B-spline (15 mm grid): residual " << after << " mm (2.83 before)\n";
  EXPECT_LT(after, 0.8); // a 15 mm grid cannot follow the field everywhere
  // The ITK transform made from the control points gives the same displacements.
  const auto transform = registration.GetBSplineTransform();
  ASSERT_TRUE(transform);
  double largest = 0;
  for (itk::ImageRegionConstIteratorWithIndex<Field> it(phi, phi->GetLargestPossibleRegion()); !it.IsAtEnd(); ++it)
  {
    itk::Point<double, 2> p;
    phi->TransformIndexToPhysicalPoint(it.GetIndex(), p);
    const auto q = transform->TransformPoint(p);
    for (unsigned int d = 0; d < 2; ++d)
    {
      largest = std::max(largest, std::abs(q[d] - p[d] - it.Get()[d]));
    }
  }
  EXPECT_LT(largest, 1e-3);
}
} // namespace
