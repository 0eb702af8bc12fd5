// Watershed of the gradient magnitude: Meyer's priority flood from markers or from the regional
// minima, over a hierarchical queue of the exactly ranked relief.
#include "tesseraWatershedImageFilter.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "itkConnectedComponentImageFilter.h"
#include "itkGradientMagnitudeRecursiveGaussianImageFilter.h"
#include "itkHMinimaImageFilter.h"
#include "itkRegionalMinimaImageFilter.h"
#include "tesseraError.h"
#include "tesseraImageUtilities.h"

namespace tessera
{
template <unsigned int D>
typename ScalarImage<D>::Pointer
GradientMagnitude(const VectorImage<D> * image, double sigma)
{
  const unsigned int nc = image->GetNumberOfComponentsPerPixel();
  const size_t       n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  if (!(sigma >= 0.0))
  {
    throw Error("sigma", "must be >= 0 mm");
  }
  if (sigma == 0.0 && nc != 1)
  {
    throw Error("sigma", "0 floods the input itself, which needs one channel, not " + std::to_string(nc));
  }
  auto relief = ScalarImage<D>::New();
  relief->CopyInformation(image);
  relief->SetRegions(image->GetLargestPossibleRegion());
  relief->Allocate();
  relief->FillBuffer(0.0f);
  float * r = relief->GetBufferPointer();
  auto    channel = ScalarImage<D>::New();
  channel->CopyInformation(image);
  channel->SetRegions(image->GetLargestPossibleRegion());
  channel->Allocate();
  for (unsigned int c = 0; c < nc; ++c)
  {
    for (size_t i = 0; i < n; ++i)
    {
      channel->GetBufferPointer()[i] = image->GetBufferPointer()[i * nc + c];
    }
    if (sigma == 0.0)
    {
      std::copy(channel->GetBufferPointer(), channel->GetBufferPointer() + n, r);
      break;
    }
    auto g = itk::GradientMagnitudeRecursiveGaussianImageFilter<ScalarImage<D>, ScalarImage<D>>::New();
    g->SetInput(channel);
    g->SetSigma(sigma);
    g->Update();
    const float * m = g->GetOutput()->GetBufferPointer();
    for (size_t i = 0; i < n; ++i)
    {
      r[i] += m[i] * m[i];
    }
  }
  if (sigma > 0.0)
  {
    for (size_t i = 0; i < n; ++i)
    {
      r[i] = std::sqrt(r[i]);
    }
  }
  return relief;
}

namespace
{
constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
// States of a pixel in the flooding buffer, besides its label (> 0).
constexpr int32_t kOutside = -2; // the one-pixel border around the image
constexpr int32_t kQueued = -1;  // waiting in the queue (line mode), or left on a line
constexpr int32_t kFree = 0;

/** Calls f(imageOffset, paddedOffset) at the start of every row (along axis 0) of an image of
 * `size`, laid out in a buffer with a one-pixel border whose strides are `padded`. */
template <unsigned int D, typename F>
void
ForEachRow(const itk::Size<D> & size, const std::array<size_t, D> & padded, F f)
{
  std::array<size_t, D> index{};
  size_t                imageOffset = 0;
  while (true)
  {
    size_t paddedOffset = 0;
    for (unsigned int d = 0; d < D; ++d)
    {
      paddedOffset += (index[d] + 1) * padded[d];
    }
    f(imageOffset, paddedOffset);
    imageOffset += size[0];
    unsigned int d = 1;
    for (; d < D && ++index[d] == size[d]; ++d)
    {
      index[d] = 0;
    }
    if (d == D)
    {
      return;
    }
  }
}

/** Rank of every relief value among the distinct values, written at each pixel's padded offset;
 * returns the number of distinct values. LSD radix sort of (order-preserving key, offset) pairs
 * on the 32 key bits in 3 passes of 11 bits; a pass whose digit is the same everywhere is skipped. */
template <unsigned int D>
uint32_t
RankRelief(const ScalarImage<D> * relief, const std::array<size_t, D> & padded, uint32_t * rank)
{
  const auto    size = relief->GetLargestPossibleRegion().GetSize();
  const size_t  n = relief->GetLargestPossibleRegion().GetNumberOfPixels();
  const float * value = relief->GetBufferPointer();
  std::unique_ptr<uint64_t[]> pairs(new uint64_t[n]), other(new uint64_t[n]);
  ForEachRow<D>(size, padded, [&](size_t i, size_t p) {
    for (size_t x = 0; x < size[0]; ++x)
    {
      const float v = value[i + x];
      if (std::isnan(v))
      {
        throw Error("relief", "has NaN values, which have no place in the flooding order");
      }
      uint32_t bits;
      std::memcpy(&bits, &v, sizeof bits);
      // Unsigned order of the keys = order of the floats; -0 and +0 share a key.
      const uint32_t key = v == 0.0f ? 0x80000000u : (bits & 0x80000000u) ? ~bits : bits | 0x80000000u;
      pairs[i + x] = (uint64_t(key) << 32) | (p + x);
    }
  });
  constexpr unsigned int passes = 3, bits = 11;
  std::vector<size_t>    count(passes << bits, 0);
  for (size_t i = 0; i < n; ++i)
  {
    const uint64_t key = pairs[i] >> 32;
    for (unsigned int k = 0; k < passes; ++k)
    {
      ++count[(k << bits) + ((key >> (k * bits)) & ((1u << bits) - 1))];
    }
  }
  for (unsigned int k = 0; k < passes; ++k)
  {
    size_t * c = count.data() + (k << bits);
    if (std::find(c, c + (1u << bits), n) != c + (1u << bits))
    {
      continue;
    }
    size_t start = 0;
    for (unsigned int b = 0; b < (1u << bits); ++b)
    {
      start += std::exchange(c[b], start);
    }
    for (size_t i = 0; i < n; ++i)
    {
      other[c[(pairs[i] >> (32 + k * bits)) & ((1u << bits) - 1)]++] = pairs[i];
    }
    pairs.swap(other);
  }
  uint32_t r = 0;
  for (size_t i = 0; i < n; ++i)
  {
    r += i > 0 && (pairs[i] >> 32) != (pairs[i - 1] >> 32);
    rank[static_cast<uint32_t>(pairs[i])] = r;
  }
  return n ? r + 1 : 0;
}

/** Hierarchical queue: one FIFO per level, linked through `next` (indexed by padded offset). The
 * level being served only rises, so a pop scans each level once over the whole flood. */
class HierarchicalQueue
{
public:
  HierarchicalQueue(uint32_t levels, uint32_t * next)
    : m_Head(levels, kNone)
    , m_Tail(levels, kNone)
    , m_Next(next)
  {}
  /** Queues p at `level`, or at the level being served if that is higher. */
  void Push(uint32_t p, uint32_t level)
  {
    level = std::max(level, m_Level);
    m_Next[p] = kNone;
    (m_Tail[level] == kNone ? m_Head[level] : m_Next[m_Tail[level]]) = p;
    m_Tail[level] = p;
  }
  /** The first pixel of the lowest non-empty level, or kNone when the queue is empty. */
  uint32_t Pop()
  {
    while (m_Level < m_Head.size() && m_Head[m_Level] == kNone)
    {
      ++m_Level;
    }
    if (m_Level == m_Head.size())
    {
      return kNone;
    }
    const uint32_t p = m_Head[m_Level];
    m_Head[m_Level] = m_Next[p];
    if (m_Head[m_Level] == kNone)
    {
      m_Tail[m_Level] = kNone;
    }
    return p;
  }

private:
  std::vector<uint32_t> m_Head, m_Tail;
  uint32_t *            m_Next;
  uint32_t              m_Level = 0;
};
} // namespace

template <unsigned int D>
void
FloodFromMarkers(const ScalarImage<D> * relief, const LabelImage<D> * markers, bool markWatershedLine,
                 bool fullyConnected, LabelImage<D> * output)
{
  const auto size = relief->GetLargestPossibleRegion().GetSize();
  if (markers->GetLargestPossibleRegion().GetSize() != size || output->GetLargestPossibleRegion().GetSize() != size)
  {
    throw Error("markers", "the markers and the output must have the relief's size");
  }
  // One-pixel border so that neighbours need no bounds checks.
  std::array<size_t, D> padded;
  size_t                total = 1;
  for (unsigned int d = 0; d < D; ++d)
  {
    padded[d] = total;
    total *= size[d] + 2;
  }
  if (total >= kNone)
  {
    throw Error("relief", "has 2^32 - 1 voxels or more with its border; flood it in blocks");
  }
  // Neighbour offsets in raster order of the 3^D block (ITK's order): faces, or all.
  std::vector<ptrdiff_t> offsets;
  for (unsigned int k = 0, blocks = D == 2 ? 9 : 27; k < blocks; ++k)
  {
    ptrdiff_t    offset = 0;
    unsigned int moved = 0;
    for (unsigned int d = 0, t = k; d < D; ++d, t /= 3)
    {
      const int o = static_cast<int>(t % 3) - 1;
      offset += o * static_cast<ptrdiff_t>(padded[d]);
      moved += o != 0;
    }
    if (moved == 1 || (moved > 1 && fullyConnected))
    {
      offsets.push_back(offset);
    }
  }
  std::unique_ptr<uint32_t[]> rank(new uint32_t[total]), next(new uint32_t[total]);
  std::vector<int32_t>        label(total, kOutside);
  const uint32_t              levels = RankRelief<D>(relief, padded, rank.get());
  const LabelPixel *          m = markers->GetBufferPointer();
  std::vector<uint32_t>       seeds;
  ForEachRow<D>(size, padded, [&](size_t i, size_t p) {
    for (size_t x = 0; x < size[0]; ++x)
    {
      label[p + x] = m[i + x];
      if (m[i + x])
      {
        seeds.push_back(static_cast<uint32_t>(p + x));
      }
    }
  });
  HierarchicalQueue queue(levels, next.get());
  int32_t *         l = label.data();
  if (markWatershedLine)
  {
    for (const uint32_t p : seeds)
    {
      for (const ptrdiff_t o : offsets)
      {
        if (l[p + o] == kFree)
        {
          l[p + o] = kQueued;
          queue.Push(static_cast<uint32_t>(p + o), rank[p + o]);
        }
      }
    }
    for (uint32_t p; (p = queue.Pop()) != kNone;)
    {
      int32_t found = kFree;
      bool    collision = false;
      for (const ptrdiff_t o : offsets)
      {
        const int32_t v = l[p + o];
        collision |= v > 0 && found > 0 && v != found;
        found = v > 0 ? v : found;
      }
      if (collision)
      {
        continue; // a line pixel: stays kQueued, so it is never queued again
      }
      l[p] = found;
      for (const ptrdiff_t o : offsets)
      {
        if (l[p + o] == kFree)
        {
          l[p + o] = kQueued;
          queue.Push(static_cast<uint32_t>(p + o), rank[p + o]);
        }
      }
    }
  }
  else
  {
    for (const uint32_t p : seeds)
    {
      if (std::any_of(offsets.begin(), offsets.end(), [&](ptrdiff_t o) { return l[p + o] == kFree; }))
      {
        queue.Push(p, rank[p]);
      }
    }
    for (uint32_t p; (p = queue.Pop()) != kNone;)
    {
      for (const ptrdiff_t o : offsets)
      {
        if (l[p + o] == kFree)
        {
          l[p + o] = l[p];
          queue.Push(static_cast<uint32_t>(p + o), rank[p + o]);
        }
      }
    }
  }
  LabelPixel * out = output->GetBufferPointer();
  ForEachRow<D>(size, padded, [&](size_t i, size_t p) {
    for (size_t x = 0; x < size[0]; ++x)
    {
      out[i + x] = static_cast<LabelPixel>(std::max(l[p + x], 0));
    }
  });
}

template <unsigned int D>
void
WatershedSegmentationImageFilter<D>::GenerateData()
{
  const auto * image = this->GetInput();
  if (!(m_Level >= 0.0 && m_Level < 1.0))
  {
    throw Error("level", "must be a fraction in [0, 1) of the relief's maximum");
  }
  const LabelImageType * markers = this->GetMarkerImage();
  const size_t           n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  if (markers)
  {
    CheckSameGrid(image, "the image", markers, "markers");
    if (std::all_of(markers->GetBufferPointer(), markers->GetBufferPointer() + n, [](LabelPixel l) { return l == 0; }))
    {
      throw Error("markers", "the marker image is empty (no non-zero voxel)");
    }
  }
  m_Relief = GradientMagnitude<D>(image, m_Sigma);
  this->UpdateProgress(0.3f);
  LabelImageType * out = this->AllocateLabelOutput();
  if (markers)
  {
    FloodFromMarkers<D>(m_Relief, markers, m_MarkWatershedLine, m_FullyConnected, out);
    std::vector<char> seen(65536, 0);
    m_NumberOfRegions = 0;
    for (size_t i = 0; i < n; ++i)
    {
      const LabelPixel l = out->GetBufferPointer()[i];
      m_NumberOfRegions += l && !seen[l];
      seen[l] = 1;
    }
  }
  else
  {
    // Regional minima of the relief (after h-minima), labelled 1..N: ITK
    // MorphologicalWatershedImageFilter's markers, flooded here instead of by its map-based queue.
    using WideLabels = itk::Image<uint32_t, D>;
    const float maximum = *std::max_element(m_Relief->GetBufferPointer(), m_Relief->GetBufferPointer() + n);
    auto        minima = itk::RegionalMinimaImageFilter<ReliefImageType, WideLabels>::New();
    minima->SetFullyConnected(m_FullyConnected);
    minima->SetBackgroundValue(0);
    minima->SetForegroundValue(1);
    typename itk::HMinimaImageFilter<ReliefImageType, ReliefImageType>::Pointer shallow;
    if (m_Level > 0.0)
    {
      shallow = itk::HMinimaImageFilter<ReliefImageType, ReliefImageType>::New();
      shallow->SetInput(m_Relief);
      shallow->SetHeight(static_cast<float>(m_Level * maximum));
      shallow->SetFullyConnected(m_FullyConnected);
      minima->SetInput(shallow->GetOutput());
    }
    else
    {
      minima->SetInput(m_Relief);
    }
    auto components = itk::ConnectedComponentImageFilter<WideLabels, WideLabels>::New();
    components->SetInput(minima->GetOutput());
    components->SetFullyConnected(m_FullyConnected);
    components->Update();
    const auto count = components->GetObjectCount();
    if (count > 65535)
    {
      throw Error("level", "gives " + std::to_string(count) +
                             " regions, more than the 65535 labels a label image holds; raise the level or sigma");
    }
    auto seeds = LabelImageType::New();
    seeds->CopyInformation(out);
    seeds->SetRegions(out->GetLargestPossibleRegion());
    seeds->Allocate();
    const uint32_t * c = components->GetOutput()->GetBufferPointer();
    std::transform(c, c + n, seeds->GetBufferPointer(), [](uint32_t l) { return static_cast<LabelPixel>(l); });
    this->UpdateProgress(0.6f);
    FloodFromMarkers<D>(m_Relief, seeds, m_MarkWatershedLine, m_FullyConnected, out);
    m_NumberOfRegions = static_cast<unsigned int>(count);
  }
  this->UpdateProgress(1.0f);
}

template <unsigned int D>
void
WatershedSegmentationImageFilter<D>::PrintSelf(std::ostream & os, itk::Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "Sigma: " << m_Sigma << std::endl;
  os << indent << "Level: " << m_Level << std::endl;
  os << indent << "MarkWatershedLine: " << (m_MarkWatershedLine ? "On" : "Off") << std::endl;
  os << indent << "FullyConnected: " << (m_FullyConnected ? "On" : "Off") << std::endl;
  os << indent << "NumberOfRegions: " << m_NumberOfRegions << std::endl;
}

template class WatershedSegmentationImageFilter<2>;
template class WatershedSegmentationImageFilter<3>;
template typename ScalarImage<2>::Pointer GradientMagnitude<2>(const VectorImage<2> *, double);
template typename ScalarImage<3>::Pointer GradientMagnitude<3>(const VectorImage<3> *, double);
template void FloodFromMarkers<2>(const ScalarImage<2> *, const LabelImage<2> *, bool, bool, LabelImage<2> *);
template void FloodFromMarkers<3>(const ScalarImage<3> *, const LabelImage<3> *, bool, bool, LabelImage<3> *);
} // namespace tessera
