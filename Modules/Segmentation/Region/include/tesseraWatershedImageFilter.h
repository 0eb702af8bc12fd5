#ifndef tesseraWatershedImageFilter_h
#define tesseraWatershedImageFilter_h

#include "tesseraWholeImageLabelFilter.h"

namespace tessera
{
/** \class WatershedSegmentationImageFilter
 * \brief Morphological watershed of the gradient magnitude, from regional minima or from
 * markers, 2D and 3D, grey and multichannel.
 *
 * The relief is the gradient magnitude of the input at scale Sigma (mm; ITK
 * GradientMagnitudeRecursiveGaussianImageFilter, so anisotropic voxels are smoothed in physical
 * units); for multichannel input the root of the sum of the squared per-channel magnitudes.
 * Sigma = 0 floods the input itself (it must then have one channel: an existing relief).
 *
 * With SetMarkerImage (a LabelImage<D> on the input's grid, non-zero = markers): one region per
 * marker label, keeping the labels. Without markers, the markers are the regional minima of the
 * relief (ITK RegionalMinimaImageFilter, labelled 1..N in raster order by
 * ConnectedComponentImageFilter); Level (a fraction in [0, 1) of the relief's maximum) first
 * removes the minima shallower than Level · max (ITK HMinimaImageFilter), so a higher level gives
 * fewer regions. Both cases are then flooded by FloodFromMarkers (Meyer's priority flood), which
 * gives the labels of ITK MorphologicalWatershed(FromMarkers)ImageFilter.
 *
 * Output: LabelImage<D> on the input's grid (spacing, origin, direction kept); regions 1..N
 * (regional minima) or the marker labels; 0 only on the watershed lines when MarkWatershedLine.
 * \throws Error for Sigma < 0, Level outside [0, 1), a marker image off the grid or empty,
 * Sigma = 0 with several channels, or more than 65535 regions.
 *
 * \sa FloodFromMarkers, RegionGrowingImageFilter, SuperpixelImageFilter,
 * itk::MorphologicalWatershedImageFilter, itk::MorphologicalWatershedFromMarkersImageFilter */
template <unsigned int VDimension>
class WatershedSegmentationImageFilter : public WholeImageLabelFilter<VDimension>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(WatershedSegmentationImageFilter);
  static constexpr unsigned int ImageDimension = VDimension;
  using Self = WatershedSegmentationImageFilter;
  using Superclass = WholeImageLabelFilter<VDimension>;
  using Pointer = itk::SmartPointer<Self>;
  using LabelImageType = LabelImage<VDimension>;
  using ReliefImageType = ScalarImage<VDimension>;

  itkNewMacro(Self);
  itkTypeMacro(WatershedSegmentationImageFilter, WholeImageLabelFilter);

  /** Gradient scale in mm (>= 0), default 1. */
  itkSetMacro(Sigma, double);
  itkGetConstMacro(Sigma, double);
  /** Flooding level as a fraction of the relief's maximum, [0, 1), default 0.05. */
  itkSetMacro(Level, double);
  itkGetConstMacro(Level, double);
  /** Keep a one-pixel line of 0 between regions; default off (regions touch). */
  itkSetMacro(MarkWatershedLine, bool);
  itkGetConstMacro(MarkWatershedLine, bool);
  itkBooleanMacro(MarkWatershedLine);
  itkSetMacro(FullyConnected, bool);
  itkGetConstMacro(FullyConnected, bool);
  itkBooleanMacro(FullyConnected);
  /** Optional markers on the input's grid. */
  itkSetInputMacro(MarkerImage, LabelImageType);
  itkGetInputMacro(MarkerImage, LabelImageType);
  /** The relief flooded in the last Update(). */
  const ReliefImageType * GetRelief() const { return m_Relief.GetPointer(); }
  /** Number of regions in the last output. */
  itkGetConstMacro(NumberOfRegions, unsigned int);

protected:
  WatershedSegmentationImageFilter() { this->AddOptionalInputName("MarkerImage"); }
  ~WatershedSegmentationImageFilter() override = default;
  void GenerateData() override;
  void PrintSelf(std::ostream & os, itk::Indent indent) const override;

private:
  double                            m_Sigma = 1.0;
  double                            m_Level = 0.05;
  bool                              m_MarkWatershedLine = false;
  bool                              m_FullyConnected = false;
  unsigned int                      m_NumberOfRegions = 0;
  typename ReliefImageType::Pointer m_Relief;
};

/** The relief the watershed floods: gradient magnitude at sigma mm (root sum of squares over
 * channels), or the single channel itself when sigma is 0. */
template <unsigned int D>
typename ScalarImage<D>::Pointer GradientMagnitude(const VectorImage<D> * image, double sigma);

/** Meyer's flooding of `relief` from `markers` (Meyer 1991, "Un algorithme optimal de ligne de
 * partage des eaux"; Beucher and Meyer 1993, "The morphological approach to segmentation: the
 * watershed transformation"), written into `output`. All three images have the same size (D
 * dimensions, any spacing: the flooding counts neighbours, not mm); the relief's values are in
 * any unit, the markers are labels (0 = to flood).
 *
 * A hierarchical queue holds the pixels to label, ordered by the exact relief value: the relief
 * is sorted once by a radix sort of its float values (no quantisation: ITK's threads share the
 * sort), and the queue has one FIFO per distinct value (a bitmap over the sorted pixels finds the
 * next non-empty one). A pixel enters at max(its value, the level being flooded), so a basin is
 * filled before the flood climbs. Tie-breaking, for pixels of equal value (plateaus):
 * first in, first out, so a plateau is split by distance in steps from where each flood entered
 * it; pixels enter in raster order of the markers, then of the neighbour offsets (raster order
 * of the 3^D block, as ITK's neighbourhood iterators). This is the order of ITK
 * MorphologicalWatershedFromMarkersImageFilter (std::map of exact values to FIFOs), whose
 * labels it reproduces, in O(n) after the O(n) sort instead of O(n log n) map operations.
 * - markWatershedLine false (Beucher's variant): a pixel takes the label of the neighbour that
 *   queued it; every pixel connected to a marker is labelled.
 * - markWatershedLine true (Meyer's): a pixel is labelled when it leaves the queue, with the label
 *   of its labelled neighbours if they agree, and otherwise stays 0 (watershed line) and floods
 *   no further; pixels enclosed by lines stay 0.
 * Neighbours: faces (4 in 2D, 6 in 3D), or all 3^D - 1 when fullyConnected. Outside the image
 * is neither labelled nor flooded. Memory: about 20 bytes per pixel, 8 more while sorting. The
 * flood itself is sequential.
 * \throws Error("markers", ...) if the markers' or the output's size differs from the relief's,
 * Error("relief", ...) for NaN values or images of 2^31 voxels or more. */
template <unsigned int D>
void
FloodFromMarkers(const ScalarImage<D> * relief, const LabelImage<D> * markers, bool markWatershedLine,
                 bool fullyConnected, LabelImage<D> * output);

extern template class WatershedSegmentationImageFilter<2>;
extern template class WatershedSegmentationImageFilter<3>;
extern template typename ScalarImage<2>::Pointer GradientMagnitude<2>(const VectorImage<2> *, double);
extern template typename ScalarImage<3>::Pointer GradientMagnitude<3>(const VectorImage<3> *, double);
extern template void FloodFromMarkers<2>(const ScalarImage<2> *, const LabelImage<2> *, bool, bool, LabelImage<2> *);
extern template void FloodFromMarkers<3>(const ScalarImage<3> *, const LabelImage<3> *, bool, bool, LabelImage<3> *);
} // namespace tessera

#endif
