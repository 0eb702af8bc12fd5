#ifndef tesseraEndToEndChecks_h
#define tesseraEndToEndChecks_h

// Checks shared by the end-to-end tests: refused commands, and MICCAI 2012 data made small and scored.
#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "itkShrinkImageFilter.h"
#include "tesseraCommandLine.h"
#include "tesseraImageIO.h"
#include "tesseraImageUtilities.h"

namespace tessera::testing
{
/** Expects exit 1, one error line naming `subject` and `problem`, and none of `outputs`. */
inline void
ExpectRejected(const std::string & arguments, const std::string & subject, const std::string & problem,
               const std::vector<std::string> & outputs)
{
  const auto r = Tessera(arguments);
  EXPECT_EQ(r.exitCode, 1) << arguments;
  const auto lines = r.ErrorLines();
  ASSERT_FALSE(lines.empty()) << arguments;
  EXPECT_NE(lines.back().find(": error: "), std::string::npos) << lines.back();
  EXPECT_NE(lines.back().find(subject), std::string::npos) << lines.back();
  EXPECT_NE(lines.back().find(problem), std::string::npos) << lines.back();
  for (const auto & o : outputs)
  {
    EXPECT_FALSE(std::filesystem::exists(o)) << o;
  }
}

/** Mean Dice over the MICCAI 2012 scored labels (scored-labels.csv) present in either image. */
inline double
MeanMiccaiDice(const LabelImage<3> * a, const LabelImage<3> * b)
{
  std::ifstream list(SharedData("miccai2012-multiatlas/scored-labels.csv"));
  std::string   line;
  std::getline(list, line);
  std::set<LabelPixel> scored;
  while (std::getline(list, line))
  {
    scored.insert(static_cast<LabelPixel>(std::stoi(line.substr(0, line.find(',')))));
  }
  std::map<LabelPixel, std::array<size_t, 3>> counts; // |A|, |B|, |A and B|
  const size_t n = a->GetLargestPossibleRegion().GetNumberOfPixels();
  for (size_t i = 0; i < n; ++i)
  {
    const LabelPixel x = a->GetBufferPointer()[i], y = b->GetBufferPointer()[i];
    ++counts[x][0];
    ++counts[y][1];
    if (x == y)
    {
      ++counts[x][2];
    }
  }
  double sum = 0;
  size_t labels = 0;
  for (const auto l : scored)
  {
    const auto & c = counts[l];
    if (c[0] + c[1] > 0)
    {
      sum += 2.0 * c[2] / (c[0] + c[1]);
      ++labels;
    }
  }
  return sum / labels;
}

/** A MICCAI 2012 file (`1000_SS.nii.gz`, `1000_glm.nii.gz`, ...) keeping every `shrink`-th voxel,
 * written into dir; returns its path. */
inline std::string
MiccaiShrunk(const std::string & name, const std::filesystem::path & dir, unsigned int shrink)
{
  const std::string path = (dir / name).string();
  const auto        reduce = [&](auto image) {
    using Image = typename decltype(image)::ObjectType;
    auto filter = itk::ShrinkImageFilter<Image, Image>::New();
    filter->SetInput(image);
    filter->SetShrinkFactors(shrink);
    filter->Update();
    WriteImageFile(filter->GetOutput(), path);
  };
  const std::string source = SharedData("miccai2012-multiatlas/" + name);
  if (name.find("_glm") != std::string::npos || name.find("_mask") != std::string::npos ||
      name.find("_classified") != std::string::npos)
  {
    reduce(ReadLabelImage<3>(source));
  }
  else
  {
    reduce(ReadImageFile<ScalarImage<3>>(source));
  }
  return path;
}
} // namespace tessera::testing

#endif
