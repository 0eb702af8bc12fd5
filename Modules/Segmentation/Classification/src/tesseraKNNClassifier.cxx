#include "tesseraKNNClassifier.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <cstring>
#include <zlib.h>

#include <opencv2/core.hpp>
#include <opencv2/flann.hpp>

#include "tesseraError.h"
#include "tesseraImageIO.h"
#include "tesseraParallelRanges.h"

namespace tessera
{
struct KNNClassifier::Index
{
  cv::Mat               data;
  cv::flann::Index      index;
};

KNNClassifier::KNNClassifier(const Parameters & parameters)
  : m_Parameters(parameters)
{
  if (parameters.k == 0)
  {
    throw Error("neighbours", "must be at least 1");
  }
}
KNNClassifier::~KNNClassifier() = default;
KNNClassifier::KNNClassifier(KNNClassifier &&) noexcept = default;
KNNClassifier & KNNClassifier::operator=(KNNClassifier &&) noexcept = default;

void
KNNClassifier::AddTrainingPixels(const float * features, size_t n, unsigned int dimension, unsigned int channels,
                                 const LabelPixel * labels, const uint8_t * mask)
{
  if (m_Dimension != 0 && (dimension != m_Dimension || channels != m_Channels))
  {
    throw Error("training images", "all training images need the same number of channels");
  }
  m_Dimension = dimension;
  m_Channels = channels;
  const auto & ignore = m_Parameters.ignoreLabels;
  for (size_t i = 0; i < n; ++i)
  {
    if ((mask && !mask[i]) || std::find(ignore.begin(), ignore.end(), labels[i]) != ignore.end())
    {
      continue;
    }
    m_Samples.insert(m_Samples.end(), features + i * dimension, features + (i + 1) * dimension);
    m_Labels.push_back(labels[i]);
  }
}

void
KNNClassifier::Train()
{
  const size_t n = m_Labels.size();
  if (n == 0)
  {
    throw Error("label-image", "no labelled training pixel (every pixel is masked out or has an ignored label)");
  }
  if (m_Parameters.k > n)
  {
    throw Error("neighbours", std::to_string(m_Parameters.k) + " neighbours asked but only " + std::to_string(n) +
                         " training pixels");
  }
  const unsigned int d = m_Dimension;
  if (n > m_Parameters.maximumSamples)
  {
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{ 0 });
    std::mt19937_64 rng(m_Parameters.seed);
    std::shuffle(order.begin(), order.end(), rng);
    order.resize(m_Parameters.maximumSamples);
    std::sort(order.begin(), order.end());
    std::vector<float>      samples;
    std::vector<LabelPixel> labels;
    for (size_t i : order)
    {
      samples.insert(samples.end(), m_Samples.begin() + i * d, m_Samples.begin() + (i + 1) * d);
      labels.push_back(m_Labels[i]);
    }
    m_Samples.swap(samples);
    m_Labels.swap(labels);
  }
  const size_t kept = m_Labels.size();
  m_Mean.assign(d, 0.0f);
  m_Scale.assign(d, 1.0f);
  for (unsigned int a = 0; a < d; ++a)
  {
    double sum = 0.0, sum2 = 0.0;
    for (size_t i = 0; i < kept; ++i)
    {
      sum += m_Samples[i * d + a];
      sum2 += static_cast<double>(m_Samples[i * d + a]) * m_Samples[i * d + a];
    }
    const double mean = sum / kept;
    const double sd = std::sqrt(std::max(0.0, sum2 / kept - mean * mean));
    m_Mean[a] = static_cast<float>(mean);
    m_Scale[a] = sd > 0.0 ? static_cast<float>(1.0 / sd) : 1.0f;
  }
  // Position features (the last D of them) carry their own weight.
  if (m_Parameters.features.position)
  {
    const unsigned int positional = d - m_Channels * (m_Parameters.features.localMeanRadius ? 2 : 1);
    for (unsigned int a = d - positional; a < d; ++a)
    {
      m_Scale[a] *= static_cast<float>(m_Parameters.features.positionWeight);
    }
  }
  for (size_t i = 0; i < kept; ++i)
  {
    for (unsigned int a = 0; a < d; ++a)
    {
      m_Samples[i * d + a] = (m_Samples[i * d + a] - m_Mean[a]) * m_Scale[a];
    }
  }
  BuildIndex();
}

void
KNNClassifier::BuildIndex()
{
  // Classes are the distinct training labels, ascending: vote column c is m_ClassLabels[c].
  m_ClassLabels.assign(m_Labels.begin(), m_Labels.end());
  std::sort(m_ClassLabels.begin(), m_ClassLabels.end());
  m_ClassLabels.erase(std::unique(m_ClassLabels.begin(), m_ClassLabels.end()), m_ClassLabels.end());
  m_Classes = static_cast<unsigned int>(m_ClassLabels.size());
  m_ClassOfSample.resize(m_Labels.size());
  for (size_t i = 0; i < m_Labels.size(); ++i)
  {
    m_ClassOfSample[i] = static_cast<unsigned int>(
      std::lower_bound(m_ClassLabels.begin(), m_ClassLabels.end(), m_Labels[i]) - m_ClassLabels.begin());
  }
  m_Index = std::make_unique<Index>();
  m_Index->data = cv::Mat(static_cast<int>(m_Labels.size()), static_cast<int>(m_Dimension), CV_32F, m_Samples.data());
  m_Index->index.build(m_Index->data, cv::flann::KDTreeIndexParams(1), cvflann::FLANN_DIST_L2);
}

std::vector<float>
KNNClassifier::Predict(const FeatureSamples & samples, unsigned int threads) const
{
  if (!m_Index)
  {
    throw Error("kNN classifier", "not trained");
  }
  if (samples.dimension != m_Dimension)
  {
    throw Error("kNN classifier", "the image gives " + std::to_string(samples.dimension) +
                                    " features per pixel but the model was trained on " + std::to_string(m_Dimension));
  }
  const size_t       n = samples.Size();
  const unsigned int d = m_Dimension, k = m_Parameters.k;
  std::vector<float> votes(n * m_Classes, 0.0f);
  // Exact searches (unlimited checks) of independent queries, so splitting them among threads changes nothing.
  ParallelRanges(n, WorkUnits(n, threads, 4096), [&](size_t begin, size_t end, unsigned int) {
    cv::Mat query(static_cast<int>(end - begin), static_cast<int>(d), CV_32F);
    for (size_t i = begin; i < end; ++i)
    {
      for (unsigned int a = 0; a < d; ++a)
      {
        query.at<float>(static_cast<int>(i - begin), static_cast<int>(a)) = (samples.Sample(i)[a] - m_Mean[a]) * m_Scale[a];
      }
    }
    cv::Mat indices, distances;
    m_Index->index.knnSearch(query, indices, distances, static_cast<int>(k), cv::flann::SearchParams(-1));
    for (size_t i = begin; i < end; ++i)
    {
      for (unsigned int j = 0; j < k; ++j)
      {
        const int neighbour = indices.at<int>(static_cast<int>(i - begin), static_cast<int>(j));
        votes[i * m_Classes + m_ClassOfSample[neighbour]] += 1.0f / static_cast<float>(k);
      }
    }
  });
  return votes;
}

void
KNNClassifier::Save(const std::string & path) const
{
  AtomicOutput out(path);
  try
  {
    cv::FileStorage fs(out.TemporaryPath(), cv::FileStorage::WRITE);
    fs << "model" << "tessera-knn" << "version" << 1;
    fs << "k" << static_cast<int>(m_Parameters.k) << "localMeanRadius"
       << static_cast<int>(m_Parameters.features.localMeanRadius) << "position"
       << static_cast<int>(m_Parameters.features.position) << "positionWeight" << m_Parameters.features.positionWeight;
    fs << "dimension" << static_cast<int>(m_Dimension) << "channels" << static_cast<int>(m_Channels) << "classes"
       << static_cast<int>(m_Classes);
    fs << "mean" << m_Mean << "scale" << m_Scale;
    fs << "samples" << cv::Mat(static_cast<int>(m_Labels.size()), static_cast<int>(m_Dimension), CV_32F,
                                const_cast<float *>(m_Samples.data()));
    std::vector<int> labels(m_Labels.begin(), m_Labels.end());
    fs << "labels" << labels;
    fs.release();
  }
  catch (const cv::Exception & e)
  {
    throw Error(path, std::string("cannot be written: ") + e.what());
  }
  out.Commit();
}

namespace
{
/** Throws Error(path, ...) for text OpenCV 4.6's parsers fail on without returning an error
 * (found by tesseraKNNModelFuzzer): a YAML model that does not begin with "%YAML" and a line
 * "---" alone, as OpenCV writes it, or that holds "%YAML" or "---" further down (even inside a
 * line), on some of which its YAML parser never returns; and a NUL byte, which no YAML, XML or
 * JSON model holds (its XML parser reads address 0 on "<?xml version=" then NULs). Read
 * through zlib, which reads .yml.gz and plain files alike. */
void
CheckModelText(const std::string & path)
{
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file)
  {
    return; // FileStorage says why
  }
  std::string text;
  char        buffer[65536];
  for (int n = 0; (n = gzread(file, buffer, sizeof buffer)) > 0;)
  {
    text.append(buffer, static_cast<size_t>(n));
  }
  gzclose(file);
  if (text.find('\0') != std::string::npos)
  {
    throw Error(path, "is not a Tessera kNN model (a NUL byte in its text)");
  }
  if (text.rfind("%YAML", 0) != 0)
  {
    return;
  }
  const size_t body = text.find('\n') + 1;
  const bool   start = text.compare(body, 4, "---\n") == 0 || text.compare(body, 5, "---\r\n") == 0;
  const bool   another = text.find("%YAML", 1) != std::string::npos || text.find("---", body + 3) != std::string::npos;
  if (!start || another)
  {
    throw Error(path, "is not a Tessera kNN model (its YAML is not one document beginning with a line '---')");
  }
}
} // namespace

KNNClassifier
KNNClassifier::Load(const std::string & path)
{
  CheckModelText(path);
  cv::FileStorage fs;
  try
  {
    if (!fs.open(path, cv::FileStorage::READ))
    {
      throw Error(path, "no such kNN model");
    }
  }
  catch (const cv::Exception &)
  {
    throw Error(path, "is not a Tessera kNN model (unreadable)");
  }
  if (static_cast<std::string>(fs["model"]) != "tessera-knn")
  {
    throw Error(path, "is not a Tessera kNN model");
  }
  if (static_cast<int>(fs["version"]) != 1)
  {
    throw Error(path, "is a Tessera kNN model of an unknown version (this build reads version 1)");
  }
  const int k = static_cast<int>(fs["k"]);
  // OpenCV allocates the rows x cols a matrix header states before it reads the data: a damaged
  // header (a few bytes) would ask for any amount of memory.
  const cv::FileNode stored = fs["samples"];
  if (static_cast<double>(static_cast<int>(stored["rows"])) * static_cast<int>(stored["cols"]) !=
      static_cast<double>(stored["data"].size()))
  {
    throw Error(path, "is a damaged Tessera kNN model (the samples' rows x cols differ from their values)");
  }
  cv::Mat samples;
  stored >> samples;
  std::vector<int> labels;
  fs["labels"] >> labels;
  if (k < 1 || static_cast<size_t>(k) > labels.size())
  {
    throw Error(path, "is a damaged Tessera kNN model (k = " + std::to_string(k) + " for " +
                        std::to_string(labels.size()) + " samples)");
  }
  Parameters p;
  p.k = static_cast<unsigned int>(k);
  p.features.localMeanRadius = static_cast<int>(fs["localMeanRadius"]);
  p.features.position = static_cast<int>(fs["position"]) != 0;
  p.features.positionWeight = static_cast<double>(fs["positionWeight"]);
  KNNClassifier model(p);
  model.m_Dimension = static_cast<int>(fs["dimension"]);
  model.m_Channels = static_cast<int>(fs["channels"]);
  fs["mean"] >> model.m_Mean;
  fs["scale"] >> model.m_Scale;
  if (samples.empty() || samples.type() != CV_32F || samples.cols != static_cast<int>(model.m_Dimension) ||
      static_cast<size_t>(samples.rows) != labels.size() || model.m_Mean.size() != model.m_Dimension ||
      model.m_Scale.size() != model.m_Dimension || model.m_Channels < 1 || model.m_Channels > model.m_Dimension)
  {
    throw Error(path, "is a damaged Tessera kNN model (inconsistent sizes)");
  }
  for (size_t a = 0; a < model.m_Dimension; ++a)
  {
    if (!std::isfinite(model.m_Mean[a]) || !(model.m_Scale[a] > 0.0f) || !std::isfinite(model.m_Scale[a]))
    {
      throw Error(path, "is a damaged Tessera kNN model (feature mean or scale not finite and positive)");
    }
  }
  for (const int l : labels)
  {
    if (l < 0 || l > 65535)
    {
      throw Error(path, "is a damaged Tessera kNN model (label " + std::to_string(l) + " outside 0-65535)");
    }
  }
  model.m_Samples.assign(samples.ptr<float>(), samples.ptr<float>() + samples.total());
  model.m_Labels.assign(labels.begin(), labels.end());
  model.BuildIndex();
  if (static_cast<int>(fs["classes"]) != static_cast<int>(model.m_Classes))
  {
    throw Error(path, "is a damaged Tessera kNN model (it says " + std::to_string(static_cast<int>(fs["classes"])) +
                        " classes but its samples carry " + std::to_string(model.m_Classes) + " labels)");
  }
  return model;
}
} // namespace tessera
