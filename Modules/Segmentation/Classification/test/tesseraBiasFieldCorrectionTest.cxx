#include <cmath>

#include <gtest/gtest.h>

#include "tesseraBiasFieldCorrection.h"
#include "tesseraError.h"

using namespace tessera;

namespace
{
/** Coefficient of variation of a / b over the pixels of the mask. */
double
RatioVariation(const float * a, const float * b, const uint8_t * mask, size_t n)
{
  double sum = 0, sum2 = 0, count = 0;
  for (size_t i = 0; i < n; ++i)
    if (mask[i])
    {
      const double r = a[i] / b[i];
      sum += r;
      sum2 += r * r;
      ++count;
    }
  const double mean = sum / count;
  return std::sqrt(sum2 / count - mean * mean) / mean;
}
} // namespace

TEST(BiasFieldCorrection, N4RemovesAKnownSmoothField)
{
  // A 3D phantom (spacing 2 mm, an origin): a sphere of "white matter" (150) in "grey matter" (100), within a
  // spherical mask, times a known smooth field 1 + 0.3 x (x from -1 to 1 across the image) with a bend in z.
  const size_t        nx = 48, ny = 48, nz = 32, n = nx * ny * nz;
  auto                image = ScalarImage<3>::New();
  auto                mask = MaskImage<3>::New();
  const double        spacing[3] = { 2.0, 2.0, 2.0 }, origin[3] = { -40.0, 10.0, 3.0 };
  std::vector<float>  truth(n);
  image->SetRegions(ScalarImage<3>::SizeType{ { nx, ny, nz } });
  image->SetSpacing(spacing);
  image->SetOrigin(origin);
  image->Allocate();
  mask->CopyInformation(image);
  mask->SetRegions(image->GetLargestPossibleRegion());
  mask->Allocate();
  for (size_t z = 0, i = 0; z < nz; ++z)
    for (size_t y = 0; y < ny; ++y)
      for (size_t x = 0; x < nx; ++x, ++i)
      {
        const double u = 2.0 * x / (nx - 1) - 1, v = 2.0 * y / (ny - 1) - 1, w = 2.0 * z / (nz - 1) - 1;
        const double r = std::sqrt(u * u + v * v + w * w);
        truth[i] = r < 0.45 ? 150.0f : 100.0f;
        const double field = (1 + 0.3 * u) * (1 + 0.1 * w * w);
        image->GetBufferPointer()[i] = static_cast<float>(truth[i] * field);
        mask->GetBufferPointer()[i] = r < 0.95;
      }
  // The bias shows in each tissue as a spread of image / truth.
  const double before = RatioVariation(image->GetBufferPointer(), truth.data(), mask->GetBufferPointer(), n);
  EXPECT_GT(before, 0.1);
  BiasFieldCorrectionSettings settings;
  settings.shrinkFactor = 2;
  const auto result = CorrectBiasField<3>(image, mask, settings);
  const double after = RatioVariation(result.corrected->GetBufferPointer(), truth.data(), mask->GetBufferPointer(), n);
  std::cout << "N4 residual bias (coefficient of variation of corrected / truth in the mask): " << before << " -> "
            << after << std::endl;
  EXPECT_LT(after, 0.2 * before);
  EXPECT_EQ(result.corrected->GetSpacing(), image->GetSpacing());
  EXPECT_EQ(result.field->GetOrigin(), image->GetOrigin());
  // image = corrected × field.
  EXPECT_NEAR(result.corrected->GetBufferPointer()[1000] * result.field->GetBufferPointer()[1000],
              image->GetBufferPointer()[1000], 1e-3);
}

TEST(BiasFieldCorrection, RefusesImagesWithNothingToFit)
{
  auto image = ScalarImage<2>::New();
  image->SetRegions(ScalarImage<2>::SizeType{ { 32, 32 } });
  image->Allocate();
  image->FillBuffer(0.0f);
  EXPECT_THROW(CorrectBiasField<2>(image, nullptr, {}), Error);
  image->FillBuffer(5.0f);
  BiasFieldCorrectionSettings s;
  s.shrinkFactor = 16;
  EXPECT_THROW(CorrectBiasField<2>(image, nullptr, s), Error);
}
