#ifndef tesseraSurfaceDistance_h
#define tesseraSurfaceDistance_h

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "tesseraError.h"
#include "tesseraImageTypes.h"

namespace tessera
{
/** Surface-distance scores of one class between a reference and a segmentation, in mm.
 *
 * Definition (MONAI's compute_hausdorff_distance / compute_average_surface_distance, which use
 * scipy: edges = mask XOR binary_erosion(mask) with the face-connected cross structure):
 * - the surface of a binary class mask is its voxels with at least one face neighbour
 *   (4 in 2D, 6 in 3D) outside the mask; outside the image counts as outside the mask, so
 *   foreground voxels on the image border are surface voxels;
 * - d(p, S) is the Euclidean distance in mm from voxel p to the nearest voxel of surface S,
 *   spacing included (anisotropic voxels count), from ITK's SignedMaurerDistanceMapImageFilter
 *   (Maurer, Qi and Raghavan, PAMI 2003; UseImageSpacing on), which is exact;
 * - directed distances: A = {d(p, Sref) : p in Sseg}, B = {d(q, Sseg) : q in Sref};
 * - hausdorffPercentile (HD95 for percentile 95) = max(P95(A), P95(B)), Pq being numpy's
 *   default linear-interpolation percentile (see Percentile);
 * - hausdorff = max(max A, max B) (the classical Hausdorff distance between the surfaces);
 * - averageSymmetric (ASSD) = mean of A and B pooled: (sum A + sum B) / (|A| + |B|), as
 *   MONAI's compute_average_surface_distance(symmetric=True).
 * Empty classes: when the class is absent from both images all three are NaN (nothing to
 * measure; left out of means); when it is absent from exactly one they are +infinity (MONAI
 * returns inf or nan there with a warning; we always return +inf).
 *
 * Cost: one pass over both images, then two distance maps over the class's bounding box only;
 * about a second for three brain tissue classes at 170x210x165. */
struct SurfaceDistance
{
  double      hausdorffPercentile = 0; ///< mm; HD95 for the default percentile
  double      hausdorff = 0;           ///< mm; maximum surface distance
  double      averageSymmetric = 0;    ///< mm; ASSD
  std::size_t referenceSurfaceVoxels = 0;
  std::size_t segmentationSurfaceVoxels = 0;

  /** Scores class `label` between two label images on the same grid (tessera::CheckSameGrid).
   * \param ignoreLabel voxels whose reference label is this are left out of the segmentation's
   *        class mask, as the confusion matrix skips them (the reference mask never contains
   *        them, `label` being a different class).
   * \param percentile in [0, 100]; 95 gives HD95.
   * \throws Error naming the segmentation when the grids differ, or "percentile" when it is
   *         outside [0, 100]. */
  template <unsigned int D>
  static SurfaceDistance
  Compute(const LabelImage<D> *     reference,
          const LabelImage<D> *     segmentation,
          LabelPixel                label,
          std::optional<LabelPixel> ignoreLabel = std::nullopt,
          double                    percentile = 95.0,
          const std::string &       referenceName = "reference",
          const std::string &       segmentationName = "segmentation");
};

/** The q-th percentile (q in [0, 100]) of values with numpy.percentile's default linear
 * interpolation: sorted v, position q/100 (n - 1), interpolated between its neighbours.
 * NaN for no values. `values` is reordered. \throws Error("percentile", ...) for q outside [0, 100]. */
double Percentile(std::vector<double> & values, double q);

extern template SurfaceDistance SurfaceDistance::Compute<2>(const LabelImage<2> *, const LabelImage<2> *, LabelPixel,
                                                            std::optional<LabelPixel>, double, const std::string &,
                                                            const std::string &);
extern template SurfaceDistance SurfaceDistance::Compute<3>(const LabelImage<3> *, const LabelImage<3> *, LabelPixel,
                                                            std::optional<LabelPixel>, double, const std::string &,
                                                            const std::string &);
} // namespace tessera

#include "tesseraSurfaceDistance.hxx"

#endif
