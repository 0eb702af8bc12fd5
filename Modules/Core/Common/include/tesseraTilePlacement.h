#ifndef tesseraTilePlacement_h
#define tesseraTilePlacement_h

#include <cstdint>
#include <vector>

namespace tessera
{
/** Where the image a stage is given lies when a tiled run (`--ram`, tesseraTiledRun.h) hands it one
 * tile: it is the region of `wholeSize` pixels (per axis, x first) starting at `offset`, and only
 * its part [keepOffset, keepOffset + keepSize) (in the tile's own pixels) is kept; the rest is the
 * halo. Stages whose result depends on the position (sliding windows placed on the whole image's
 * grid) read it; pixelwise stages need not. Empty vectors: the image is whole. */
struct TilePlacement
{
  std::vector<int64_t> wholeSize, offset, keepOffset, keepSize;

  bool Tiled() const { return !wholeSize.empty(); }
};
} // namespace tessera

#endif
