// Fuzz target of training configs: the input is written as config.json and read by
// ReadTrainingConfig, beside the files a config names (images/a.png, labels/a.png and
// labels.json, a label table), so that inputs get past the data checks to the class settings.
// tessera::Error, or any std::exception, is a clean refusal.
#include <cstdint>
#include <exception>

#include "tesseraFuzzInputFile.h"
#include "tesseraTrainingConfig.h"

namespace
{
/** The files the corpus configs name; only their names matter to ReadTrainingConfig. */
void
WriteDataFiles()
{
  const std::string png = "\x89PNG";
  const std::string table = R"({"labels": [{"id": 0, "name": "Background", "ignore": true},
                                           {"id": 1, "name": "Cell", "color": [255, 0, 0]},
                                           {"id": 2, "name": "Membrane", "color": [0, 255, 0]}]})";
  std::filesystem::create_directories(tessera::FuzzFolder() / "images");
  std::filesystem::create_directories(tessera::FuzzFolder() / "labels");
  for (const char * name : { "images/a.png", "labels/a.png" })
  {
    tessera::WriteFuzzFile(name, reinterpret_cast<const std::uint8_t *>(png.data()), png.size());
  }
  tessera::WriteFuzzFile("labels.json", reinterpret_cast<const std::uint8_t *>(table.data()), table.size());
}
} // namespace

extern "C" int
LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
  static const bool written = (WriteDataFiles(), true);
  (void)written;
  try
  {
    tessera::ReadTrainingConfig(tessera::WriteFuzzFile("config.json", data, size));
  }
  catch (const std::exception &)
  {
  }
  return 0;
}
