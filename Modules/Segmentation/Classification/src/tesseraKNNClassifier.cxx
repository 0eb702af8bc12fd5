#include "tesseraKNNClassifier.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>
#include <random>
#include <cstring>
#include <zlib.h>

#include <nlohmann/json.hpp>

#include "tesseraBase64.h"
#include "tesseraError.h"
#include "tesseraImageIO.h"
#include "tesseraModuleLoader.h"
#include "tesseraParallelRanges.h"

namespace tessera
{
namespace
{
/** OpenCV's FLANN k-d tree, in a module loaded on first use (tesseraOpenCVFLANN.cxx) so that only
 * kNN commands load OpenCV. */
const std::string FLANNModule = "TesseraOpenCVFLANN";
} // namespace

/** The k-d tree over m_Samples (which it reads, not copies), owned through the module that built it. */
struct KNNClassifier::Index
{
  void * tree = nullptr;
  ~Index()
  {
    if (tree)
    {
      ModuleFunction<void(void *)>(FLANNModule, "tesseraKdTreeFree")(tree);
    }
  }
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
  m_Index->tree = ModuleFunction<void *(const float *, size_t, unsigned int)>(FLANNModule, "tesseraKdTreeBuild")(
    m_Samples.data(), m_Labels.size(), m_Dimension);
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
  const auto search = ModuleFunction<void(void *, const float *, size_t, unsigned int, unsigned int, int *)>(
    FLANNModule, "tesseraKdTreeSearch");
  const auto vote = [&](size_t begin, size_t end) {
    std::vector<float> query((end - begin) * d);
    for (size_t i = begin; i < end; ++i)
    {
      for (unsigned int a = 0; a < d; ++a)
      {
        query[(i - begin) * d + a] = (samples.Sample(i)[a] - m_Mean[a]) * m_Scale[a];
      }
    }
    std::vector<int> indices((end - begin) * k);
    search(m_Index->tree, query.data(), end - begin, d, k, indices.data());
    for (size_t i = begin; i < end; ++i)
    {
      for (unsigned int j = 0; j < k; ++j)
      {
        const int neighbour = indices[(i - begin) * k + j];
        votes[i * m_Classes + m_ClassOfSample[neighbour]] += 1.0f / static_cast<float>(k);
      }
    }
  };
  // Exact searches (unlimited checks) of independent queries, so splitting them among threads changes nothing.
  // Searches take longer in some parts of an image than in others: each work unit takes the next block of
  // queries until none is left, rather than a fixed share.
  constexpr size_t    block = 4096;
  const size_t        blocks = (n + block - 1) / block;
  std::atomic<size_t> next{ 0 };
  const unsigned int  units = WorkUnits(n, threads, 2 * block);
  ParallelRanges(units, units, [&](size_t, size_t, unsigned int) {
    for (size_t b = next++; b < blocks; b = next++)
    {
      vote(b * block, std::min(n, (b + 1) * block));
    }
  });
  return votes;
}

namespace
{
/** JSON whose numbers are floats, as the model's are: written in the shortest form that reads
 * back as the same float (half the text of doubles), keys in the order written. */
using ModelJson = nlohmann::basic_json<nlohmann::ordered_map, std::vector, std::string, bool, std::int64_t,
                                       std::uint64_t, float>;

/** Base64 of the values' little-endian bytes (uint16 labels, float32 samples). */
template <typename T>
std::string
EncodeLittleEndian(const std::vector<T> & values)
{
  static_assert(sizeof(T) == 2 || sizeof(T) == 4, "16- or 32-bit values");
  using Word = std::conditional_t<sizeof(T) == 2, std::uint16_t, std::uint32_t>;
  std::vector<unsigned char> bytes(values.size() * sizeof(T));
  for (size_t i = 0; i < values.size(); ++i)
  {
    Word w;
    std::memcpy(&w, &values[i], sizeof w);
    for (size_t b = 0; b < sizeof w; ++b)
    {
      bytes[i * sizeof w + b] = static_cast<unsigned char>(w >> (8 * b));
    }
  }
  return EncodeBase64(bytes.data(), bytes.size());
}

/** The values of EncodeLittleEndian's text. \throws Error(path, ...) naming `field` when it is not base64 of
 * whole values. */
template <typename T>
std::vector<T>
DecodeLittleEndian(const std::string & text, const std::string & path, const char * field)
{
  static_assert(sizeof(T) == 2 || sizeof(T) == 4, "16- or 32-bit values");
  using Word = std::conditional_t<sizeof(T) == 2, std::uint16_t, std::uint32_t>;
  const Error damaged(path, std::string("is a damaged Tessera kNN model (field \"") + field + "\" is not base64 of " +
                              std::to_string(8 * sizeof(T)) + "-bit values)");
  std::vector<unsigned char> bytes;
  try
  {
    bytes = DecodeBase64(text);
  }
  catch (const Error &)
  {
    throw damaged;
  }
  if (bytes.size() % sizeof(T))
  {
    throw damaged;
  }
  std::vector<T> values(bytes.size() / sizeof(T));
  for (size_t i = 0; i < values.size(); ++i)
  {
    Word w = 0;
    for (size_t b = 0; b < sizeof w; ++b)
    {
      w |= static_cast<Word>(static_cast<Word>(bytes[i * sizeof w + b]) << (8 * b));
    }
    std::memcpy(&values[i], &w, sizeof w);
  }
  return values;
}
} // namespace

void
KNNClassifier::Save(const std::string & path) const
{
  const ModelJson doc{ { "model", "tessera-knn" },
                       { "version", 3 },
                       { "k", m_Parameters.k },
                       { "localMeanRadius", m_Parameters.features.localMeanRadius },
                       { "position", m_Parameters.features.position },
                       { "positionWeight", m_Parameters.features.positionWeight },
                       { "dimension", m_Dimension },
                       { "channels", m_Channels },
                       { "classes", m_Classes },
                       { "mean", m_Mean },
                       { "scale", m_Scale },
                       { "labels", EncodeLittleEndian(m_Labels) },
                       { "samples", EncodeLittleEndian(m_Samples) } };
  const std::string text = doc.dump();
  AtomicOutput      out(path);
  const bool        compressed = path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
  gzFile            file = gzopen(out.TemporaryPath().c_str(), compressed ? "wb" : "wbT");
  const bool written = file && gzwrite(file, text.data(), static_cast<unsigned int>(text.size())) ==
                                 static_cast<int>(text.size());
  if (!file || (gzclose(file) != Z_OK) || !written)
  {
    throw Error(path, "cannot be written");
  }
  out.Commit();
}

namespace
{
/** The whole text of a model file, plain or gzip-compressed (zlib reads both). */
std::string
ReadModelText(const std::string & path)
{
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file)
  {
    throw Error(path, "no such kNN model");
  }
  std::string text;
  char        buffer[65536];
  int         n = 0;
  while ((n = gzread(file, buffer, sizeof buffer)) > 0)
  {
    text.append(buffer, static_cast<size_t>(n));
  }
  const bool damaged = n < 0;
  gzclose(file);
  if (damaged)
  {
    throw Error(path, "is a damaged gzip file");
  }
  return text;
}

/** Field `name` of a model, which must be present and satisfy `valid`; else Error(path, ...)
 * saying which field is wrong. */
template <typename T>
T
Field(const ModelJson & doc, const char * name, const std::string & path, bool (ModelJson::*valid)() const noexcept)
{
  const auto it = doc.find(name);
  if (it == doc.end() || !((*it).*valid)())
  {
    throw Error(path, std::string("is a damaged Tessera kNN model (field \"") + name + "\" missing or of the wrong type)");
  }
  return it->get<T>();
}
} // namespace

KNNClassifier
KNNClassifier::Load(const std::string & path)
{
  const std::string text = ReadModelText(path);
  if (text.rfind("%YAML", 0) == 0)
  {
    throw Error(path, "is a kNN model in OpenCV's YAML, which Tessera no longer reads: train it again "
                      "(models are JSON now)");
  }
  ModelJson doc;
  try
  {
    doc = ModelJson::parse(text);
  }
  catch (const nlohmann::json::exception &)
  {
    throw Error(path, "is not a Tessera kNN model (not JSON)");
  }
  using json = ModelJson;
  if (!doc.is_object() || doc.value("model", json()) != "tessera-knn")
  {
    throw Error(path, "is not a Tessera kNN model");
  }
  const json version = doc.value("version", json());
  if (version != 2 && version != 3)
  {
    throw Error(path, "is a Tessera kNN model of an unknown version (this build reads versions 2 and 3)");
  }
  try
  {
    const auto count = [&](const char * name) { return Field<long long>(doc, name, path, &json::is_number_integer); };
    const long long k = count("k");
    const long long radius = count("localMeanRadius");
    const long long dimension = count("dimension");
    const long long channels = count("channels");
    const long long classes = count("classes");
    // Version 3 holds the labels and the samples [n, dimension] as base64 of little-endian uint16 and float32;
    // version 2 as JSON arrays, whose parsing took 0.3 s of every knn apply with a 512² image's model.
    std::vector<long long> labels;
    std::vector<float>     samples;
    if (version == 3)
    {
      const auto text = [&](const char * name) { return Field<std::string>(doc, name, path, &json::is_string); };
      const auto wide = DecodeLittleEndian<LabelPixel>(text("labels"), path, "labels");
      labels.assign(wide.begin(), wide.end());
      samples = DecodeLittleEndian<float>(text("samples"), path, "samples");
    }
    else
    {
      labels = Field<std::vector<long long>>(doc, "labels", path, &json::is_array);
      for (const auto & row : Field<std::vector<std::vector<float>>>(doc, "samples", path, &json::is_array))
      {
        if (row.size() != static_cast<size_t>(dimension))
        {
          throw Error(path, "is a damaged Tessera kNN model (a sample of the wrong length)");
        }
        samples.insert(samples.end(), row.begin(), row.end());
      }
    }
    Parameters      p;
    if (k < 1 || static_cast<size_t>(k) > labels.size())
    {
      throw Error(path, "is a damaged Tessera kNN model (k = " + std::to_string(k) + " for " +
                          std::to_string(labels.size()) + " samples)");
    }
    if (radius < 0 || radius > 1000 || dimension < 1 || dimension > 1000 || channels < 1 || channels > dimension)
    {
      throw Error(path, "is a damaged Tessera kNN model (local mean radius, dimension or channels out of range)");
    }
    p.k = static_cast<unsigned int>(k);
    p.features.localMeanRadius = static_cast<unsigned int>(radius);
    p.features.position = Field<bool>(doc, "position", path, &json::is_boolean);
    p.features.positionWeight = Field<float>(doc, "positionWeight", path, &json::is_number);
    if (!(p.features.positionWeight >= 0.0) || !std::isfinite(p.features.positionWeight))
    {
      throw Error(path, "is a damaged Tessera kNN model (position weight not finite and non-negative)");
    }
    KNNClassifier model(p);
    model.m_Dimension = static_cast<unsigned int>(dimension);
    model.m_Channels = static_cast<unsigned int>(channels);
    model.m_Mean = Field<std::vector<float>>(doc, "mean", path, &json::is_array);
    model.m_Scale = Field<std::vector<float>>(doc, "scale", path, &json::is_array);
    if (samples.size() != labels.size() * model.m_Dimension || model.m_Mean.size() != model.m_Dimension ||
        model.m_Scale.size() != model.m_Dimension)
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
    if (!std::all_of(samples.begin(), samples.end(), [](float v) { return std::isfinite(v); }))
    {
      throw Error(path, "is a damaged Tessera kNN model (a sample is not finite)");
    }
    model.m_Samples = std::move(samples);
    for (const long long l : labels)
    {
      if (l < 0 || l > 65535)
      {
        throw Error(path, "is a damaged Tessera kNN model (label " + std::to_string(l) + " outside 0-65535)");
      }
    }
    model.m_Labels.assign(labels.begin(), labels.end());
    model.BuildIndex();
    if (classes != static_cast<long long>(model.m_Classes))
    {
      throw Error(path, "is a damaged Tessera kNN model (it says " + std::to_string(classes) +
                          " classes but its samples carry " + std::to_string(model.m_Classes) + " labels)");
    }
    return model;
  }
  catch (const nlohmann::json::exception &)
  {
    // An element of an array of the wrong type (a string among the samples, say).
    throw Error(path, "is a damaged Tessera kNN model (an array holds values of the wrong type)");
  }
}
} // namespace tessera
