// Transform files: round trips in every format, ANTs' spelling of an affine, dimension checks,
// and warping that keeps labels and the reference grid.
#include <cstdio>
#include <set>
#include <unistd.h>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "itkAffineTransform.h"
#include "itkDisplacementFieldTransform.h"
#include "tesseraImageUtilities.h"
#include "tesseraTransformFile.h"
#include "tesseraWarpImage.h"

namespace
{
using namespace tessera;
namespace fs = std::filesystem;

struct TransformFile : ::testing::Test
{
  fs::path folder = fs::temp_directory_path() / ("tessera-transform-test-" + std::to_string(::getpid()));
  void SetUp() override { fs::create_directories(folder); }
  void TearDown() override { fs::remove_all(folder); }
  std::string Path(const std::string & name) const { return (folder / name).string(); }
};

itk::CompositeTransform<double, 3>::Pointer
AffineAndField()
{
  auto affine = itk::AffineTransform<double, 3>::New();
  affine->Rotate3D(itk::Vector<double, 3>(1.0), 0.1);
  itk::Vector<double, 3> shift;
  shift[0] = 1;
  shift[1] = -2;
  shift[2] = 3;
  affine->Translate(shift);
  using FieldTransform = itk::DisplacementFieldTransform<double, 3>;
  auto field = FieldTransform::DisplacementFieldType::New();
  FieldTransform::DisplacementFieldType::SizeType size;
  size.Fill(8);
  field->SetRegions(size);
  field->Allocate();
  itk::Vector<double, 3> v;
  v[0] = 0.5;
  v[1] = -0.25;
  v[2] = 1;
  field->FillBuffer(v);
  auto dense = FieldTransform::New();
  dense->SetDisplacementField(field);
  auto composite = itk::CompositeTransform<double, 3>::New();
  composite->AddTransform(affine);
  composite->AddTransform(dense);
  return composite;
}

TEST_F(TransformFile, HDF5KeepsAnAffineAndADisplacementFieldInOrder)
{
  const auto written = AffineAndField();
  WriteTransformFile<3>(written, Path("t.h5"));
  const auto read = ReadTransformFile<3>(Path("t.h5"));
  ASSERT_EQ(read->GetNumberOfTransforms(), 2u);
  itk::Point<double, 3> p;
  p[0] = 3;
  p[1] = 4;
  p[2] = 2;
  const auto expected = written->TransformPoint(p);
  const auto got = read->TransformPoint(p);
  for (unsigned int d = 0; d < 3; ++d)
  {
    EXPECT_NEAR(got[d], expected[d], 1e-9);
  }
}

TEST_F(TransformFile, TextAndMatlabFilesKeepLinearTransforms)
{
  auto composite = itk::CompositeTransform<double, 3>::New();
  composite->AddTransform(AffineAndField()->GetNthTransform(0));
  for (const std::string name : { "t.tfm", "t.txt", "t.mat" })
  {
    WriteTransformFile<3>(composite, Path(name));
    const auto read = ReadTransformFile<3>(Path(name));
    EXPECT_EQ(read->GetParameters(), composite->GetParameters()) << name;
  }
}

TEST_F(TransformFile, ReadsANTsSpellingOfAnAffine)
{
  // As antsRegistration writes a linear stage in text form.
  std::ofstream(Path("ants.txt")) << "#Insight Transform File V1.0\n#Transform 0\n"
                                     "Transform: MatrixOffsetTransformBase_double_3_3\n"
                                     "Parameters: 1 0 0 0 1 0 0 0 1 5 -3 2\nFixedParameters: 0 0 0\n";
  const auto read = ReadTransformFile<3>(Path("ants.txt"));
  itk::Point<double, 3> p;
  p.Fill(1);
  const auto q = read->TransformPoint(p);
  EXPECT_DOUBLE_EQ(q[0], 6);
  EXPECT_DOUBLE_EQ(q[1], -2);
  EXPECT_DOUBLE_EQ(q[2], 3);
}

TEST_F(TransformFile, RefusesADenseFieldInTextAndATransformOfAnotherDimension)
{
  EXPECT_THROW(WriteTransformFile<3>(AffineAndField(), Path("t.tfm")), Error);
  EXPECT_FALSE(fs::exists(Path("t.tfm")));
  WriteTransformFile<3>(AffineAndField(), Path("t.h5"));
  EXPECT_THROW(ReadTransformFile<2>(Path("t.h5")), Error);
  std::ofstream(Path("broken.h5")) << "not HDF5";
  EXPECT_THROW(ReadTransformFile<3>(Path("broken.h5")), Error);
  EXPECT_THROW(ReadTransformFile<3>(Path("missing.h5")), Error);
}

TEST(WarpImage, LabelInterpolationKeepsLabelValuesAndTakesTheReferenceGrid)
{
  // Labels 0, 10, 200 in blocks; a half-voxel shift and rotation must not invent label 105.
  auto labels = LabelImage<2>::New();
  LabelImage<2>::SizeType size = { { 32, 32 } };
  labels->SetRegions(size);
  labels->Allocate();
  for (itk::ImageRegionIteratorWithIndex<LabelImage<2>> it(labels, labels->GetLargestPossibleRegion()); !it.IsAtEnd(); ++it)
  {
    it.Set(it.GetIndex()[0] < 10 ? 0 : (it.GetIndex()[1] < 16 ? 10 : 200));
  }
  auto reference = ScalarImage<2>::New();
  reference->SetRegions(LabelImage<2>::SizeType{ { 20, 24 } });
  reference->SetSpacing(itk::Vector<double, 2>(1.5).GetDataPointer());
  double origin[2] = { 0.5, -0.25 };
  reference->SetOrigin(origin);
  reference->Allocate();
  auto t = itk::AffineTransform<double, 2>::New();
  t->Rotate2D(0.2);
  itk::Vector<double, 2> shift(0.5);
  t->Translate(shift);
  for (const auto interpolation : { Interpolation::Label, Interpolation::Nearest })
  {
    const auto warped = WarpLabels<2>(labels, reference, t, interpolation);
    EXPECT_EQ(warped->GetLargestPossibleRegion(), reference->GetLargestPossibleRegion());
    EXPECT_EQ(warped->GetSpacing(), reference->GetSpacing());
    EXPECT_EQ(warped->GetOrigin(), reference->GetOrigin());
    std::set<LabelPixel> seen(warped->GetBufferPointer(),
                              warped->GetBufferPointer() + warped->GetLargestPossibleRegion().GetNumberOfPixels());
    for (const auto l : seen)
    {
      EXPECT_TRUE(l == 0 || l == 10 || l == 200) << l;
    }
    EXPECT_EQ(seen.size(), 3u);
  }
  EXPECT_THROW(WarpLabels<2>(labels, reference, t, Interpolation::Linear), Error);
}

TEST(WarpImage, TheIdentityReproducesEveryComponent)
{
  const auto image = ReadIntensityImage<2>(std::string(TESSERA_ITK_EXAMPLES_DIR) + "/VisibleWomanEyeSlice.png");
  auto identity = itk::AffineTransform<double, 2>::New();
  for (const auto interpolation : { Interpolation::Linear, Interpolation::BSpline, Interpolation::Nearest })
  {
    const auto warped = WarpImage<2>(image, image, identity, interpolation);
    ASSERT_EQ(warped->GetNumberOfComponentsPerPixel(), image->GetNumberOfComponentsPerPixel());
    const size_t n = image->GetLargestPossibleRegion().GetNumberOfPixels() * image->GetNumberOfComponentsPerPixel();
    double       largest = 0;
    for (size_t i = 0; i < n; ++i)
    {
      largest = std::max(largest, double(std::abs(warped->GetBufferPointer()[i] - image->GetBufferPointer()[i])));
    }
    EXPECT_LT(largest, 1e-3);
  }
}
} // namespace
