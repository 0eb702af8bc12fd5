#ifndef tesseraParallelRanges_h
#define tesseraParallelRanges_h

#include <algorithm>
#include <cstddef>
#include <vector>

#include "itkMultiThreaderBase.h"

namespace tessera
{
/** Work units for a pass over n items: `threads` (0 = ITK's global default, i.e. all cores or the `--threads`
 * option), but 1 below `minimum` items, where starting threads costs more than the pass. */
inline unsigned int
WorkUnits(size_t n, unsigned int threads, size_t minimum)
{
  const unsigned int t = threads ? threads : itk::MultiThreaderBase::GetGlobalDefaultNumberOfThreads();
  return n < minimum ? 1u : std::max(1u, t);
}

/** Runs f(begin, end, unit) for unit = 0..units−1 over the contiguous ranges [n·unit/units, n·(unit+1)/units) of
 * [0, n), on ITK's thread pool when units > 1. The ranges depend on n and units only, so callers that reduce
 * per-unit partial results in unit order get the same result on any machine. */
template <typename F>
void
ParallelRanges(size_t n, unsigned int units, F && f)
{
  if (units <= 1)
  {
    f(size_t{ 0 }, n, 0u);
    return;
  }
  auto threader = itk::MultiThreaderBase::New();
  threader->SetNumberOfWorkUnits(units);
  threader->ParallelizeArray(
    0, units,
    [&](itk::SizeValueType u) { f(n * u / units, n * (u + 1) / units, static_cast<unsigned int>(u)); },
    nullptr);
}
/** Items per partial sum of BlockSums. */
constexpr size_t SumBlock = 16384;

/** Sums over [0, n) that do not depend on the thread count: add(begin, end, partial) adds the items [begin, end) into
 * `partial` (`size` doubles, 0 on entry) for each block of SumBlock items; the blocks are split among `threads` work
 * units (0 = ITK's global default; one below two blocks) and their partials added in block order.
 * \returns the `size` sums. */
template <typename F>
std::vector<double>
BlockSums(size_t n, size_t size, unsigned int threads, F && add)
{
  const size_t                     blocks = std::max<size_t>(1, (n + SumBlock - 1) / SumBlock);
  std::vector<std::vector<double>> partials(blocks, std::vector<double>(size, 0.0));
  ParallelRanges(blocks, static_cast<unsigned int>(std::min<size_t>(blocks, WorkUnits(n, threads, 2 * SumBlock))),
                 [&](size_t first, size_t end, unsigned int) {
                   for (size_t b = first; b < end; ++b)
                   {
                     add(b * SumBlock, std::min(n, (b + 1) * SumBlock), partials[b]);
                   }
                 });
  std::vector<double> sums(size, 0.0);
  for (const auto & partial : partials)
  {
    for (size_t j = 0; j < size; ++j)
    {
      sums[j] += partial[j];
    }
  }
  return sums;
}
} // namespace tessera

#endif
