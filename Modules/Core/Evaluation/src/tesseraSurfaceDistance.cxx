#include "tesseraSurfaceDistance.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tessera
{
double
Percentile(std::vector<double> & values, double q)
{
  if (!(q >= 0.0 && q <= 100.0))
  {
    throw Error("percentile", std::to_string(q) + " is outside [0, 100]");
  }
  if (values.empty())
  {
    return std::numeric_limits<double>::quiet_NaN();
  }
  const double      position = q / 100.0 * double(values.size() - 1);
  const std::size_t below = std::size_t(std::floor(position));
  const std::size_t above = std::min(below + 1, values.size() - 1);
  std::nth_element(values.begin(), values.begin() + std::ptrdiff_t(below), values.end());
  const double low = values[below];
  if (above == below)
  {
    return low;
  }
  // The next larger value is the minimum of the upper part.
  const double high = *std::min_element(values.begin() + std::ptrdiff_t(above), values.end());
  return low + (high - low) * (position - double(below));
}

template SurfaceDistance SurfaceDistance::Compute<2>(const LabelImage<2> *, const LabelImage<2> *, LabelPixel,
                                                     std::optional<LabelPixel>, double, const std::string &,
                                                     const std::string &);
template SurfaceDistance SurfaceDistance::Compute<3>(const LabelImage<3> *, const LabelImage<3> *, LabelPixel,
                                                     std::optional<LabelPixel>, double, const std::string &,
                                                     const std::string &);
} // namespace tessera
