#include "tesseraStages.h"

#include "tesseraAtlasStages.h"
#include "tesseraClassificationStages.h"
#include "tesseraCommonStages.h"
#include "tesseraEvaluationStages.h"
#include "tesseraLearningStages.h"
#include "tesseraMRFStages.h"
#include "tesseraPipeline.h"
#include "tesseraPipelineRunner.h"
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
    SetPipelineRunner([](const std::string & path, const std::map<std::string, std::string> & variables, const RunOptions & options) {
      Pipeline::Load(path, variables).Run(options);
    });
    return r;
  }();
  return registry;
}
} // namespace tessera
