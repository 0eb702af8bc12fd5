#ifndef tesseraImageIO_hxx
#define tesseraImageIO_hxx

#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkMetaDataObject.h"
#include "itkVectorImage.h"

namespace tessera
{
namespace detail
{
template <typename T>
struct IsVectorImage : std::false_type
{};
template <typename P, unsigned int D>
struct IsVectorImage<itk::VectorImage<P, D>> : std::true_type
{};
} // namespace detail

template <typename TImage>
typename TImage::Pointer
ReadImageFile(const std::string & path)
{
  const ImageInfo info = ReadImageInfo(path);
  if (info.dimension != TImage::ImageDimension)
  {
    throw Error(path, "is a " + std::to_string(info.dimension) + "D image; " +
                        std::to_string(TImage::ImageDimension) + "D expected");
  }
  if (!detail::IsVectorImage<TImage>::value && info.components != 1)
  {
    throw Error(path, "has " + std::to_string(info.components) + " components per pixel; a scalar image expected");
  }
  auto reader = itk::ImageFileReader<TImage>::New();
  reader->SetFileName(path);
  try
  {
    reader->Update();
  }
  catch (const itk::ExceptionObject & e)
  {
    throw Error(path, std::string("cannot be read: ") + e.GetDescription());
  }
  typename TImage::Pointer image = reader->GetOutput();
  image->DisconnectPipeline();
  return image;
}

template <typename TImage>
void
WriteImageFile(const TImage * image, AtomicOutput & out)
{
  auto writer = itk::ImageFileWriter<TImage>::New();
  writer->SetInput(image);
  writer->SetFileName(out.TemporaryPath());
  writer->SetUseCompression(true);
  try
  {
    writer->Update();
  }
  catch (const itk::ExceptionObject & e)
  {
    throw Error(out.FinalPath(), std::string("cannot be written: ") + e.GetDescription());
  }
  std::string table;
  if (itk::ExposeMetaData<std::string>(image->GetMetaDataDictionary(), LabelTableKey, table) &&
      !FormatKeepsMetaData(out.FinalPath()))
  {
    WriteLabelTableSidecar(out, table);
  }
}

template <typename TImage>
void
WriteImageFile(const TImage * image, const std::string & path)
{
  AtomicOutput out(path);
  WriteImageFile(image, out);
  out.Commit();
}
} // namespace tessera

#endif
