#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tesseraError.h"
#include "tesseraKNNClassifier.h"

using namespace tessera;

namespace
{
KNNClassifier
TrainLine(unsigned int k)
{
  // 1D training set: values 0..9 labelled 1, values 20..29 labelled 3, one value 15 labelled 2.
  std::vector<float>      f;
  std::vector<LabelPixel> l;
  for (int v = 0; v < 10; ++v)
  {
    f.push_back(static_cast<float>(v));
    l.push_back(1);
    f.push_back(static_cast<float>(20 + v));
    l.push_back(3);
  }
  f.push_back(15.0f);
  l.push_back(2);
  f.push_back(100.0f);
  l.push_back(7); // ignored below
  KNNClassifier::Parameters p;
  p.k = k;
  p.ignoreLabels = { 7 };
  KNNClassifier c(p);
  c.AddTrainingPixels(f.data(), l.size(), 1, 1, l.data(), nullptr);
  c.Train();
  return c;
}
} // namespace

TEST(KNNClassifier, VotesOfTheNearestNeighbours)
{
  const auto   c = TrainLine(3);
  EXPECT_EQ(c.NumberOfClasses(), 3u); // labels 1..3, one vote column each; 7 was ignored
  EXPECT_EQ(c.ClassLabels(), (std::vector<LabelPixel>{ 1, 2, 3 }));
  const float  probe[] = { 4.0f, 24.0f, 16.0f };
  const auto   p = c.Predict(FeatureSamples::FromPixels(probe, 3, 1, nullptr));
  EXPECT_FLOAT_EQ(p[0 * 3 + 0], 1.0f);
  EXPECT_FLOAT_EQ(p[1 * 3 + 2], 1.0f);
  // 16's three nearest: 15 (label 2) at 1, 20 and 21 (label 3) at 4 and 5.
  EXPECT_FLOAT_EQ(p[2 * 3 + 1], 1.0f / 3.0f);
  EXPECT_FLOAT_EQ(p[2 * 3 + 2], 2.0f / 3.0f);
}

TEST(KNNClassifier, ThreadCountDoesNotChangeTheVotes)
{
  const auto         c = TrainLine(3);
  std::vector<float> probe(20000); // 20000 distinct queries: five ranges of 4096 on two threads
  for (size_t i = 0; i < probe.size(); ++i)
  {
    probe[i] = -5.0f + 0.0017f * static_cast<float>(i);
  }
  const auto s = FeatureSamples::FromPixels(probe.data(), probe.size(), 1, nullptr);
  const auto one = c.Predict(s, 1);
  EXPECT_EQ(one, c.Predict(s, 2));
  EXPECT_FLOAT_EQ(one[0], 1.0f); // −5 is nearest the label-1 end of the line
}

TEST(KNNClassifier, SaveLoadPredictsTheSame)
{
  const auto  c = TrainLine(5);
  const auto  path = (std::filesystem::temp_directory_path() / "tessera-knn-test.json.gz").string();
  c.Save(path);
  const auto  back = KNNClassifier::Load(path);
  const float probe[] = { -3.0f, 8.5f, 14.0f, 16.0f, 40.0f };
  const auto  s = FeatureSamples::FromPixels(probe, 5, 1, nullptr);
  EXPECT_EQ(c.Predict(s), back.Predict(s));
  EXPECT_EQ(back.GetParameters().k, 5u);
  EXPECT_THROW(KNNClassifier::Load("/nonexistent/model.json.gz"), Error);
}

TEST(KNNClassifier, RejectsModelsWhoseFieldsDisagree)
{
  const auto path = (std::filesystem::temp_directory_path() / "tessera-knn-damaged.json").string();
  TrainLine(5).Save(path);
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  const std::string good = text.str();
  // The class count, k, the version, the scale, each edited alone; labels and samples that are not base64 of
  // whole values, or three samples too many.
  const std::pair<std::string, std::string> edits[] = {
    { "\"classes\":3", "\"classes\":1" },        { "\"k\":5", "\"k\":0" },
    { "\"version\":3", "\"version\":99" },       { "\"k\":5", "\"k\":5.5" },
    { "\"scale\":[", "\"scale\":[0," },          { "\"labels\":\"", "\"labels\":\"!!!!" },
    { "\"samples\":\"", "\"samples\":\"AAAA" }, { "\"samples\":\"", "\"samples\":\"AAAAAAAAAAAAAAAA" },
    { "\"labels\":\"", "\"labels\":[1],\"x\":\"" }
  };
  for (const auto & [from, to] : edits)
  {
    ASSERT_NE(good.find(from), std::string::npos) << from;
    std::string damaged = good;
    damaged.replace(damaged.find(from), from.size(), to);
    std::ofstream(path) << damaged;
    try
    {
      KNNClassifier::Load(path);
      ADD_FAILURE() << to << " was accepted";
    }
    catch (const Error & e)
    {
      EXPECT_EQ(e.Subject(), path) << to;
    }
  }
  std::filesystem::remove(path);
}

TEST(KNNClassifier, ReadsVersion2ModelsAndRejectsNonFiniteSamples)
{
  const auto path = (std::filesystem::temp_directory_path() / "tessera-knn-versions.json").string();
  const std::string head = R"({"model":"tessera-knn","version":VERSION,"k":1,"localMeanRadius":0,"position":false,)"
                           R"("positionWeight":1.0,"dimension":1,"channels":1,"classes":2,"mean":[0],"scale":[1],)";
  const auto write = [&](const std::string & version, const std::string & rest) {
    std::string text = head;
    text.replace(text.find("VERSION"), 7, version);
    std::ofstream(path) << text << rest;
  };
  // Samples 0 and 10 labelled 1 and 2, as version 2's arrays and as version 3's base64 (little-endian).
  const float probe[] = { 1.0f, 9.0f };
  const auto  s = FeatureSamples::FromPixels(probe, 2, 1, nullptr);
  const std::vector<float> expected{ 1.0f, 0.0f, 0.0f, 1.0f };
  write("2", R"("labels":[1,2],"samples":[[0],[10]]})");
  EXPECT_EQ(KNNClassifier::Load(path).Predict(s), expected);
  write("3", R"("labels":"AQACAA==","samples":"AAAAAAAAIEE="})");
  EXPECT_EQ(KNNClassifier::Load(path).Predict(s), expected);
  write("3", R"("labels":"AQACAA==","samples":"AAAAAAAAgH8="})"); // 0 and +inf
  EXPECT_THROW(KNNClassifier::Load(path), Error);
  std::filesystem::remove(path);
}

TEST(KNNClassifier, RejectsBadTrainingSets)
{
  KNNClassifier::Parameters p;
  p.k = 4;
  KNNClassifier   c(p);
  const float      f[] = { 1, 2, 3 };
  const LabelPixel l[] = { 1, 1, 2 };
  EXPECT_THROW(c.Train(), Error); // empty
  c.AddTrainingPixels(f, 3, 1, 1, l, nullptr);
  EXPECT_THROW(c.Train(), Error); // k > 3 samples
  p.k = 0;
  EXPECT_THROW(KNNClassifier{ p }, Error);
}
