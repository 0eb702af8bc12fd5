#ifndef tesseraCommonStages_h
#define tesseraCommonStages_h

#include "tesseraStage.h"

namespace tessera
{
/** Registers info, contact-sheet and the small stages users reach for between methods: argmax, threshold,
 * mask, remap, connected-components. */
void RegisterCommonStages(StageRegistry & registry);

/** A label remapping (e.g. Cityscapes' 34 label ids to its 8 categories) read from JSON:
 * \code
 * {"mapping": {"7": 1, "8": 1, ...}, "labels": [{"id": 1, "name": "flat"}, ...]}
 * \endcode
 * "labels" (optional) is the label table of the output. \throws Error naming the file. */
struct LabelMapping
{
  std::map<LabelPixel, LabelPixel> mapping;
  LabelTable                       table;
  static LabelMapping Load(const std::string & path);
};
} // namespace tessera

#endif
