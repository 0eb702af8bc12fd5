#include "tesseraPipelineRunner.h"

#include "tesseraError.h"

namespace tessera
{
namespace
{
// One runner per process: Common is a shared library, so the program and the modules it loads see the same one.
PipelineRunner &
Runner()
{
  static PipelineRunner runner;
  return runner;
}
} // namespace

void
SetPipelineRunner(PipelineRunner runner)
{
  Runner() = std::move(runner);
}

void
RunPipelineFile(const std::string & path, const std::map<std::string, std::string> & variables, const RunOptions & options)
{
  if (!Runner())
    throw Error(path, "this program cannot run pipelines (it has no Pipeline module)");
  Runner()(path, variables, options);
}
} // namespace tessera
