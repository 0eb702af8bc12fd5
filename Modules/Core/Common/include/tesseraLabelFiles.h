#ifndef tesseraLabelFiles_h
#define tesseraLabelFiles_h

#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <vector>

#include "itkMetaDataDictionary.h"
#include "tesseraFigureFiles.h"
#include "tesseraImageIO.h"
#include "tesseraProbabilityImage.h"

/** \file The label table in the files viewers read beside a label image: ITK-SNAP's label
 * description file, 3D Slicer's colour table, and the segment keys of a Slicer `.seg.nrrd`. */
namespace tessera
{
/** ITK-SNAP's label description file ("ITK-SnAP Label Description File": one line per label,
 * `IDX R G B A VIS MSH "LABEL"`, A in [0, 1]). Label 0 is "Clear Label" unless the table names it
 * as a class; ignored labels are listed hidden (A = 0, VIS = 0). */
std::string ItkSnapLabelDescription(const LabelTable & table);

/** 3D Slicer's colour table (vtkMRMLColorTableStorageNode: `# comment` lines, then one
 * `label name R G B A` line per label, all 0–255). Slicer splits on white space, so spaces in
 * names become underscores; ignored labels have A = 0. */
std::string SlicerColorTable(const LabelTable & table);

/** A BIDS segmentation table (dseg.tsv: `index`, `name`, `color` as #rrggbb, tab-separated). */
std::string BidsSegmentationTable(const LabelTable & table);

/** True for a BIDS segmentation name ("..._dseg.nii.gz"): its dseg.tsv goes beside it ("..._dseg.tsv"). */
bool IsBidsSegmentationPath(const std::string & path);

/** "dir/p.nii.gz" → "dir/p.itksnap.txt" and "dir/p.ctbl": where the label files of a label image go. */
std::string ItkSnapLabelDescriptionPath(const std::string & imagePath);
std::string SlicerColorTablePath(const std::string & imagePath);

/** True for a path that names a 3D Slicer segmentation ("*.seg.nrrd"). */
bool IsSlicerSegmentationPath(const std::string & path);

/** Voxel index bounds of one label: first and last index per axis (3 axes; 0 0 for a 2D image's third). */
using LabelExtent = std::array<long, 6>;

/** Adds the header keys that make a NRRD label map a 3D Slicer segmentation
 * (Segmentation_MasterRepresentation, Segment<i>_ID/_Name/_Color/_LabelValue/_Layer/_Extent/_Tags;
 * Slicer's vtkMRMLSegmentationStorageNode). One segment per label present (`extents`), in
 * ascending order, named and coloured from the table; label 0 is the empty background in Slicer,
 * so it is never a segment, and neither is an ignored label. */
void AddSlicerSegmentationKeys(itk::MetaDataDictionary & header, const LabelTable & table,
                               const std::map<LabelPixel, LabelExtent> & extents);

/** The labels present in an image and the voxel index bounds of each: one pass over the buffer,
 * rows at a time (a table indexed by label, no lookup per voxel). */
template <unsigned int D>
std::map<LabelPixel, LabelExtent>
LabelExtents(const LabelImage<D> * labels)
{
  const auto           region = labels->GetBufferedRegion();
  const auto           size = region.GetSize();
  const std::size_t    n = region.GetNumberOfPixels();
  const LabelPixel *   p = labels->GetBufferPointer();
  std::vector<LabelExtent> box(n ? 1u + *std::max_element(p, p + n) : 0u);
  std::vector<std::size_t> lastRow(box.size(), 0); // 1 + the last row that held the label; 0: absent
  std::size_t              row = 0;
  for (std::size_t start = 0; start < n; start += size[0], ++row)
  {
    // Index of the row along axes 1 and 2.
    long y = 0, z = 0;
    if (D > 1)
    {
      y = region.GetIndex()[1] + static_cast<long>(row % size[1]);
    }
    if (D > 2)
    {
      z = region.GetIndex()[2] + static_cast<long>(row / size[1]);
    }
    for (std::size_t x = 0; x < size[0]; ++x)
    {
      const LabelPixel l = p[start + x];
      const long       i = region.GetIndex()[0] + static_cast<long>(x);
      LabelExtent &    b = box[l];
      if (lastRow[l] == 0)
      {
        b = { i, i, y, y, z, z };
      }
      else
      {
        b[0] = std::min(b[0], i);
        b[1] = std::max(b[1], i);
        if (lastRow[l] != row + 1) // first voxel of the label in this row
        {
          b[2] = std::min(b[2], y);
          b[3] = std::max(b[3], y);
          b[4] = std::min(b[4], z);
          b[5] = std::max(b[5], z);
        }
      }
      lastRow[l] = row + 1;
    }
  }
  std::map<LabelPixel, LabelExtent> extents;
  for (std::size_t l = 0; l < box.size(); ++l)
  {
    if (lastRow[l])
    {
      extents.emplace(static_cast<LabelPixel>(l), box[l]);
    }
  }
  return extents;
}

/** "dir/p.nii.gz" → "dir/p.colours.png": where the colour picture of a label image goes. */
std::string LabelColoursPath(const std::string & imagePath);

/** Writes a label image into `out` with the files viewers read beside it: ITK-SNAP's label
 * description and Slicer's colour table (from the table the image carries, else its labels
 * numbered), for a "*.seg.nrrd" path the Slicer segmentation keys in the header, for a BIDS
 * "*_dseg" name its dseg.tsv, and with `colours` the labels in their colours as a PNG
 * (LabelColoursPath; a volume as its three middle views, as overlays show them).
 * \throws Error naming the file when a write fails. */
template <unsigned int D>
void
WriteLabelImageForViewers(LabelImage<D> * labels, AtomicOutput & out, bool colours = false)
{
  LabelTable table = GetLabelTable(labels, out.FinalPath());
  // The labels present, from a pass over the voxels that only a table-less image or a Slicer segmentation needs.
  const bool slicer = IsSlicerSegmentationPath(out.FinalPath());
  const auto extents = table.Empty() || slicer ? LabelExtents<D>(labels) : std::map<LabelPixel, LabelExtent>{};
  if (table.Empty())
  {
    std::vector<LabelPixel> present;
    for (const auto & e : extents)
    {
      present.push_back(e.first);
    }
    table = LabelTable::Numbered(present);
  }
  if (slicer)
  {
    const itk::MetaDataDictionary original = labels->GetMetaDataDictionary();
    AddSlicerSegmentationKeys(labels->GetMetaDataDictionary(), table, extents);
    try
    {
      WriteImageFile(labels, out);
    }
    catch (...)
    {
      labels->SetMetaDataDictionary(original);
      throw;
    }
    labels->SetMetaDataDictionary(original);
  }
  else
  {
    WriteImageFile(labels, out);
  }
  WriteSidecarFile(out, ItkSnapLabelDescriptionPath(out.FinalPath()), ItkSnapLabelDescription(table));
  WriteSidecarFile(out, SlicerColorTablePath(out.FinalPath()), SlicerColorTable(table));
  if (IsBidsSegmentationPath(out.FinalPath()))
  {
    WriteSidecarFile(out, SplitExtension(out.FinalPath()).first + ".tsv", BidsSegmentationTable(table));
  }
  if (colours)
  {
    // The overlay of the labels over black at full opacity: each voxel its label's colour.
    auto black = VectorImage<D>::New();
    black->CopyInformation(labels);
    black->SetRegions(labels->GetBufferedRegion());
    black->SetNumberOfComponentsPerPixel(1);
    black->Allocate(true);
    OverlayOptions options;
    options.opacity = 1.0;
    options.legend = false;
    options.minimumPanel = 0;
    const std::string path = LabelColoursPath(out.FinalPath());
    WriteOverlay<D>(black, labels, table,
                    (std::filesystem::path(out.TemporaryPath()).parent_path() / std::filesystem::path(path).filename()).string(),
                    options);
  }
}
} // namespace tessera

#endif
