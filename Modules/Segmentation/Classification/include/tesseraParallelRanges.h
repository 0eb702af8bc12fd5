#ifndef tesseraParallelRanges_h
#define tesseraParallelRanges_h

#include <algorithm>
#include <cstddef>

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
} // namespace tessera

#endif
