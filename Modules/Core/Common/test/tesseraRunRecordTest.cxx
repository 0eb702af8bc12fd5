#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "tesseraError.h"
#include "tesseraRunRecord.h"

using namespace tessera;

TEST(RunRecord, Sha256MatchesTheFipsExamples)
{
  // FIPS 180-4 / NIST CSRC examples: one block, two blocks, and the empty message.
  EXPECT_EQ(Sha256OfText("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256OfText("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256OfText(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(RunRecord, Sha256OfAFileSpanningManyReads)
{
  const auto  path = std::filesystem::temp_directory_path() / "tessera-sha256-test.bin";
  std::string text(200000, 'a'); // crosses the 64 KiB read buffer three times
  std::ofstream(path, std::ios::binary) << text;
  EXPECT_EQ(Sha256OfFile(path.string()), Sha256OfText(text));
  std::filesystem::remove(path);
  EXPECT_THROW(Sha256OfFile(path.string()), Error);
}

TEST(RunRecord, PathBesideTheOutput)
{
  EXPECT_EQ(RunRecordPath("out/brain.nii.gz"), "out/brain.run.json");
  EXPECT_EQ(RunRecordPath("seg.png"), "seg.run.json");
  EXPECT_GT(CurrentResourceUsage().peakMemoryMiB, 1.0);
}

TEST(RunRecord, Sha256OfAFolderCoversItsFilesAndTheirNames)
{
  const auto dir = std::filesystem::temp_directory_path() / "tessera-sha256-folder";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "sub");
  std::ofstream(dir / "a.txt") << "a";
  std::ofstream(dir / "sub" / "b.txt") << "b";
  std::ofstream(dir / ".hidden") << "ignored";
  const std::string before = Sha256OfPath(dir.string());
  EXPECT_EQ(before, Sha256OfText("a.txt\t" + Sha256OfText("a") + "\nsub/b.txt\t" + Sha256OfText("b") + "\n"));
  std::ofstream(dir / ".hidden") << "still ignored";
  EXPECT_EQ(Sha256OfPath(dir.string()), before);
  std::filesystem::rename(dir / "a.txt", dir / "c.txt");
  EXPECT_NE(Sha256OfPath(dir.string()), before);
  EXPECT_EQ(Sha256OfPath((dir / "c.txt").string()), Sha256OfText("a"));
  std::filesystem::remove_all(dir);
}
