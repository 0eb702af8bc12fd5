#ifndef tesseraContactSheet_h
#define tesseraContactSheet_h

#include <string>
#include <vector>

#include "tesseraOverlay.h"

namespace tessera
{
/** One row of a contact sheet: an image, its labels and, optionally, the reference labels. */
struct ContactSheetRow
{
  std::string image;
  std::string labels;
  std::string reference; ///< "" = none
};

/** The rows found in folders (or single files): every image of `images`, with the label image
 * of the same name (any image extension) from `labels` and, when given, from `references`.
 * \throws Error naming the folder when an image has no labels there, or when nothing is found. */
std::vector<ContactSheetRow> MatchContactSheetRows(const std::string & images, const std::string & labels,
                                                   const std::string & references);

/** A contact sheet: one row per image, its overlay (RenderOverlay) and, when given, the
 * reference's beside it, each scaled to `rowHeight` px and titled with the file name; one legend
 * (from `table`, else from the table the first label image carries) at the bottom. 2D and 3D
 * images may be mixed. \returns BGR 8-bit. \throws Error naming a file that cannot be read or
 * that differs in grid from its image. */
cv::Mat RenderContactSheet(const std::vector<ContactSheetRow> & rows, const LabelTable & table,
                           const OverlayOptions & options, int rowHeight = 256);
} // namespace tessera

#endif
