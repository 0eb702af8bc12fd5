#include "tesseraTileRegionStitcher.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "itkImageAlgorithm.h"
#include "tesseraDisjointSets.h"
#include "tesseraError.h"

namespace tessera
{
namespace
{
constexpr std::uint64_t None = std::numeric_limits<std::uint64_t>::max();

/** The part `region` (whole-image pixels) of `labels`, which covers `read`; null when empty. */
LabelImage<2>::Pointer
Crop(const LabelImage<2> * labels, const itk::ImageRegion<2> & read, const itk::ImageRegion<2> & region)
{
  if (region.GetNumberOfPixels() == 0)
  {
    return nullptr;
  }
  auto part = LabelImage<2>::New();
  part->SetRegions(region);
  part->Allocate();
  itk::ImageRegion<2> from(region.GetSize());
  from.SetIndex(0, region.GetIndex(0) - read.GetIndex(0));
  from.SetIndex(1, region.GetIndex(1) - read.GetIndex(1));
  itk::ImageAlgorithm::Copy(labels, part.GetPointer(), from, region);
  return part;
}

itk::ImageRegion<2>
Span(itk::IndexValueType x0, itk::IndexValueType x1, itk::IndexValueType y0, itk::IndexValueType y1)
{
  itk::ImageRegion<2> r;
  r.SetIndex({ { x0, y0 } });
  r.SetSize({ { static_cast<itk::SizeValueType>(std::max<itk::IndexValueType>(0, x1 - x0)),
                static_cast<itk::SizeValueType>(std::max<itk::IndexValueType>(0, y1 - y0)) } });
  return r;
}

itk::IndexValueType
End(const itk::ImageRegion<2> & r, unsigned int axis)
{
  return r.GetIndex(axis) + static_cast<itk::IndexValueType>(r.GetSize(axis));
}
} // namespace

TileRegionStitcher::ProvisionalImage::Pointer
TileRegionStitcher::AddTile(const LabelImage<2> * labels, const itk::ImageRegion<2> & read,
                            const itk::ImageRegion<2> & keep)
{
  auto numbers = ProvisionalImage::New();
  numbers->SetRegions(read.GetSize());
  numbers->Allocate();
  const std::size_t  n = read.GetNumberOfPixels();
  const LabelPixel * l = labels->GetBufferPointer();
  std::uint32_t *    out = numbers->GetBufferPointer();
  const std::uint32_t offset = m_Next - 1;
  LabelPixel          top = 0;
  for (std::size_t i = 0; i < n; ++i)
  {
    top = std::max(top, l[i]);
    out[i] = l[i] ? offset + l[i] : 0;
  }
  if (m_Next > std::numeric_limits<std::uint32_t>::max() - top)
  {
    throw Error("ram", "too many tiles' regions to stitch (2^32): give a larger budget");
  }
  m_Next += top;
  m_First.resize(m_Next, None);
  const auto width = static_cast<std::uint64_t>(m_Size[0]);
  for (auto y = keep.GetIndex(1); y < End(keep, 1); ++y)
  {
    const std::uint32_t * row = out + (y - read.GetIndex(1)) * read.GetSize(0) - read.GetIndex(0);
    for (auto x = keep.GetIndex(0); x < End(keep, 0); ++x)
    {
      if (row[x])
      {
        m_First[row[x]] = std::min(m_First[row[x]], static_cast<std::uint64_t>(y) * width + static_cast<std::uint64_t>(x));
      }
    }
  }
  // Tiles come row by row, left to right: a bottom border no longer reaching this tile's rows reaches
  // no later tile, nor does a right border left of this tile's read region or in an earlier row.
  m_Borders.erase(std::remove_if(m_Borders.begin(), m_Borders.end(),
                                 [&](const Border & b) { return End(b.read, 1) <= read.GetIndex(1); }),
                  m_Borders.end());
  for (auto & earlier : m_Borders)
  {
    Match(earlier, numbers, read, keep);
    if (earlier.keep.GetIndex(1) != keep.GetIndex(1) || End(earlier.read, 0) <= read.GetIndex(0))
    {
      earlier.right = nullptr;
    }
  }
  // Later tiles read a halo into this one.
  Border     b{ read, keep, offset, nullptr, nullptr };
  const auto from = [&](unsigned int a) { return std::max(read.GetIndex(a), End(keep, a) - m_Halo); };
  b.right = Crop(labels, read, Span(from(0), End(read, 0), read.GetIndex(1), End(read, 1)));
  b.bottom = Crop(labels, read, Span(read.GetIndex(0), End(read, 0), from(1), End(read, 1)));
  m_Borders.push_back(std::move(b));
  return numbers;
}

void
TileRegionStitcher::Match(const Border & earlier, const ProvisionalImage * numbers, const itk::ImageRegion<2> & read,
                          const itk::ImageRegion<2> & keep)
{
  itk::ImageRegion<2> overlap = read;
  if (!overlap.Crop(earlier.read))
  {
    return;
  }
  // How many pixels each pair of regions shares, among the pixels the earlier tile keeps and among
  // those this tile keeps.
  std::unordered_map<std::uint64_t, std::uint64_t> sharedThere, sharedHere;
  for (auto y = overlap.GetIndex(1); y < End(overlap, 1); ++y)
  {
    for (auto x = overlap.GetIndex(0); x < End(overlap, 0); ++x)
    {
      const itk::Index<2> p{ { x, y } };
      const bool          there = earlier.keep.IsInside(p), here = keep.IsInside(p);
      if (!there && !here)
      {
        continue;
      }
      const LabelImage<2> * border = earlier.right && earlier.right->GetBufferedRegion().IsInside(p)
                                       ? earlier.right.GetPointer()
                                       : earlier.bottom && earlier.bottom->GetBufferedRegion().IsInside(p)
                                           ? earlier.bottom.GetPointer()
                                           : nullptr;
      const LabelPixel    label = border ? border->GetPixel(p) : 0;
      const std::uint32_t a = label ? earlier.offset + label : 0;
      const std::uint32_t b = numbers->GetBufferPointer()[(y - read.GetIndex(1)) * read.GetSize(0) + (x - read.GetIndex(0))];
      if (a && b)
      {
        ++(there ? sharedThere : sharedHere)[(static_cast<std::uint64_t>(a) << 32) | b];
      }
    }
  }
  // Two numbers are one region when each is the other's most frequent partner (ties: the lower number,
  // so the result never depends on the maps' order) and they meet on both sides of the border: both
  // tiles see the region cross it. Without the second condition a region that one tile ends at the
  // border would swallow the other tile's next region.
  std::unordered_map<std::uint64_t, std::uint64_t> shared = sharedThere;
  for (const auto & [pair, count] : sharedHere)
  {
    shared[pair] += count;
  }
  std::unordered_map<std::uint32_t, std::pair<std::uint32_t, std::uint64_t>> bestOfEarlier, bestOfThis;
  const auto better = [](std::pair<std::uint32_t, std::uint64_t> & best, std::uint32_t partner, std::uint64_t count) {
    if (count > best.second || (count == best.second && partner < best.first))
    {
      best = { partner, count };
    }
  };
  for (const auto & [pair, count] : shared)
  {
    better(bestOfEarlier[static_cast<std::uint32_t>(pair >> 32)], static_cast<std::uint32_t>(pair), count);
    better(bestOfThis[static_cast<std::uint32_t>(pair)], static_cast<std::uint32_t>(pair >> 32), count);
  }
  for (const auto & [a, best] : bestOfEarlier)
  {
    const std::uint64_t pair = (static_cast<std::uint64_t>(a) << 32) | best.first;
    if (bestOfThis[best.first].first == a && sharedThere.count(pair) && sharedHere.count(pair))
    {
      m_Matches.emplace_back(a, best.first);
    }
  }
}

std::size_t
TileRegionStitcher::Finish()
{
  DisjointSets<std::uint32_t> sets(m_Next);
  for (const auto & [a, b] : m_Matches)
  {
    sets.Join(b, a);
  }
  std::vector<std::uint64_t> first(m_Next, None);
  for (std::uint32_t i = 1; i < m_Next; ++i)
  {
    const std::uint32_t root = sets.Find(i);
    first[root] = std::min(first[root], m_First[i]);
  }
  std::vector<std::pair<std::uint64_t, std::uint32_t>> roots;
  for (std::uint32_t i = 1; i < m_Next; ++i)
  {
    if (sets.Find(i) == i && first[i] != None)
    {
      roots.emplace_back(first[i], i);
    }
  }
  if (roots.size() > std::numeric_limits<LabelPixel>::max())
  {
    throw Error("output", std::to_string(roots.size()) + " regions once the tiles are joined, more than a label image holds (" +
                            std::to_string(std::numeric_limits<LabelPixel>::max()) + "): ask for fewer");
  }
  std::sort(roots.begin(), roots.end());
  std::vector<LabelPixel> number(m_Next, 0);
  for (std::size_t r = 0; r < roots.size(); ++r)
  {
    number[roots[r].second] = static_cast<LabelPixel>(r + 1);
  }
  m_Final.assign(m_Next, 0);
  for (std::uint32_t i = 1; i < m_Next; ++i)
  {
    m_Final[i] = number[sets.Find(i)];
  }
  m_Borders.clear();
  return roots.size();
}
} // namespace tessera
