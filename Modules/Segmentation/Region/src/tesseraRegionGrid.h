#ifndef tesseraRegionGrid_h
#define tesseraRegionGrid_h

// Internal: raster-order neighbourhoods on a D-dimensional grid, shared by the region filters.
#include <array>
#include <cstddef>
#include <vector>

#include "itkImageBase.h"

namespace tessera::detail
{
template <unsigned int D>
struct Grid
{
  std::array<long, D>                size{};
  std::array<long, D>                stride{};
  size_t                             count = 1;
  std::vector<std::array<int, D>>    offsets; // neighbour offsets
  std::vector<long>                  deltas;  // their linear steps

  Grid(const itk::ImageBase<D> * image, bool fullyConnected)
  {
    const auto s = image->GetLargestPossibleRegion().GetSize();
    for (unsigned int d = 0; d < D; ++d)
    {
      size[d] = static_cast<long>(s[d]);
      stride[d] = d == 0 ? 1 : stride[d - 1] * size[d - 1];
      count *= s[d];
    }
    std::array<int, D> o{};
    const int          total = D == 2 ? 9 : 27;
    for (int k = 0; k < total; ++k)
    {
      int r = k, nonzero = 0;
      for (unsigned int d = 0; d < D; ++d)
      {
        o[d] = r % 3 - 1;
        r /= 3;
        nonzero += o[d] != 0;
      }
      if (nonzero == 0 || (!fullyConnected && nonzero > 1))
      {
        continue;
      }
      offsets.push_back(o);
      long delta = 0;
      for (unsigned int d = 0; d < D; ++d)
      {
        delta += o[d] * stride[d];
      }
      deltas.push_back(delta);
    }
  }

  std::array<long, D> Coordinates(size_t i) const
  {
    std::array<long, D> c{};
    for (unsigned int d = 0; d < D; ++d)
    {
      c[d] = static_cast<long>(i % static_cast<size_t>(size[d]));
      i /= static_cast<size_t>(size[d]);
    }
    return c;
  }

  /** Calls f(j) for each neighbour j of pixel i inside the grid. */
  template <typename F>
  void ForEachNeighbour(size_t i, F && f) const
  {
    const auto c = Coordinates(i);
    for (size_t k = 0; k < offsets.size(); ++k)
    {
      bool inside = true;
      for (unsigned int d = 0; d < D && inside; ++d)
      {
        const long x = c[d] + offsets[k][d];
        inside = x >= 0 && x < size[d];
      }
      if (inside)
      {
        f(static_cast<size_t>(static_cast<long>(i) + deltas[k]));
      }
    }
  }
};
} // namespace tessera::detail

#endif
