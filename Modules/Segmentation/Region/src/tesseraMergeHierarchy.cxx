#include "tesseraMergeHierarchy.h"

#include <cmath>
#include <iomanip>
#include <sstream>

#include "tesseraDisjointSets.h"
#include "tesseraError.h"

namespace tessera
{
std::size_t
MergeHierarchy::LevelForThreshold(double threshold) const
{
  std::size_t k = 0;
  while (k < m_Steps.size() && m_Steps[k].weight < threshold)
  {
    ++k;
  }
  return k;
}

std::vector<LabelPixel>
MergeHierarchy::LabelMap(std::size_t level) const
{
  if (level > m_Steps.size())
  {
    throw Error("level", "the hierarchy has " + std::to_string(m_Steps.size()) + " merges, not " + std::to_string(level));
  }
  DisjointSets<LabelPixel> sets(65536);
  for (std::size_t k = 0; k < level; ++k)
  {
    // `into` keeps its label: it is the root of its set when the merge happens.
    sets.Join(m_Steps[k].from, m_Steps[k].into);
  }
  std::vector<LabelPixel> map(65536);
  for (std::size_t l = 0; l < 65536; ++l)
  {
    map[l] = sets.Find(static_cast<LabelPixel>(l));
  }
  return map;
}

template <unsigned int D>
typename LabelImage<D>::Pointer
MergeHierarchy::Apply(const LabelImage<D> * labels, std::size_t level) const
{
  const auto map = LabelMap(level);
  auto       out = LabelImage<D>::New();
  out->CopyInformation(labels);
  out->SetRegions(labels->GetBufferedRegion());
  out->Allocate();
  const std::size_t  n = labels->GetBufferedRegion().GetNumberOfPixels();
  const LabelPixel * in = labels->GetBufferPointer();
  LabelPixel *       o = out->GetBufferPointer();
  for (std::size_t i = 0; i < n; ++i)
  {
    o[i] = map[in[i]];
  }
  return out;
}

namespace
{
std::string
FormatWeight(double w)
{
  if (std::isnan(w))
  {
    return "null";
  }
  std::ostringstream s;
  s << std::setprecision(17) << w;
  return s.str();
}
} // namespace

std::string
MergeHierarchy::ToCsv() const
{
  std::ostringstream s;
  s << "step,from,into,weight,size\n";
  for (std::size_t k = 0; k < m_Steps.size(); ++k)
  {
    const auto & m = m_Steps[k];
    const auto   w = FormatWeight(m.weight);
    s << k + 1 << "," << m.from << "," << m.into << "," << (w == "null" ? "nan" : w) << "," << m.size << "\n";
  }
  return s.str();
}

std::string
MergeHierarchy::ToJson() const
{
  std::ostringstream s;
  s << "{\n  \"regions\": [";
  for (std::size_t i = 0; i < m_Regions.size(); ++i)
  {
    s << (i ? ", " : "") << m_Regions[i];
  }
  s << "],\n  \"merges\": [";
  for (std::size_t k = 0; k < m_Steps.size(); ++k)
  {
    const auto & m = m_Steps[k];
    s << (k ? ",\n    " : "\n    ") << "{\"step\": " << k + 1 << ", \"from\": " << m.from << ", \"into\": " << m.into
      << ", \"weight\": " << FormatWeight(m.weight) << ", \"size\": " << m.size << "}";
  }
  s << (m_Steps.empty() ? "]\n}\n" : "\n  ]\n}\n");
  return s.str();
}

template LabelImage<2>::Pointer MergeHierarchy::Apply<2>(const LabelImage<2> *, std::size_t) const;
template LabelImage<3>::Pointer MergeHierarchy::Apply<3>(const LabelImage<3> *, std::size_t) const;
} // namespace tessera
