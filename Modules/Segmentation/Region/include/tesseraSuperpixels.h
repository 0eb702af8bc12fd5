#ifndef tesseraSuperpixels_h
#define tesseraSuperpixels_h

#include <string>
#include <vector>

#include "tesseraTilePlacement.h"
#include "tesseraWholeImageLabelFilter.h"

namespace tessera
{
/** Superpixel / supervoxel algorithms. */
enum class SuperpixelMethod
{
  /** SLIC (Achanta et al., IEEE PAMI 34(11), 2012) by ITK's itk::SLICImageFilter: 2D and 3D, any
   * number of channels. "slic". */
  SLIC,
  /** OpenCV ximgproc SLIC, its zero-parameter variant SLICO and manifold MSLIC (2D only).
   * "opencv-slic", "slico", "mslic". */
  OpenCVSLIC,
  SLICO,
  MSLIC,
  /** SEEDS (Van den Bergh et al., ECCV 2012), OpenCV ximgproc, 2D only. "seeds". */
  SEEDS,
  /** Linear spectral clustering (Li & Chen, CVPR 2015), OpenCV ximgproc, 2D only. "lsc". */
  LSC,
  /** Efficient graph-based segmentation (Felzenszwalb & Huttenlocher, IJCV 59(2), 2004),
   * OpenCV ximgproc::segmentation::createGraphSegmentation, 2D only; ignores Segments and
   * takes Scale (k) and MinimumSize instead. "felzenszwalb". */
  Felzenszwalb
};

/** Parses the command-line name of a method (see SuperpixelMethod). \throws Error("method"). */
SuperpixelMethod ParseSuperpixelMethod(const std::string & name);
std::string      SuperpixelMethodName(SuperpixelMethod method);

struct SuperpixelOptions
{
  SuperpixelMethod method = SuperpixelMethod::SLIC;
  /** Requested number of superpixels (> 0); the result has about as many. The grid step is
   * (physical extent / segments)^(1/D) mm, so anisotropic voxels get cubic supervoxels. */
  unsigned int segments = 1000;
  /** SLIC: the grid step in mm when > 0, instead of the one Segments gives (a tile of a tiled run
   * takes the whole image's step); default 0. */
  double gridStep = 0.0;
  /** SLIC/SLICO/MSLIC/LSC weight of space against colour (> 0): ITK's SpatialProximityWeight,
   * OpenCV's ruler; for LSC the ratio is compactness / 100. Default 10. */
  double compactness = 10.0;
  /** SLIC/SEEDS/LSC iterations (> 0), default 10. */
  unsigned int iterations = 10;
  /** Three-channel images are taken as RGB (0–255, or 0–1 when no value exceeds 1) and clustered
   * in CIE L*a*b* (as Achanta et al. and scikit-image do); default on. Felzenszwalb ignores it: its
   * graph weighs RGB distances, as the paper and OpenCV do. */
  bool lab = true;
  /** Felzenszwalb: scale k (> 0, larger → larger regions), Gaussian pre-smoothing sigma in pixels
   * (>= 0) and minimum region size in pixels. */
  double       scale = 300.0;
  double       sigma = 0.5;
  unsigned int minimumSize = 50;
  /** SEEDS: block levels and histogram bins. */
  unsigned int seedsLevels = 4;
  unsigned int seedsBins = 5;
};

/** Superpixels of a 2D image or supervoxels of a 3D volume: a LabelImage<D> on the image's grid
 * (spacing, origin and direction kept) with connected labels 1..N numbered in raster order of
 * their first pixel.
 * \throws Error("method") for an OpenCV method on a 3D image, Error(option) for segments = 0,
 * compactness, scale or iterations <= 0, sigma < 0, or more than 65535 segments. */
template <unsigned int D>
typename LabelImage<D>::Pointer ComputeSuperpixels(const VectorImage<D> * image, const SuperpixelOptions & options);

/** Superpixels of one tile of a larger 2D image (a tiled run; `placement` says where the tile lies),
 * sized as a whole run's: SLIC takes the whole image's grid step and first crops the tile by less than
 * a step on each side, within its halo, so that its seeds (itk::SLICImageFilter's shrunk grid, centred
 * on the image) fall where the whole run's do; the other methods take the tile's share of Segments.
 * Cropped pixels are 0. Without a placement, ComputeSuperpixels(). \throws as ComputeSuperpixels(). */
LabelImage<2>::Pointer ComputeTileSuperpixels(const VectorImage<2> * tile, const SuperpixelOptions & options,
                                              const TilePlacement & placement);

/** RGB (0–255, or 0–1 when no value exceeds 1) → CIE L*a*b* (D65), any dimension; other
 * component counts are returned unchanged. */
template <unsigned int D>
typename VectorImage<D>::Pointer RGBToLab(const VectorImage<D> * image);

/** \class SuperpixelImageFilter
 * \brief ComputeSuperpixels() as an ITK filter (see SuperpixelOptions).
 *
 * \sa WatershedSegmentationImageFilter, SplitAndMergeImageFilter, RegionAdjacencyGraph,
 * itk::SLICImageFilter */
template <unsigned int VDimension>
class SuperpixelImageFilter : public WholeImageLabelFilter<VDimension>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(SuperpixelImageFilter);
  using Self = SuperpixelImageFilter;
  using Superclass = WholeImageLabelFilter<VDimension>;
  using Pointer = itk::SmartPointer<Self>;
  itkNewMacro(Self);
  itkTypeMacro(SuperpixelImageFilter, WholeImageLabelFilter);

  void SetOptions(const SuperpixelOptions & options) { m_Options = options; this->Modified(); }
  const SuperpixelOptions & GetOptions() const { return m_Options; }
  void SetMethod(SuperpixelMethod m) { m_Options.method = m; this->Modified(); }
  void SetNumberOfSegments(unsigned int n) { m_Options.segments = n; this->Modified(); }
  void SetCompactness(double c) { m_Options.compactness = c; this->Modified(); }
  /** Number of superpixels in the last output. */
  itkGetConstMacro(NumberOfSegments, unsigned int);

protected:
  SuperpixelImageFilter() = default;
  ~SuperpixelImageFilter() override = default;
  void GenerateData() override;
  void PrintSelf(std::ostream & os, itk::Indent indent) const override;

private:
  SuperpixelOptions m_Options;
  unsigned int      m_NumberOfSegments = 0;
};

extern template typename LabelImage<2>::Pointer ComputeSuperpixels<2>(const VectorImage<2> *, const SuperpixelOptions &);
extern template typename LabelImage<3>::Pointer ComputeSuperpixels<3>(const VectorImage<3> *, const SuperpixelOptions &);
extern template typename VectorImage<2>::Pointer RGBToLab<2>(const VectorImage<2> *);
extern template typename VectorImage<3>::Pointer RGBToLab<3>(const VectorImage<3> *);
extern template class SuperpixelImageFilter<2>;
extern template class SuperpixelImageFilter<3>;
} // namespace tessera

#endif
