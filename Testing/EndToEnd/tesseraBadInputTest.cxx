// Bad input: each case gives one clear error line naming the file (or option) and the problem,
// a non-zero exit code, and no output file.
#include <algorithm>
#include <complex>
#include <limits>

#include <gtest/gtest.h>

#include "tesseraCommandLine.h"
#include "tesseraImageIO.h"

using namespace tessera;
using namespace tessera::testing;
namespace fs = std::filesystem;

namespace
{
class BadInput : public ::testing::Test
{
protected:
  void SetUp() override { m_Dir = ScratchDir(::testing::UnitTest::GetInstance()->current_test_info()->name()); }

  std::string Path(const std::string & name) const { return (m_Dir / name).string(); }

  template <typename TImage>
  std::string Write(const std::string & name, unsigned int size, typename TImage::PixelType value, double spacing = 1.0)
  {
    auto image = TImage::New();
    typename TImage::SizeType s;
    s.Fill(size);
    image->SetRegions(s);
    typename TImage::SpacingType sp;
    sp.Fill(spacing);
    image->SetSpacing(sp);
    image->Allocate();
    image->FillBuffer(value);
    WriteImageFile(image.GetPointer(), Path(name));
    return Path(name);
  }

  /** A 3D float image with two distinct values. */
  std::string TwoValued(const std::string & name)
  {
    auto image = ScalarImage<3>::New();
    image->SetRegions(ScalarImage<3>::SizeType{ { 8, 8, 8 } });
    image->Allocate();
    for (size_t i = 0; i < 512; ++i)
    {
      image->GetBufferPointer()[i] = i < 256 ? 10.0f : 20.0f;
    }
    WriteImageFile(image.GetPointer(), Path(name));
    return Path(name);
  }

  /** Runs segment and checks: exit ≠ 0, exactly one error line (the last on stderr, after any
   * progress lines) naming `subject` and `problem`, and no output written. */
  void ExpectRejected(const std::string & arguments, const std::string & subject, const std::string & problem)
  {
    const std::string output = Path("out.nii.gz");
    const auto        r = Tessera("segment " + arguments + " -o " + output);
    EXPECT_NE(r.exitCode, 0);
    const auto lines = r.ErrorLines();
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                            [](const std::string & l) { return l.find("error") != std::string::npos; }),
              1)
      << r.err;
    EXPECT_EQ(lines.back().rfind("tessera segment: error: ", 0), 0u) << lines.back();
    EXPECT_NE(lines.back().find(subject), std::string::npos) << lines.back();
    EXPECT_NE(lines.back().find(problem), std::string::npos) << lines.back();
    EXPECT_FALSE(fs::exists(output));
    for (const auto & entry : fs::directory_iterator(m_Dir))
    {
      EXPECT_EQ(entry.path().filename().string().rfind(".tessera-tmp", 0), std::string::npos) << "temporary left behind";
    }
  }

  fs::path m_Dir;
};
} // namespace

TEST_F(BadInput, MissingFile)
{
  ExpectRejected("-i " + Path("missing.nii.gz"), Path("missing.nii.gz"), "no such file");
}

TEST_F(BadInput, CorruptFile)
{
  std::ofstream(Path("corrupt.nii.gz")) << "not an image at all";
  ExpectRejected("-i " + Path("corrupt.nii.gz"), Path("corrupt.nii.gz"), "corrupt");
}

TEST_F(BadInput, TruncatedFiles)
{
  // ITK fills a NIfTI cut short with zeros and only warns for a MetaImage: each is refused.
  auto noise = ScalarImage<3>::New(); // incompressible, so two thirds of a file keep its header
  noise->SetRegions(ScalarImage<3>::SizeType{ { 24, 24, 24 } });
  noise->Allocate();
  std::uint32_t state = 1;
  for (size_t i = 0; i < 24 * 24 * 24; ++i)
  {
    state = state * 1664525u + 1013904223u;
    noise->GetBufferPointer()[i] = static_cast<float>(state >> 8);
  }
  for (const std::string name : { "whole.nii.gz", "whole.nii", "whole.mha" })
  {
    const std::string whole = Path(name);
    WriteImageFile(noise.GetPointer(), whole);
    std::string       bytes;
    {
      std::ifstream in(whole, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    const std::string cut = Path("cut-" + name);
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() * 2 / 3);
    ExpectRejected("-i " + cut, cut, "is truncated");
  }
}

TEST_F(BadInput, UnsupportedPixelType)
{
  // NIfTI keeps the complex type (MetaImage would store it as a 2-vector).
  const auto in = Write<itk::Image<std::complex<float>, 2>>("complex.nii.gz", 8, { 1.0f, 2.0f });
  ExpectRejected("-i " + in, in, "unsupported pixel type");
}

TEST_F(BadInput, MaskOfAnotherSize)
{
  const auto in = TwoValued("image.nii.gz");
  const auto mask = Write<MaskImage<3>>("mask.nii.gz", 9, 1);
  ExpectRejected("-i " + in + " --mask " + mask, mask, "size 9x9x9 differs");
}

TEST_F(BadInput, MaskInAnotherPhysicalSpace)
{
  const auto in = TwoValued("image.nii.gz");
  const auto mask = Write<MaskImage<3>>("mask.nii.gz", 8, 1, 2.0);
  ExpectRejected("-i " + in + " --mask " + mask, mask, "spacing");
}

TEST_F(BadInput, EmptyMask)
{
  const auto in = TwoValued("image.nii.gz");
  const auto mask = Write<MaskImage<3>>("mask.nii.gz", 8, 0);
  ExpectRejected("-i " + in + " --mask " + mask, mask, "empty");
}

TEST_F(BadInput, TooFewClasses)
{
  ExpectRejected("-i " + TwoValued("image.nii.gz") + " --classes 1", "--classes", "must be in [2, 1000], got 1");
}

TEST_F(BadInput, MoreClassesThanDistinctValues)
{
  ExpectRejected("-i " + TwoValued("image.nii.gz") + " --classes 3", "--classes", "only 2 distinct");
}

TEST_F(BadInput, NaNIntensities)
{
  auto image = ScalarImage<2>::New();
  image->SetRegions(ScalarImage<2>::SizeType{ { 4, 4 } });
  image->Allocate();
  image->FillBuffer(1.0f);
  image->GetBufferPointer()[5] = std::nanf("");
  // ITK's NIfTI reader turns NaN into 0; Tessera's reading puts it back, so NIfTI is refused as MetaImage is.
  for (const std::string name : { "nan.mha", "nan.nii.gz", "nan.nii" })
  {
    WriteImageFile(image.GetPointer(), Path(name));
    ExpectRejected("-i " + Path(name), Path(name), "NaN or infinite intensity at voxel [1, 1]");
  }
  image->GetBufferPointer()[5] = std::numeric_limits<float>::infinity();
  WriteImageFile(image.GetPointer(), Path("inf.nii.gz"));
  ExpectRejected("-i " + Path("inf.nii.gz"), Path("inf.nii.gz"), "NaN or infinite intensity at voxel [1, 1]");
}

TEST_F(BadInput, OutputOverInput)
{
  const auto in = TwoValued("image.nii.gz");
  const auto before = fs::file_size(in);
  const auto r = Tessera("segment -i " + in + " -o " + in);
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.err.find("never overwrites its inputs"), std::string::npos) << r.err;
  EXPECT_EQ(fs::file_size(in), before);
}

TEST_F(BadInput, UpperCaseNiftiOutputIsRefusedBeforeTheWork)
{
  const auto in = TwoValued("image.nii.gz");
  for (const std::string name : { "out.NII.GZ", "out.Nii.gz", "out.NII" })
  {
    const auto r = Tessera("segment -i " + in + " -o " + Path(name));
    EXPECT_EQ(r.exitCode, 1) << name;
    EXPECT_NE(r.err.find(Path(name) + ": a NIfTI output needs a lower-case extension"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("segment ["), std::string::npos) << "refused after the work started: " << r.err;
    EXPECT_FALSE(fs::exists(Path(name)));
  }
}

TEST_F(BadInput, UnknownOptionAndMissingRequiredOption)
{
  EXPECT_NE(Tessera("segment -i x.nii.gz -o y.nii.gz --no-such-option").exitCode, 0);
  EXPECT_NE(Tessera("segment -i x.nii.gz").exitCode, 0);
  EXPECT_NE(Tessera("").exitCode, 0);
}
