#include "tesseraImageRegistration.h"

#include <cmath>
#include <type_traits>

#include "itkANTSNeighborhoodCorrelationImageToImageMetricv4.h"
#include "itkAffineTransform.h"
#include "itkCastImageFilter.h"
#include "itkCommand.h"
#include "itkCorrelationImageToImageMetricv4.h"
#include "itkDisplacementFieldTransform.h"
#include "itkEuler2DTransform.h"
#include "itkImageMaskSpatialObject.h"
#include "itkImageMomentsCalculator.h"
#include "itkImageRegistrationMethodv4.h"
#include "itkLinearInterpolateImageFunction.h"
#include "itkMattesMutualInformationImageToImageMetricv4.h"
#include "itkMeanSquaresImageToImageMetricv4.h"
#include "itkRegistrationParameterScalesFromPhysicalShift.h"
#include "itkRegularStepGradientDescentOptimizerv4.h"
#include "itkResampleImageFilter.h"
#include "itkSimilarity2DTransform.h"
#include "itkSimilarity3DTransform.h"
#include "itkTranslationTransform.h"
#include "itkVersorRigid3DTransform.h"
#include "tesseraError.h"
#include "tesseraImagePyramid.h"

namespace tessera
{
TransformKind
ParseTransformKind(const std::string & name)
{
  for (auto kind : { TransformKind::Translation, TransformKind::Rigid, TransformKind::Similarity, TransformKind::Affine,
                     TransformKind::BSpline, TransformKind::Deformable })
  {
    if (TransformKindName(kind) == name)
    {
      return kind;
    }
  }
  throw Error("transform", "unknown transform '" + name +
                             "' (expected translation, rigid, similarity, affine, bspline or deformable)");
}

std::string
TransformKindName(TransformKind kind)
{
  switch (kind)
  {
    case TransformKind::Translation: return "translation";
    case TransformKind::Rigid: return "rigid";
    case TransformKind::Similarity: return "similarity";
    case TransformKind::Affine: return "affine";
    case TransformKind::BSpline: return "bspline";
    case TransformKind::Deformable: return "deformable";
  }
  return "";
}

namespace
{
template <unsigned int D>
using RigidTransform = std::conditional_t<D == 2, itk::Euler2DTransform<double>, itk::VersorRigid3DTransform<double>>;
template <unsigned int D>
using SimilarityTransform =
  std::conditional_t<D == 2, itk::Similarity2DTransform<double>, itk::Similarity3DTransform<double>>;
template <unsigned int D>
using Affine = itk::AffineTransform<double, D>;
template <unsigned int D>
using Metric = itk::ImageToImageMetricv4<ScalarImage<D>, ScalarImage<D>>;

/** An ITK v4 metric computed on one work unit. ITK's metrics add their threads' partial sums in
 * an order that depends on the thread count (Mattes: in the order their locks are won, ITK
 * #4025), so results would change with --threads; on the few thousand sampled points of the
 * linear stages one work unit costs little. */
template <typename TMetric>
class SingleWorkUnit : public TMetric
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(SingleWorkUnit);
  using Self = SingleWorkUnit;
  using Pointer = itk::SmartPointer<Self>;
  itkNewMacro(Self);

  void
  Initialize() override
  {
    TMetric::Initialize();
    this->m_DenseGetValueAndDerivativeThreader->SetNumberOfWorkUnits(1);
    this->m_SparseGetValueAndDerivativeThreader->SetNumberOfWorkUnits(1);
  }

protected:
  SingleWorkUnit() = default;
  ~SingleWorkUnit() override = default;
};

template <unsigned int D>
typename Metric<D>::Pointer
MakeMetric(const RegistrationSettings & s)
{
  typename Metric<D>::Pointer metric;
  switch (s.metric)
  {
    case LinearMetric::MutualInformation:
    {
      auto mi = SingleWorkUnit<itk::MattesMutualInformationImageToImageMetricv4<ScalarImage<D>, ScalarImage<D>>>::New();
      mi->SetNumberOfHistogramBins(s.bins);
      metric = mi;
      break;
    }
    case LinearMetric::MeanSquares:
      metric = SingleWorkUnit<itk::MeanSquaresImageToImageMetricv4<ScalarImage<D>, ScalarImage<D>>>::New();
      break;
    case LinearMetric::Correlation:
      metric = SingleWorkUnit<itk::CorrelationImageToImageMetricv4<ScalarImage<D>, ScalarImage<D>>>::New();
      break;
    case LinearMetric::LocalCorrelation:
    {
      auto cc = SingleWorkUnit<itk::ANTSNeighborhoodCorrelationImageToImageMetricv4<ScalarImage<D>, ScalarImage<D>>>::New();
      typename decltype(cc)::ObjectType::RadiusType radius;
      radius.Fill(s.radius);
      cc->SetRadius(radius);
      metric = cc;
      break;
    }
  }
  return metric;
}

template <unsigned int D>
typename itk::ImageMaskSpatialObject<D>::Pointer
SpatialMask(const MaskImage<D> * mask)
{
  if (!mask)
  {
    return nullptr;
  }
  auto object = itk::ImageMaskSpatialObject<D>::New();
  object->SetImage(mask);
  object->Update();
  return object;
}

/** The centre of an image: of its bounding box (geometry) or of its intensities (moments). */
template <unsigned int D>
itk::Point<double, D>
Centre(const ScalarImage<D> * image, Initialisation how)
{
  if (how == Initialisation::Moments)
  {
    auto moments = itk::ImageMomentsCalculator<ScalarImage<D>>::New();
    moments->SetImage(image);
    try
    {
      moments->Compute();
      const auto c = moments->GetCenterOfGravity();
      itk::Point<double, D> p;
      for (unsigned int d = 0; d < D; ++d)
      {
        p[d] = c[d];
      }
      return p;
    }
    catch (const itk::ExceptionObject &)
    {
      // zero total intensity: fall back to the geometric centre
    }
  }
  const auto &                        region = image->GetLargestPossibleRegion();
  itk::ContinuousIndex<double, D>     index;
  for (unsigned int d = 0; d < D; ++d)
  {
    index[d] = region.GetIndex(d) + (region.GetSize(d) - 1) / 2.0;
  }
  itk::Point<double, D> p;
  image->TransformContinuousIndexToPhysicalPoint(index, p);
  return p;
}

void
CheckLevels(const RegistrationSettings & s)
{
  const size_t levels = s.shrinkFactors.size();
  if (levels == 0)
  {
    throw Error("shrink-factors", "needs at least one level");
  }
  if (s.smoothingSigmas.size() != levels)
  {
    throw Error("smoothing-sigmas", "has " + std::to_string(s.smoothingSigmas.size()) + " values for " +
                                      std::to_string(levels) + " shrink factors (one per level)");
  }
  if (s.iterations.size() != levels)
  {
    throw Error("iterations", "has " + std::to_string(s.iterations.size()) + " values for " + std::to_string(levels) +
                                " shrink factors (one per level)");
  }
  if (s.deformable.iterations.size() != levels)
  {
    throw Error("deformable-iterations", "has " + std::to_string(s.deformable.iterations.size()) + " values for " +
                                           std::to_string(levels) + " shrink factors (one per level)");
  }
  for (size_t i = 1; i < s.transforms.size(); ++i)
  {
    if (s.transforms[i] <= s.transforms[i - 1])
    {
      throw Error("transform", "stages must go from fewer to more degrees of freedom, each once (translation, rigid, "
                               "similarity, affine, bspline, deformable): " +
                                 TransformKindName(s.transforms[i - 1]) + " before " + TransformKindName(s.transforms[i]));
    }
  }
}

/** Whether the fixed image's corners or centre, mapped by `transform`, fall inside the moving
 * image: a coarse test that the two share physical space at all. */
template <unsigned int D>
bool
Overlap(const ScalarImage<D> * fixed, const ScalarImage<D> * moving, const itk::Transform<double, D, D> * transform)
{
  const auto & region = fixed->GetLargestPossibleRegion();
  const auto & moved = moving->GetLargestPossibleRegion();
  for (unsigned int corner = 0; corner < (1u << D) + 1; ++corner)
  {
    itk::ContinuousIndex<double, D> index;
    for (unsigned int d = 0; d < D; ++d)
    {
      index[d] = corner == (1u << D) ? region.GetIndex(d) + (region.GetSize(d) - 1) / 2.0
                                     : region.GetIndex(d) + ((corner >> d) & 1u) * (region.GetSize(d) - 1.0);
    }
    itk::Point<double, D> p;
    fixed->TransformContinuousIndexToPhysicalPoint(index, p);
    const auto                      q = transform->TransformPoint(p);
    itk::ContinuousIndex<double, D> m;
    moving->TransformPhysicalPointToContinuousIndex(q, m);
    bool inside = true;
    for (unsigned int d = 0; d < D; ++d)
    {
      inside = inside && m[d] >= moved.GetIndex(d) - 0.5 && m[d] <= moved.GetIndex(d) + moved.GetSize(d) - 0.5;
    }
    if (inside)
    {
      return true;
    }
  }
  return false;
}

/** The pyramid of both images, made once and shared by the stages. */
template <unsigned int D>
struct Pyramid
{
  std::vector<typename ScalarImage<D>::Pointer> fixed, moving;
};

/** One stage of the v4 framework: optimises `transform` in place, level by level of the pyramid
 * (one single-level ImageRegistrationMethodv4 per level, so the pyramid is built once). */
template <unsigned int D, typename TTransform>
void
Optimise(const Pyramid<D> & pyramid, const MaskImage<D> * fixedMask, const MaskImage<D> * movingMask,
         const RegistrationSettings & s, TTransform * transform, const itk::Transform<double, D, D> * movingInitial,
         const std::string & stage, const typename ImageRegistration<D>::Observer & observer)
{
  using Registration = itk::ImageRegistrationMethodv4<ScalarImage<D>, ScalarImage<D>, TTransform>;
  const unsigned int levels = static_cast<unsigned int>(s.shrinkFactors.size());
  for (unsigned int level = 0; level < levels; ++level)
  {
    const unsigned int iterations = s.iterations[level];
    if (iterations == 0)
    {
      continue;
    }
    const ScalarImage<D> * fixed = pyramid.fixed[level];
    auto                   metric = MakeMetric<D>(s);
    if (auto mask = SpatialMask<D>(fixedMask))
    {
      metric->SetFixedImageMask(mask);
    }
    if (auto mask = SpatialMask<D>(movingMask))
    {
      metric->SetMovingImageMask(mask);
    }
    auto scales = itk::RegistrationParameterScalesFromPhysicalShift<Metric<D>>::New();
    scales->SetMetric(metric);
    double spacing = fixed->GetSpacing()[0];
    for (unsigned int d = 1; d < D; ++d)
    {
      spacing = std::min(spacing, fixed->GetSpacing()[d]);
    }
    // First step one voxel of the level (mm), halved at each reversal.
    auto optimizer = itk::RegularStepGradientDescentOptimizerv4<double>::New();
    optimizer->SetLearningRate(spacing);
    optimizer->SetRelaxationFactor(0.5);
    optimizer->SetMinimumStepLength(1e-6);
    optimizer->SetGradientMagnitudeTolerance(1e-20);
    optimizer->SetDoEstimateLearningRateAtEachIteration(false);
    optimizer->SetDoEstimateLearningRateOnce(false);
    optimizer->SetScalesEstimator(scales);
    optimizer->SetNumberOfIterations(iterations);

    auto registration = Registration::New();
    registration->SetFixedImage(fixed);
    registration->SetMovingImage(pyramid.moving[level]);
    registration->SetMetric(metric);
    registration->SetOptimizer(optimizer);
    registration->SetInitialTransform(transform);
    registration->InPlaceOn();
    if (movingInitial)
    {
      registration->SetMovingInitialTransform(movingInitial);
    }
    registration->SetNumberOfLevels(1);
    typename Registration::ShrinkFactorsArrayType   shrink(1);
    typename Registration::SmoothingSigmasArrayType sigmas(1);
    shrink.Fill(1);
    sigmas.Fill(0);
    registration->SetShrinkFactorsPerLevel(shrink);
    registration->SetSmoothingSigmasPerLevel(sigmas);
    const double voxels = fixed->GetLargestPossibleRegion().GetNumberOfPixels();
    if (s.samples > 0 && s.samples < voxels)
    {
      // The same number of samples at every level (as elastix does).
      registration->SetMetricSamplingStrategy(Registration::MetricSamplingStrategyEnum::RANDOM);
      registration->SetMetricSamplingPercentage(s.samples / voxels);
    }
    registration->MetricSamplingReinitializeSeed(static_cast<int>(s.seed));

    auto progress = itk::CStyleCommand::New();
    struct State
    {
      const typename ImageRegistration<D>::Observer * observer;
      const std::string *                             stage;
      itk::RegularStepGradientDescentOptimizerv4<double> * optimizer;
      unsigned int                                    level, levels, iterations;
    } state{ &observer, &stage, optimizer.GetPointer(), level, levels, iterations };
    progress->SetClientData(&state);
    progress->SetCallback([](itk::Object *, const itk::EventObject &, void * data) {
      const auto & st = *static_cast<State *>(data);
      if (*st.observer)
      {
        (*st.observer)(*st.stage, st.level, st.levels,
                       std::min(1.0, double(st.optimizer->GetCurrentIteration() + 1) / st.iterations));
      }
    });
    optimizer->AddObserver(itk::IterationEvent(), progress);
    registration->Update();
  }
}

/** A displacement field with another component type. */
template <typename TOut, typename TIn>
typename TOut::Pointer
CastField(const TIn * field)
{
  auto cast = itk::CastImageFilter<TIn, TOut>::New();
  cast->SetInput(field);
  cast->Update();
  return cast->GetOutput();
}

/** Copies a matrix-offset transform's mapping into `to` (same centre). */
template <unsigned int D, typename TFrom, typename TTo>
void
CopyLinear(const TFrom * from, TTo * to)
{
  to->SetCenter(from->GetCenter());
  to->SetMatrix(from->GetMatrix());
  to->SetTranslation(from->GetTranslation());
}

/** A copy of `image` resampled through `transform` onto the fixed grid (linear). */
template <unsigned int D>
typename ScalarImage<D>::Pointer
ResampleOnto(const ScalarImage<D> * image, const ScalarImage<D> * grid, const itk::Transform<double, D, D> * transform)
{
  auto resample = itk::ResampleImageFilter<ScalarImage<D>, ScalarImage<D>, double>::New();
  resample->SetInput(image);
  resample->SetTransform(transform);
  resample->SetInterpolator(itk::LinearInterpolateImageFunction<ScalarImage<D>, double>::New());
  resample->SetOutputParametersFromImage(grid);
  resample->SetDefaultPixelValue(0);
  resample->Update();
  return resample->GetOutput();
}
} // namespace

template <unsigned int D>
void
ImageRegistration<D>::Update()
{
  const RegistrationSettings & s = m_Settings;
  CheckLevels(s);
  if (!m_Fixed || !m_Moving)
  {
    throw Error("registration", "needs a fixed and a moving image");
  }
  // Linear stages refine one affine map; rotations about the fixed image's centre.
  auto linear = Affine<D>::New();
  {
    const auto fixedCentre = Centre<D>(m_Fixed, s.initialisation == Initialisation::Moments ? Initialisation::Moments
                                                                                         : Initialisation::Geometry);
    linear->SetCenter(fixedCentre);
    if (s.initialisation != Initialisation::None)
    {
      const auto movingCentre = Centre<D>(m_Moving, s.initialisation);
      linear->SetTranslation(movingCentre - fixedCentre);
    }
  }
  if (!Overlap<D>(m_Fixed, m_Moving, linear))
  {
    throw Error("moving", "does not overlap the fixed image in physical space, even after the initial alignment "
                          "(check origin, spacing and direction)");
  }
  Pyramid<D> pyramid;
  for (size_t level = 0; level < s.shrinkFactors.size(); ++level)
  {
    pyramid.fixed.push_back(PyramidLevel<ScalarImage<D>>(m_Fixed, s.shrinkFactors[level], s.smoothingSigmas[level]));
    pyramid.moving.push_back(PyramidLevel<ScalarImage<D>>(m_Moving, s.shrinkFactors[level], s.smoothingSigmas[level]));
  }
  m_Transform = TransformType::New();
  const auto observer = [&](const std::string & stage, unsigned int level, unsigned int levels, double fraction) {
    if (m_Observer)
    {
      m_Observer(stage, level, levels, fraction);
    }
  };
  bool linearAdded = false;
  for (const TransformKind kind : s.transforms)
  {
    const std::string name = TransformKindName(kind);
    switch (kind)
    {
      case TransformKind::Translation:
      {
        auto t = itk::TranslationTransform<double, D>::New();
        Optimise<D>(pyramid, m_FixedMask, m_MovingMask, s, t.GetPointer(), linear.GetPointer(), name, observer);
        linear->SetTranslation(linear->GetTranslation() + linear->GetMatrix() * t->GetOffset());
        break;
      }
      case TransformKind::Rigid:
      {
        auto t = RigidTransform<D>::New();
        CopyLinear<D>(linear.GetPointer(), t.GetPointer());
        Optimise<D>(pyramid, m_FixedMask, m_MovingMask, s, t.GetPointer(), nullptr, name, observer);
        CopyLinear<D>(t.GetPointer(), linear.GetPointer());
        break;
      }
      case TransformKind::Similarity:
      {
        auto t = SimilarityTransform<D>::New();
        CopyLinear<D>(linear.GetPointer(), t.GetPointer());
        Optimise<D>(pyramid, m_FixedMask, m_MovingMask, s, t.GetPointer(), nullptr, name, observer);
        CopyLinear<D>(t.GetPointer(), linear.GetPointer());
        break;
      }
      case TransformKind::Affine:
      {
        Optimise<D>(pyramid, m_FixedMask, m_MovingMask, s, linear.GetPointer(), nullptr, name, observer);
        break;
      }
      case TransformKind::BSpline:
      case TransformKind::Deformable:
      {
        if (!linearAdded)
        {
          m_Transform->AddTransform(linear);
          linearAdded = true;
        }
        const auto moving = ResampleOnto<D>(m_Moving, m_Fixed, m_Transform);
        GreedyDiffeomorphicRegistration<D> greedy;
        greedy.SetFixedImage(m_Fixed);
        greedy.SetMovingImage(moving);
        greedy.SetFixedMask(m_FixedMask);
        DeformableSettings ds = s.deformable;
        ds.shrinkFactors = s.shrinkFactors;
        ds.smoothingSigmas = s.smoothingSigmas;
        ds.gridSpacing = kind == TransformKind::BSpline ? s.gridSpacing : 0;
        greedy.SetSettings(ds);
        greedy.SetObserver([&](unsigned int level, unsigned int iteration, double) {
          const unsigned int total = ds.iterations[level];
          observer(name, level, static_cast<unsigned int>(ds.shrinkFactors.size()),
                   total ? double(iteration + 1) / total : 1.0);
        });
        greedy.Update();
        if (kind == TransformKind::BSpline)
        {
          m_Transform->AddTransform(greedy.GetBSplineTransform());
          break;
        }
        using FieldTransform = itk::DisplacementFieldTransform<double, D>;
        using Field = typename FieldTransform::DisplacementFieldType;
        // ITK's displacement field transform holds doubles.
        const auto converted = CastField<Field>(greedy.GetDisplacementField().GetPointer());
        auto t = FieldTransform::New();
        t->SetDisplacementField(converted);
        m_Transform->AddTransform(t);
        break;
      }
    }
  }
  if (!linearAdded)
  {
    m_Transform->AddTransform(linear);
  }
}

template <unsigned int D>
typename ImageRegistration<D>::TransformType::Pointer
ImageRegistration<D>::GetInverseTransform() const
{
  if (!m_Transform)
  {
    throw Error("registration", "has not run");
  }
  auto inverse = TransformType::New();
  for (int i = static_cast<int>(m_Transform->GetNumberOfTransforms()) - 1; i >= 0; --i)
  {
    auto t = m_Transform->GetNthTransform(i);
    if (auto * field = dynamic_cast<itk::DisplacementFieldTransform<double, D> *>(t.GetPointer()))
    {
      using FieldTransform = itk::DisplacementFieldTransform<double, D>;
      using Field = typename FieldTransform::DisplacementFieldType;
      using FloatField = typename GreedyDiffeomorphicRegistration<D>::FieldType;
      // Inverted in float (the precision the field was found in).
      const auto psi = GreedyDiffeomorphicRegistration<D>::Invert(
        CastField<FloatField>(field->GetDisplacementField()).GetPointer());
      const auto back = CastField<Field>(psi.GetPointer());
      auto invertedTransform = FieldTransform::New();
      invertedTransform->SetDisplacementField(back);
      inverse->AddTransform(invertedTransform);
    }
    else
    {
      auto inv = t->GetInverseTransform();
      if (!inv)
      {
        throw Error("transform", "the " + std::string(t->GetNameOfClass()) + " has no inverse in closed form (a "
                                 "B-spline: use the deformable stage when the inverse is needed)");
      }
      inverse->AddTransform(inv);
    }
  }
  return inverse;
}

template class ImageRegistration<2>;
template class ImageRegistration<3>;
} // namespace tessera
