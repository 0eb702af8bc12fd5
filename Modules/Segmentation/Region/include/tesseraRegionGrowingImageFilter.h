#ifndef tesseraRegionGrowingImageFilter_h
#define tesseraRegionGrowingImageFilter_h

#include <limits>
#include <string>
#include <vector>

#include "itkPoint.h"
#include "tesseraWholeImageLabelFilter.h"

namespace tessera
{
/** How a region decides which neighbouring pixels join it. */
enum class RegionGrowingCriterion
{
  /** All channels of the pixel within [Lower, Upper] (ITK ConnectedThresholdImageFilter for
   * grey images; the same flood fill on every channel for multichannel ones). */
  Interval,
  /** Within mean ± Multiplier·σ of the region, re-estimated NumberOfIterations times (ITK
   * ConfidenceConnectedImageFilter; VectorConfidenceConnectedImageFilter, a Mahalanobis
   * distance, for multichannel images). */
  Confidence,
  /** Seeded region growing (Adams & Bischof, "Seeded region growing", IEEE PAMI 16(6), 1994):
   * all regions grow at once; the unlabelled pixel bordering some region with the smallest
   * Euclidean distance to that region's running mean joins it next (a priority queue). Regions
   * compete, so every connected pixel ends in exactly one; with MaximumDistance, pixels farther
   * than that from every bordering region stay 0. */
  MeanDistance
};

/** \class RegionGrowingImageFilter
 * \brief Seeded region growing: labels the pixels connected to seeds that satisfy a homogeneity
 * criterion (see RegionGrowingCriterion), 2D and 3D, grey and multichannel.
 *
 * Seeds: AddSeed(index, label) and/or SetSeedImage() (a LabelImage<D> on the input's grid; every
 * non-zero voxel is a seed of its label). Output: LabelImage<D> on the input's grid, each pixel the
 * label of the region that reached it, 0 where none did. For Interval and Confidence each label
 * grows on its own, in increasing label order, and a pixel reached by several keeps the first
 * label; MeanDistance grows all labels together (competing regions). Neighbours are face-connected
 * (4 in 2D, 6 in 3D) unless FullyConnected (Interval and MeanDistance only; ITK's confidence
 * filter is face-connected).
 *
 * \throws Error("seed", ...) when there is no seed or a seed lies outside the image;
 * Error("seeds", ...) when the seed image is not on the input's grid or empty; Error(option, ...)
 * for Lower > Upper, Multiplier <= 0, MaximumDistance <= 0 or a multichannel image whose
 * interval is not given for 1 or all channels.
 *
 * \sa WatershedSegmentationImageFilter, SplitAndMergeImageFilter, SuperpixelImageFilter,
 * itk::ConnectedThresholdImageFilter, itk::ConfidenceConnectedImageFilter */
template <unsigned int VDimension>
class RegionGrowingImageFilter : public WholeImageLabelFilter<VDimension>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(RegionGrowingImageFilter);
  static constexpr unsigned int ImageDimension = VDimension;
  using Self = RegionGrowingImageFilter;
  using Superclass = WholeImageLabelFilter<VDimension>;
  using Pointer = itk::SmartPointer<Self>;
  using InputImageType = VectorImage<VDimension>;
  using LabelImageType = LabelImage<VDimension>;
  using IndexType = itk::Index<VDimension>;
  using CriterionType = RegionGrowingCriterion;
  struct Seed
  {
    IndexType  index;
    LabelPixel label = 1;
  };

  itkNewMacro(Self);
  itkTypeMacro(RegionGrowingImageFilter, WholeImageLabelFilter);

  void AddSeed(const IndexType & index, LabelPixel label = 1)
  {
    m_Seeds.push_back({ index, label });
    this->Modified();
  }
  void ClearSeeds()
  {
    m_Seeds.clear();
    this->Modified();
  }
  const std::vector<Seed> & GetSeeds() const { return m_Seeds; }

  /** Optional seed label image on the input's grid: non-zero voxels are seeds of their label. */
  itkSetInputMacro(SeedImage, LabelImageType);
  itkGetInputMacro(SeedImage, LabelImageType);

  /** Default MeanDistance. */
  itkSetMacro(Criterion, CriterionType);
  itkGetConstMacro(Criterion, CriterionType);
  /** Interval bounds, in intensity units; one value for every channel, or one per channel. */
  void SetLower(double v) { SetLowerPerChannel({ v }); }
  void SetUpper(double v) { SetUpperPerChannel({ v }); }
  void SetLowerPerChannel(const std::vector<double> & v) { m_Lower = v; this->Modified(); }
  void SetUpperPerChannel(const std::vector<double> & v) { m_Upper = v; this->Modified(); }
  /** Confidence: k in mean ± k·σ (> 0), default 2.5; iterations default 4; the radius (pixels) of
   * the neighbourhood around each seed giving the first mean and σ, default 1. */
  itkSetMacro(Multiplier, double);
  itkGetConstMacro(Multiplier, double);
  itkSetMacro(NumberOfIterations, unsigned int);
  itkGetConstMacro(NumberOfIterations, unsigned int);
  itkSetMacro(InitialNeighborhoodRadius, unsigned int);
  itkGetConstMacro(InitialNeighborhoodRadius, unsigned int);
  /** MeanDistance: pixels farther than this (intensity units, > 0) from the mean of every
   * bordering region stay unlabelled; default infinity (every connected pixel is labelled). */
  itkSetMacro(MaximumDistance, double);
  itkGetConstMacro(MaximumDistance, double);
  itkSetMacro(FullyConnected, bool);
  itkGetConstMacro(FullyConnected, bool);
  itkBooleanMacro(FullyConnected);

protected:
  RegionGrowingImageFilter() { this->AddOptionalInputName("SeedImage"); }
  ~RegionGrowingImageFilter() override = default;
  void GenerateData() override;
  void PrintSelf(std::ostream & os, itk::Indent indent) const override;

private:
  std::vector<Seed>   m_Seeds;
  CriterionType       m_Criterion = CriterionType::MeanDistance;
  std::vector<double> m_Lower{ -std::numeric_limits<double>::infinity() };
  std::vector<double> m_Upper{ std::numeric_limits<double>::infinity() };
  double              m_Multiplier = 2.5;
  unsigned int        m_NumberOfIterations = 4;
  unsigned int        m_InitialNeighborhoodRadius = 1;
  double              m_MaximumDistance = std::numeric_limits<double>::infinity();
  bool                m_FullyConnected = false;
};

/** The index of the pixel containing a physical point (mm).
 * \throws Error(option, ...) when the point lies outside the image. */
template <unsigned int D>
itk::Index<D> SeedIndexFromPoint(const itk::ImageBase<D> * image, const itk::Point<double, D> & point,
                                 const std::string & option);

extern template class RegionGrowingImageFilter<2>;
extern template class RegionGrowingImageFilter<3>;
extern template itk::Index<2> SeedIndexFromPoint<2>(const itk::ImageBase<2> *, const itk::Point<double, 2> &,
                                                     const std::string &);
extern template itk::Index<3> SeedIndexFromPoint<3>(const itk::ImageBase<3> *, const itk::Point<double, 3> &,
                                                     const std::string &);
} // namespace tessera

#endif
