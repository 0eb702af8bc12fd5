#ifndef tesseraBenchmarkOptions_h
#define tesseraBenchmarkOptions_h

// What the benchmark programs share: `--name value` options and the MICCAI brain they default to.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>

#include "tesseraError.h"

namespace tessera::benchmark
{
/** MICCAI 2012 subject 1000: `what` is "SS" (the skull-stripped T1) or "mask". */
inline std::string
MiccaiBrain(const std::string & what)
{
  return std::string(TESSERA_DATA_DIR) + "/miccai2012-multiatlas/1000_" + what + ".nii.gz";
}

/** "dir/1000_SS.nii.gz" → "1000_SS". */
inline std::string
SubjectOfPath(const std::string & path)
{
  const std::string name = path.substr(path.find_last_of('/') + 1);
  return name.substr(0, name.find('.'));
}

/** The options every brain benchmark takes: --image, --mask, --subject (default: the image's file name without its
 * extension) and --repeats. */
struct BrainOptions
{
  std::string  image = MiccaiBrain("SS");
  std::string  mask = MiccaiBrain("mask");
  std::string  subject;
  unsigned int repeats = 5;
};

/** Reads `--name value` pairs into `options` (a BrainOptions with more fields): -h/--help prints `usage` and exits
 * 0; the BrainOptions are read here, every other pair goes to take(name, value), which returns false for a name it
 * does not know. \throws tessera::Error for a name without a value or unknown. */
template <typename TOptions, typename Take>
void
ReadOptions(int argc, char * argv[], const std::string & usage, TOptions & options, Take take)
{
  BrainOptions & brain = options;
  for (int i = 1; i < argc; ++i)
  {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help")
    {
      std::cout << usage;
      std::exit(0);
    }
    if (i + 1 >= argc)
    {
      throw Error(a, "needs a value (see --help)");
    }
    const std::string v = argv[++i];
    if (a == "--image") brain.image = v;
    else if (a == "--mask") brain.mask = v;
    else if (a == "--subject") brain.subject = v;
    else if (a == "--repeats") brain.repeats = static_cast<unsigned int>(std::max(1, std::stoi(v)));
    else if (!take(a, v)) throw Error(a, "unknown option (see --help)");
  }
  if (brain.subject.empty())
  {
    brain.subject = SubjectOfPath(brain.image);
  }
}
} // namespace tessera::benchmark

#endif
