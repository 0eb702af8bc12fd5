#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "tesseraImageIO.h"
#include "tesseraOverlay.h"

using namespace tessera;

namespace
{
/** A volume whose voxel values and labels depend on all three indices, so any wrong axis or flip shows. */
struct Volume
{
  VectorImage<3>::Pointer image;
  LabelImage<3>::Pointer  labels;
};

Volume
AsymmetricVolume(const itk::Size<3> & size)
{
  Volume v{ VectorImage<3>::New(), LabelImage<3>::New() };
  v.image->SetRegions(size);
  v.image->SetNumberOfComponentsPerPixel(1);
  v.image->Allocate();
  v.labels->SetRegions(size);
  v.labels->Allocate();
  const itk::SpacePrecisionType spacing[3] = { 1.0, 1.0, 2.0 };
  v.image->SetSpacing(spacing);
  v.labels->SetSpacing(spacing);
  for (itk::IndexValueType z = 0; z < static_cast<itk::IndexValueType>(size[2]); ++z)
  {
    for (itk::IndexValueType y = 0; y < static_cast<itk::IndexValueType>(size[1]); ++y)
    {
      for (itk::IndexValueType x = 0; x < static_cast<itk::IndexValueType>(size[0]); ++x)
      {
        const itk::Index<3> i{ { x, y, z } };
        itk::VariableLengthVector<float> p(1);
        p[0] = static_cast<float>(x + 3 * y + 7 * z);
        v.image->SetPixel(i, p);
        v.labels->SetPixel(i, static_cast<LabelPixel>(x < 3 ? 1 : (y < 4 ? 2 : (z < 2 ? 3 : 0))));
      }
    }
  }
  return v;
}

/** The same physical volume stored coronally: voxel axes (x, -z, y), i.e. rows run inferior. */
Volume
StoredCoronally(const Volume & axial)
{
  const auto size = axial.image->GetLargestPossibleRegion().GetSize();
  const itk::Size<3> stored{ { size[0], size[2], size[1] } };
  Volume             v{ VectorImage<3>::New(), LabelImage<3>::New() };
  v.image->SetRegions(stored);
  v.image->SetNumberOfComponentsPerPixel(1);
  v.image->Allocate();
  v.labels->SetRegions(stored);
  v.labels->Allocate();
  const auto & s = axial.image->GetSpacing();
  const itk::SpacePrecisionType spacing[3] = { s[0], s[2], s[1] };
  itk::Matrix<double, 3, 3> direction;
  direction.Fill(0);
  direction[0][0] = 1;  // voxel axis 0 runs left
  direction[2][1] = -1; // voxel axis 1 runs inferior
  direction[1][2] = 1;  // voxel axis 2 runs posterior
  itk::Point<double, 3> origin;
  axial.image->TransformIndexToPhysicalPoint(itk::Index<3>{ { 0, 0, static_cast<itk::IndexValueType>(size[2]) - 1 } },
                                             origin);
  for (auto * image : { static_cast<itk::ImageBase<3> *>(v.image), static_cast<itk::ImageBase<3> *>(v.labels) })
  {
    image->SetSpacing(spacing);
    image->SetDirection(direction);
    image->SetOrigin(origin);
  }
  for (itk::IndexValueType z = 0; z < static_cast<itk::IndexValueType>(size[2]); ++z)
  {
    for (itk::IndexValueType y = 0; y < static_cast<itk::IndexValueType>(size[1]); ++y)
    {
      for (itk::IndexValueType x = 0; x < static_cast<itk::IndexValueType>(size[0]); ++x)
      {
        const itk::Index<3> from{ { x, y, z } };
        const itk::Index<3> to{ { x, static_cast<itk::IndexValueType>(size[2]) - 1 - z, y } };
        v.image->SetPixel(to, axial.image->GetPixel(from));
        v.labels->SetPixel(to, axial.labels->GetPixel(from));
      }
    }
  }
  // The construction itself: one voxel lands at the same physical point in both.
  itk::Point<double, 3> a, b;
  axial.image->TransformIndexToPhysicalPoint(itk::Index<3>{ { 2, 3, 1 } }, a);
  v.image->TransformIndexToPhysicalPoint(itk::Index<3>{ { 2, static_cast<itk::IndexValueType>(size[2]) - 2, 3 } }, b);
  EXPECT_LT(a.EuclideanDistanceTo(b), 1e-9);
  return v;
}

OverlayOptions
Plain()
{
  OverlayOptions o;
  o.legend = false;
  o.minimumPanel = 0;
  return o;
}
} // namespace

TEST(Overlay, VolumeShowsThreeTitledViewsAtPhysicalAspect)
{
  const auto v = AsymmetricVolume({ { 8, 10, 6 } });
  const cv::Mat o = RenderOverlay<3>(v.image, v.labels, LabelTable(), Plain());
  // axial 8x10, coronal 8 wide x 12 tall (6 slices of 2 mm), sagittal 10 x 12; 26-px titles; 4-px gaps.
  EXPECT_EQ(o.cols, 8 + 4 + 8 + 4 + 10);
  EXPECT_EQ(o.rows, 26 + 12);
}

TEST(Overlay, ViewsAreNamedByAnatomyWhateverTheStorageOrder)
{
  const auto    axial = AsymmetricVolume({ { 8, 10, 6 } });
  const auto    coronal = StoredCoronally(axial);
  for (const bool legend : { false, true })
  {
    OverlayOptions options;
    options.legend = legend;
    const cv::Mat a = RenderOverlay<3>(axial.image, axial.labels, LabelTable(), options);
    const cv::Mat c = RenderOverlay<3>(coronal.image, coronal.labels, LabelTable(), options);
    ASSERT_EQ(a.size(), c.size());
    EXPECT_EQ(cv::norm(a, c, cv::NORM_INF), 0.0);
  }
}

TEST(Overlay, AxialViewFollowsTheRadiologicalConvention)
{
  // Direction diag(-1, -1, 1) (a RAS-stored NIfTI): voxel x runs to the patient's right, y anterior.
  auto v = AsymmetricVolume({ { 8, 10, 6 } });
  itk::Matrix<double, 3, 3> ras;
  ras.SetIdentity();
  ras[0][0] = ras[1][1] = -1;
  v.image->SetDirection(ras);
  v.labels->SetDirection(ras);
  const cv::Mat o = RenderOverlay<3>(v.image, v.labels, LabelTable(), Plain());
  // Voxels x < 3 (label 1) lie towards the patient's left, so on the viewer's right: columns 5-7
  // of the axial panel, whose border column 5 is drawn in full red (BGR 0, 0, 255).
  const int row = 26 + 5;
  EXPECT_EQ(o.at<cv::Vec3b>(row, 5), cv::Vec3b(0, 0, 255));
  EXPECT_NE(o.at<cv::Vec3b>(row, 2), cv::Vec3b(0, 0, 255));
  EXPECT_NE(o.at<cv::Vec3b>(row, 4)[2], 255); // label 0: bare grey
}

TEST(Overlay, LabelZeroIsColouredWhenTheTableListsIt)
{
  // A 6x4 image; the left half labelled 0, the right half 1.
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
  const auto red = [&](const LabelTable & table) {
    const cv::Vec3b p = RenderOverlay<2>(image, labels, table, Plain()).at<cv::Vec3b>(1, 1); // label 0, inside
    return int(p[2]) - int(p[1]);
  };
  LabelTable membranes;
  membranes.Add(0, { "Membrane", { 255, 0, 0 }, false });
  membranes.Add(1, { "Cell", { 0, 0, 255 }, false });
  EXPECT_GT(red(membranes), 50);      // red tint
  EXPECT_EQ(red(LabelTable()), 0);    // no table entry: grey
  membranes.Add(0, { "Membrane", { 255, 0, 0 }, true });
  EXPECT_EQ(red(membranes), 0);       // ignored: grey
}

TEST(Overlay, OpacityAndOutline)
{
  auto image = VectorImage<2>::New();
  image->SetRegions(VectorImage<2>::SizeType{ { 9, 9 } });
  image->SetNumberOfComponentsPerPixel(1);
  image->Allocate();
  std::fill_n(image->GetBufferPointer(), 81, 0.0f);
  image->GetBufferPointer()[80] = 1; // a stretch from 0 to 1: the rest is black
  auto labels = LabelImage<2>::New();
  labels->SetRegions(image->GetLargestPossibleRegion());
  labels->Allocate(true);
  for (int y = 2; y < 7; ++y)
  {
    for (int x = 2; x < 7; ++x)
    {
      labels->SetPixel({ { x, y } }, 1); // red in the default palette
    }
  }
  auto options = Plain();
  options.opacity = 1.0;
  EXPECT_EQ(RenderOverlay<2>(image, labels, LabelTable(), options).at<cv::Vec3b>(4, 4)[2], 255);
  options.opacity = 0.5;
  EXPECT_NEAR(RenderOverlay<2>(image, labels, LabelTable(), options).at<cv::Vec3b>(4, 4)[2], 128, 1);
  options.outline = true;
  const cv::Mat outline = RenderOverlay<2>(image, labels, LabelTable(), options);
  EXPECT_EQ(outline.at<cv::Vec3b>(4, 4)[2], 0);   // inside: bare
  EXPECT_EQ(outline.at<cv::Vec3b>(2, 4)[2], 255); // border: full colour
}

TEST(Overlay, SmallImagesAreEnlargedAndGetALegend)
{
  auto image = VectorImage<2>::New();
  image->SetRegions(VectorImage<2>::SizeType{ { 64, 32 } });
  image->SetNumberOfComponentsPerPixel(1);
  image->Allocate();
  std::fill_n(image->GetBufferPointer(), 64 * 32, 0.0f);
  auto labels = LabelImage<2>::New();
  labels->SetRegions(image->GetLargestPossibleRegion());
  labels->Allocate(true);
  labels->SetPixel({ { 10, 10 } }, 3);
  OverlayOptions options;
  options.legend = false;
  const cv::Mat bare = RenderOverlay<2>(image, labels, LabelTable(), options);
  EXPECT_EQ(bare.cols, 256);
  EXPECT_EQ(bare.rows, 128);
  // Pixel (10, 10) becomes the 4x4 block at (40..43, 40..43), its border in full colour.
  EXPECT_EQ(bare.at<cv::Vec3b>(40, 40)[0], DefaultLabelColor(3)[2]);
  EXPECT_EQ(bare.at<cv::Vec3b>(39, 39)[0], 0);
  options.legend = true;
  const cv::Mat withLegend = RenderOverlay<2>(image, labels, LabelTable(), options);
  ASSERT_GT(withLegend.rows, 128);
  // The legend's swatch carries label 3's colour.
  const cv::Mat legend = withLegend.rowRange(128, withLegend.rows);
  const auto    c = DefaultLabelColor(3);
  cv::Mat       match;
  cv::inRange(legend, cv::Scalar(c[2], c[1], c[0]), cv::Scalar(c[2], c[1], c[0]), match);
  EXPECT_GE(cv::countNonZero(match), 100); // a 14x14 swatch less its frame
}

TEST(Overlay, WritesAPngAtomically)
{
  const auto v = AsymmetricVolume({ { 8, 10, 6 } });
  const auto path = (std::filesystem::temp_directory_path() / "tessera-overlay-test.png").string();
  std::filesystem::remove(path);
  WriteOverlay<3>(v.image, v.labels, LabelTable(), path);
  const auto info = ReadImageInfo(path);
  EXPECT_EQ(info.components, 3u);
  EXPECT_GE(info.size[1], 256u);
  std::filesystem::remove(path);
  EXPECT_THROW(WriteOverlay<3>(v.image, v.labels, LabelTable(), "/nonexistent-folder/o.png"), Error);
}
