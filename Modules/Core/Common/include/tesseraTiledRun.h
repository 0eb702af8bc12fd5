#ifndef tesseraTiledRun_h
#define tesseraTiledRun_h

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "itkImageRegion.h"
#include "tesseraImageIO.h"
#include "tesseraStage.h"

namespace tessera
{
/** Square tiles covering a 2D raster, each read with a halo around it. */
struct TilePlan
{
  unsigned int                      tileSize = 0; ///< pixels per side (a multiple of 256, GeoTIFF's block; of 64 on small budgets)
  unsigned int                      halo = 0;     ///< pixels read around each tile
  double                            bytesPerPixel = 0.0;
  std::vector<itk::ImageRegion<2>>  tiles;        ///< row by row; the last of a row or column may be smaller
};

/** Tiles of `size` whose run, halo included, needs at most `budgetBytes`: `fixedBytes` (the process
 * and what a run needs whatever the tile) plus `bytesPerPixel` per pixel read; tiles are at least
 * `smallestTile` pixels a side (rounded up to 64).
 * \throws Error("ram", ...) saying how much one tile needs when the budget is below the smallest
 * (64 × 64, or smallestTile, plus the halo). */
TilePlan PlanTiles(const itk::Size<2> & size, unsigned int halo, double bytesPerPixel, double budgetBytes,
                   double fixedBytes, unsigned int smallestTile = 64);

/** Runs `stage` over a 2D raster too large for the memory budget (`--ram`), as OTB's streaming
 * does: the primary input (and the mask) are read tile by tile with a halo
 * (TilingDescription::halo), each tile runs as a whole image, and the centres of its image outputs
 * are pasted into GeoTIFF outputs, which keep the input's georeference and CRS. A stage that fits
 * class parameters (TilingDescription::fitsModel) fits them first on a sample of the whole image
 * (every s-th pixel of every s-th row, at most 2^20 pixels), then applies them on every tile.
 * Each tile's StageContext::Placement() says where it lies, for stages placing sliding windows on
 * the whole image's grid.
 * `files` are the run's files by port (inputs and outputs); outputs go into AtomicOutputs appended
 * to `pending`, for the caller to commit.
 * \returns false, having done nothing, when the whole run fits the budget (run it whole).
 * \throws Error("ram", ...) for a 3D input, an input (or Error("mask", ...) a mask) in a format that
 * does not read windows (only GeoTIFF, VRT and MetaImage do), parameters the stage cannot run tiled
 * with, or a budget below one tile; Error(<output port>, ...) for an output that is not GeoTIFF or
 * not an image. All checks come before any work. */
bool RunTiled(const StageDescription & stage, const PortFiles & files,
              const ParameterValues & parameters, const RunOptions & options, double budgetMiB,
              std::vector<std::unique_ptr<AtomicOutput>> & pending);
} // namespace tessera

#endif
