// Fuzz target of pipeline files: Pipeline::Parse on the input as text, with the variables the
// documented pipelines use set, then the plan of a pipeline it accepts. tessera::Error, or any
// std::exception, is a clean refusal. Nothing runs: Parse checks everything before a run.
#include <cstdint>
#include <exception>
#include <string>

#include "tesseraPipeline.h"

extern "C" int
LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
  static const std::map<std::string, std::string> variables{
    { "input", "t1.nii.gz" }, { "output", "labels.nrrd" }, { "mask", "brain.nii.gz" }, { "model", "model.pt" }
  };
  try
  {
    tessera::Pipeline::Parse(std::string(reinterpret_cast<const char *>(data), size), "fuzz.json", variables).Plan();
  }
  catch (const std::exception &)
  {
  }
  return 0;
}
