#ifndef tesseraCommandLine_h
#define tesseraCommandLine_h

// Runs the tessera launcher from a test and captures what it prints.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace tessera::testing
{
struct CommandResult
{
  int         exitCode = -1;
  std::string out;
  std::string err;

  /** stderr lines, without empty ones. */
  std::vector<std::string> ErrorLines() const
  {
    std::vector<std::string> lines;
    std::istringstream       s(err);
    for (std::string line; std::getline(s, line);)
    {
      if (!line.empty())
      {
        lines.push_back(line);
      }
    }
    return lines;
  }
};

/** A fresh, empty scratch folder for one test. */
inline std::filesystem::path
ScratchDir(const std::string & name)
{
  const auto dir = std::filesystem::temp_directory_path() / ("tessera-e2e-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

/** Runs `tessera <arguments>` (arguments already shell-quoted where needed). */
inline CommandResult
Tessera(const std::string & arguments)
{
  const auto dir = ScratchDir("command");
  const auto out = dir / "stdout.txt", err = dir / "stderr.txt";
  const std::string command = std::string(TESSERA_EXECUTABLE) + " " + arguments + " > " + out.string() + " 2> " + err.string();
  const int         status = std::system(command.c_str());
  CommandResult     r;
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::stringstream o, e;
  o << std::ifstream(out).rdbuf();
  e << std::ifstream(err).rdbuf();
  r.out = o.str();
  r.err = e.str();
  std::filesystem::remove_all(dir);
  return r;
}

inline std::string
ItkExample(const std::string & name)
{
  return std::string(TESSERA_ITK_EXAMPLES_DIR) + "/" + name;
}
inline std::string
SharedData(const std::string & path)
{
  return std::string(TESSERA_DATA_DIR) + "/" + path;
}
} // namespace tessera::testing

#endif
