#include "tesseraAtlasMirror.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <vector>

namespace tessera
{
namespace
{
enum class Side
{
  None,
  Left,
  Right
};

bool
IsSeparator(char c)
{
  return c == ' ' || c == '-' || c == '_' || c == '.';
}

/** The side a name marks and the name without the mark ("left hippocampus" -> Left, "hippocampus"). */
std::pair<Side, std::string>
SideOf(std::string name)
{
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto & [word, side] : { std::pair<std::string, Side>{ "left", Side::Left }, { "right", Side::Right } })
  {
    if (name.size() > word.size() + 1 && name.compare(0, word.size(), word) == 0 && IsSeparator(name[word.size()]))
      return { side, name.substr(word.size() + 1) };
  }
  for (const auto & [word, side] : { std::pair<std::string, Side>{ "left", Side::Left },
                                     { "right", Side::Right },
                                     { "l", Side::Left },
                                     { "r", Side::Right } })
  {
    const size_t n = name.size();
    if (n > word.size() + 1 && name.compare(n - word.size(), word.size(), word) == 0 &&
        IsSeparator(name[n - word.size() - 1]))
      return { side, name.substr(0, n - word.size() - 1) };
  }
  return { Side::None, name };
}
} // namespace

std::map<LabelPixel, LabelPixel>
LeftRightLabelPairs(const LabelTable & table)
{
  std::map<std::string, LabelPixel> left, right;
  for (const auto & [label, entry] : table.Entries())
  {
    const auto [side, rest] = SideOf(entry.name);
    if (side != Side::None)
      (side == Side::Left ? left : right).emplace(rest, label);
  }
  std::map<LabelPixel, LabelPixel> pairs;
  for (const auto & [rest, label] : left)
  {
    const auto other = right.find(rest);
    if (other != right.end())
    {
      pairs[label] = other->second;
      pairs[other->second] = label;
    }
  }
  return pairs;
}

template <unsigned int D>
unsigned int
LeftRightAxis(const itk::ImageBase<D> * image)
{
  unsigned int axis = 0;
  for (unsigned int d = 1; d < D; ++d)
  {
    if (std::fabs(image->GetDirection()[0][d]) > std::fabs(image->GetDirection()[0][axis]))
      axis = d;
  }
  return axis;
}

template <typename TImage>
typename TImage::Pointer
MirrorImage(const TImage * image, unsigned int axis)
{
  auto out = TImage::New();
  out->CopyInformation(image);
  out->SetRegions(image->GetLargestPossibleRegion());
  out->SetNumberOfComponentsPerPixel(image->GetNumberOfComponentsPerPixel());
  out->Allocate();
  const auto   size = image->GetLargestPossibleRegion().GetSize();
  size_t       stride = 1;
  for (unsigned int d = 0; d < axis; ++d)
    stride *= size[d];
  const size_t length = size[axis];
  const size_t block = stride * length; // voxels with the same index on the axes above `axis`
  const size_t n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  const auto * in = image->GetBufferPointer();
  auto *       o = out->GetBufferPointer();
  const size_t k = image->GetNumberOfComponentsPerPixel(); // 1 for scalar images
  for (size_t start = 0; start < n; start += block)
  {
    for (size_t i = 0; i < length; ++i)
    {
      const auto * from = in + (start + i * stride) * k;
      std::copy(from, from + stride * k, o + (start + (length - 1 - i) * stride) * k);
    }
  }
  return out;
}

template <unsigned int D>
typename LabelImage<D>::Pointer
MirrorLabels(const LabelImage<D> * labels, unsigned int axis, const std::map<LabelPixel, LabelPixel> & pairs)
{
  auto                    out = MirrorImage<LabelImage<D>>(labels, axis);
  std::vector<LabelPixel> swap(size_t{ 1 } << (8 * sizeof(LabelPixel)));
  for (size_t l = 0; l < swap.size(); ++l)
    swap[l] = static_cast<LabelPixel>(l);
  for (const auto & [from, to] : pairs)
    swap[from] = to;
  LabelPixel * p = out->GetBufferPointer();
  const size_t n = out->GetLargestPossibleRegion().GetNumberOfPixels();
  for (size_t i = 0; i < n; ++i)
    p[i] = swap[p[i]];
  return out;
}

template unsigned int LeftRightAxis<2>(const itk::ImageBase<2> *);
template unsigned int LeftRightAxis<3>(const itk::ImageBase<3> *);
template VectorImage<2>::Pointer MirrorImage<VectorImage<2>>(const VectorImage<2> *, unsigned int);
template VectorImage<3>::Pointer MirrorImage<VectorImage<3>>(const VectorImage<3> *, unsigned int);
template LabelImage<2>::Pointer  MirrorImage<LabelImage<2>>(const LabelImage<2> *, unsigned int);
template LabelImage<3>::Pointer  MirrorImage<LabelImage<3>>(const LabelImage<3> *, unsigned int);
template LabelImage<2>::Pointer  MirrorLabels<2>(const LabelImage<2> *, unsigned int, const std::map<LabelPixel, LabelPixel> &);
template LabelImage<3>::Pointer  MirrorLabels<3>(const LabelImage<3> *, unsigned int, const std::map<LabelPixel, LabelPixel> &);
} // namespace tessera
