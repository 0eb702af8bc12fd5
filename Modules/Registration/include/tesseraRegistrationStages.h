#ifndef tesseraRegistrationStages_h
#define tesseraRegistrationStages_h

#include "tesseraStage.h"

namespace tessera
{
/** Adds register and warp. */
void RegisterRegistrationStages(StageRegistry & registry);
} // namespace tessera

#endif
