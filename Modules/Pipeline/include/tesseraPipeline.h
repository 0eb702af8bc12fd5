#ifndef tesseraPipeline_h
#define tesseraPipeline_h

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tesseraStage.h"

/** \file Pipelines from files: a declarative chain of registered stages run in memory.
 * \code
 * {"description": "CNN -> Potts MRF on ISBI 2012",
 *  "steps": [
 *    {"name": "cnn", "stage": "predict",
 *     "inputs": {"input": "$input", "model": "$model"}, "parameters": {"window": "256x256"}},
 *    {"name": "potts", "stage": "mrf", "inputs": {"input": "cnn.probabilities"},
 *     "parameters": {"smoothness": 0.5}, "outputs": {"output": "$output"}}]}
 * \endcode
 * An input is an earlier step's output ("step.port"), a variable ("$name", given at run time)
 * or a file. Parameters are the stage's (as its --help and Documentation page list them).
 * Everything is checked before anything runs; outputs are written together at the end. */
namespace tessera
{
struct PipelineStep
{
  std::string                        name;
  const StageDescription *           stage = nullptr;
  std::map<std::string, std::string> inputs;  ///< port → "step.port", or a file
  std::map<std::string, std::string> outputs; ///< port → file
  ParameterValues                    parameters;
  int                                line = 0; ///< where the step's "stage" key is, for messages
};

class Pipeline
{
public:
  /** Reads and checks a pipeline file, substituting $variables.
   * \throws Error("<file>:<line>", ...) naming the step, stage, key or variable at fault. */
  static Pipeline Load(const std::string & path, const std::map<std::string, std::string> & variables);
  /** The same from JSON text (path only names it in messages). */
  static Pipeline Parse(const std::string & text, const std::string & path,
                        const std::map<std::string, std::string> & variables);

  /** The plan: steps, their inputs, parameters (defaults included) and outputs. */
  std::string Plan() const;
  /** Runs every step in memory, then writes all outputs together (none if any step fails). */
  void Run(const RunOptions & options) const;

  const std::vector<PipelineStep> & Steps() const { return m_Steps; }
  const std::string &               Description() const { return m_Description; }
  /** The $variables the file uses. */
  static std::vector<std::string> Variables(const std::string & path);

private:
  std::string               m_Path;
  std::string               m_Description;
  std::vector<PipelineStep> m_Steps;
};
} // namespace tessera

#endif
