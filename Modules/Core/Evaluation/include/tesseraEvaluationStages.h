#ifndef tesseraEvaluationStages_h
#define tesseraEvaluationStages_h

#include "tesseraStage.h"

namespace tessera
{
/** Registers evaluate. */
void RegisterEvaluationStages(StageRegistry & registry);
} // namespace tessera

#endif
