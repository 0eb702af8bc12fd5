#include "tesseraConfusionMatrix.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

namespace
{
using tessera::ConfusionMatrix;
using tessera::LabelImage;
using tessera::LabelPixel;

// Pixels given row by row (y), x fastest: ITK's buffer order.
template <unsigned int D>
typename LabelImage<D>::Pointer
MakeImage(const itk::Size<D> & size, const std::vector<LabelPixel> & pixels)
{
  auto image = LabelImage<D>::New();
  image->SetRegions(size);
  image->Allocate();
  EXPECT_EQ(image->GetLargestPossibleRegion().GetNumberOfPixels(), pixels.size());
  std::copy(pixels.begin(), pixels.end(), image->GetBufferPointer());
  return image;
}

// Reference and segmentation, 4x4; hand counts in the comments.
const std::vector<LabelPixel> kReference{ 0, 0, 1, 1, //
                                          0, 0, 1, 1, //
                                          2, 2, 1, 1, //
                                          2, 2, 2, 2 };
const std::vector<LabelPixel> kSegmentation{ 0, 1, 1, 1, //
                                             0, 0, 1, 0, //
                                             2, 2, 2, 1, //
                                             2, 2, 2, 2 };

TEST(ConfusionMatrix, HandComputedScores2D)
{
  const auto ref = MakeImage<2>({ { 4, 4 } }, kReference);
  const auto seg = MakeImage<2>({ { 4, 4 } }, kSegmentation);
  const ConfusionMatrix m = ConfusionMatrix::Compute<2>(ref, seg);
  EXPECT_EQ(m.Compared(), 16);
  EXPECT_EQ(m.IgnoredCount(), 0);
  EXPECT_EQ(m.Correct(), 13); // 3 + 4 + 6
  EXPECT_EQ(m.Labels(), (std::vector<LabelPixel>{ 0, 1, 2 }));
  // Class 0: TP 3, FP 1, FN 1.   Class 1: TP 4, FP 1, FN 2.   Class 2: TP 6, FP 1, FN 0.
  EXPECT_EQ(m.TruePositives(0), 3);
  EXPECT_EQ(m.FalsePositives(0), 1);
  EXPECT_EQ(m.FalseNegatives(0), 1);
  EXPECT_EQ(m.TruePositives(1), 4);
  EXPECT_EQ(m.FalsePositives(1), 1);
  EXPECT_EQ(m.FalseNegatives(1), 2);
  EXPECT_EQ(m.TruePositives(2), 6);
  EXPECT_EQ(m.FalsePositives(2), 1);
  EXPECT_EQ(m.FalseNegatives(2), 0);
  EXPECT_EQ(m.Pairs(1, 0), 1); // ref 1, seg 0 at (x 3, y 1)
  EXPECT_EQ(m.Pairs(1, 2), 1); // (x 2, y 2)
  EXPECT_EQ(m.Pairs(0, 1), 1); // (x 1, y 0)
  EXPECT_EQ(m.Pairs(2, 1), 0);
  EXPECT_EQ(m.ReferenceCount(1), 6);
  EXPECT_EQ(m.SegmentationCount(1), 5);

  EXPECT_DOUBLE_EQ(m.IoU(0), 3.0 / 5.0);
  EXPECT_DOUBLE_EQ(m.Dice(0), 6.0 / 8.0);
  EXPECT_DOUBLE_EQ(m.IoU(1), 4.0 / 7.0);
  EXPECT_DOUBLE_EQ(m.Dice(1), 8.0 / 11.0);
  EXPECT_DOUBLE_EQ(m.IoU(2), 6.0 / 7.0);
  EXPECT_DOUBLE_EQ(m.Dice(2), 12.0 / 13.0);
  EXPECT_DOUBLE_EQ(m.Precision(1), 4.0 / 5.0);
  EXPECT_DOUBLE_EQ(m.Recall(1), 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(m.Recall(2), 1.0);
  EXPECT_DOUBLE_EQ(m.PixelAccuracy(), 13.0 / 16.0);
  EXPECT_DOUBLE_EQ(m.MeanIoU({ 0, 1, 2 }), (3.0 / 5.0 + 4.0 / 7.0 + 6.0 / 7.0) / 3.0);
  EXPECT_DOUBLE_EQ(m.MeanDice({ 0, 1, 2 }), (6.0 / 8.0 + 8.0 / 11.0 + 12.0 / 13.0) / 3.0);
  EXPECT_DOUBLE_EQ(m.MeanIoU({ 1, 2 }), (4.0 / 7.0 + 6.0 / 7.0) / 2.0);
}

TEST(ConfusionMatrix, ThreeDimensionalPathGivesTheSameCounts)
{
  // The 4x4 pair as two 4x2 slices of a 4x2x2 volume: same pixels, same scores.
  const auto ref = MakeImage<3>({ { 4, 2, 2 } }, kReference);
  const auto seg = MakeImage<3>({ { 4, 2, 2 } }, kSegmentation);
  const ConfusionMatrix m = ConfusionMatrix::Compute<3>(ref, seg);
  EXPECT_EQ(m.Correct(), 13);
  EXPECT_DOUBLE_EQ(m.IoU(1), 4.0 / 7.0);
  EXPECT_DOUBLE_EQ(m.Dice(2), 12.0 / 13.0);
}

TEST(ConfusionMatrix, IgnoreLabelSkipsReferenceVoxels)
{
  std::vector<LabelPixel> ref = kReference;
  ref[15] = 9;  // (x 3, y 3): ref 9, seg 2 -> skipped, so class 2 loses a TP
  ref[7] = 9;   // (x 3, y 1): ref 9, seg 0 -> skipped, so class 0 loses its FP
  const auto refImage = MakeImage<2>({ { 4, 4 } }, ref);
  const auto segImage = MakeImage<2>({ { 4, 4 } }, kSegmentation);
  const ConfusionMatrix m = ConfusionMatrix::Compute<2>(refImage, segImage, LabelPixel(9));
  EXPECT_EQ(m.Compared(), 14);
  EXPECT_EQ(m.IgnoredCount(), 2);
  EXPECT_EQ(m.Correct(), 12);
  EXPECT_EQ(m.SegmentationCount(0), 3);
  EXPECT_EQ(m.FalsePositives(0), 0);
  EXPECT_DOUBLE_EQ(m.IoU(0), 3.0 / 4.0);
  EXPECT_EQ(m.TruePositives(2), 5);
  EXPECT_DOUBLE_EQ(m.IoU(2), 5.0 / 6.0);
  EXPECT_EQ(m.ReferenceCount(9), 0);
  EXPECT_DOUBLE_EQ(m.PixelAccuracy(), 12.0 / 14.0);
  EXPECT_EQ(m.DefaultClasses(LabelPixel(9), false), (std::vector<LabelPixel>{ 0, 1, 2 }));

  // Without the ignore label, 9 is an ordinary (missed) class.
  const ConfusionMatrix all = ConfusionMatrix::Compute<2>(refImage, segImage);
  EXPECT_EQ(all.Compared(), 16);
  EXPECT_EQ(all.ReferenceCount(9), 2);
  EXPECT_DOUBLE_EQ(all.IoU(9), 0.0);
}

TEST(ConfusionMatrix, AbsentClassIsNaNAndLeftOutOfMeans)
{
  const auto ref = MakeImage<2>({ { 4, 4 } }, kReference);
  const auto seg = MakeImage<2>({ { 4, 4 } }, kSegmentation);
  const ConfusionMatrix m = ConfusionMatrix::Compute<2>(ref, seg);
  EXPECT_TRUE(std::isnan(m.IoU(5)));
  EXPECT_TRUE(std::isnan(m.Dice(5)));
  EXPECT_TRUE(std::isnan(m.Precision(5)));
  EXPECT_DOUBLE_EQ(m.MeanIoU({ 1, 5 }), 4.0 / 7.0);
  EXPECT_TRUE(std::isnan(m.MeanIoU({ 5 })));
  EXPECT_EQ(m.DefaultClasses(std::nullopt, true), (std::vector<LabelPixel>{ 1, 2 }));
}

TEST(ConfusionMatrix, IdenticalImagesScoreOne)
{
  const auto ref = MakeImage<2>({ { 4, 4 } }, kReference);
  const ConfusionMatrix m = ConfusionMatrix::Compute<2>(ref, ref);
  for (LabelPixel c : { 0, 1, 2 })
  {
    EXPECT_DOUBLE_EQ(m.IoU(c), 1.0);
    EXPECT_DOUBLE_EQ(m.Dice(c), 1.0);
  }
  EXPECT_DOUBLE_EQ(m.PixelAccuracy(), 1.0);
}

TEST(ConfusionMatrix, LargeLabelValuesAreKeptApart)
{
  const auto ref = MakeImage<2>({ { 3, 1 } }, { 65535, 65535, 1 });
  const auto seg = MakeImage<2>({ { 3, 1 } }, { 65535, 1, 65535 });
  const ConfusionMatrix m = ConfusionMatrix::Compute<2>(ref, seg);
  EXPECT_EQ(m.Pairs(65535, 65535), 1);
  EXPECT_EQ(m.Pairs(65535, 1), 1);
  EXPECT_EQ(m.Pairs(1, 65535), 1);
  EXPECT_DOUBLE_EQ(m.IoU(65535), 1.0 / 3.0);
}

TEST(ConfusionMatrix, AccumulatesOverImages)
{
  const auto ref = MakeImage<2>({ { 4, 4 } }, kReference);
  const auto seg = MakeImage<2>({ { 4, 4 } }, kSegmentation);
  ConfusionMatrix total = ConfusionMatrix::Compute<2>(ref, seg);
  total += ConfusionMatrix::Compute<2>(ref, ref);
  EXPECT_EQ(total.Compared(), 32);
  EXPECT_EQ(total.Correct(), 29);
  EXPECT_DOUBLE_EQ(total.IoU(1), 10.0 / 13.0); // TP 4 + 6, FP 1, FN 2
  total.Add(3, 1, 2);
  EXPECT_EQ(total.SegmentationCount(1), 13);
  EXPECT_THROW(total.Add(1, 1, -1), tessera::Error);
}

template <typename F>
void
ExpectGridError(F modify, const std::string & word)
{
  const auto ref = MakeImage<2>({ { 4, 4 } }, kReference);
  auto       seg = MakeImage<2>({ { 4, 4 } }, kSegmentation);
  modify(seg);
  try
  {
    ConfusionMatrix::Compute<2>(ref, seg, std::nullopt, "ref.nii.gz", "seg.nii.gz");
    ADD_FAILURE() << "no error for differing " << word;
  }
  catch (const tessera::Error & e)
  {
    EXPECT_EQ(e.Subject(), "seg.nii.gz");
    EXPECT_NE(e.Problem().find(word), std::string::npos) << e.what();
  }
}

TEST(ConfusionMatrix, DifferentGridsThrowNamingWhatDiffers)
{
  using Image = LabelImage<2>;
  ExpectGridError([](Image::Pointer & s) { s = MakeImage<2>({ { 4, 2 } }, std::vector<LabelPixel>(8, 0)); }, "size");
  ExpectGridError(
    [](Image::Pointer & s) {
      Image::SpacingType spacing;
      spacing[0] = 1.0;
      spacing[1] = 2.0;
      s->SetSpacing(spacing);
    },
    "spacing");
  ExpectGridError(
    [](Image::Pointer & s) {
      Image::PointType origin;
      origin[0] = 0.0;
      origin[1] = 0.5;
      s->SetOrigin(origin);
    },
    "origin");
  ExpectGridError(
    [](Image::Pointer & s) {
      Image::DirectionType direction;
      direction.Fill(0);
      direction[0][1] = 1;
      direction[1][0] = 1;
      s->SetDirection(direction);
    },
    "direction");
  // Within tolerance: no error.
  const auto ref = MakeImage<2>({ { 4, 4 } }, kReference);
  auto       seg = MakeImage<2>({ { 4, 4 } }, kSegmentation);
  Image::SpacingType spacing;
  spacing.Fill(1.0 + 1e-9);
  seg->SetSpacing(spacing);
  EXPECT_NO_THROW(ConfusionMatrix::Compute<2>(ref, seg));
}
} // namespace
