#ifndef tesseraFuzzInputFile_h
#define tesseraFuzzInputFile_h

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <unistd.h>

namespace tessera
{
/** A folder of this process's own under the temporary directory, made on the first call and
 * removed at exit, where fuzz targets write the files their readers take (readers take paths). */
inline const std::filesystem::path &
FuzzFolder()
{
  struct Folder
  {
    std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("tessera-fuzz-" + std::to_string(::getpid()));
    Folder() { std::filesystem::create_directories(path); }
    ~Folder()
    {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Folder folder;
  return folder.path;
}

/** Writes the bytes to FuzzFolder()/name, replacing what the last input left there; returns the path. */
inline std::string
WriteFuzzFile(const std::string & name, const std::uint8_t * data, std::size_t size)
{
  const std::string path = (FuzzFolder() / name).string();
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char *>(data), size);
  return path;
}
} // namespace tessera

#endif
