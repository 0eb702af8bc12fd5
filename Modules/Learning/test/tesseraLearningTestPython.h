#ifndef tesseraLearningTestPython_h
#define tesseraLearningTestPython_h

// Helpers for Learning tests that compare with PyTorch: run a Python script (written by the test
// into a temporary folder, so nothing binary is committed) with /usr/bin/python3 and read the raw
// float32 tensors it writes.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace tessera
{
namespace test
{
inline const char * PythonExecutable()
{
  return "/usr/bin/python3";
}

/** Whether /usr/bin/python3 can import torch (tests that need it skip otherwise). */
inline bool
PythonTorchAvailable()
{
  static const bool available =
    std::system((std::string(PythonExecutable()) + " -c 'import torch' > /dev/null 2>&1").c_str()) == 0;
  return available;
}

/** A fresh temporary folder, removed on destruction. */
class TemporaryFolder
{
public:
  TemporaryFolder()
  {
    std::mt19937_64 random(std::random_device{}());
    m_Path = std::filesystem::temp_directory_path() / ("tessera-learning-" + std::to_string(random()));
    std::filesystem::create_directories(m_Path);
  }
  ~TemporaryFolder()
  {
    std::error_code ignored;
    std::filesystem::remove_all(m_Path, ignored);
  }
  std::string operator/(const std::string & name) const { return (m_Path / name).string(); }
  const std::filesystem::path & Path() const { return m_Path; }

private:
  std::filesystem::path m_Path;
};

/** Writes script into folder/name and runs it with the arguments; returns the exit status. */
inline int
RunPython(const TemporaryFolder & folder, const std::string & name, const std::string & script,
          const std::string & arguments)
{
  const std::string path = folder / name;
  std::ofstream(path) << script;
  const std::string command = std::string(PythonExecutable()) + " " + path + " " + arguments + " > " +
                              (folder / (name + ".log")) + " 2>&1";
  const int status = std::system(command.c_str());
  if (status != 0)
  {
    std::ifstream log(folder / (name + ".log"));
    std::cerr << std::string(std::istreambuf_iterator<char>(log), std::istreambuf_iterator<char>());
  }
  return status;
}

/** Reads a raw little-endian float32 file written by numpy's tofile() as a tensor of the given shape. */
inline torch::Tensor
ReadRawFloat(const std::string & path, const std::vector<int64_t> & shape)
{
  std::ifstream     file(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  int64_t           count = 1;
  for (int64_t s : shape)
  {
    count *= s;
  }
  if (static_cast<int64_t>(bytes.size()) != count * 4)
  {
    throw std::runtime_error(path + ": expected " + std::to_string(count * 4) + " bytes, read " +
                             std::to_string(bytes.size()));
  }
  return torch::from_blob(bytes.data(), shape, torch::kFloat).clone();
}
} // namespace test
} // namespace tessera

#endif
