// Split-and-merge: quadtree/octree split by a homogeneity predicate, merge through the RAG.
#include "tesseraSplitAndMergeImageFilter.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tesseraError.h"
#include "tesseraRegionAdjacencyGraph.h"
#include "tesseraRegionMerger.h"

namespace tessera
{
namespace
{
template <unsigned int D>
struct Block
{
  std::array<long, D> lower; // first index per axis
  long                side;  // nominal side (power of two)
};
} // namespace

template <unsigned int D>
void
SplitAndMergeImageFilter<D>::GenerateData()
{
  if (!(m_Threshold > 0.0))
  {
    throw Error("threshold", "must be > 0");
  }
  if (m_MinimumBlockSize == 0)
  {
    throw Error("min-block-size", "must be >= 1 pixel");
  }
  if (!(m_MergeThreshold >= 0.0))
  {
    throw Error("merge-threshold", "must be > 0");
  }
  const VectorImage<D> * image = this->GetInput();
  const unsigned int     nc = image->GetNumberOfComponentsPerPixel();
  const auto             size = image->GetLargestPossibleRegion().GetSize();
  const float *          data = image->GetBufferPointer();
  std::array<long, D>    stride{};
  long                   longest = 1;
  for (unsigned int d = 0; d < D; ++d)
  {
    stride[d] = d == 0 ? 1 : stride[d - 1] * static_cast<long>(size[d - 1]);
    longest = std::max(longest, static_cast<long>(size[d]));
  }
  long rootSide = 1;
  while (rootSide < longest)
  {
    rootSide *= 2;
  }

  // Calls f(linear index) for every pixel of a block clipped to the image.
  auto forEachPixel = [&](const Block<D> & b, auto && f) {
    std::array<long, D> upper{};
    for (unsigned int d = 0; d < D; ++d)
    {
      upper[d] = std::min<long>(b.lower[d] + b.side, static_cast<long>(size[d]));
    }
    std::array<long, D> c = b.lower;
    while (true)
    {
      long i = 0;
      for (unsigned int d = 0; d < D; ++d)
      {
        i += c[d] * stride[d];
      }
      f(static_cast<size_t>(i));
      unsigned int d = 0;
      for (; d < D; ++d)
      {
        if (++c[d] < upper[d])
        {
          break;
        }
        c[d] = b.lower[d];
      }
      if (d == D)
      {
        return;
      }
    }
  };
  auto homogeneous = [&](const Block<D> & b) {
    std::vector<double> lo(nc, std::numeric_limits<double>::infinity()), hi(nc, -std::numeric_limits<double>::infinity()),
      sum(nc, 0.0), sum2(nc, 0.0);
    size_t count = 0;
    forEachPixel(b, [&](size_t i) {
      for (unsigned int c = 0; c < nc; ++c)
      {
        const double v = data[i * nc + c];
        lo[c] = std::min(lo[c], v);
        hi[c] = std::max(hi[c], v);
        sum[c] += v;
        sum2[c] += v * v;
      }
      ++count;
    });
    for (unsigned int c = 0; c < nc; ++c)
    {
      const double mean = sum[c] / count;
      const double measure =
        m_Predicate == PredicateType::Range ? hi[c] - lo[c] : std::max(0.0, sum2[c] / count - mean * mean);
      if (measure > m_Threshold)
      {
        return false;
      }
    }
    return true;
  };

  // Split, depth-first with an explicit stack (children pushed in reverse raster order).
  m_SplitLabels = LabelImageType::New();
  m_SplitLabels->CopyInformation(image);
  m_SplitLabels->SetRegions(image->GetLargestPossibleRegion());
  m_SplitLabels->Allocate();
  LabelPixel *             leaves = m_SplitLabels->GetBufferPointer();
  std::vector<Block<D>>    stack{ Block<D>{ {}, rootSide } };
  size_t                   leafCount = 0;
  const size_t             n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  size_t                   covered = 0;
  while (!stack.empty())
  {
    const Block<D> b = stack.back();
    stack.pop_back();
    if (b.side <= static_cast<long>(m_MinimumBlockSize) || b.side == 1 || homogeneous(b))
    {
      if (++leafCount > 65535)
      {
        throw Error("min-block-size", "the split gives more than 65535 blocks; raise min-block-size or threshold");
      }
      size_t pixels = 0;
      forEachPixel(b, [&](size_t i) {
        leaves[i] = static_cast<LabelPixel>(leafCount);
        ++pixels;
      });
      covered += pixels;
      this->UpdateProgress(0.7f * static_cast<float>(covered) / n);
      continue;
    }
    const long half = b.side / 2;
    for (int k = (1 << D) - 1; k >= 0; --k)
    {
      Block<D> child{ b.lower, half };
      bool     inside = true;
      for (unsigned int d = 0; d < D; ++d)
      {
        child.lower[d] += ((k >> d) & 1) * half;
        inside = inside && child.lower[d] < static_cast<long>(size[d]);
      }
      if (inside)
      {
        stack.push_back(child);
      }
    }
  }
  m_NumberOfLeaves = static_cast<unsigned int>(leafCount);

  LabelImageType * out = this->AllocateLabelOutput();
  typename LabelImageType::Pointer merged = m_SplitLabels;
  if (m_Merge && leafCount > 1)
  {
    const double threshold = m_MergeThreshold > 0.0 ? m_MergeThreshold : m_Threshold;
    MergeWeightFunction<D> weight;
    if (m_Predicate == PredicateType::Variance)
    {
      weight = [](const RegionStatistics<D> & a, const RegionStatistics<D> & b, const BoundaryStatistics &) {
        RegionStatistics<D> u = a;
        u.Merge(b);
        const auto         cov = u.Covariance();
        const unsigned int c = u.NumberOfFeatures();
        double             worst = 0.0;
        for (unsigned int k = 0; k < c; ++k)
        {
          worst = std::max(worst, cov[k * c + k]);
        }
        return worst;
      };
    }
    else
    {
      weight = [](const RegionStatistics<D> & a, const RegionStatistics<D> & b, const BoundaryStatistics &) {
        double worst = 0.0;
        for (unsigned int k = 0; k < a.NumberOfFeatures(); ++k)
        {
          worst = std::max(worst, std::abs(a.Mean(k) - b.Mean(k)));
        }
        return worst;
      };
    }
    RegionAdjacencyGraph<D> rag(m_SplitLabels, image, 1);
    RegionMerger<D>         merger(rag, weight);
    // MergeHierarchical merges while weight < its threshold; ours is inclusive.
    merger.MergeHierarchical(std::nextafter(threshold, std::numeric_limits<double>::infinity()));
    merged = merger.Labels();
  }
  // Regions 1..R in raster order of their first pixel.
  std::vector<LabelPixel> map(65536, 0);
  LabelPixel              next = 0;
  for (size_t i = 0; i < n; ++i)
  {
    LabelPixel & m = map[merged->GetBufferPointer()[i]];
    if (!m)
    {
      m = ++next;
    }
    out->GetBufferPointer()[i] = m;
  }
  m_NumberOfRegions = next;
  this->UpdateProgress(1.0f);
}

template <unsigned int D>
void
SplitAndMergeImageFilter<D>::PrintSelf(std::ostream & os, itk::Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "Predicate: " << (m_Predicate == PredicateType::Variance ? "Variance" : "Range") << std::endl;
  os << indent << "Threshold: " << m_Threshold << std::endl;
  os << indent << "MinimumBlockSize: " << m_MinimumBlockSize << std::endl;
  os << indent << "MergeThreshold: " << m_MergeThreshold << std::endl;
  os << indent << "Merge: " << (m_Merge ? "On" : "Off") << std::endl;
  os << indent << "NumberOfLeaves: " << m_NumberOfLeaves << std::endl;
  os << indent << "NumberOfRegions: " << m_NumberOfRegions << std::endl;
}

template class SplitAndMergeImageFilter<2>;
template class SplitAndMergeImageFilter<3>;
} // namespace tessera
