#ifndef tesseraStages_h
#define tesseraStages_h

#include "tesseraStage.h"

namespace tessera
{
/** Every stage of the toolkit, registered once on first use: the applications of the `tessera`
 * launcher and the steps of pipeline files. Each module contributes its own registration
 * function (Register<Module>Stages); this is the one list of them. */
const StageRegistry & Stages();

/** Registers segment: k-means -> Gaussian mixture EM -> Potts MRF in one stage. */
void RegisterSegmentStage(StageRegistry & registry);
} // namespace tessera

#endif
