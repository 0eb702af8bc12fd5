#include "tesseraMergeWeightFunction.h"

#include <cmath>

namespace tessera
{
template <unsigned int D>
MergeWeightFunction<D>
MeanColorWeight()
{
  return [](const RegionStatistics<D> & a, const RegionStatistics<D> & b, const BoundaryStatistics &) {
    const std::size_t nc = a.sum.size();
    const double      na = static_cast<double>(a.size), nb = static_cast<double>(b.size);
    double            d2 = 0;
    for (std::size_t c = 0; c < nc; ++c)
    {
      const double d = a.sum[c] / na - b.sum[c] / nb;
      d2 += d * d;
    }
    return std::sqrt(d2);
  };
}

template <unsigned int D>
MergeWeightFunction<D>
BoundaryWeight()
{
  return [](const RegionStatistics<D> &, const RegionStatistics<D> &, const BoundaryStatistics & boundary) {
    return boundary.MeanGradient();
  };
}

template MergeWeightFunction<2> MeanColorWeight<2>();
template MergeWeightFunction<3> MeanColorWeight<3>();
template MergeWeightFunction<2> BoundaryWeight<2>();
template MergeWeightFunction<3> BoundaryWeight<3>();
} // namespace tessera
