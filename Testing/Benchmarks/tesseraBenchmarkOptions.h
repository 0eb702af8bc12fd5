#ifndef tesseraBenchmarkOptions_h
#define tesseraBenchmarkOptions_h

// What the benchmark programs share: `--name value` options and the MICCAI brain they default to.
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

/** Reads `--name value` pairs: -h/--help prints `usage` and exits 0; each pair goes to take(name, value), which
 * returns false for a name it does not know. \throws tessera::Error for a name without a value or unknown. */
template <typename Take>
void
ReadOptionPairs(int argc, char * argv[], const std::string & usage, Take take)
{
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
    if (!take(a, std::string(argv[++i])))
    {
      throw Error(a, "unknown option (see --help)");
    }
  }
}
} // namespace tessera::benchmark

#endif
