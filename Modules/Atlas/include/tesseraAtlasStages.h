#ifndef tesseraAtlasStages_h
#define tesseraAtlasStages_h

#include "tesseraLabelFusion.h"
#include "tesseraStage.h"

namespace tessera
{
/** The parameters of label fusion (method, patch and search radius, JLF alpha/beta, vote gain,
 * STAPLE iterations), shared by `label-fusion` and `atlas-segment`. */
std::vector<ParameterDescription> FusionParameters();
FusionSettings                    FusionSettingsFrom(const ParameterValues & p);

/** label-fusion, atlas-segment. */
void RegisterAtlasStages(StageRegistry & registry);
} // namespace tessera

#endif
