#include "tesseraImageIO.h"

#include <fstream>
#include <random>

#include "itkImageIOFactory.h"

namespace fs = std::filesystem;

namespace tessera
{
ImageInfo
ReadImageInfo(const std::string & path)
{
  std::error_code ec;
  if (!fs::exists(path, ec))
  {
    throw Error(path, "no such file");
  }
  if (fs::is_directory(path, ec))
  {
    throw Error(path, "is a folder, not an image file");
  }
  auto io = itk::ImageIOFactory::CreateImageIO(path.c_str(), itk::ImageIOFactory::IOFileModeEnum::ReadMode);
  if (!io)
  {
    throw Error(path, "is not an image format ITK can read (corrupt, or unknown extension)");
  }
  io->SetFileName(path);
  try
  {
    io->ReadImageInformation();
  }
  catch (const itk::ExceptionObject & e)
  {
    throw Error(path, std::string("has an unreadable header: ") + e.GetDescription());
  }
  ImageInfo info;
  info.dimension = io->GetNumberOfDimensions();
  info.components = io->GetNumberOfComponents();
  info.componentType = itk::ImageIOBase::GetComponentTypeAsString(io->GetComponentType());
  info.pixelType = itk::ImageIOBase::GetPixelTypeAsString(io->GetPixelType());
  for (unsigned int d = 0; d < info.dimension; ++d)
  {
    info.size.push_back(io->GetDimensions(d));
    info.spacing.push_back(io->GetSpacing(d));
    info.origin.push_back(io->GetOrigin(d));
    info.direction.push_back(io->GetDirection(d));
  }
  // Some formats (2D slices stored as 3D with one slice) report a trailing axis of size 1.
  while (info.dimension > 2 && info.size.back() == 1)
  {
    --info.dimension;
    info.size.pop_back();
    info.spacing.pop_back();
    info.origin.pop_back();
    info.direction.pop_back();
  }
  return info;
}

AtomicOutput::AtomicOutput(const std::string & finalPath)
  : m_FinalPath(fs::absolute(finalPath))
{
  const fs::path dir = m_FinalPath.parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
  {
    throw Error(finalPath, "cannot be written: folder " + dir.string() + " does not exist");
  }
  std::random_device rd;
  for (int attempt = 0; attempt < 16; ++attempt)
  {
    const fs::path candidate = dir / (".tessera-tmp-" + std::to_string(rd()) + "-" + m_FinalPath.filename().string());
    if (fs::create_directory(candidate, ec))
    {
      m_TempDir = candidate;
      return;
    }
  }
  throw Error(finalPath, "cannot be written: no temporary folder can be made in " + dir.string());
}

AtomicOutput::~AtomicOutput()
{
  std::error_code ec;
  fs::remove_all(m_TempDir, ec);
}

void
AtomicOutput::Commit()
{
  if (m_Committed)
  {
    return;
  }
  // Multi-file formats (.mhd + .raw, .hdr + .img) write several files of the same stem.
  for (const auto & entry : fs::directory_iterator(m_TempDir))
  {
    std::error_code ec;
    fs::rename(entry.path(), m_FinalPath.parent_path() / entry.path().filename(), ec);
    if (ec)
    {
      throw Error(m_FinalPath.string(), "cannot be moved into place: " + ec.message());
    }
  }
  m_Committed = true;
}

void
WriteTextFile(const std::string & path, const std::string & text)
{
  AtomicOutput out(path);
  {
    std::ofstream file(out.TemporaryPath(), std::ios::binary);
    file << text;
    file.close();
    if (!file)
    {
      throw Error(path, "cannot be written");
    }
  }
  out.Commit();
}

void
CheckOutputsDistinct(const std::vector<std::string> & inputs, const std::vector<std::string> & outputs)
{
  auto same = [](const std::string & a, const std::string & b) {
    std::error_code ec;
    if (fs::exists(a, ec) && fs::exists(b, ec))
    {
      return fs::equivalent(a, b, ec);
    }
    return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
  };
  for (size_t i = 0; i < outputs.size(); ++i)
  {
    if (outputs[i].empty())
    {
      continue;
    }
    for (const auto & in : inputs)
    {
      if (!in.empty() && same(in, outputs[i]))
      {
        throw Error(outputs[i], "is also an input; Tessera never overwrites its inputs");
      }
    }
    for (size_t j = i + 1; j < outputs.size(); ++j)
    {
      if (!outputs[j].empty() && same(outputs[i], outputs[j]))
      {
        throw Error(outputs[i], "is named for two outputs");
      }
    }
  }
}
} // namespace tessera
