#ifndef tesseraStage_hxx
#define tesseraStage_hxx

#include "tesseraLabelFiles.h"
#include "tesseraFigureFiles.h"

namespace tessera
{
/** An input: files to read, or data handed over by an earlier stage. */
struct StageContext::Slot
{
  std::vector<std::string> paths;
  std::string              displayName;
  itk::DataObject::Pointer data;
};

template <unsigned int D>
itk::DataObject::Pointer
StageContext::ReadInput(const PortDescription & port, const std::string & path)
{
  switch (port.kind)
  {
    case PortKind::Image:
    {
      auto image = ReadIntensityImage<D>(path);
      CheckFinite<D>(image.GetPointer(), path);
      return image.GetPointer();
    }
    case PortKind::Labels: return ReadLabelImage<D>(path).GetPointer();
    case PortKind::Probabilities: return ReadProbabilityImage<D>(path).GetPointer();
    case PortKind::Mask:
    {
      // A mask is checked against the primary input's grid as it is read.
      const auto * primary = PrimaryImage<D>();
      return ReadMask<D>(path, primary, InputName(m_Stage.PrimaryInput()->name)).GetPointer();
    }
    default: throw Error(path, "is not an image input of " + m_Stage.name);
  }
}

template <unsigned int D>
const itk::ImageBase<D> *
StageContext::PrimaryImage()
{
  const PortDescription * primary = m_Stage.PrimaryInput();
  Slot &                  slot = InputSlot(primary->name);
  if (!slot.data)
  {
    slot.data = ReadInput<D>(*primary, slot.paths.at(0));
  }
  const auto * image = dynamic_cast<const itk::ImageBase<D> *>(slot.data.GetPointer());
  if (!image)
  {
    throw Error(InputName(primary->name), "is not a " + std::to_string(D) + "D image");
  }
  return image;
}

template <typename TImage>
typename TImage::Pointer
StageContext::Input(const std::string & portName)
{
  constexpr unsigned int  D = TImage::ImageDimension;
  const PortDescription * port = m_Stage.FindInput(portName);
  if (!port)
  {
    throw Error(m_Stage.name, "has no input named " + portName);
  }
  if (!HasInput(portName))
  {
    if (!port->optional)
    {
      throw Error(portName, "is required");
    }
    return nullptr;
  }
  const itk::ImageBase<D> * primary = PrimaryImage<D>();
  Slot &                    slot = InputSlot(portName);
  if (!slot.data)
  {
    slot.data = ReadInput<D>(*port, slot.paths.at(0));
  }
  typename TImage::Pointer image = dynamic_cast<TImage *>(slot.data.GetPointer());
  if (!image)
  {
    throw Error(InputName(portName), "is not a " + port->KindText() + " of the expected pixel type");
  }
  if (port->sameGrid && port->kind != PortKind::Mask && image.GetPointer() != primary)
  {
    CheckSameGrid(primary, InputName(m_Stage.PrimaryInput()->name), image.GetPointer(), InputName(portName));
  }
  return image;
}

namespace detail
{
/** Writes data of one of the image types stages produce. \returns false for other types. */
template <typename TImage, unsigned int D>
bool
WriteIf(itk::DataObject * data, AtomicOutput & output)
{
  if (auto * image = dynamic_cast<TImage *>(data))
  {
    WriteImageFile(image, output);
    return true;
  }
  return false;
}
} // namespace detail

template <unsigned int D>
void
StageContext::WriteOutputsOfDimension(std::vector<std::unique_ptr<AtomicOutput>> & pending)
{
  for (const auto & [name, path] : m_RequestedOutputs)
  {
    const PortDescription * port = m_Stage.FindOutput(name);
    if (path.empty())
    {
      continue;
    }
    auto output = std::make_unique<AtomicOutput>(path);
    if (port->kind == PortKind::Overlay)
    {
      const auto labels = dynamic_cast<LabelImage<D> *>(OutputData(port->overlayOf));
      const std::string over = port->overlayOver.empty() ? m_Stage.PrimaryInput()->name : port->overlayOver;
      if (!labels)
      {
        throw Error(path, "no " + port->overlayOf + " to draw");
      }
      const auto background = Input<VectorImage<D>>(HasInput(over) ? over : m_Stage.PrimaryInput()->name);
      LabelTable table = m_Stage.FindInput("labels") ? InputLabelTable("labels") : LabelTable();
      if (table.Empty())
      {
        table = GetLabelTable(labels, path);
      }
      WriteOverlay<D>(background, labels, table, output->TemporaryPath(), m_Options.overlay);
    }
    else if (port->kind == PortKind::Text)
    {
      WriteTextFile(*output, m_OutputText.at(name));
    }
    else if (port->kind == PortKind::File)
    {
      m_OutputWriters.at(name)(output->TemporaryPath());
    }
    else
    {
      itk::DataObject * data = OutputData(name);
      if (!data)
      {
        throw Error(path, m_Stage.name + " made no " + name);
      }
      if (!m_Options.description.empty())
      {
        // NRRD and MetaImage keep it as a header key (ITK 5.2's NIfTI writer leaves `descrip` empty).
        itk::EncapsulateMetaData<std::string>(data->GetMetaDataDictionary(), "ITK_FileNotes", m_Options.description);
      }
      if (auto * labels = dynamic_cast<LabelImage<D> *>(data); labels && port->kind == PortKind::Labels)
      {
        WriteLabelImageForViewers<D>(labels, *output, m_Options.labelColours);
      }
      else if (!detail::WriteIf<LabelImage<D>, D>(data, *output) && !detail::WriteIf<VectorImage<D>, D>(data, *output) &&
          !detail::WriteIf<ScalarImage<D>, D>(data, *output) && !detail::WriteIf<MaskImage<D>, D>(data, *output))
      {
        throw Error(path, "cannot be written: " + m_Stage.name + " made an image of an unexpected type");
      }
    }
    pending.push_back(std::move(output));
  }
}
} // namespace tessera

#endif
