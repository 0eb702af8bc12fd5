#ifndef tesseraMergeHierarchy_h
#define tesseraMergeHierarchy_h

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tesseraImageTypes.h"

/** \file The record of the merges made on the regions of a label image, which can be cut at
 * any level without recomputing and written as CSV or JSON. */
namespace tessera
{
/** One merge: region `from` joins region `into`, which keeps its label. Labels are those of the
 * original label image; `into` is the larger region (ties: the smaller label). */
struct MergeStep
{
  LabelPixel    from = 0;
  LabelPixel    into = 0;
  double        weight = 0; ///< the edge weight at the time of the merge (NaN for normalized cut groups)
  std::uint64_t size = 0;   ///< voxels of the merged region
};

/** The ordered list of merges applied to the regions of a label image. Cutting it at level k
 * (the first k merges) gives the partition after k merges, without recomputing anything. */
class MergeHierarchy
{
public:
  MergeHierarchy() = default;
  explicit MergeHierarchy(std::vector<LabelPixel> regions)
    : m_Regions(std::move(regions))
  {}

  const std::vector<LabelPixel> & Regions() const { return m_Regions; } ///< initial region labels
  const std::vector<MergeStep> &  Steps() const { return m_Steps; }
  std::size_t                     NumberOfMerges() const { return m_Steps.size(); }
  void                            Append(const MergeStep & step) { m_Steps.push_back(step); }

  /** Level of a weight threshold: the number of leading merges whose weight is < threshold
   * (the merges greedy merging with that threshold would have made). */
  std::size_t LevelForThreshold(double threshold) const;
  /** label -> label after the first `level` merges (65536 entries; identity for other labels,
   * 0 stays 0). \throws Error when level exceeds NumberOfMerges(). */
  std::vector<LabelPixel> LabelMap(std::size_t level) const;
  /** The label image after the first `level` merges (same grid; merged regions carry their
   * surviving label). */
  template <unsigned int D>
  typename LabelImage<D>::Pointer Apply(const LabelImage<D> * labels, std::size_t level) const;

  /** CSV: header "step,from,into,weight,size", one merge per line (step from 1). */
  std::string ToCsv() const;
  /** JSON: {"regions": [...], "merges": [{"step":1,"from":..,"into":..,"weight":..,"size":..}, ...]}. */
  std::string ToJson() const;

private:
  std::vector<LabelPixel> m_Regions;
  std::vector<MergeStep>  m_Steps;
};

extern template LabelImage<2>::Pointer MergeHierarchy::Apply<2>(const LabelImage<2> *, std::size_t) const;
extern template LabelImage<3>::Pointer MergeHierarchy::Apply<3>(const LabelImage<3> *, std::size_t) const;
} // namespace tessera

#endif
