#ifndef tesseraApplication_h
#define tesseraApplication_h

#include <functional>
#include <map>
#include <string>

#include <CLI/CLI.hpp>

namespace tessera
{
/** Adds an application's options to its subcommand and sets the subcommand's callback. */
using ApplicationSetup = std::function<void(CLI::App & subcommand)>;

/** Every Applications/tessera<Name>.cxx registers its subcommand with one static
 *   `const ApplicationRegistration registration{"name", "one-line summary", Setup};`
 * and the launcher picks it up; no central list to edit. */
struct ApplicationRegistration
{
  ApplicationRegistration(const std::string & name, const std::string & summary, ApplicationSetup setup);
};

/** name → (summary, setup), sorted by name for --help. */
std::map<std::string, std::pair<std::string, ApplicationSetup>> & RegisteredApplications();

/** Options every application takes. */
struct CommonOptions
{
  bool         quiet = false;
  unsigned int threads = 0;
  unsigned int seed = 0;
};

/** Adds --quiet, --threads and (when withSeed) --seed, documented with their defaults. */
void AddCommonOptions(CLI::App & subcommand, CommonOptions & options, bool withSeed = false);
/** Sets ITK's thread count from --threads (0 = all cores). */
void ApplyCommonOptions(const CommonOptions & options);
/** Prints a result line (to stdout) unless --quiet. */
void PrintResult(const CommonOptions & options, const std::string & line);
} // namespace tessera

#endif
