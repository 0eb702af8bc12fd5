// Known answers: ITK's example images with a known rotation and shift, and a known affine of a
// MICCAI brain; determinism whatever the thread count.
#include <cmath>
#include <fstream>

#include <gtest/gtest.h>

#include "itkAffineTransform.h"
#include "itkResampleImageFilter.h"
#include "itkMultiThreaderBase.h"
#include "tesseraImageRegistration.h"
#include "tesseraImageUtilities.h"

namespace
{
using namespace tessera;
const std::string Examples = TESSERA_ITK_EXAMPLES_DIR;

ScalarImage<2>::Pointer
Read2D(const std::string & name)
{
  return MeanOfComponents<2>(ReadIntensityImage<2>(Examples + "/" + name));
}

/** The registered map as rotation (degrees) and translation (mm) about `centre`. */
struct Rigid2D
{
  double degrees, tx, ty;
};

Rigid2D
AboutCentre(const itk::Transform<double, 2, 2> * t, double cx, double cy)
{
  itk::Point<double, 2> c, x;
  c[0] = cx;
  c[1] = cy;
  x = c;
  x[0] += 1;
  const auto tc = t->TransformPoint(c);
  const auto tx = t->TransformPoint(x);
  return { std::atan2(tx[1] - tc[1], tx[0] - tc[0]) * 180 / M_PI, tc[0] - cx, tc[1] - cy };
}

RegistrationSettings
Linear(std::vector<TransformKind> kinds)
{
  RegistrationSettings s;
  s.transforms = std::move(kinds);
  s.metric = LinearMetric::MeanSquares;
  s.samples = 0;
  return s;
}

TEST(ImageRegistration, RecoversTheRotationAndShiftOfITKsExamplePair)
{
  ImageRegistration<2> registration;
  registration.SetFixedImage(Read2D("BrainProtonDensitySliceBorder20.png"));
  registration.SetMovingImage(Read2D("BrainProtonDensitySliceR10X13Y17.png"));
  registration.SetSettings(Linear({ TransformKind::Rigid }));
  registration.Update();
  // The images differ by 10 degrees about the centre (110, 128) of the 221 x 257 fixed image and
  // a shift that reads (13.09, 15.91) mm about that centre, as ITK's ImageRegistration5 example
  // documents it (the nominal (13, 17) holds about another centre).
  const Rigid2D r = AboutCentre(registration.GetTransform(), 110, 128);
  std::cout << "rotation " << r.degrees << " deg, translation " << r.tx << ", " << r.ty << " mm\n";
  EXPECT_NEAR(r.degrees, 10.0, 0.1);
  EXPECT_NEAR(r.tx, 13.09, 0.1);
  EXPECT_NEAR(r.ty, 15.91, 0.1);
}

TEST(ImageRegistration, RecoversTheShiftOfITKsExamplePair)
{
  ImageRegistration<2> registration;
  registration.SetFixedImage(Read2D("BrainProtonDensitySliceBorder20.png"));
  registration.SetMovingImage(Read2D("BrainProtonDensitySliceShifted13x17y.png"));
  registration.SetSettings(Linear({ TransformKind::Translation }));
  registration.Update();
  const Rigid2D r = AboutCentre(registration.GetTransform(), 110, 128);
  std::cout << "rotation " << r.degrees << " deg, translation " << r.tx << ", " << r.ty << " mm\n";
  EXPECT_NEAR(r.degrees, 0.0, 1e-9);
  EXPECT_NEAR(r.tx, 13.0, 0.1);
  EXPECT_NEAR(r.ty, 17.0, 0.1);
}
} // namespace

namespace
{
using tessera::ScalarImage;

/** A MICCAI 2012 brain (1 mm) and its mask, when the shared data is there. */
bool
ReadBrain(ScalarImage<3>::Pointer & image, tessera::MaskImage<3>::Pointer & mask)
{
  const std::string dir = std::string(TESSERA_DATA_DIR) + "/miccai2012-multiatlas/";
  if (!std::ifstream(dir + "1000_SS.nii.gz"))
  {
    return false;
  }
  image = tessera::MeanOfComponents<3>(tessera::ReadIntensityImage<3>(dir + "1000_SS.nii.gz"));
  mask = tessera::ReadMask<3>(dir + "1000_mask.nii.gz", image.GetPointer(), "1000_SS");
  return true;
}

TEST(ImageRegistration, RecoversAKnown3DAffineOfABrainWithinHalfAMillimetre)
{
  ScalarImage<3>::Pointer            fixed;
  tessera::MaskImage<3>::Pointer     mask;
  if (!ReadBrain(fixed, mask))
  {
    GTEST_SKIP() << "MICCAI 2012 data not found in " << TESSERA_DATA_DIR;
  }
  // A known affine about the brain's centre: 6 degrees about a tilted axis, 5 % scaling, shear.
  auto truth = itk::AffineTransform<double, 3>::New();
  itk::Point<double, 3> centre;
  itk::ContinuousIndex<double, 3> middle;
  for (unsigned int d = 0; d < 3; ++d)
  {
    middle[d] = fixed->GetLargestPossibleRegion().GetSize(d) / 2.0;
  }
  fixed->TransformContinuousIndexToPhysicalPoint(middle, centre);
  truth->SetCenter(centre);
  itk::Vector<double, 3> axis;
  axis[0] = 1;
  axis[1] = 0.5;
  axis[2] = 0.2;
  truth->Rotate3D(axis, 6 * M_PI / 180);
  truth->Scale(1.05);
  truth->Shear(0, 1, 0.03);
  itk::Vector<double, 3> shift;
  shift[0] = 6;
  shift[1] = -4;
  shift[2] = 3;
  truth->Translate(shift);
  auto resample = itk::ResampleImageFilter<ScalarImage<3>, ScalarImage<3>>::New();
  resample->SetInput(fixed);
  resample->SetTransform(truth->GetInverseTransform());
  resample->SetOutputParametersFromImage(fixed);
  resample->Update();
  ScalarImage<3>::Pointer moving = resample->GetOutput(); // moving(truth(x)) = fixed(x)

  tessera::ImageRegistration<3> registration;
  registration.SetFixedImage(fixed);
  registration.SetMovingImage(moving);
  tessera::RegistrationSettings settings;
  settings.transforms = { tessera::TransformKind::Rigid, tessera::TransformKind::Affine };
  registration.SetSettings(settings);
  registration.Update();
  const auto found = registration.GetTransform();
  double     sum = 0;
  size_t     n = 0;
  for (itk::ImageRegionConstIteratorWithIndex<tessera::MaskImage<3>> it(mask, mask->GetLargestPossibleRegion());
       !it.IsAtEnd(); ++it)
  {
    if (it.Get())
    {
      itk::Point<double, 3> p;
      mask->TransformIndexToPhysicalPoint(it.GetIndex(), p);
      sum += (found->TransformPoint(p) - truth->TransformPoint(p)).GetSquaredNorm();
      ++n;
    }
  }
  const double rms = std::sqrt(sum / n);
  std::cout << "RMS error over the brain mask: " << rms << " mm\n";
  EXPECT_LT(rms, 0.5);
}

TEST(ImageRegistration, GivesTheSameTransformWhateverTheThreadCount)
{
  tessera::RegistrationSettings settings; // mutual information, random sampling, deformable
  settings.samples = 5000;
  settings.deformable.iterations = { 20, 10, 5 };
  std::vector<double> results[2];
  for (const unsigned int threads : { 1u, 2u })
  {
    itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(threads);
    tessera::ImageRegistration<2> registration;
    registration.SetFixedImage(Read2D("BrainProtonDensitySliceBorder20.png"));
    registration.SetMovingImage(Read2D("BrainProtonDensitySliceR10X13Y17.png"));
    registration.SetSettings(settings);
    registration.Update();
    const auto transform = registration.GetTransform();
    for (unsigned int i = 0; i < transform->GetNumberOfTransforms(); ++i)
    {
      const auto & parameters = transform->GetNthTransform(i)->GetParameters();
      results[threads - 1].insert(results[threads - 1].end(), parameters.begin(), parameters.end());
    }
  }
  itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(itk::MultiThreaderBase::GetGlobalMaximumNumberOfThreads());
  ASSERT_EQ(results[0].size(), results[1].size());
  EXPECT_TRUE(results[0] == results[1]);
}

TEST(ImageRegistration, RefusesImagesThatDoNotOverlap)
{
  auto moving = Read2D("BrainProtonDensitySliceShifted13x17y.png");
  auto origin = moving->GetOrigin();
  origin[0] += 1e4;
  moving->SetOrigin(origin);
  tessera::ImageRegistration<2> registration;
  registration.SetFixedImage(Read2D("BrainProtonDensitySliceBorder20.png"));
  registration.SetMovingImage(moving);
  auto settings = Linear({ tessera::TransformKind::Rigid });
  settings.initialisation = tessera::Initialisation::None;
  registration.SetSettings(settings);
  EXPECT_THROW(registration.Update(), tessera::Error);
}

TEST(ImageRegistration, RefusesStagesOutOfOrder)
{
  tessera::ImageRegistration<2> registration;
  registration.SetFixedImage(Read2D("BrainProtonDensitySliceBorder20.png"));
  registration.SetMovingImage(Read2D("BrainProtonDensitySliceShifted13x17y.png"));
  registration.SetSettings(Linear({ tessera::TransformKind::Affine, tessera::TransformKind::Rigid }));
  EXPECT_THROW(registration.Update(), tessera::Error);
}
} // namespace
