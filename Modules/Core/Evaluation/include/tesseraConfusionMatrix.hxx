#ifndef tesseraConfusionMatrix_hxx
#define tesseraConfusionMatrix_hxx

#include <unordered_map>

#include "tesseraImageUtilities.h"

namespace tessera
{
namespace detail
{
/** Throws Error(name, ...) unless the whole image is in memory (evaluation reads raw buffers). */
template <typename TImage>
void
CheckWhollyBuffered(const TImage * image, const std::string & name)
{
  if (image == nullptr)
  {
    throw Error(name, "no image given");
  }
  if (image->GetBufferedRegion() != image->GetLargestPossibleRegion())
  {
    throw Error(name, "is not wholly in memory (Update() the whole image first)");
  }
}
} // namespace detail

template <unsigned int D>
ConfusionMatrix
ConfusionMatrix::Compute(const LabelImage<D> *     reference,
                         const LabelImage<D> *     segmentation,
                         std::optional<LabelPixel> ignoreLabel,
                         const std::string &       referenceName,
                         const std::string &       segmentationName)
{
  detail::CheckWhollyBuffered(reference, referenceName);
  detail::CheckWhollyBuffered(segmentation, segmentationName);
  CheckSameGrid(reference, referenceName, segmentation, segmentationName);
  const std::size_t  n = reference->GetBufferedRegion().GetNumberOfPixels();
  const LabelPixel * ref = reference->GetBufferPointer();
  const LabelPixel * seg = segmentation->GetBufferPointer();
  const bool         useIgnore = ignoreLabel.has_value();
  const LabelPixel   ignore = ignoreLabel.value_or(0);

  // Label images come in long runs of one (ref, seg) pair: count runs, then hash once per run.
  std::unordered_map<std::uint32_t, Count> pairs;
  Count                                    ignored = 0;
  std::uint32_t                            runKey = 0;
  Count                                    runLength = 0;
  for (std::size_t i = 0; i < n; ++i)
  {
    if (useIgnore && ref[i] == ignore)
    {
      ++ignored;
      continue;
    }
    const std::uint32_t key = (std::uint32_t(ref[i]) << 16) | seg[i];
    if (key != runKey)
    {
      if (runLength > 0)
      {
        pairs[runKey] += runLength;
      }
      runKey = key;
      runLength = 0;
    }
    ++runLength;
  }
  if (runLength > 0)
  {
    pairs[runKey] += runLength;
  }

  ConfusionMatrix matrix;
  for (const auto & [key, count] : pairs)
  {
    matrix.Add(LabelPixel(key >> 16), LabelPixel(key & 0xFFFFu), count);
  }
  matrix.AddIgnored(ignored);
  return matrix;
}
} // namespace tessera

#endif
