#ifndef tesseraProbabilityImage_h
#define tesseraProbabilityImage_h

#include <cmath>
#include <sstream>
#include <string>

#include "itkMetaDataObject.h"
#include "tesseraImageIO.h"
#include "tesseraImageUtilities.h"
#include "tesseraLabelTable.h"

/** \file ProbabilityImage<D> and the label table it carries (DESIGN.md, "One currency"):
 * component i is the probability of the i-th label of the table, in ascending label order, so a
 * 2-class prediction with labels 0 and 255 has 2 components and an atlas with labels up to 2035
 * has one component per structure. The table travels in the image's MetaDataDictionary
 * (LabelTableKey) and, on disk, in the NRRD/MetaImage header or a `.labels.json` sidecar.
 * A pixel whose components are all 0 is unlabelled (outside a mask); otherwise they sum to 1. */
namespace tessera
{
/** Attaches table to an image (its MetaDataDictionary), replacing any table it had. */
inline void
SetLabelTable(itk::Object * image, const LabelTable & table)
{
  itk::EncapsulateMetaData<std::string>(image->GetMetaDataDictionary(), LabelTableKey, table.ToJson(true));
}

/** The table an image carries, or an empty one. \throws Error(name, ...) when it is malformed. */
inline LabelTable
GetLabelTable(const itk::Object * image, const std::string & name)
{
  std::string text;
  if (!itk::ExposeMetaData<std::string>(image->GetMetaDataDictionary(), LabelTableKey, text))
  {
    return {};
  }
  return LabelTable::FromJson(text, name);
}

/** The classes of a ProbabilityImage: the table it carries, or labels 0..C−1 when it carries
 * none (files made by other tools: component c = label c).
 * \throws Error(name, ...) when the table does not list one label per component. */
template <unsigned int D>
LabelTable
ClassTable(const ProbabilityImage<D> * probabilities, const std::string & name)
{
  const unsigned int c = probabilities->GetNumberOfComponentsPerPixel();
  LabelTable         table = GetLabelTable(probabilities, name);
  if (table.Empty())
  {
    std::vector<LabelPixel> labels(c);
    for (unsigned int i = 0; i < c; ++i)
    {
      labels[i] = static_cast<LabelPixel>(i);
    }
    return LabelTable::Numbered(labels);
  }
  if (table.Size() != c)
  {
    throw Error(name, "carries a label table of " + std::to_string(table.Size()) + " labels for " + std::to_string(c) +
                        " probability components");
  }
  return table;
}

/** Throws Error(name, ...) unless every pixel (inside the mask, when given) holds probabilities:
 * finite values in [0, 1] that sum to 1 (to 1e-3), or all 0 (unlabelled). */
template <unsigned int D>
void
CheckProbabilities(const ProbabilityImage<D> * probabilities, const std::string & name, const MaskImage<D> * mask = nullptr)
{
  const unsigned int c = probabilities->GetNumberOfComponentsPerPixel();
  const size_t       n = probabilities->GetLargestPossibleRegion().GetNumberOfPixels();
  const float *      p = probabilities->GetBufferPointer();
  for (size_t i = 0; i < n; ++i)
  {
    if (mask && !mask->GetBufferPointer()[i])
    {
      continue;
    }
    double sum = 0.0;
    bool   bad = false;
    for (unsigned int k = 0; k < c; ++k)
    {
      const float v = p[i * c + k];
      bad = bad || !(v >= -1e-6f && v <= 1.0f + 1e-6f);
      sum += v;
    }
    if (bad || !(sum == 0.0 || std::abs(sum - 1.0) <= 1e-3))
    {
      std::ostringstream s;
      s << "is not a probability image: voxel " << probabilities->ComputeIndex(static_cast<itk::OffsetValueType>(i))
        << (bad ? " has a value outside [0, 1]" : " has components summing to " + std::to_string(sum) + ", not 1");
      throw Error(name, s.str());
    }
  }
}

/** Reads a ProbabilityImage with its label table (header, sidecar, or labels 0..C−1) and checks
 * it holds probabilities. \throws Error naming the file. */
template <unsigned int D>
typename ProbabilityImage<D>::Pointer
ReadProbabilityImage(const std::string & path)
{
  const ImageInfo info = ReadImageInfo(path);
  if (info.pixelType == "complex" || info.componentType.find("complex") != std::string::npos)
  {
    throw Error(path, "is not a probability image: complex pixels");
  }
  auto              image = ReadImageFile<ProbabilityImage<D>>(path);
  const std::string text = ReadLabelTableText(path, image->GetMetaDataDictionary());
  if (!text.empty())
  {
    SetLabelTable(image, LabelTable::FromJson(text, path));
  }
  SetLabelTable(image, ClassTable<D>(image, path));
  CheckProbabilities<D>(image, path);
  return image;
}

/** The label of the most probable class at each pixel (the table's label of the argmax
 * component; ties go to the lower label); `unlabelled` where all components are 0 or the mask is 0. */
template <unsigned int D>
typename LabelImage<D>::Pointer
ArgMaxLabels(const ProbabilityImage<D> * probabilities, const MaskImage<D> * mask, const std::string & name,
             LabelPixel unlabelled = 0)
{
  const auto         labels = ClassTable<D>(probabilities, name).Labels();
  const unsigned int c = probabilities->GetNumberOfComponentsPerPixel();
  auto               out = LabelImage<D>::New();
  out->CopyInformation(probabilities);
  out->SetRegions(probabilities->GetLargestPossibleRegion());
  out->Allocate();
  const size_t  n = out->GetLargestPossibleRegion().GetNumberOfPixels();
  const float * p = probabilities->GetBufferPointer();
  for (size_t i = 0; i < n; ++i)
  {
    const float * row = p + i * c;
    const auto    best = std::max_element(row, row + c) - row;
    const bool    outside = (mask && !mask->GetBufferPointer()[i]) || row[best] <= 0.0f;
    out->GetBufferPointer()[i] = outside ? unlabelled : labels[best];
  }
  return out;
}
} // namespace tessera

#endif
