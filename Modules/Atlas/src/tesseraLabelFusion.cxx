#include "tesseraLabelFusion.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numeric>
#include <unordered_map>

#include "itkMultiThreaderBase.h"
#include "tesseraError.h"
#include "vnl/algo/vnl_cholesky.h"
#include "vnl/algo/vnl_svd.h"

namespace tessera
{
FusionMethod
ParseFusionMethod(const std::string & name)
{
  if (name == "majority")
    return FusionMethod::Majority;
  if (name == "weighted")
    return FusionMethod::GlobalWeighted;
  if (name == "local")
    return FusionMethod::LocalWeighted;
  if (name == "staple")
    return FusionMethod::Staple;
  if (name == "jlf")
    return FusionMethod::JointLabelFusion;
  throw Error("fusion", "unknown method '" + name + "' (majority, weighted, local, staple, jlf)");
}

std::string
FusionMethodName(FusionMethod method)
{
  switch (method)
  {
    case FusionMethod::Majority:
      return "majority";
    case FusionMethod::GlobalWeighted:
      return "weighted";
    case FusionMethod::LocalWeighted:
      return "local";
    case FusionMethod::Staple:
      return "staple";
    case FusionMethod::JointLabelFusion:
      break;
  }
  return "jlf";
}

bool
NeedsIntensities(FusionMethod method)
{
  return method == FusionMethod::GlobalWeighted || method == FusionMethod::LocalWeighted ||
         method == FusionMethod::JointLabelFusion;
}

namespace
{
/** Weights from the patch differences, [atlases * n] row-major; see JointFusionWeights. */
void
SolveJointWeights(const double * d, unsigned int atlases, unsigned int n, double alpha, double beta, double * w)
{
  vnl_matrix<double> m(atlases, atlases);
  for (unsigned int i = 0; i < atlases; ++i)
  {
    for (unsigned int j = 0; j <= i; ++j)
    {
      double s = 0;
      for (unsigned int k = 0; k < n; ++k)
      {
        s += d[i * n + k] * d[j * n + k];
      }
      s /= std::max(1u, n - 1);
      s = beta == 2 ? s * s : std::pow(s, beta);
      m(i, j) = m(j, i) = std::isfinite(s) ? s : 0.0;
    }
    m(i, i) += alpha;
  }
  vnl_vector<double> ones(atlases, 1.0);
  vnl_cholesky       cholesky(m, vnl_cholesky::estimate_condition);
  vnl_vector<double> x = cholesky.rcond() > 1.5e-8 ? cholesky.solve(ones) : vnl_svd<double>(m).solve(ones);
  double sum = 0;
  for (unsigned int i = 0; i < atlases; ++i)
  {
    w[i] = std::max(0.0, x[i]);
    sum += w[i];
  }
  for (unsigned int i = 0; i < atlases; ++i)
  {
    w[i] = sum > 0 ? w[i] / sum : 1.0 / atlases;
  }
}

/** Mean 0, sample standard deviation 1 (a constant patch becomes all 0), as ANTs normalises patches. */
void
Standardise(float * p, unsigned int n)
{
  double s = 0, ss = 0;
  for (unsigned int k = 0; k < n; ++k)
  {
    s += p[k];
    ss += double(p[k]) * p[k];
  }
  const double mean = s / n;
  const double var = n > 1 ? (ss - s * mean) / (n - 1) : 0;
  const double inv = var > 1e-12 ? 1 / std::sqrt(var) : 0;
  for (unsigned int k = 0; k < n; ++k)
  {
    p[k] = static_cast<float>((p[k] - mean) * inv);
  }
}

/** Mean and standard deviation over the voxels where inside is true (all when null). */
std::pair<double, double>
MeanAndSd(const float * v, const std::uint8_t * inside, size_t n)
{
  double s = 0, ss = 0;
  size_t count = 0;
  for (size_t i = 0; i < n; ++i)
  {
    if (!inside || inside[i])
    {
      s += v[i];
      ss += double(v[i]) * v[i];
      ++count;
    }
  }
  const double mean = count ? s / count : 0;
  const double var = count ? ss / count - mean * mean : 0;
  return { mean, var > 0 ? std::sqrt(var) : 1.0 };
}

/** Runs f(begin, end) over [0, n) in chunks on ITK's thread pool; results must not depend on the split. */
template <typename F>
void
ParallelRange(size_t n, F && f)
{
  const unsigned int threads = itk::MultiThreaderBase::GetGlobalDefaultNumberOfThreads();
  const size_t       chunks = std::min<size_t>(std::max(1u, threads) * 8, std::max<size_t>(1, n / 64));
  if (chunks <= 1)
  {
    f(size_t{ 0 }, n);
    return;
  }
  itk::MultiThreaderBase::New()->ParallelizeArray(
    0, chunks, [&](itk::SizeValueType c) { f(n * c / chunks, n * (c + 1) / chunks); }, nullptr);
}

/** Voxel geometry: index <-> offset, and patch / search neighbourhoods as offsets. */
template <unsigned int D>
struct Geometry
{
  std::array<long, D> size{};
  std::array<long, D> stride{};

  explicit Geometry(const itk::ImageBase<D> * image)
  {
    long s = 1;
    for (unsigned int d = 0; d < D; ++d)
    {
      size[d] = static_cast<long>(image->GetLargestPossibleRegion().GetSize(d));
      stride[d] = s;
      s *= size[d];
    }
  }
  std::array<long, D> Index(size_t offset) const
  {
    std::array<long, D> index{};
    for (unsigned int d = 0; d < D; ++d)
    {
      index[d] = static_cast<long>(offset) / stride[d] % size[d];
    }
    return index;
  }
  /** Every offset of the cube of radius r, as vectors, axis 0 fastest (rows of 2r+1 neighbours
   * along x); with centreFirst the centre is moved to the front. */
  static std::vector<std::array<long, D>> Cube(unsigned int r, bool centreFirst)
  {
    std::vector<std::array<long, D>> cube;
    const long                       w = 2 * static_cast<long>(r) + 1;
    long                             count = 1;
    for (unsigned int d = 0; d < D; ++d)
      count *= w;
    if (centreFirst)
      cube.push_back({});
    for (long c = 0; c < count; ++c)
    {
      std::array<long, D> o{};
      long                rest = c;
      bool                centre = true;
      for (unsigned int d = 0; d < D; ++d)
      {
        o[d] = rest % w - static_cast<long>(r);
        rest /= w;
        centre = centre && o[d] == 0;
      }
      if (!centre || !centreFirst)
        cube.push_back(o);
    }
    return cube;
  }
  /** The offset of index + shift, or -1 when outside. */
  long Shifted(const std::array<long, D> & index, const std::array<long, D> & shift) const
  {
    long offset = 0;
    for (unsigned int d = 0; d < D; ++d)
    {
      const long c = index[d] + shift[d];
      if (c < 0 || c >= size[d])
        return -1;
      offset += c * stride[d];
    }
    return offset;
  }
  /** Linear offsets of vectors (valid where no coordinate leaves the image). */
  std::vector<long> Linear(const std::vector<std::array<long, D>> & offsets) const
  {
    std::vector<long> linear;
    for (const auto & o : offsets)
    {
      long l = 0;
      for (unsigned int d = 0; d < D; ++d)
        l += o[d] * stride[d];
      linear.push_back(l);
    }
    return linear;
  }
  /** True when every voxel within margin of index lies inside the image. */
  bool Interior(const std::array<long, D> & index, long margin) const
  {
    for (unsigned int d = 0; d < D; ++d)
      if (index[d] < margin || index[d] >= size[d] - margin)
        return false;
    return true;
  }
  /** 1 / (sample standard deviation) of the patch of radius r around every voxel (0 for a
   * constant patch), coordinates clamped as Gather clamps them: separable box sums. */
  std::vector<float> InverseDeviation(const float * image, unsigned int r) const
  {
    size_t n = 1;
    for (unsigned int d = 0; d < D; ++d)
      n *= static_cast<size_t>(size[d]);
    std::vector<double> s1(image, image + n), s2(n);
    for (size_t i = 0; i < n; ++i)
      s2[i] = double(image[i]) * image[i];
    std::vector<double> line1, line2;
    for (unsigned int d = 0; d < D; ++d)
    {
      const long len = size[d];
      line1.resize(len);
      line2.resize(len);
      for (size_t start = 0; start < n; ++start)
      {
        if (static_cast<long>(start) / stride[d] % len != 0)
          continue; // not the first voxel of a line along d
        for (long x = 0; x < len; ++x)
        {
          double a = 0, b = 0;
          for (long k = -static_cast<long>(r); k <= static_cast<long>(r); ++k)
          {
            const size_t at = start + std::clamp(x + k, 0L, len - 1) * stride[d];
            a += s1[at];
            b += s2[at];
          }
          line1[x] = a;
          line2[x] = b;
        }
        for (long x = 0; x < len; ++x)
        {
          s1[start + x * stride[d]] = line1[x];
          s2[start + x * stride[d]] = line2[x];
        }
      }
    }
    double count = 1;
    for (unsigned int d = 0; d < D; ++d)
      count *= 2.0 * r + 1;
    std::vector<float> inverse(n);
    for (size_t i = 0; i < n; ++i)
    {
      const double var = count > 1 ? (s2[i] - s1[i] * s1[i] / count) / (count - 1) : 0;
      inverse[i] = var > 1e-12 ? static_cast<float>(1 / std::sqrt(var)) : 0.0f;
    }
    return inverse;
  }
  /** Gathers the patch around index + shift, coordinates clamped to the image. */
  void Gather(const float * image, const std::array<long, D> & index, const std::array<long, D> & shift,
              const std::vector<std::array<long, D>> & patch, float * out) const
  {
    for (size_t k = 0; k < patch.size(); ++k)
    {
      long offset = 0;
      for (unsigned int d = 0; d < D; ++d)
      {
        offset += std::clamp(index[d] + shift[d] + patch[k][d], 0L, size[d] - 1) * stride[d];
      }
      out[k] = image[offset];
    }
  }
};

/** Accumulated votes of one voxel: (label index, weight), few entries. */
struct Votes
{
  std::vector<std::pair<unsigned int, double>> entries;
  void Clear() { entries.clear(); }
  void Add(unsigned int label, double w)
  {
    for (auto & e : entries)
    {
      if (e.first == label)
      {
        e.second += w;
        return;
      }
    }
    entries.emplace_back(label, w);
  }
  /** Voxel i gets the winner's label and, when probabilities is not null, the votes normalised to
   * sum 1 (one component per entry of labelSet); when confidence is not null, the winner's. */
  void Decide(size_t i, const std::vector<LabelPixel> & labelSet, LabelPixel * out, float * probabilities,
              float * confidence) const
  {
    const unsigned int winner = Winner();
    out[i] = labelSet[winner];
    if (!probabilities && !confidence)
      return;
    double total = 0;
    for (const auto & e : entries)
      total += e.second;
    for (const auto & e : entries)
    {
      if (probabilities)
        probabilities[i * labelSet.size() + e.first] = static_cast<float>(e.second / total);
      if (confidence && e.first == winner)
        confidence[i] = static_cast<float>(e.second / total);
    }
  }
  /** The label index with the most weight, ties to the smallest. */
  unsigned int Winner() const
  {
    unsigned int best = entries.front().first;
    double       weight = entries.front().second;
    for (const auto & e : entries)
    {
      if (e.second > weight || (e.second == weight && e.first < best))
      {
        best = e.first;
        weight = e.second;
      }
    }
    return best;
  }
};
} // namespace

std::vector<double>
JointFusionWeights(const std::vector<std::vector<double>> & differences, double alpha, double beta)
{
  const auto          atlases = static_cast<unsigned int>(differences.size());
  const auto          n = atlases ? static_cast<unsigned int>(differences[0].size()) : 0u;
  std::vector<double> flat;
  for (const auto & row : differences)
  {
    flat.insert(flat.end(), row.begin(), row.end());
  }
  std::vector<double> w(atlases);
  SolveJointWeights(flat.data(), atlases, n, alpha, beta, w.data());
  return w;
}

template <unsigned int D>
void
LabelFusion<D>::AddAtlas(const LabelImage<D> * labels, const ScalarImage<D> * image)
{
  const std::string name = "atlas " + std::to_string(m_AtlasLabels.size() + 1);
  const auto *      reference = m_AtlasLabels.empty() ? static_cast<const itk::ImageBase<D> *>(m_Target)
                                                      : m_AtlasLabels.front().GetPointer();
  for (const itk::ImageBase<D> * x : { static_cast<const itk::ImageBase<D> *>(labels),
                                       static_cast<const itk::ImageBase<D> *>(image) })
  {
    if (x && reference &&
        (x->GetLargestPossibleRegion() != reference->GetLargestPossibleRegion() ||
         !x->GetSpacing().GetVnlVector().is_equal(reference->GetSpacing().GetVnlVector(), 1e-6) ||
         !x->GetOrigin().GetVnlVector().is_equal(reference->GetOrigin().GetVnlVector(), 1e-4)))
    {
      throw Error(name, "is not on the target's grid (resample it first)");
    }
  }
  m_AtlasLabels.emplace_back(labels);
  m_AtlasImages.emplace_back(image);
}

template <unsigned int D>
void
LabelFusion<D>::Update()
{
  const auto & s = m_Settings;
  const size_t atlases = m_AtlasLabels.size();
  if (atlases == 0)
  {
    throw Error("atlases", "label fusion needs at least one atlas");
  }
  const bool intensities = NeedsIntensities(s.method);
  if (intensities && !m_Target)
  {
    throw Error("fusion", FusionMethodName(s.method) + " compares intensities: it needs the target image");
  }
  for (size_t a = 0; intensities && a < atlases; ++a)
  {
    if (!m_AtlasImages[a])
    {
      throw Error("atlas " + std::to_string(a + 1), FusionMethodName(s.method) + " needs the atlas's intensities");
    }
  }
  const LabelImage<D> * first = m_AtlasLabels.front();
  const size_t          n = first->GetLargestPossibleRegion().GetNumberOfPixels();
  const std::uint8_t *  mask = m_Mask ? m_Mask->GetBufferPointer() : nullptr;

  // Compact label indices: the union of the atlases' labels.
  std::vector<unsigned int> index(65536, 0);
  {
    std::vector<char> seen(65536, 0);
    for (const auto & l : m_AtlasLabels)
    {
      const LabelPixel * p = l->GetBufferPointer();
      for (size_t i = 0; i < n; ++i)
        seen[p[i]] = 1;
    }
    m_LabelSet.clear();
    for (unsigned int l = 0; l < 65536; ++l)
    {
      if (seen[l])
      {
        index[l] = static_cast<unsigned int>(m_LabelSet.size());
        m_LabelSet.push_back(static_cast<LabelPixel>(l));
      }
    }
  }
  const unsigned int classes = static_cast<unsigned int>(m_LabelSet.size());

  m_Labels = LabelImage<D>::New();
  m_Labels->CopyInformation(first);
  m_Labels->SetRegions(first->GetLargestPossibleRegion());
  m_Labels->Allocate(true);
  LabelPixel * out = m_Labels->GetBufferPointer();
  float *      probabilities = nullptr;
  if (m_ComputeProbabilities)
  {
    m_Probabilities = ProbabilityImage<D>::New();
    m_Probabilities->CopyInformation(first);
    m_Probabilities->SetRegions(first->GetLargestPossibleRegion());
    m_Probabilities->SetNumberOfComponentsPerPixel(classes);
    m_Probabilities->Allocate();
    probabilities = m_Probabilities->GetBufferPointer();
    std::fill(probabilities, probabilities + n * classes, 0.0f);
  }
  float * confidence = nullptr;
  m_Confidence = nullptr;
  if (m_ComputeConfidence)
  {
    m_Confidence = ScalarImage<D>::New();
    m_Confidence->CopyInformation(first);
    m_Confidence->SetRegions(first->GetLargestPossibleRegion());
    m_Confidence->Allocate(true);
    confidence = m_Confidence->GetBufferPointer();
  }

  // Consensus voxels are decided at once; the others are fused below.
  std::vector<const LabelPixel *> labels(atlases);
  for (size_t a = 0; a < atlases; ++a)
    labels[a] = m_AtlasLabels[a]->GetBufferPointer();
  std::vector<size_t> undecided;
  m_ConsensusVoxels = 0;
  for (size_t i = 0; i < n; ++i)
  {
    if (mask && !mask[i])
      continue;
    const LabelPixel l = labels[0][i];
    bool             agree = true;
    for (size_t a = 1; a < atlases && agree; ++a)
      agree = labels[a][i] == l;
    if (agree && s.method != FusionMethod::Staple)
    {
      out[i] = l;
      if (probabilities)
        probabilities[i * classes + index[l]] = 1.0f;
      if (confidence)
        confidence[i] = 1.0f;
      ++m_ConsensusVoxels;
    }
    else
    {
      undecided.push_back(i);
      m_ConsensusVoxels += agree;
    }
  }
  m_FusedVoxels = undecided.size() - (s.method == FusionMethod::Staple ? m_ConsensusVoxels : 0);
  if (s.method == FusionMethod::Staple)
  {
    RunStaple(undecided);
    return;
  }

  // Intensities standardised over the mask (MSD weights compare images of other scanners).
  std::vector<std::vector<float>> images;
  std::vector<float>              target;
  if (intensities)
  {
    auto standardised = [&](const ScalarImage<D> * image) {
      const float * p = image->GetBufferPointer();
      const auto    ms = MeanAndSd(p, mask, n);
      std::vector<float> v(n);
      for (size_t i = 0; i < n; ++i)
        v[i] = static_cast<float>((p[i] - ms.first) / ms.second);
      return v;
    };
    target = standardised(m_Target);
    for (size_t a = 0; a < atlases; ++a)
      images.push_back(standardised(m_AtlasImages[a]));
  }
  std::vector<double> global(atlases, 1.0);
  m_AtlasWeights.clear();
  if (s.method == FusionMethod::GlobalWeighted)
  {
    for (size_t a = 0; a < atlases; ++a)
    {
      double sum = 0;
      size_t count = 0;
      for (size_t i = 0; i < n; ++i)
      {
        if (!mask || mask[i])
        {
          const double d = target[i] - images[a][i];
          sum += d * d;
          ++count;
        }
      }
      global[a] = std::pow(sum / std::max<size_t>(1, count) + 1e-6, -s.gain);
    }
    const double total = std::accumulate(global.begin(), global.end(), 0.0);
    for (auto & w : global)
      w /= total;
    m_AtlasWeights = global;
  }

  const Geometry<D> geometry(first);
  const auto        patch = Geometry<D>::Cube(s.patchRadius, false);
  const auto        search = Geometry<D>::Cube(s.method == FusionMethod::JointLabelFusion ? s.searchRadius : 0, true);
  const unsigned    row = 2 * s.patchRadius + 1; // patch voxels contiguous in memory along x
  const unsigned    np = static_cast<unsigned>(patch.size());
  const auto        patchOffsets = geometry.Linear(patch);
  const auto        searchOffsets = geometry.Linear(search);
  const long        margin = static_cast<long>(s.patchRadius + s.searchRadius);
  // JLF ranks candidate patches by sum(t^ a) / sd(a) (t^ has mean 0, so a's mean drops out):
  // the deviations are box sums computed once per atlas.
  std::vector<std::vector<float>> inverseDeviation;
  if (s.method == FusionMethod::JointLabelFusion)
  {
    for (size_t a = 0; a < atlases; ++a)
      inverseDeviation.push_back(geometry.InverseDeviation(images[a].data(), s.patchRadius));
  }

  // JLF: each undecided voxel's weights and matched atlas voxels, kept for the patch-wise vote below.
  const bool                jlf = s.method == FusionMethod::JointLabelFusion;
  std::vector<float>        jointWeights(jlf ? undecided.size() * atlases : 0);
  std::vector<unsigned int> jointMatches(jlf ? undecided.size() * atlases : 0);
  auto fuse = [&](size_t begin, size_t end) {
    Votes               votes;
    std::vector<float>  t(np), a(np), best(np);
    std::vector<double> d(atlases * np), w(atlases);
    std::vector<unsigned int> matched(atlases);
    std::vector<size_t>       bestOffset(atlases);
    for (size_t u = begin; u < end; ++u)
    {
      const size_t i = undecided[u];
      votes.Clear();
      const auto at = geometry.Index(i);
      switch (s.method)
      {
        case FusionMethod::Majority:
        case FusionMethod::GlobalWeighted:
          for (size_t k = 0; k < atlases; ++k)
            votes.Add(index[labels[k][i]], global[k]);
          break;
        case FusionMethod::LocalWeighted:
          geometry.Gather(target.data(), at, search[0], patch, t.data());
          for (size_t k = 0; k < atlases; ++k)
          {
            geometry.Gather(images[k].data(), at, search[0], patch, a.data());
            double msd = 0;
            for (unsigned q = 0; q < np; ++q)
              msd += double(t[q] - a[q]) * (t[q] - a[q]);
            votes.Add(index[labels[k][i]], std::pow(msd / np + 1e-3, -s.gain));
          }
          break;
        case FusionMethod::JointLabelFusion:
          geometry.Gather(target.data(), at, search[0], patch, t.data());
          Standardise(t.data(), np);
          for (size_t k = 0; k < atlases; ++k)
          {
            // The best-matching atlas patch in the search window: largest sum t^ a / sd(a),
            // i.e. the smallest distance between standardised patches.
            double       bestScore = -std::numeric_limits<double>::infinity();
            const float * image = images[k].data();
            const bool   interior = geometry.Interior(at, margin);
            for (size_t o = 0; o < search.size(); ++o)
            {
              const long centre = interior ? static_cast<long>(i) + searchOffsets[o] : geometry.Shifted(at, search[o]);
              if (centre < 0)
                continue;
              double dot = 0;
              if (interior)
              {
                const float * base = image + centre;
                for (unsigned q = 0; q < np; q += row)
                {
                  const float * x = base + patchOffsets[q];
                  const float * y = t.data() + q;
                  float         partial = 0;
                  for (unsigned e = 0; e < row; ++e)
                    partial += x[e] * y[e];
                  dot += partial;
                }
              }
              else
              {
                geometry.Gather(image, at, search[o], patch, a.data());
                for (unsigned q = 0; q < np; ++q)
                  dot += t[q] * a[q];
              }
              const double score = dot * inverseDeviation[k][centre];
              if (score > bestScore)
              {
                bestScore = score;
                matched[k] = static_cast<unsigned int>(centre);
                bestOffset[k] = o;
              }
            }
            geometry.Gather(image, at, search[bestOffset[k]], patch, best.data());
            Standardise(best.data(), np);
            for (unsigned q = 0; q < np; ++q)
              d[k * np + q] = std::fabs(double(t[q]) - best[q]);
          }
          SolveJointWeights(d.data(), static_cast<unsigned>(atlases), np, s.alpha, s.beta, w.data());
          for (size_t k = 0; k < atlases; ++k)
          {
            jointWeights[u * atlases + k] = static_cast<float>(w[k]);
            jointMatches[u * atlases + k] = matched[k];
          }
          continue; // voted below, once every voxel has its weights
        case FusionMethod::Staple:
          break;
      }
      votes.Decide(i, m_LabelSet, out, probabilities, confidence);
    }
  };
  // In batches, so that progress is reported from this thread.
  const size_t batches = std::min<size_t>(20, std::max<size_t>(1, undecided.size() / 4096));
  for (size_t b = 0; b < batches; ++b)
  {
    const size_t begin = undecided.size() * b / batches, end = undecided.size() * (b + 1) / batches;
    ParallelRange(end - begin, [&](size_t x, size_t y) { fuse(begin + x, begin + y); });
    if (m_Observer)
      m_Observer(double(b + 1) / batches);
  }
  if (jlf)
    VotePatches(undecided, jointWeights, jointMatches, index, out, probabilities, confidence);
}

template <unsigned int D>
void
LabelFusion<D>::VotePatches(const std::vector<size_t> & undecided, const std::vector<float> & jointWeights,
                            const std::vector<unsigned int> & jointMatches,
                            const std::vector<unsigned int> & index, LabelPixel * out,
                            float * probabilities, float * confidence)
{
  // As Wang and Yushkevich's implementation (ANTs' antsJointFusion): the weights found at voxel x
  // vote for every voxel x + o of its patch, with each atlas's label at its matched voxel + o, so a
  // voxel collects the votes of all the patches that cover it (+0.003 mean Dice on three MICCAI
  // targets against voting with its own weights alone). Consensus voxels have no weights and cast
  // no votes; near the image border a voxel keeps its own vote only.
  const auto &      s = m_Settings;
  const size_t      atlases = m_AtlasLabels.size();
  const Geometry<D> geometry(m_AtlasLabels[0].GetPointer());
  const auto        patch = Geometry<D>::Cube(s.patchRadius, false);
  const auto        patchLinear = geometry.Linear(patch);
  const long        margin = 2 * static_cast<long>(s.patchRadius + s.searchRadius);
  std::vector<const LabelPixel *> labels(atlases);
  for (size_t a = 0; a < atlases; ++a)
    labels[a] = m_AtlasLabels[a]->GetBufferPointer();
  std::vector<int> where(m_AtlasLabels[0]->GetLargestPossibleRegion().GetNumberOfPixels(), -1);
  for (size_t u = 0; u < undecided.size(); ++u)
    where[undecided[u]] = static_cast<int>(u);
  ParallelRange(undecided.size(), [&](size_t begin, size_t end) {
    Votes votes;
    for (size_t u = begin; u < end; ++u)
    {
      const size_t i = undecided[u];
      const auto   at = geometry.Index(i);
      votes.Clear();
      const bool interior = geometry.Interior(at, margin);
      for (size_t o = 0; o < patch.size(); ++o)
      {
        if (!interior && patchLinear[o] != 0)
          continue;
        const int x = where[static_cast<long>(i) - patchLinear[o]];
        if (x < 0)
          continue;
        for (size_t k = 0; k < atlases; ++k)
          votes.Add(index[labels[k][static_cast<long>(jointMatches[x * atlases + k]) + patchLinear[o]]],
                    jointWeights[x * atlases + k]);
      }
      votes.Decide(i, m_LabelSet, out, probabilities, confidence);
    }
  });
}

template <unsigned int D>
void
LabelFusion<D>::RunStaple(const std::vector<size_t> & voxels)
{
  // Multi-label STAPLE exactly as ITK's MultiLabelSTAPLEImageFilter computes it (priors from all
  // raters' label counts, confusion matrices started from majority voting, EM until no entry
  // changes by 1e-5), but over the distinct tuples of rater labels with their counts: the E-step
  // of a voxel depends on its tuple alone, so the whole brain reduces to a few 10^5 tuples.
  const size_t       atlases = m_AtlasLabels.size();
  const unsigned int k = static_cast<unsigned int>(m_LabelSet.size());
  std::vector<unsigned int> index(65536, 0);
  for (unsigned int c = 0; c < k; ++c)
    index[m_LabelSet[c]] = c;
  std::vector<const LabelPixel *> labels(atlases);
  for (size_t a = 0; a < atlases; ++a)
    labels[a] = m_AtlasLabels[a]->GetBufferPointer();

  std::unordered_map<std::string, size_t> tupleOf;
  std::vector<std::vector<unsigned int>>  tuples;
  std::vector<double>                     counts;
  std::vector<size_t>                     voxelTuple(voxels.size());
  std::string                             key(atlases * sizeof(LabelPixel), '\0');
  for (size_t v = 0; v < voxels.size(); ++v)
  {
    for (size_t a = 0; a < atlases; ++a)
      std::memcpy(&key[a * sizeof(LabelPixel)], labels[a] + voxels[v], sizeof(LabelPixel));
    const auto found = tupleOf.emplace(key, tuples.size());
    if (found.second)
    {
      std::vector<unsigned int> t(atlases);
      for (size_t a = 0; a < atlases; ++a)
        t[a] = index[labels[a][voxels[v]]];
      tuples.push_back(std::move(t));
      counts.push_back(0);
    }
    counts[found.first->second] += 1;
    voxelTuple[v] = found.first->second;
  }
  const size_t tupleCount = tuples.size();

  std::vector<double> prior(k, 0.0);
  for (size_t t = 0; t < tupleCount; ++t)
    for (size_t a = 0; a < atlases; ++a)
      prior[tuples[t][a]] += counts[t];
  const double mass = std::accumulate(prior.begin(), prior.end(), 0.0);
  for (auto & p : prior)
    p /= mass;

  // theta[a][j * k + c]: probability that atlas a says j where the truth is c.
  std::vector<std::vector<double>> theta(atlases, std::vector<double>(k * k, 0.0));
  {
    Votes votes;
    for (size_t t = 0; t < tupleCount; ++t)
    {
      votes.Clear();
      for (size_t a = 0; a < atlases; ++a)
        votes.Add(tuples[t][a], 1.0);
      const unsigned int c = votes.Winner();
      for (size_t a = 0; a < atlases; ++a)
        theta[a][tuples[t][a] * k + c] += counts[t];
    }
    for (auto & m : theta)
    {
      for (unsigned int j = 0; j < k; ++j)
      {
        const double sum = std::accumulate(m.begin() + j * k, m.begin() + (j + 1) * k, 0.0);
        if (sum > 0)
          for (unsigned int c = 0; c < k; ++c)
            m[j * k + c] /= sum;
      }
    }
  }
  // A zero in a confusion matrix stays zero under EM, so each tuple's posterior lives on the
  // classes that atlas 0's matrix allows for its label (ascending): the products skip the rest.
  std::vector<std::vector<unsigned int>> allowed(k);
  for (unsigned int j = 0; j < k; ++j)
    for (unsigned int c = 0; c < k; ++c)
      if (theta[0][j * k + c] > 0)
        allowed[j].push_back(c);
  std::vector<size_t> offset(tupleCount + 1, 0);
  for (size_t t = 0; t < tupleCount; ++t)
    offset[t + 1] = offset[t] + allowed[tuples[t][0]].size();
  std::vector<double> posterior(offset.back());
  auto estep = [&](size_t t) {
    const auto & classes = allowed[tuples[t][0]];
    double *     w = &posterior[offset[t]];
    double       sum = 0;
    for (size_t x = 0; x < classes.size(); ++x)
    {
      double p = prior[classes[x]];
      for (size_t a = 0; a < atlases && p > 0; ++a)
        p *= theta[a][tuples[t][a] * k + classes[x]];
      w[x] = p;
      sum += p;
    }
    if (sum > 0)
      for (size_t x = 0; x < classes.size(); ++x)
        w[x] /= sum;
  };
  auto allTuples = [&]() {
    ParallelRange(tupleCount, [&](size_t b, size_t e) {
      for (size_t t = b; t < e; ++t)
        estep(t);
    });
  };
  for (unsigned int iteration = 0; iteration < m_Settings.stapleIterations; ++iteration)
  {
    allTuples();
    std::vector<std::vector<double>> updated(atlases, std::vector<double>(k * k, 0.0));
    for (size_t t = 0; t < tupleCount; ++t)
    {
      const auto & classes = allowed[tuples[t][0]];
      for (size_t a = 0; a < atlases; ++a)
        for (size_t x = 0; x < classes.size(); ++x)
          updated[a][tuples[t][a] * k + classes[x]] += counts[t] * posterior[offset[t] + x];
    }
    double change = 0;
    for (size_t a = 0; a < atlases; ++a)
    {
      for (unsigned int c = 0; c < k; ++c)
      {
        double sum = 0;
        for (unsigned int j = 0; j < k; ++j)
          sum += updated[a][j * k + c];
        for (unsigned int j = 0; j < k && sum > 0; ++j)
          updated[a][j * k + c] /= sum;
      }
      for (size_t x = 0; x < k * k; ++x)
        change = std::max(change, std::fabs(updated[a][x] - theta[a][x]));
      theta[a] = std::move(updated[a]);
    }
    if (m_Observer)
      m_Observer(double(iteration + 1) / m_Settings.stapleIterations);
    if (change < 1e-5)
      break;
  }
  allTuples();
  LabelPixel * out = m_Labels->GetBufferPointer();
  float *      probabilities = m_Probabilities ? m_Probabilities->GetBufferPointer() : nullptr;
  float *      confidence = m_Confidence ? m_Confidence->GetBufferPointer() : nullptr;
  for (size_t v = 0; v < voxels.size(); ++v)
  {
    const size_t   t = voxelTuple[v];
    const auto &   classes = allowed[tuples[t][0]];
    const double * w = &posterior[offset[t]];
    const auto     winner = std::max_element(w, w + classes.size());
    out[voxels[v]] = m_LabelSet[classes[winner - w]];
    if (confidence)
      confidence[voxels[v]] = static_cast<float>(*winner);
    if (probabilities)
      for (size_t x = 0; x < classes.size(); ++x)
        probabilities[voxels[v] * k + classes[x]] = static_cast<float>(w[x]);
  }
  if (m_Observer)
    m_Observer(1.0);
}

template class LabelFusion<2>;
template class LabelFusion<3>;
} // namespace tessera
