#include "tesseraStages.h"

#include "tesseraAtlasStages.h"
#include "tesseraClassificationStages.h"
#include "tesseraCommonStages.h"
#include "tesseraEvaluationStages.h"
#include "tesseraLearningStages.h"
#include "tesseraMRFStages.h"
#include "tesseraRegionStages.h"
#include "tesseraRegistrationStages.h"

namespace tessera
{
const StageRegistry &
Stages()
{
  static const StageRegistry registry = [] {
    StageRegistry r;
    RegisterCommonStages(r);
    RegisterEvaluationStages(r);
    RegisterClassificationStages(r);
    RegisterMRFStages(r);
    RegisterRegionStages(r);
    RegisterRegistrationStages(r);
    RegisterAtlasStages(r);
    RegisterLearningStages(r);
    RegisterSegmentStage(r);
    return r;
  }();
  return registry;
}
} // namespace tessera
