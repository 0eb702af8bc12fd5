#include "tesseraStage.h"

#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <limits>
#include <sstream>
#include <malloc.h>
#include <unistd.h>

#include "itkImageIOFactory.h"
#include "itkMetaDataObject.h"
#include "tesseraImageIO.h"

namespace fs = std::filesystem;

namespace tessera
{
std::string
PortDescription::KindText() const
{
  switch (kind)
  {
    case PortKind::Image: return "intensity image";
    case PortKind::Labels: return "label image";
    case PortKind::Probabilities: return "probability image";
    case PortKind::Mask: return "mask";
    case PortKind::LabelTable: return "label table (JSON)";
    case PortKind::File: return "file";
    case PortKind::Text: return "text file";
    case PortKind::Overlay: return "PNG overlay";
  }
  return "";
}

bool
PortDescription::IsImage() const
{
  return kind == PortKind::Image || kind == PortKind::Labels || kind == PortKind::Probabilities ||
         kind == PortKind::Mask;
}

PortDescription
InputPort(const std::string & name, PortKind kind, const std::string & doc)
{
  PortDescription p;
  p.name = name;
  p.kind = kind;
  p.doc = doc;
  return p;
}

PortDescription
OutputPort(const std::string & name, PortKind kind, const std::string & doc)
{
  return InputPort(name, kind, doc);
}

PortDescription
OverlayPort(const std::string & name, const std::string & of, const std::string & over)
{
  PortDescription p = InputPort(name, PortKind::Overlay,
                                "Also write a PNG of the " + of + " over the " + (over.empty() ? "input" : over) +
                                  " (3D: axial, coronal and sagittal middle slices) for a quick look");
  p.optional = true;
  p.overlayOf = of;
  p.overlayOver = over;
  return p;
}

const PortDescription *
StageDescription::FindInput(const std::string & port) const
{
  const auto it = std::find_if(inputs.begin(), inputs.end(), [&](const auto & p) { return p.name == port; });
  return it == inputs.end() ? nullptr : &*it;
}

const PortDescription *
StageDescription::FindOutput(const std::string & port) const
{
  const auto it = std::find_if(outputs.begin(), outputs.end(), [&](const auto & p) { return p.name == port; });
  return it == outputs.end() ? nullptr : &*it;
}

const ParameterDescription *
StageDescription::FindParameter(const std::string & parameter) const
{
  const auto it =
    std::find_if(parameters.begin(), parameters.end(), [&](const auto & p) { return p.name == parameter; });
  return it == parameters.end() ? nullptr : &*it;
}

const PortDescription *
StageDescription::PrimaryInput() const
{
  const auto it = std::find_if(inputs.begin(), inputs.end(), [](const auto & p) { return p.IsImage(); });
  return it == inputs.end() ? nullptr : &*it;
}

void
StageRegistry::Add(StageDescription stage)
{
  if (m_Stages.count(stage.name))
  {
    throw Error(stage.name, "a stage of this name is already registered");
  }
  std::vector<std::string> names;
  for (const auto * ports : { &stage.inputs, &stage.outputs })
  {
    for (const auto & p : *ports)
    {
      names.push_back(p.name);
    }
  }
  for (const auto & p : stage.parameters)
  {
    names.push_back(p.name);
  }
  std::sort(names.begin(), names.end());
  const auto twice = std::adjacent_find(names.begin(), names.end());
  if (twice != names.end())
  {
    throw Error(stage.name, "names '" + *twice + "' twice among its inputs, outputs and parameters");
  }
  if (!stage.run)
  {
    throw Error(stage.name, "has no run function");
  }
  m_Stages.emplace(stage.name, std::move(stage));
}

const StageDescription *
StageRegistry::Find(const std::string & name) const
{
  const auto it = m_Stages.find(name);
  return it == m_Stages.end() ? nullptr : &it->second;
}

const StageDescription &
StageRegistry::Get(const std::string & name) const
{
  if (const auto * s = Find(name))
  {
    return *s;
  }
  std::string known;
  for (const auto & [n, s] : m_Stages)
  {
    known += (known.empty() ? "" : ", ") + n;
  }
  throw Error(name, "unknown stage (known: " + known + ")");
}

std::string
FirstLine(const std::string & text)
{
  return text.substr(0, text.find('\n'));
}

StageContext::StageContext(const StageDescription & stage, ParameterValues parameters, RunOptions options)
  : m_Stage(stage)
  , m_Parameters(std::move(parameters))
  , m_Options(options)
{}

StageContext::~StageContext() = default;

StageContext::Slot &
StageContext::InputSlot(const std::string & port)
{
  auto & slot = m_Inputs[port];
  if (!slot)
  {
    slot = std::make_unique<Slot>();
  }
  return *slot;
}

const StageContext::Slot *
StageContext::FindInputSlot(const std::string & port) const
{
  const auto it = m_Inputs.find(port);
  return it == m_Inputs.end() ? nullptr : it->second.get();
}

void
StageContext::SetInputFiles(const std::string & port, const std::vector<std::string> & paths)
{
  const PortDescription * p = m_Stage.FindInput(port);
  if (!p)
  {
    throw Error(port, "is not an input of " + m_Stage.name);
  }
  if (paths.empty())
  {
    return;
  }
  if (paths.size() > 1 && !p->multiple)
  {
    throw Error(port, "takes one file, got " + std::to_string(paths.size()));
  }
  std::error_code ec;
  for (const auto & path : paths)
  {
    if (!fs::exists(path, ec))
    {
      throw Error(path, "no such file");
    }
    if (p->kind == PortKind::LabelTable)
    {
      LabelTable::Load(path); // a bad table fails before any work
    }
  }
  Slot & slot = InputSlot(port);
  slot.paths = paths;
  slot.displayName = paths.front();
  slot.data = nullptr;
}

void
StageContext::SetInputData(const std::string & port, itk::DataObject * data, const std::string & displayName)
{
  if (!m_Stage.FindInput(port))
  {
    throw Error(port, "is not an input of " + m_Stage.name);
  }
  Slot & slot = InputSlot(port);
  slot.paths.clear();
  slot.displayName = displayName;
  slot.data = data;
}

void
StageContext::RequestOutput(const std::string & port, const std::string & path)
{
  if (!m_Stage.FindOutput(port))
  {
    throw Error(port, "is not an output of " + m_Stage.name);
  }
  m_RequestedOutputs[port] = path;
}

bool
StageContext::HasInput(const std::string & port) const
{
  const Slot * slot = FindInputSlot(port);
  return slot && (slot->data || !slot->paths.empty());
}

std::string
StageContext::InputName(const std::string & port) const
{
  const Slot * slot = FindInputSlot(port);
  return slot ? slot->displayName : port;
}

const std::vector<std::string> &
StageContext::InputPaths(const std::string & port) const
{
  static const std::vector<std::string> none;
  const Slot *                          slot = FindInputSlot(port);
  return slot ? slot->paths : none;
}

unsigned int
StageContext::Dimension() const
{
  const PortDescription * primary = m_Stage.PrimaryInput();
  if (!primary || !HasInput(primary->name))
  {
    throw Error(m_Stage.name, "has no image input to take the dimension from");
  }
  const Slot * slot = FindInputSlot(primary->name);
  if (slot->data)
  {
    if (dynamic_cast<const itk::ImageBase<2> *>(slot->data.GetPointer()))
    {
      return 2;
    }
    if (dynamic_cast<const itk::ImageBase<3> *>(slot->data.GetPointer()))
    {
      return 3;
    }
    throw Error(slot->displayName, "is not a 2D or 3D image");
  }
  const unsigned int d = ReadImageInfo(slot->paths.at(0)).dimension;
  if (d != 2 && d != 3)
  {
    throw Error(slot->paths.at(0), "is a " + std::to_string(d) + "D image; Tessera handles 2D and 3D");
  }
  return d;
}

LabelTable
StageContext::InputLabelTable(const std::string & port)
{
  if (!HasInput(port))
  {
    return {};
  }
  return LabelTable::Load(InputPaths(port).at(0));
}

bool
StageContext::Wants(const std::string & port) const
{
  return m_RequestedOutputs.count(port) != 0;
}

std::string
StageContext::OutputPath(const std::string & port) const
{
  const auto it = m_RequestedOutputs.find(port);
  return it == m_RequestedOutputs.end() ? std::string() : it->second;
}

void
StageContext::SetOutput(const std::string & port, itk::DataObject * data)
{
  if (!m_Stage.FindOutput(port))
  {
    throw Error(m_Stage.name, "has no output named " + port);
  }
  // The CRS of a georeferenced input goes with every output (origin, spacing and direction do already).
  const auto * primary = m_Stage.PrimaryInput() ? FindInputSlot(m_Stage.PrimaryInput()->name) : nullptr;
  std::string  crs;
  if (data && primary && primary->data &&
      itk::ExposeMetaData<std::string>(primary->data->GetMetaDataDictionary(), GeoCrsKey, crs) &&
      !data->GetMetaDataDictionary().HasKey(GeoCrsKey))
  {
    itk::EncapsulateMetaData<std::string>(data->GetMetaDataDictionary(), GeoCrsKey, crs);
  }
  m_OutputData[port] = data;
}

void
StageContext::SetText(const std::string & port, const std::string & text)
{
  m_OutputText[port] = text;
}

void
StageContext::SetWriter(const std::string & port, std::function<void(const std::string &)> writer)
{
  m_OutputWriters[port] = std::move(writer);
}

itk::DataObject *
StageContext::OutputData(const std::string & port) const
{
  const auto it = m_OutputData.find(port);
  return it == m_OutputData.end() ? nullptr : it->second.GetPointer();
}

ProgressReporter &
StageContext::Progress()
{
  if (!m_Progress)
  {
    m_Progress = std::make_unique<ProgressReporter>(m_Stage.name, m_Options.quiet);
  }
  return *m_Progress;
}

void
StageContext::Report(const std::string & line) const
{
  if (!m_Options.quiet)
  {
    std::cout << line << std::endl;
  }
}

void
StageContext::Run()
{
  // Whatever a library throws becomes one Error naming the stage.
  try
  {
    m_Stage.run(*this);
  }
  catch (const Error &)
  {
    throw;
  }
  catch (const itk::ExceptionObject & e)
  {
    // "ITK ERROR: RecursiveGaussianImageFilter(0x55...): too few pixels" -> "too few pixels",
    // about the input the stage works on.
    std::string message = FirstLine(e.GetDescription());
    const auto  at = message.find("): ");
    if (message.rfind("ITK ERROR: ", 0) == 0 && at != std::string::npos)
    {
      message = message.substr(at + 3);
    }
    const PortDescription * primary = m_Stage.PrimaryInput();
    throw Error(primary && HasInput(primary->name) ? InputName(primary->name) : m_Stage.name, message);
  }
  catch (const std::bad_alloc &)
  {
    throw Error(m_Stage.name, OutOfMemoryMessage());
  }
  if (m_Progress)
  {
    m_Progress->Done();
    m_Progress.reset();
  }
}

std::atomic<std::size_t> &
FailedAllocationBytes()
{
  static std::atomic<std::size_t> bytes{ 0 };
  return bytes;
}

void
RetainFreedMemory()
{
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
#endif
}

std::string
OutOfMemoryMessage()
{
  constexpr double   GiB = 1 << 30;
  const double       memory = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
  const std::size_t  asked = FailedAllocationBytes().exchange(0);
  std::ostringstream s;
  s << std::setprecision(3) << "ran out of memory (";
  if (asked)
  {
    const double bytes = static_cast<double>(asked);
    s << "an allocation of " << (bytes < GiB ? bytes / (1 << 20) : bytes / GiB) << (bytes < GiB ? " MiB" : " GiB")
      << " failed; ";
  }
  s << "this machine has " << memory / GiB << " GiB)";
  return s.str();
}

void
StageContext::WriteOutputs(std::vector<std::unique_ptr<AtomicOutput>> & pending)
{
  const bool anyFile =
    std::any_of(m_RequestedOutputs.begin(), m_RequestedOutputs.end(), [](const auto & o) { return !o.second.empty(); });
  if (!anyFile)
  {
    return;
  }
  if (m_Stage.PrimaryInput() && HasInput(m_Stage.PrimaryInput()->name))
  {
    if (Dimension() == 2)
    {
      WriteOutputsOfDimension<2>(pending);
    }
    else
    {
      WriteOutputsOfDimension<3>(pending);
    }
  }
  else
  {
    // Without an image input, the images the stage made (if any) tell the dimension.
    const bool volume = std::any_of(m_OutputData.begin(), m_OutputData.end(), [](const auto & o) {
      return dynamic_cast<const itk::ImageBase<3> *>(o.second.GetPointer()) != nullptr;
    });
    volume ? WriteOutputsOfDimension<3>(pending) : WriteOutputsOfDimension<2>(pending);
  }
}

std::vector<std::string>
StageContext::InputFiles() const
{
  std::vector<std::string> files;
  for (const auto & [name, slot] : m_Inputs)
  {
    files.insert(files.end(), slot->paths.begin(), slot->paths.end());
  }
  return files;
}

std::vector<std::string>
StageContext::OutputFiles() const
{
  std::vector<std::string> files;
  for (const auto & [name, path] : m_RequestedOutputs)
  {
    if (!path.empty())
    {
      files.push_back(path);
    }
  }
  return files;
}

OutputSet::OutputSet(const std::vector<std::string> & inputs, const std::vector<std::pair<std::string, PortKind>> & outputs,
                     const std::vector<std::vector<std::string>> & extensions)
{
  std::vector<std::string> paths;
  for (const auto & o : outputs)
  {
    paths.push_back(o.first);
  }
  CheckOutputsDistinct(inputs, paths);
  for (size_t i = 0; i < outputs.size(); ++i)
  {
    const auto & [path, kind] = outputs[i];
    const std::string ext = LowerCaseExtension(path);
    if (fs::is_directory(path))
    {
      throw Error(path, "is a folder; a file name is expected");
    }
    if (kind == PortKind::Overlay && ext != ".png")
    {
      throw Error(path, "an overlay is written as .png");
    }
    const auto & allowed = i < extensions.size() ? extensions[i] : std::vector<std::string>{};
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), ext) == allowed.end())
    {
      std::string list;
      for (const auto & a : allowed)
      {
        list += (list.empty() ? "" : ", ") + a;
      }
      throw Error(path, "unsupported extension '" + ext + "' (expected " + list + ")");
    }
    if ((kind == PortKind::Image || kind == PortKind::Labels || kind == PortKind::Probabilities ||
         kind == PortKind::Mask) &&
        !CreateImageIO(path, itk::ImageIOFactory::IOFileModeEnum::WriteMode))
    {
      throw Error(path, "unsupported image format '" + ext + "' (use .nii.gz, .nrrd, .mha, .png, .tif, ...)");
    }
    if ((kind == PortKind::Labels || kind == PortKind::Probabilities) && (ext == ".jpg" || ext == ".jpeg"))
    {
      throw Error(path, "JPEG is lossy and cannot hold labels or probabilities (use .png, .nii.gz, ...)");
    }
    if (kind == PortKind::Probabilities)
    {
      CheckFloatFormat(path);
    }
  }
  // Folders that do not exist yet are made now, so that the run fails early if they cannot be.
  for (const auto & path : paths)
  {
    const fs::path parent = fs::absolute(path).parent_path();
    std::vector<fs::path> missing;
    fs::path              p = parent;
    for (; !p.empty() && !fs::exists(p); p = p.parent_path())
    {
      missing.push_back(p);
    }
    if (!p.empty() && !fs::is_directory(p))
    {
      throw Error(path, "cannot be written: " + p.string() + " is a file, not a folder");
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it)
    {
      std::error_code ec;
      if (!fs::create_directory(*it, ec) && ec)
      {
        throw Error(path, "cannot be written: folder " + it->string() + " cannot be made (" + ec.message() + ")");
      }
      m_CreatedFolders.push_back(it->string());
    }
  }
}

OutputSet::~OutputSet()
{
  if (m_Committed)
  {
    return;
  }
  for (auto it = m_CreatedFolders.rbegin(); it != m_CreatedFolders.rend(); ++it)
  {
    std::error_code ec;
    fs::remove(*it, ec); // only succeeds when empty
  }
}

void
OutputSet::Commit(std::vector<std::unique_ptr<AtomicOutput>> & pending)
{
  for (auto & output : pending)
  {
    output->Commit();
  }
  pending.clear();
  m_Committed = true;
}
} // namespace tessera
