// Fuzz target of label tables: LabelTable::FromJson on the input as text. A table it accepts
// must survive ToJson and FromJson unchanged (the table an image carries is re-read from the JSON
// written into its header); a difference aborts, as a finding. tessera::Error, or any
// std::exception, is a clean refusal.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "tesseraLabelTable.h"

extern "C" int
LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
  std::string written;
  try
  {
    written = tessera::LabelTable::FromJson(std::string(reinterpret_cast<const char *>(data), size), "fuzz").ToJson();
  }
  catch (const std::exception &)
  {
    return 0;
  }
  const std::string again = tessera::LabelTable::FromJson(written, "written").ToJson();
  if (again != written)
  {
    std::fprintf(stderr, "label table changed through ToJson/FromJson:\n%s\n%s\n", written.c_str(), again.c_str());
    std::abort();
  }
  return 0;
}
