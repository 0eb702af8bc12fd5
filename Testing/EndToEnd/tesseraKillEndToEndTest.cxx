// Killed runs: SIGKILL at moments spread over a whole run (reading, the method, writing, committing) never
// leaves a partial or stray file visible, and every output is either the previous run's, whole, or the new
// one's, whole. The temporary folder of a killed run is hidden and removed by the next run into the folder.
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <random>
#include <spawn.h>
#include <sys/wait.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tesseraCommandLine.h"
#include "tesseraImageIO.h"
#include "tesseraRunRecord.h"

using namespace tessera;
using namespace tessera::testing;
namespace fs = std::filesystem;

extern char ** environ;

namespace
{
/** `tessera kmeans` on a MICCAI brain into dir: labels (with their viewer files), overlay, run record. */
std::vector<std::string>
KMeansArguments(const fs::path & dir, unsigned int classes)
{
  return { TESSERA_EXECUTABLE, "kmeans", "-q", "-i", SharedData("miccai2012-multiatlas/1000_SS.nii.gz"), "--mask",
           SharedData("miccai2012-multiatlas/1000_mask.nii.gz"), "--classes", std::to_string(classes), "-o",
           (dir / "labels.nii.gz").string(), "--overlay", (dir / "labels.png").string() };
}

/** Runs the command; with a delay, kills it with SIGKILL after that many microseconds (if still running).
 * \returns the wall time in seconds. */
double
RunTessera(const std::vector<std::string> & arguments, long killAfterMicroseconds = -1)
{
  std::vector<char *> argv;
  for (const auto & a : arguments)
  {
    argv.push_back(const_cast<char *>(a.c_str()));
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  const auto start = std::chrono::steady_clock::now();
  pid_t      pid = 0;
  EXPECT_EQ(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  if (killAfterMicroseconds >= 0)
  {
    ::usleep(static_cast<useconds_t>(killAfterMicroseconds));
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (killAfterMicroseconds < 0)
  {
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << arguments[1];
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/** The visible files of dir (not the hidden temporary folders) and their SHA-256; the run record, which
 * differs from run to run (times, paths), by the outputs it lists. */
std::map<std::string, std::string>
VisibleFiles(const fs::path & dir)
{
  std::map<std::string, std::string> files;
  for (const auto & entry : fs::directory_iterator(dir))
  {
    const std::string name = entry.path().filename().string();
    if (name[0] == '.')
    {
      continue;
    }
    if (!entry.is_regular_file())
    {
      files[name] = "not a file";
    }
    else if (name == "labels.run.json")
    {
      files[name] = nlohmann::json::parse(ReadTextFile(entry.path().string()))["parameters"].dump();
    }
    else
    {
      files[name] = Sha256OfFile(entry.path().string());
    }
  }
  return files;
}

size_t
HiddenTemporaries(const fs::path & dir)
{
  size_t n = 0;
  for (const auto & entry : fs::directory_iterator(dir))
  {
    n += entry.path().filename().string().rfind(".tessera-tmp-", 0) == 0;
  }
  return n;
}
} // namespace

TEST(KillEndToEnd, SigkillLeavesEachOutputWholeOldOrWholeNew)
{
  if (!fs::exists(SharedData("miccai2012-multiatlas/1000_SS.nii.gz")))
  {
    GTEST_SKIP() << "MICCAI data missing";
  }
  const auto dir = ScratchDir("kill");
  const auto fresh = dir / "fresh", work = dir / "work";
  fs::create_directories(fresh);
  fs::create_directories(work);
  // The new version of every output, from an undisturbed run of the new command elsewhere.
  const double seconds = RunTessera(KMeansArguments(fresh, 4));
  const auto   expectedNew = VisibleFiles(fresh);
  ASSERT_GE(expectedNew.size(), 5u); // labels, .itksnap.txt, .ctbl, overlay, run record
  RunTessera(KMeansArguments(work, 3));
  const auto old = VisibleFiles(work);
  ASSERT_EQ(old.size(), expectedNew.size());

  // Delays spread evenly over the whole run and a little beyond (with some jitter), so that kills fall while
  // reading, computing, writing and committing.
  std::mt19937 random(7);
  size_t       sawOld = 0, sawNew = 0;
  const int    trials = 16;
  for (int trial = 0; trial < trials; ++trial)
  {
    const double at = (trial + std::uniform_real_distribution<double>(0.0, 1.0)(random)) / trials;
    const long   delay = static_cast<long>(1.2e6 * seconds * at);
    RunTessera(KMeansArguments(work, 4), delay);
    const auto now = VisibleFiles(work);
    EXPECT_EQ(now.size(), old.size()) << "after a kill at " << delay << " us: a stray or missing file";
    for (const auto & [name, hash] : now)
    {
      ASSERT_TRUE(old.count(name)) << name << " appeared after a kill at " << delay << " us";
      EXPECT_TRUE(hash == old.at(name) || hash == expectedNew.at(name))
        << name << " is neither the old nor the new file after a kill at " << delay << " us";
      sawOld += hash == old.at(name);
      sawNew += hash == expectedNew.at(name);
    }
    // Back to the old version for the next trial (a completed run also clears the killed runs' folders).
    RunTessera(KMeansArguments(work, 3));
    ASSERT_EQ(VisibleFiles(work), old);
    EXPECT_EQ(HiddenTemporaries(work), 0u);
  }
  // Early kills leave the old outputs; how many new ones later kills left depends on the machine's speed.
  EXPECT_GT(sawOld, 0u);
  RecordProperty("outputs_old_after_kill", static_cast<int>(sawOld));
  RecordProperty("outputs_new_after_kill", static_cast<int>(sawNew));
  fs::remove_all(dir);
}
