#ifndef tesseraLearningStages_h
#define tesseraLearningStages_h

#include "tesseraStage.h"

namespace tessera
{
/** Registers train and predict (the CNN filter as a stage). */
void RegisterLearningStages(StageRegistry & registry);
} // namespace tessera

#endif
