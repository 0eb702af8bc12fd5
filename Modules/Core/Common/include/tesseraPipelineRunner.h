#ifndef tesseraPipelineRunner_h
#define tesseraPipelineRunner_h

#include <functional>
#include <map>
#include <string>

#include "tesseraStage.h"

namespace tessera
{
/** Runs a pipeline file with its $variables. Set by the Pipeline module (Stages()): modules below it that need a
 * pipeline, e.g. `train` for pseudo-labels from a classical pipeline, call RunPipelineFile() instead of depending
 * upward on it. */
using PipelineRunner =
  std::function<void(const std::string & path, const std::map<std::string, std::string> & variables, const RunOptions & options)>;

/** Replaces the runner (an empty one: none). */
void SetPipelineRunner(PipelineRunner runner);

/** \throws Error(path, ...) when the program has no pipeline runner, or the pipeline's own errors. */
void RunPipelineFile(const std::string & path, const std::map<std::string, std::string> & variables, const RunOptions & options);
} // namespace tessera

#endif
