#ifndef tesseraRegionStages_h
#define tesseraRegionStages_h

#include "tesseraStage.h"

namespace tessera
{
/** Registers region-grow, split-merge, watershed, superpixels and rag-merge. */
void RegisterRegionStages(StageRegistry & registry);
} // namespace tessera

#endif
