// The main of the Fuzz.* tests: every input given (a file, or each file of a folder, in name
// order) goes once through the target's LLVMFuzzerTestOneInput, as libFuzzer would run it. So
// every build, GCC's included, replays the seed corpora and the crash reproducers.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size);

namespace fs = std::filesystem;

int
main(int argc, char ** argv)
{
  std::vector<fs::path> inputs;
  for (int a = 1; a < argc; ++a)
  {
    const fs::path given(argv[a]);
    if (fs::is_directory(given))
    {
      std::vector<fs::path> files;
      for (const auto & entry : fs::directory_iterator(given))
      {
        if (entry.is_regular_file())
        {
          files.push_back(entry.path());
        }
      }
      std::sort(files.begin(), files.end());
      inputs.insert(inputs.end(), files.begin(), files.end());
    }
    else if (fs::is_regular_file(given))
    {
      inputs.push_back(given);
    }
    else if (given.parent_path().filename() != "regressions")
    {
      // regressions/<target>/ appears with the target's first crash; any other path is a mistake.
      std::cerr << given.string() << ": no such file or folder\n";
      return 1;
    }
  }
  for (const auto & path : inputs)
  {
    std::cout << path.string() << std::endl; // before running it, so that a crash names its input
    std::ifstream                   in(path, std::ios::binary);
    const std::vector<std::uint8_t> bytes{ std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>() };
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  }
  std::cout << inputs.size() << " inputs replayed\n";
  return inputs.empty() ? 1 : 0;
}
