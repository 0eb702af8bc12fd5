// Boundary recall, undersegmentation error and achievable segmentation accuracy.
#include "tesseraSuperpixelMetrics.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "tesseraError.h"
#include "tesseraRegionGrid.h"

namespace tessera
{
namespace
{
template <unsigned int D>
std::vector<char>
Boundaries(const detail::Grid<D> & g, const LabelPixel * labels)
{
  std::vector<char> b(g.count, 0);
  for (size_t i = 0; i < g.count; ++i)
  {
    g.ForEachNeighbour(i, [&](size_t j) {
      if (labels[j] != labels[i])
      {
        b[i] = 1;
      }
    });
  }
  return b;
}

/** Dilation by a (2r+1)^D box, separably along each axis. */
template <unsigned int D>
void
Dilate(const detail::Grid<D> & g, std::vector<char> & b, long r)
{
  std::vector<char> tmp(b.size());
  for (unsigned int d = 0; d < D; ++d)
  {
    for (size_t i = 0; i < g.count; ++i)
    {
      const long x = static_cast<long>((i / static_cast<size_t>(g.stride[d])) % static_cast<size_t>(g.size[d]));
      char       v = 0;
      for (long k = std::max(0L, x - r); k <= std::min(g.size[d] - 1, x + r) && !v; ++k)
      {
        v = b[static_cast<size_t>(static_cast<long>(i) + (k - x) * g.stride[d])];
      }
      tmp[i] = v;
    }
    b.swap(tmp);
  }
}
} // namespace

template <unsigned int D>
SuperpixelQuality
EvaluateSuperpixels(const LabelImage<D> * superpixels, const LabelImage<D> * truth, unsigned int tolerance)
{
  if (superpixels->GetLargestPossibleRegion().GetSize() != truth->GetLargestPossibleRegion().GetSize())
  {
    std::ostringstream s;
    s << "size " << truth->GetLargestPossibleRegion().GetSize() << " differs from the superpixels' "
      << superpixels->GetLargestPossibleRegion().GetSize();
    throw Error("ground truth", s.str());
  }
  const detail::Grid<D> g(superpixels, false);
  const LabelPixel *    s = superpixels->GetBufferPointer();
  const LabelPixel *    t = truth->GetBufferPointer();
  SuperpixelQuality     q;
  // Boundary recall.
  const auto truthEdges = Boundaries<D>(g, t);
  auto       spEdges = Boundaries<D>(g, s);
  Dilate<D>(g, spEdges, tolerance);
  size_t edges = 0, hit = 0;
  for (size_t i = 0; i < g.count; ++i)
  {
    edges += truthEdges[i] != 0;
    hit += truthEdges[i] && spEdges[i];
  }
  q.boundaryRecall = edges ? double(hit) / edges : 1.0;
  // Overlaps |S ∩ G|.
  std::unordered_map<uint32_t, uint64_t> overlap;
  std::vector<uint64_t>                  spSize(65536, 0);
  for (size_t i = 0; i < g.count; ++i)
  {
    ++overlap[(uint32_t(s[i]) << 16) | t[i]];
    ++spSize[s[i]];
  }
  std::vector<uint64_t> best(65536, 0);
  double                ue = 0.0;
  for (const auto & [key, count] : overlap)
  {
    const LabelPixel sp = static_cast<LabelPixel>(key >> 16);
    best[sp] = std::max(best[sp], count);
    ue += static_cast<double>(std::min(count, spSize[sp] - count));
  }
  double asa = 0.0;
  for (size_t l = 0; l < 65536; ++l)
  {
    asa += static_cast<double>(best[l]);
    q.segments += spSize[l] > 0;
  }
  q.undersegmentationError = ue / static_cast<double>(g.count);
  q.achievableAccuracy = asa / static_cast<double>(g.count);
  return q;
}

LabelImage<2>::Pointer
LabelsFromColours(const VectorImage<2> * rgb, const std::map<std::array<int, 3>, LabelPixel> & table,
                  const std::string & name)
{
  const unsigned int nc = rgb->GetNumberOfComponentsPerPixel();
  if (nc < 3)
  {
    throw Error(name, "a colour-coded mask needs three channels, not " + std::to_string(nc));
  }
  auto out = LabelImage<2>::New();
  out->CopyInformation(rgb);
  out->SetRegions(rgb->GetLargestPossibleRegion());
  out->Allocate();
  const size_t  n = rgb->GetLargestPossibleRegion().GetNumberOfPixels();
  const float * p = rgb->GetBufferPointer();
  for (size_t i = 0; i < n; ++i)
  {
    const std::array<int, 3> c{ static_cast<int>(std::lround(p[i * nc])), static_cast<int>(std::lround(p[i * nc + 1])),
                                static_cast<int>(std::lround(p[i * nc + 2])) };
    const auto it = table.find(c);
    if (it == table.end())
    {
      std::ostringstream s;
      s << "pixel " << rgb->ComputeIndex(static_cast<itk::OffsetValueType>(i)) << " has colour (" << c[0] << ","
        << c[1] << "," << c[2] << "), not in the colour table";
      throw Error(name, s.str());
    }
    out->GetBufferPointer()[i] = it->second;
  }
  return out;
}

template SuperpixelQuality EvaluateSuperpixels<2>(const LabelImage<2> *, const LabelImage<2> *, unsigned int);
template SuperpixelQuality EvaluateSuperpixels<3>(const LabelImage<3> *, const LabelImage<3> *, unsigned int);
} // namespace tessera
