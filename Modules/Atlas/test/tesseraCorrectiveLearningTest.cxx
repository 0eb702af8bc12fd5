#include "tesseraCorrectiveLearning.h"

#include <array>
#include <tuple>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <gtest/gtest.h>

#include "itkImageRegionIteratorWithIndex.h"
#include "tesseraError.h"

namespace tessera
{
namespace
{
/** A subject of `size`^D voxels (1 mm): a ball of label 1 (intensity 100) of radius `radius`
 * around `centre`, inside a box of label 2 (intensity 50) two voxels from the border, label 0
 * (intensity 0) outside. The automatic labels overgrow the ball by one voxel into label 2
 * (a systematic error) when `overgrow`. */
template <unsigned int D>
struct Synthetic
{
  typename ScalarImage<D>::Pointer image = ScalarImage<D>::New();
  typename LabelImage<D>::Pointer  manual = LabelImage<D>::New();
  typename LabelImage<D>::Pointer  automatic = LabelImage<D>::New();

  Synthetic(unsigned int size, const std::array<double, D> & centre, double radius, bool overgrow)
  {
    itk::ImageRegion<D> region;
    region.SetSize(itk::Size<D>::Filled(size));
    for (auto * i : std::initializer_list<itk::ImageBase<D> *>{ image, manual, automatic })
    {
      i->SetRegions(region);
      i->Allocate();
    }
    for (itk::ImageRegionIteratorWithIndex<ScalarImage<D>> it(image, region); !it.IsAtEnd(); ++it)
    {
      const auto index = it.GetIndex();
      double     r2 = 0;
      bool       box = true;
      for (unsigned d = 0; d < D; ++d)
      {
        r2 += (index[d] - centre[d]) * (index[d] - centre[d]);
        box = box && index[d] >= 2 && index[d] < static_cast<long>(size) - 2;
      }
      const double r = std::sqrt(r2);
      const LabelPixel truth = r <= radius ? 1 : box ? 2 : 0;
      it.Set(truth == 1 ? 100.0f : truth == 2 ? 50.0f : 0.0f);
      manual->SetPixel(index, truth);
      automatic->SetPixel(index, overgrow && truth == 2 && r <= radius + 1 ? 1 : truth);
    }
  }
};

template <unsigned int D>
size_t
Differences(const LabelImage<D> * a, const LabelImage<D> * b)
{
  size_t     n = 0;
  const auto count = a->GetLargestPossibleRegion().GetNumberOfPixels();
  for (size_t i = 0; i < count; ++i)
    n += a->GetBufferPointer()[i] != b->GetBufferPointer()[i];
  return n;
}

template <unsigned int D>
CorrectiveLearning<D>
Trained(bool overgrow)
{
  CorrectiveLearning<D> learner;
  CorrectiveLearningSettings s;
  s.trees = 20;
  s.depth = 8;
  learner.SetSettings(s);
  for (const auto & [centre, radius] : std::vector<std::pair<double, double>>{ { 10, 4 }, { 12, 5 }, { 11, 3.5 } })
  {
    std::array<double, D> c;
    c.fill(centre);
    const Synthetic<D> subject(24, c, radius, overgrow);
    learner.AddSubject(subject.image, subject.automatic, subject.manual, nullptr);
  }
  learner.Train();
  return learner;
}

template <unsigned int D>
void
ExpectSystematicErrorCorrected()
{
  const auto            learner = Trained<D>(true);
  std::array<double, D> c;
  c.fill(11.5);
  const Synthetic<D> target(24, c, 4.5, true);
  const size_t       before = Differences<D>(target.automatic, target.manual);
  const auto         corrected = learner.Apply(target.image, target.automatic, nullptr);
  ASSERT_GT(before, D == 3 ? 200u : 20u); // the shell of one voxel around the ball
  EXPECT_EQ(Differences<D>(corrected, target.manual), 0u);
  EXPECT_EQ(learner.GetChangedVoxels(), before);
  EXPECT_EQ(learner.GetLabels(), (std::vector<LabelPixel>{ 0, 1, 2 }));
}

TEST(CorrectiveLearning, UndoesASystematicOvergrowthIn3D)
{
  ExpectSystematicErrorCorrected<3>();
}

TEST(CorrectiveLearning, UndoesASystematicOvergrowthIn2D)
{
  ExpectSystematicErrorCorrected<2>();
}

TEST(CorrectiveLearning, LeavesAnErrorFreeMethodAlone)
{
  const auto            learner = Trained<3>(false);
  std::array<double, 3> c{ 11, 12, 10.5 };
  const Synthetic<3>    target(24, c, 5.5, false);
  const auto            corrected = learner.Apply(target.image, target.automatic, nullptr);
  EXPECT_EQ(Differences<3>(corrected, target.automatic), 0u);
  EXPECT_EQ(learner.GetChangedVoxels(), 0u);
}

TEST(CorrectiveLearning, RetrainedAndSavedModelsCorrectAlike)
{
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("tessera-corrective-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto            learner = Trained<3>(true);
  std::array<double, 3> c{ 12, 11, 11 };
  const Synthetic<3>    target(24, c, 4, true);
  const auto            expected = learner.Apply(target.image, target.automatic, nullptr);
  // Training is deterministic: a second model corrects alike.
  EXPECT_EQ(Differences<3>(Trained<3>(true).Apply(target.image, target.automatic, nullptr), expected), 0u);
  const std::string     path = (dir / "model.yml.gz").string();
  learner.Save(path);
  const auto loaded = CorrectiveLearning<3>::Load(path);
  EXPECT_EQ(loaded.GetLabels(), learner.GetLabels());
  EXPECT_EQ(loaded.GetSettings().trees, 20u);
  EXPECT_EQ(Differences<3>(loaded.Apply(target.image, target.automatic, nullptr), expected), 0u);
  // A 3D model refuses 2D images; a file that is no model is named.
  EXPECT_THROW(CorrectiveLearning<2>::Load(path), Error);
  std::ofstream((dir / "other.yml").string()) << "%YAML:1.0\nmodel: something-else\n";
  try
  {
    CorrectiveLearning<3>::Load((dir / "other.yml").string());
    ADD_FAILURE() << "no error";
  }
  catch (const Error & e)
  {
    EXPECT_EQ(e.Subject(), (dir / "other.yml").string());
  }
  fs::remove_all(dir);
}

/** A subject whose only clue to the method's errors is its confidence: intensities are flat; the
 * automatic labels overgrow the ball by its one-voxel shell in some subjects (confidence 0.6 there)
 * and not in others (confidence 0.9 on the shell), with confidence 1 elsewhere. */
struct Hesitant : Synthetic<3>
{
  ScalarImage<3>::Pointer confidence = ScalarImage<3>::New();

  Hesitant(double centre, double radius, bool overgrow)
    : Synthetic<3>(24, { centre, centre, centre }, radius, overgrow)
  {
    confidence->SetRegions(image->GetLargestPossibleRegion());
    confidence->Allocate();
    for (itk::ImageRegionIteratorWithIndex<ScalarImage<3>> it(confidence, confidence->GetLargestPossibleRegion());
         !it.IsAtEnd(); ++it)
    {
      const auto index = it.GetIndex();
      const bool shell = manual->GetPixel(index) == 2 && automatic->GetPixel(index) == 1;
      image->SetPixel(index, 50.0f);
      it.Set(shell ? 0.6f : 1.0f);
    }
    if (overgrow)
      return;
    const Synthetic<3> overgrown(24, { centre, centre, centre }, radius, true);
    for (size_t i = 0; i < overgrown.automatic->GetLargestPossibleRegion().GetNumberOfPixels(); ++i)
      if (overgrown.automatic->GetBufferPointer()[i] != automatic->GetBufferPointer()[i])
        confidence->GetBufferPointer()[i] = 0.9f;
  }
};

TEST(CorrectiveLearning, LearnsFromTheMethodsConfidence)
{
  namespace fs = std::filesystem;
  CorrectiveLearning<3> with, without;
  for (auto * learner : { &with, &without })
  {
    CorrectiveLearningSettings s;
    s.trees = 20;
    s.depth = 8;
    learner->SetSettings(s);
  }
  for (const auto & [centre, radius, overgrow] :
       std::vector<std::tuple<double, double, bool>>{ { 10, 4, true }, { 12, 5, false }, { 11, 3.5, true }, { 11, 4.5, false } })
  {
    const Hesitant subject(centre, radius, overgrow);
    with.AddSubject(subject.image, subject.automatic, subject.manual, nullptr, subject.confidence);
    without.AddSubject(subject.image, subject.automatic, subject.manual, nullptr);
    // Every subject or none.
    EXPECT_THROW(with.AddSubject(subject.image, subject.automatic, subject.manual, nullptr), Error);
  }
  with.Train();
  without.Train();
  // Without the confidence an overgrown result and a right one look alike.
  const Hesitant overgrown(11.5, 4.5, true), right(11.5, 5.5, false);
  const size_t   before = Differences<3>(overgrown.automatic, overgrown.manual);
  ASSERT_GT(before, 200u);
  EXPECT_EQ(Differences<3>(with.Apply(overgrown.image, overgrown.automatic, nullptr, overgrown.confidence),
                           overgrown.manual), 0u);
  EXPECT_EQ(Differences<3>(with.Apply(right.image, right.automatic, nullptr, right.confidence), right.manual), 0u);
  EXPECT_GT(Differences<3>(without.Apply(overgrown.image, overgrown.automatic, nullptr), overgrown.manual) +
              Differences<3>(without.Apply(right.image, right.automatic, nullptr), right.manual),
            before / 2);
  // The model needs the confidence it learnt from, and only such a model takes it; saved, it still does.
  EXPECT_TRUE(with.UsesConfidence());
  EXPECT_FALSE(without.UsesConfidence());
  EXPECT_THROW(with.Apply(right.image, right.automatic, nullptr), Error);
  EXPECT_THROW(without.Apply(right.image, right.automatic, nullptr, right.confidence), Error);
  const fs::path dir = fs::temp_directory_path() / ("tessera-confidence-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  with.Save((dir / "model.yml.gz").string());
  EXPECT_TRUE(CorrectiveLearning<3>::Load((dir / "model.yml.gz").string()).UsesConfidence());
  fs::remove_all(dir);
}

TEST(CorrectiveLearning, RefusesUntrainedUseAndOtherGrids)
{
  CorrectiveLearning<3>  learner;
  std::array<double, 3>  c{ 11, 11, 11 };
  const Synthetic<3>     subject(24, c, 4, true);
  EXPECT_THROW(learner.Apply(subject.image, subject.automatic, nullptr), Error);
  EXPECT_THROW(learner.Train(), Error);
  const Synthetic<3> other(20, c, 4, true);
  EXPECT_THROW(learner.AddSubject(subject.image, other.automatic, subject.manual, nullptr), Error);
  // A method whose label values are not the manual ones (here shifted by 10) has nothing to learn from.
  for (size_t i = 0; i < subject.automatic->GetLargestPossibleRegion().GetNumberOfPixels(); ++i)
    subject.automatic->GetBufferPointer()[i] += 10;
  learner.AddSubject(subject.image, subject.automatic, subject.manual, nullptr);
  try
  {
    learner.Train();
    ADD_FAILURE() << "no error";
  }
  catch (const Error & e)
  {
    EXPECT_NE(e.Problem().find("remap"), std::string::npos) << e.what();
  }
}
} // namespace
} // namespace tessera
