#include <filesystem>

#include <gtest/gtest.h>

#include "tesseraImageUtilities.h"

using namespace tessera;

namespace
{
template <unsigned int D>
typename ScalarImage<D>::Pointer
MakeImage(unsigned int n, float value)
{
  auto image = ScalarImage<D>::New();
  typename ScalarImage<D>::SizeType size;
  size.Fill(n);
  image->SetRegions(size);
  image->Allocate();
  image->FillBuffer(value);
  return image;
}
} // namespace

TEST(ImageUtilities, CheckSameGridNamesWhatDiffers)
{
  auto a = MakeImage<3>(4, 1.0f);
  auto b = MakeImage<3>(4, 0.0f);
  EXPECT_NO_THROW(CheckSameGrid(a.GetPointer(), "t1.nii.gz", b.GetPointer(), "mask.nii.gz"));
  auto c = MakeImage<3>(5, 0.0f);
  try
  {
    CheckSameGrid(a.GetPointer(), "t1.nii.gz", c.GetPointer(), "mask.nii.gz");
    FAIL();
  }
  catch (const Error & e)
  {
    EXPECT_EQ(std::string(e.what()), "mask.nii.gz: size 5x5x5 differs from t1.nii.gz's 4x4x4");
  }
  double origin[3] = { 0, 0, 1 };
  b->SetOrigin(origin);
  EXPECT_THROW(CheckSameGrid(a.GetPointer(), "a", b.GetPointer(), "b"), Error);
  b->SetOrigin(a->GetOrigin());
  double spacing[3] = { 1, 1, 2 };
  b->SetSpacing(spacing);
  EXPECT_THROW(CheckSameGrid(a.GetPointer(), "a", b.GetPointer(), "b"), Error);
}

TEST(ImageUtilities, CheckFiniteFindsNaNOnlyInsideTheMask)
{
  auto image = MakeImage<2>(3, 1.0f);
  image->GetBufferPointer()[4] = std::nanf("");
  const auto features = ToVectorImage<2>(image);
  EXPECT_EQ(features->GetNumberOfComponentsPerPixel(), 1u);
  EXPECT_THROW(CheckFinite<2>(features.GetPointer(), "x.nii.gz"), Error);
  auto mask = MaskImage<2>::New();
  mask->SetRegions(image->GetLargestPossibleRegion());
  mask->Allocate(true);
  mask->GetBufferPointer()[0] = 1;
  EXPECT_NO_THROW(CheckFinite<2>(features.GetPointer(), "x.nii.gz", mask.GetPointer()));
}

