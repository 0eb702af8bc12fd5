#ifndef tesseraTileRegionStitcher_h
#define tesseraTileRegionStitcher_h

#include <cstdint>
#include <utility>
#include <vector>

#include "itkImage.h"
#include "tesseraImageTypes.h"

namespace tessera
{
/** \class TileRegionStitcher
 * \brief Joins the regions (superpixels, segments) of a tiled run across tile borders.
 *
 * Each tile is segmented on its read region (the tile and its halo), so the pixels near a border are
 * segmented by both tiles. Tile labels become provisional numbers unique to the run; where two tiles'
 * read regions overlap, the pixels that either tile keeps pair a region of one tile with a region of the
 * other, and two regions that are each other's most frequent partner and meet on both sides of the
 * border (both tiles see the region cross it) are the same region (tiles with
 * margins stitched afterwards, as OTB's large-scale mean-shift does, Michel et al., IEEE TGRS 53(2),
 * 2015; here the stitching is decided by the overlap). At the end
 * the joined regions are numbered 1..N in raster order of their first kept pixel, as a whole run
 * numbers them. Tiles come row by row (TilePlan order); only the borders later tiles can overlap are kept
 * (about 2 × halo pixels of each tile's right and bottom edges), so memory stays a few bytes per pixel
 * of a row of tiles' borders, not of the image. */
class TileRegionStitcher
{
public:
  using ProvisionalImage = itk::Image<std::uint32_t, 2>;

  /** For an image of `size` pixels in tiles read with `halo` pixels around them. */
  TileRegionStitcher(const itk::Size<2> & size, unsigned int halo) : m_Size(size), m_Halo(halo) {}

  /** One tile's labels over its read region `read` (whole-image pixels; `labels` is indexed from 0
   * there), of which `keep` is kept; label 0 is no region. Pairs its regions with those of earlier
   * tiles it overlaps.
   * \returns the provisional numbers over `read` (indexed as `labels`), for the caller to store the
   * part `keep` until Final() can map them. */
  ProvisionalImage::Pointer AddTile(const LabelImage<2> * labels, const itk::ImageRegion<2> & read,
                                    const itk::ImageRegion<2> & keep);

  /** Joins the matched regions and numbers them; call once, after the last tile.
   * \returns the number of regions. \throws Error("output", ...) when they are more than a label image
   * holds (65535). */
  std::size_t Finish();

  /** Most bytes the borders take for an image `width` pixels wide in tiles with `halo` (two rows of
   * bottom borders, 2 bytes per pixel), for a tiled run's memory plan. */
  static double BorderBytes(double width, unsigned int halo) { return 2.0 * 2.0 * (2.0 * halo) * (width + 2.0 * halo); }

  /** The final label of a provisional number (0 stays 0); after Finish(). */
  LabelPixel Final(std::uint32_t provisional) const { return m_Final[provisional]; }

private:
  /** A tile's labels where later tiles can overlap it (provisional number: offset + label). */
  struct Border
  {
    itk::ImageRegion<2>    read, keep;
    std::uint32_t          offset = 0;
    LabelImage<2>::Pointer right, bottom;
  };

  void Match(const Border & earlier, const ProvisionalImage * numbers, const itk::ImageRegion<2> & read,
                      const itk::ImageRegion<2> & keep);

  itk::Size<2>               m_Size;
  itk::IndexValueType        m_Halo;
  std::uint32_t              m_Next = 1;         ///< the next tile's first provisional number
  std::vector<std::pair<std::uint32_t, std::uint32_t>> m_Matches; ///< provisional numbers of one region
  std::vector<std::uint64_t> m_First{ 0 };       ///< first kept pixel (y * width + x) of each number; max: none
  std::vector<Border>        m_Borders;
  std::vector<LabelPixel>    m_Final;
};
} // namespace tessera

#endif
