#include <filesystem>

#include <gtest/gtest.h>

#include "tesseraImageUtilities.h"
#include "tesseraOverlay.h"

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

TEST(ImageUtilities, OverlayOf3DVolumeShowsThreeViews)
{
  auto image = MakeImage<3>(8, 0.0f);
  for (size_t i = 0; i < 512; ++i)
  {
    image->GetBufferPointer()[i] = static_cast<float>(i % 8);
  }
  auto labels = LabelImage<3>::New();
  labels->SetRegions(image->GetLargestPossibleRegion());
  labels->Allocate(true);
  labels->GetBufferPointer()[300] = 1;
  const auto path = (std::filesystem::temp_directory_path() / "tessera-overlay-test.png").string();
  std::filesystem::remove(path);
  WriteOverlay<3>(ToVectorImage<3>(image).GetPointer(), labels.GetPointer(), LabelTable(), path);
  const auto info = ReadImageInfo(path);
  EXPECT_EQ(info.components, 3u);
  EXPECT_EQ(info.size[0], 3u * 8 + 2 * 4); // three 8-wide views with 4-pixel gaps between them
  EXPECT_EQ(info.size[1], 8u);
}

TEST(Overlay, LabelZeroIsColouredWhenTheTableListsIt)
{
  // A mid-grey 6x4 image; the left half labelled 0, the right half 1.
  auto image = VectorImage<2>::New();
  image->SetRegions(VectorImage<2>::SizeType{ { 6, 4 } });
  image->SetNumberOfComponentsPerPixel(1);
  image->Allocate();
  for (size_t i = 0; i < 24; ++i)
  {
    image->GetBufferPointer()[i] = static_cast<float>(i % 2); // two values: the stretch maps them to 0 and 255
  }
  auto labels = LabelImage<2>::New();
  labels->SetRegions(image->GetLargestPossibleRegion());
  labels->Allocate();
  for (size_t i = 0; i < 24; ++i)
  {
    labels->GetBufferPointer()[i] = (i % 6) < 3 ? 0 : 1;
  }
  const auto dir = std::filesystem::temp_directory_path();
  const auto red = [&](const LabelTable & table, const std::string & name) {
    const auto path = (dir / name).string();
    WriteOverlay<2>(image.GetPointer(), labels.GetPointer(), table, path);
    const auto rgb = ReadImageFile<VectorImage<2>>(path);
    const float * p = rgb->GetBufferPointer(); // pixel (1, 1): label 0, inside its region
    const size_t  i = 1 * 6 + 1;
    std::filesystem::remove(path);
    return p[i * 3] - p[i * 3 + 1];
  };
  LabelTable membranes;
  membranes.Add(0, { "Membrane", { 255, 0, 0 }, false });
  membranes.Add(1, { "Cell", { 0, 0, 255 }, false });
  EXPECT_GT(red(membranes, "tessera-overlay-zero.png"), 50.0f); // red tint
  EXPECT_EQ(red(LabelTable(), "tessera-overlay-none.png"), 0.0f); // no table entry: grey
  membranes.Add(0, { "Membrane", { 255, 0, 0 }, true });
  EXPECT_EQ(red(membranes, "tessera-overlay-ignored.png"), 0.0f); // ignored: grey
}
