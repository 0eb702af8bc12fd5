#include "tesseraConfusionMatrix.h"

#include <cmath>
#include <limits>

namespace tessera
{
namespace
{
double
Ratio(ConfusionMatrix::Count numerator, ConfusionMatrix::Count denominator)
{
  return denominator == 0 ? std::numeric_limits<double>::quiet_NaN() : double(numerator) / double(denominator);
}

template <typename TMap>
ConfusionMatrix::Count
Lookup(const TMap & map, const typename TMap::key_type & key)
{
  const auto it = map.find(key);
  return it == map.end() ? 0 : it->second;
}
} // namespace

void
ConfusionMatrix::Add(LabelPixel ref, LabelPixel seg, Count n)
{
  if (n < 0)
  {
    throw Error("ConfusionMatrix::Add", "negative count " + std::to_string(n));
  }
  if (n == 0)
  {
    return;
  }
  m_Pairs[{ ref, seg }] += n;
  m_Reference[ref] += n;
  m_Segmentation[seg] += n;
  m_Compared += n;
  if (ref == seg)
  {
    m_Correct += n;
  }
}

ConfusionMatrix &
ConfusionMatrix::operator+=(const ConfusionMatrix & other)
{
  for (const auto & [key, count] : other.m_Pairs)
  {
    Add(key.first, key.second, count);
  }
  m_Ignored += other.m_Ignored;
  return *this;
}

ConfusionMatrix::Count
ConfusionMatrix::Pairs(LabelPixel ref, LabelPixel seg) const
{
  return Lookup(m_Pairs, { ref, seg });
}

ConfusionMatrix::Count
ConfusionMatrix::ReferenceCount(LabelPixel c) const
{
  return Lookup(m_Reference, c);
}

ConfusionMatrix::Count
ConfusionMatrix::SegmentationCount(LabelPixel c) const
{
  return Lookup(m_Segmentation, c);
}

std::vector<LabelPixel>
ConfusionMatrix::Labels() const
{
  std::map<LabelPixel, bool> all;
  for (const auto & entry : m_Reference)
  {
    all[entry.first] = true;
  }
  for (const auto & entry : m_Segmentation)
  {
    all[entry.first] = true;
  }
  std::vector<LabelPixel> labels;
  for (const auto & entry : all)
  {
    labels.push_back(entry.first);
  }
  return labels;
}

std::vector<LabelPixel>
ConfusionMatrix::DefaultClasses(std::optional<LabelPixel> ignoreLabel, bool excludeBackground) const
{
  std::vector<LabelPixel> classes;
  for (LabelPixel c : Labels())
  {
    if ((ignoreLabel && c == *ignoreLabel) || (excludeBackground && c == 0))
    {
      continue;
    }
    classes.push_back(c);
  }
  return classes;
}

double
ConfusionMatrix::IoU(LabelPixel c) const
{
  const Count tp = TruePositives(c);
  return Ratio(tp, tp + FalsePositives(c) + FalseNegatives(c));
}

double
ConfusionMatrix::Dice(LabelPixel c) const
{
  const Count tp = TruePositives(c);
  return Ratio(2 * tp, 2 * tp + FalsePositives(c) + FalseNegatives(c));
}

double
ConfusionMatrix::Precision(LabelPixel c) const
{
  return Ratio(TruePositives(c), SegmentationCount(c));
}

double
ConfusionMatrix::Recall(LabelPixel c) const
{
  return Ratio(TruePositives(c), ReferenceCount(c));
}

double
ConfusionMatrix::PixelAccuracy() const
{
  return Ratio(m_Correct, m_Compared);
}

double
ConfusionMatrix::MeanIoU(const std::vector<LabelPixel> & classes) const
{
  std::vector<double> values;
  for (LabelPixel c : classes)
  {
    values.push_back(IoU(c));
  }
  return NanMean(values);
}

double
ConfusionMatrix::MeanDice(const std::vector<LabelPixel> & classes) const
{
  std::vector<double> values;
  for (LabelPixel c : classes)
  {
    values.push_back(Dice(c));
  }
  return NanMean(values);
}

double
NanMean(const std::vector<double> & values)
{
  double sum = 0;
  int    n = 0;
  for (double v : values)
  {
    if (!std::isnan(v))
    {
      sum += v;
      ++n;
    }
  }
  return n == 0 ? std::numeric_limits<double>::quiet_NaN() : sum / n;
}

template ConfusionMatrix ConfusionMatrix::Compute<2>(const LabelImage<2> *, const LabelImage<2> *,
                                                      std::optional<LabelPixel>, const std::string &,
                                                      const std::string &);
template ConfusionMatrix ConfusionMatrix::Compute<3>(const LabelImage<3> *, const LabelImage<3> *,
                                                      std::optional<LabelPixel>, const std::string &,
                                                      const std::string &);
} // namespace tessera
