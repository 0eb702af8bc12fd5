#ifndef tesseraSplitAndMergeImageFilter_h
#define tesseraSplitAndMergeImageFilter_h

#include "tesseraWholeImageLabelFilter.h"

namespace tessera
{
/** When a block or region counts as homogeneous. */
enum class HomogeneityPredicate
{
  /** The largest per-channel variance is <= Threshold (intensity units squared). */
  Variance,
  /** The largest per-channel range (max − min) is <= Threshold (intensity units). */
  Range
};

/** \class SplitAndMergeImageFilter
 * \brief Split-and-merge segmentation (Horowitz & Pavlidis 1974): a quadtree (2D) / octree (3D)
 * split into homogeneous blocks, then merging of adjacent homogeneous regions through the region
 * adjacency graph (RegionAdjacencyGraph + RegionMerger).
 *
 * Split: the root is the cube of side the smallest power of two covering the image, anchored at
 * index 0 (children clipped to the image, empty ones dropped); a block is split into its 2^D
 * children while it is not homogeneous and its side exceeds MinimumBlockSize (pixels). So blocks
 * of a power-of-two size aligned to that grid are exactly leaves when they are homogeneous.
 * Leaves are numbered 1..L depth-first (children in raster order).
 *
 * Merge (unless SetMerge(false)): greedy hierarchical merging on the leaves' RAG (face
 * neighbours): the adjacent pair with the lowest weight merges first, weights recomputed, while
 * the weight <= MergeThreshold (default: Threshold). The weight is the union's largest
 * per-channel variance (Variance predicate: merge exactly when the union stays homogeneous), or
 * the largest per-channel difference of the two means (Range predicate: the range of a union is
 * not known from region statistics). Output regions are numbered 1..R in raster order of their
 * first pixel, on the input's grid.
 *
 * \throws Error("threshold") for Threshold <= 0, Error("merge-threshold") for a given
 * MergeThreshold <= 0, Error("min-block-size") for MinimumBlockSize == 0 or a split into more
 * than 65535 blocks.
 *
 * \sa RegionAdjacencyGraph, RegionMerger, RegionGrowingImageFilter, WatershedSegmentationImageFilter */
template <unsigned int VDimension>
class SplitAndMergeImageFilter : public WholeImageLabelFilter<VDimension>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(SplitAndMergeImageFilter);
  static constexpr unsigned int ImageDimension = VDimension;
  using Self = SplitAndMergeImageFilter;
  using Superclass = WholeImageLabelFilter<VDimension>;
  using Pointer = itk::SmartPointer<Self>;
  using LabelImageType = LabelImage<VDimension>;
  using PredicateType = HomogeneityPredicate;

  itkNewMacro(Self);
  itkTypeMacro(SplitAndMergeImageFilter, WholeImageLabelFilter);

  /** Default Variance. */
  itkSetMacro(Predicate, PredicateType);
  itkGetConstMacro(Predicate, PredicateType);
  /** Homogeneity threshold (> 0), default 100 (variance) — set it for your intensities. */
  itkSetMacro(Threshold, double);
  itkGetConstMacro(Threshold, double);
  /** Smallest block side in pixels (>= 1), default 2. */
  itkSetMacro(MinimumBlockSize, unsigned int);
  itkGetConstMacro(MinimumBlockSize, unsigned int);
  /** Merge weight threshold (> 0); 0 (default) means Threshold. */
  itkSetMacro(MergeThreshold, double);
  itkGetConstMacro(MergeThreshold, double);
  itkSetMacro(Merge, bool);
  itkGetConstMacro(Merge, bool);
  itkBooleanMacro(Merge);

  /** The split's leaves (labels 1..L) of the last Update(). */
  const LabelImageType * GetSplitLabels() const { return m_SplitLabels.GetPointer(); }
  itkGetConstMacro(NumberOfLeaves, unsigned int);
  itkGetConstMacro(NumberOfRegions, unsigned int);

protected:
  SplitAndMergeImageFilter() = default;
  ~SplitAndMergeImageFilter() override = default;
  void GenerateData() override;
  void PrintSelf(std::ostream & os, itk::Indent indent) const override;

private:
  PredicateType                    m_Predicate = PredicateType::Variance;
  double                           m_Threshold = 100.0;
  unsigned int                     m_MinimumBlockSize = 2;
  double                           m_MergeThreshold = 0.0;
  bool                             m_Merge = true;
  unsigned int                     m_NumberOfLeaves = 0;
  unsigned int                     m_NumberOfRegions = 0;
  typename LabelImageType::Pointer m_SplitLabels;
};

extern template class SplitAndMergeImageFilter<2>;
extern template class SplitAndMergeImageFilter<3>;
} // namespace tessera

#endif
