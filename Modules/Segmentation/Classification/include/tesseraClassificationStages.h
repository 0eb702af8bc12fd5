#ifndef tesseraClassificationStages_h
#define tesseraClassificationStages_h

#include "tesseraStage.h"

namespace tessera
{
/** Registers kmeans, gmm, "knn train" and "knn apply". */
void RegisterClassificationStages(StageRegistry & registry);

/** The ports every pixel classifier shares: intensities and an optional mask in; labels,
 * probabilities and an overlay out (with an optional label table naming the classes). */
void AddClassifierPorts(StageDescription & stage, const std::string & inputDoc);

/** The number of unsupervised classes K (labels 1..K), as kmeans, gmm and segment take it. */
ParameterDescription ClassesParameter();
} // namespace tessera

#endif
