// Watershed of the gradient magnitude: Meyer's priority flood from markers or from the regional
// minima, over a hierarchical queue of the exactly sorted relief.
#include "tesseraWatershedImageFilter.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "itkConnectedComponentImageFilter.h"
#include "itkGradientMagnitudeRecursiveGaussianImageFilter.h"
#include "itkHMinimaImageFilter.h"
#include "itkMultiThreaderBase.h"
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
constexpr uint32_t kTied = 0x80000000u; // flag of a level whose value several pixels share
// States of a pixel in the flooding buffer, besides its label (> 0).
constexpr int32_t kOutside = -2; // the one-pixel border around the image
constexpr int32_t kQueued = -1;  // waiting in the queue (line mode), or left on a line
constexpr int32_t kFree = 0;

/** A pixel of the flooding buffer: its label or state, and its level (SortRelief); together so
 * that the flood's random visits fetch both in one cache line. */
struct Cell
{
  int32_t  label;
  uint32_t level;
};

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

/** Sorts the relief: returns (key << 32 | padded offset) for every pixel by increasing value (ties
 * in raster order), the key being the value's order-preserving bits; cell[p].level is the position
 * in it of the first pixel of p's value, with kTied set when other pixels share that value. LSD
 * radix sort on the 32 key bits in 3 passes of 11 bits (a pass whose digit is the same everywhere
 * is skipped), each pass split into contiguous chunks run on ITK's threads, with one histogram per
 * chunk so that the result does not depend on the number of threads. */
template <unsigned int D>
std::unique_ptr<uint64_t[]>
SortRelief(const ScalarImage<D> * relief, const std::array<size_t, D> & padded, Cell * cell)
{
  const auto    size = relief->GetLargestPossibleRegion().GetSize();
  const size_t  n = relief->GetLargestPossibleRegion().GetNumberOfPixels(), rows = n / size[0];
  const float * value = relief->GetBufferPointer();
  constexpr unsigned int passes = 3, bits = 11, digits = 1u << bits;
  auto                   threader = itk::MultiThreaderBase::New();
  // Chunks of whole rows, at least 2^16 pixels each.
  const size_t chunks = std::max<size_t>(
    1, std::min<size_t>({ threader->GetMaximumNumberOfThreads(), rows, n >> 16 }));
  std::vector<size_t> bounds(chunks + 1);
  for (size_t c = 0; c <= chunks; ++c)
  {
    bounds[c] = c * rows / chunks * size[0];
  }
  threader->SetNumberOfWorkUnits(static_cast<itk::ThreadIdType>(chunks));
  auto inParallel = [&](const std::function<void(size_t)> & f) {
    threader->ParallelizeArray(0, chunks, [&](itk::SizeValueType c) { f(c); }, nullptr);
  };
  std::unique_ptr<uint64_t[]> pairs(new uint64_t[n]), other(new uint64_t[n]);
  std::vector<size_t>         count(chunks * digits);
  std::vector<char>           nan(chunks, 0);
  inParallel([&](size_t c) {
    size_t * h = count.data() + c * digits;
    std::fill(h, h + digits, 0);
    for (size_t row = bounds[c] / size[0]; row < bounds[c + 1] / size[0]; ++row)
    {
      size_t p = 1, rest = row;
      for (unsigned int d = 1; d < D; ++d)
      {
        p += (rest % size[d] + 1) * padded[d];
        rest /= size[d];
      }
      for (size_t x = 0, i = row * size[0]; x < size[0]; ++x, ++i)
      {
        const float v = value[i];
        nan[c] |= std::isnan(v);
        uint32_t b;
        std::memcpy(&b, &v, sizeof b);
        // Unsigned order of the keys = order of the floats; -0 and +0 share a key.
        const uint32_t key = v == 0.0f ? 0x80000000u : (b & 0x80000000u) ? ~b : b | 0x80000000u;
        pairs[i] = (uint64_t(key) << 32) | (p + x);
        ++h[key & (digits - 1)];
      }
    }
  });
  if (std::find(nan.begin(), nan.end(), 1) != nan.end())
  {
    throw Error("relief", "has NaN values, which have no place in the flooding order");
  }
  for (unsigned int k = 0; k < passes; ++k)
  {
    const unsigned int shift = 32 + k * bits;
    if (k > 0)
    {
      inParallel([&](size_t c) {
        size_t * h = count.data() + c * digits;
        std::fill(h, h + digits, 0);
        for (size_t i = bounds[c]; i < bounds[c + 1]; ++i)
        {
          ++h[(pairs[i] >> shift) & (digits - 1)];
        }
      });
    }
    // Start of each (digit, chunk) in the output: digits in order, chunks in order within one.
    size_t start = 0;
    bool   constant = false;
    for (unsigned int b = 0; b < digits; ++b)
    {
      const size_t before = start;
      for (size_t c = 0; c < chunks; ++c)
      {
        start += std::exchange(count[c * digits + b], start);
      }
      constant |= start - before == n;
    }
    if (constant)
    {
      continue;
    }
    inParallel([&](size_t c) {
      size_t * h = count.data() + c * digits;
      for (size_t i = bounds[c]; i < bounds[c + 1]; ++i)
      {
        other[h[(pairs[i] >> shift) & (digits - 1)]++] = pairs[i];
      }
    });
    pairs.swap(other);
  }
  inParallel([&](size_t c) {
    // First position of the value at the chunk's start (the pairs are sorted by key).
    size_t first = std::lower_bound(pairs.get(), pairs.get() + bounds[c], pairs[bounds[c]] >> 32,
                                    [](uint64_t pair, uint64_t key) { return (pair >> 32) < key; }) -
                   pairs.get();
    for (size_t i = bounds[c]; i < bounds[c + 1]; ++i)
    {
      const uint64_t key = pairs[i] >> 32;
      if (i > first && key != (pairs[i - 1] >> 32))
      {
        first = i;
      }
      const bool tied = i > first || (i + 1 < n && key == (pairs[i + 1] >> 32));
      cell[static_cast<uint32_t>(pairs[i])].level = static_cast<uint32_t>(first) | (tied ? kTied : 0u);
    }
  });
  return pairs;
}

/** Hierarchical queue over the sorted relief: one level per distinct value, served in increasing
 * order, each first in, first out. A level is a position in the sorted pixels; a bitmap over
 * positions marks the non-empty levels. A value held by one pixel needs no list (its level holds
 * that pixel); tied values keep a FIFO linked through `next`. Pixels queued at or below the level
 * being served join its FIFO, after those it held. */
class HierarchicalQueue
{
public:
  HierarchicalQueue(const uint64_t * sorted, const Cell * cell, size_t n, uint32_t * next)
    : m_Sorted(sorted)
    , m_Cell(cell)
    , m_Next(next)
    , m_Head(new uint32_t[n])
    , m_Tail(new uint32_t[n])
    , m_Bits((n + 63) / 64, 0)
  {}
  void Push(uint32_t p)
  {
    const uint32_t position = m_Cell[p].level & ~kTied;
    if (position <= m_Current)
    {
      m_Fifo.push_back(p);
      return;
    }
    if (m_Cell[p].level & kTied)
    {
      (Has(position) ? m_Next[m_Tail[position]] : m_Head[position]) = p;
      m_Tail[position] = p;
    }
    m_Bits[position >> 6] |= uint64_t(1) << (position & 63);
    m_Upcoming = std::min(m_Upcoming, position);
  }
  /** A pixel that Pop() will probably return soon, or kNone: to prefetch its neighbourhood. */
  uint32_t Peek() const
  {
    if (m_Read < m_Fifo.size())
    {
      return m_Fifo[std::min(m_Read + 4, m_Fifo.size() - 1)]; // a few pops ahead
    }
    return m_Upcoming == kNone ? kNone : static_cast<uint32_t>(m_Sorted[m_Upcoming]);
  }
  /** The next pixel, or kNone when the queue is empty. */
  uint32_t Pop()
  {
    if (Has(m_Current))
    {
      return Take(m_Current);
    }
    if (m_Read < m_Fifo.size())
    {
      return m_Fifo[m_Read++];
    }
    if (m_Upcoming == kNone)
    {
      return kNone;
    }
    m_Current = m_Upcoming;
    m_Fifo.clear();
    m_Read = 0;
    // The next non-empty level after the new current one.
    size_t   w = (size_t(m_Current) + 1) >> 6;
    uint64_t bits = w < m_Bits.size() ? m_Bits[w] & (~uint64_t(0) << ((m_Current + 1) & 63)) : 0;
    while (!bits && ++w < m_Bits.size())
    {
      bits = m_Bits[w];
    }
    m_Upcoming = bits ? static_cast<uint32_t>((w << 6) + __builtin_ctzll(bits)) : kNone;
    return Take(m_Current);
  }

private:
  bool Has(uint32_t position) const { return (m_Bits[position >> 6] >> (position & 63)) & 1; }
  uint32_t Take(uint32_t position)
  {
    const auto single = static_cast<uint32_t>(m_Sorted[position]);
    if (!(m_Cell[single].level & kTied))
    {
      m_Bits[position >> 6] &= ~(uint64_t(1) << (position & 63));
      return single;
    }
    const uint32_t p = m_Head[position];
    if (p == m_Tail[position])
    {
      m_Bits[position >> 6] &= ~(uint64_t(1) << (position & 63));
    }
    m_Head[position] = m_Next[p];
    return p;
  }

  const uint64_t *            m_Sorted;
  const Cell *                m_Cell;
  uint32_t *                  m_Next;
  std::unique_ptr<uint32_t[]> m_Head, m_Tail; // of the tied levels' FIFOs; set before being read
  std::vector<uint64_t>       m_Bits;
  std::vector<uint32_t>       m_Fifo;         // the level being served
  size_t                      m_Read = 0;
  uint32_t                    m_Current = 0;
  uint32_t                    m_Upcoming = kNone; // the lowest non-empty level above m_Current
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
  if (relief->GetLargestPossibleRegion().GetNumberOfPixels() == 0)
  {
    return;
  }
  // One-pixel border so that neighbours need no bounds checks.
  std::array<size_t, D> padded;
  size_t                total = 1;
  for (unsigned int d = 0; d < D; ++d)
  {
    padded[d] = total;
    total *= size[d] + 2;
  }
  if (total >= kNone || relief->GetLargestPossibleRegion().GetNumberOfPixels() >= kTied)
  {
    throw Error("relief", "has 2^31 voxels or more, or 2^32 - 1 with its border; flood it in blocks");
  }
  // Offsets of the cells of the 3-wide block over axes first..D-1, in raster order (ITK's), kept when
  // keep(number of axes the cell moves along) holds.
  const auto blockOffsets = [&](unsigned int first, auto keep) {
    std::vector<ptrdiff_t> kept;
    unsigned int           blocks = 1;
    for (unsigned int d = first; d < D; ++d)
    {
      blocks *= 3;
    }
    for (unsigned int k = 0; k < blocks; ++k)
    {
      ptrdiff_t    offset = 0;
      unsigned int moved = 0;
      for (unsigned int d = first, t = k; d < D; ++d, t /= 3)
      {
        const int o = static_cast<int>(t % 3) - 1;
        offset += o * static_cast<ptrdiff_t>(padded[d]);
        moved += o != 0;
      }
      if (keep(moved))
      {
        kept.push_back(offset);
      }
    }
    return kept;
  };
  // Neighbours: faces, or all.
  const std::vector<ptrdiff_t> offsets =
    blockOffsets(0, [&](unsigned int moved) { return moved == 1 || (moved > 1 && fullyConnected); });
  // The rows that the neighbours lie on (the offsets of their first pixels), for prefetching.
  std::vector<ptrdiff_t> rows = blockOffsets(1, [&](unsigned int moved) { return moved <= 1 || fullyConnected; });
  for (ptrdiff_t & row : rows)
  {
    row -= 1;
  }
  const size_t                n = relief->GetLargestPossibleRegion().GetNumberOfPixels();
  std::unique_ptr<uint32_t[]> next(new uint32_t[total]);
  std::vector<Cell>           cell(total, Cell{ kOutside, 0 });
  const auto                  sorted = SortRelief<D>(relief, padded, cell.data());
  const LabelPixel *          m = markers->GetBufferPointer();
  std::vector<uint32_t>       seeds;
  ForEachRow<D>(size, padded, [&](size_t i, size_t p) {
    for (size_t x = 0; x < size[0]; ++x)
    {
      cell[p + x].label = m[i + x];
      if (m[i + x])
      {
        seeds.push_back(static_cast<uint32_t>(p + x));
      }
    }
  });
  HierarchicalQueue queue(sorted.get(), cell.data(), n, next.get());
  Cell *            c = cell.data();
  // The flood visits pixels in relief order, all over the image: fetching the next pixel's rows
  // while this one is processed hides much of the memory latency.
  auto prefetch = [&](uint32_t q) {
    if (q != kNone)
    {
      for (const ptrdiff_t o : rows)
      {
        __builtin_prefetch(c + q + o);
      }
    }
  };
  if (markWatershedLine)
  {
    for (const uint32_t p : seeds)
    {
      for (const ptrdiff_t o : offsets)
      {
        if (c[p + o].label == kFree)
        {
          c[p + o].label = kQueued;
          queue.Push(static_cast<uint32_t>(p + o));
        }
      }
    }
    for (uint32_t p; (p = queue.Pop()) != kNone;)
    {
      prefetch(queue.Peek());
      int32_t found = kFree;
      bool    collision = false;
      for (const ptrdiff_t o : offsets)
      {
        const int32_t v = c[p + o].label;
        collision |= v > 0 && found > 0 && v != found;
        found = v > 0 ? v : found;
      }
      if (collision)
      {
        continue; // a line pixel: stays kQueued, so it is never queued again
      }
      c[p].label = found;
      for (const ptrdiff_t o : offsets)
      {
        if (c[p + o].label == kFree)
        {
          c[p + o].label = kQueued;
          queue.Push(static_cast<uint32_t>(p + o));
        }
      }
    }
  }
  else
  {
    for (const uint32_t p : seeds)
    {
      if (std::any_of(offsets.begin(), offsets.end(), [&](ptrdiff_t o) { return c[p + o].label == kFree; }))
      {
        queue.Push(p);
      }
    }
    for (uint32_t p; (p = queue.Pop()) != kNone;)
    {
      prefetch(queue.Peek());
      for (const ptrdiff_t o : offsets)
      {
        if (c[p + o].label == kFree)
        {
          c[p + o].label = c[p].label;
          queue.Push(static_cast<uint32_t>(p + o));
        }
      }
    }
  }
  LabelPixel * out = output->GetBufferPointer();
  ForEachRow<D>(size, padded, [&](size_t i, size_t p) {
    for (size_t x = 0; x < size[0]; ++x)
    {
      out[i + x] = static_cast<LabelPixel>(std::max(cell[p + x].label, 0));
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
    // MorphologicalWatershedImageFilter's markers, found by ITK's reconstruction filters (a
    // fraction of the time of the relief), flooded here instead of by ITK's map-based queue.
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
