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
 * Without markers: ITK MorphologicalWatershedImageFilter floods from the regional minima of the
 * relief; Level (a fraction in [0, 1) of the relief's maximum) first removes the minima shallower
 * than Level · max (h-minima), so a higher level gives fewer regions. With SetMarkerImage (a
 * LabelImage<D> on the input's grid, non-zero = markers): ITK
 * MorphologicalWatershedFromMarkersImageFilter, one region per marker label, keeping the labels.
 *
 * Output: LabelImage<D> on the input's grid (spacing, origin, direction kept); regions 1..N
 * (regional minima) or the marker labels; 0 only on the watershed lines when MarkWatershedLine.
 * \throws Error for Sigma < 0, Level outside [0, 1), a marker image off the grid or empty,
 * Sigma = 0 with several channels, or more than 65535 regions.
 *
 * \sa RegionGrowingImageFilter, SuperpixelImageFilter, itk::MorphologicalWatershedImageFilter,
 * itk::MorphologicalWatershedFromMarkersImageFilter */
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

extern template class WatershedSegmentationImageFilter<2>;
extern template class WatershedSegmentationImageFilter<3>;
extern template typename ScalarImage<2>::Pointer GradientMagnitude<2>(const VectorImage<2> *, double);
extern template typename ScalarImage<3>::Pointer GradientMagnitude<3>(const VectorImage<3> *, double);
} // namespace tessera

#endif
