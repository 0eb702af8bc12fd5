#ifndef tesseraImageIO_hxx
#define tesseraImageIO_hxx

#include <algorithm>
#include <type_traits>

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
  reader->SetImageIO(CreateImageIO(path, itk::ImageIOFactory::IOFileModeEnum::ReadMode));
  reader->SetFileName(path);
  detail::UpdateReader(reader, path);
  typename TImage::Pointer image = reader->GetOutput();
  image->DisconnectPipeline();
  if (detail::IsPhotographicPath(path))
  {
    typename TImage::SpacingType spacing;
    spacing.Fill(1.0);
    image->SetSpacing(spacing);
    image->SetOrigin(typename TImage::PointType());
  }
  using Value = typename itk::NumericTraits<typename TImage::PixelType>::ValueType;
  if constexpr (std::is_same_v<Value, float> || std::is_same_v<Value, double>)
  {
    if (detail::IsNiftiPath(path))
    {
      detail::RestoreNiftiNonFinite(path, image->GetBufferPointer(), image->GetBufferedRegion().GetNumberOfPixels(),
                                    image->GetNumberOfComponentsPerPixel());
    }
  }
  return image;
}

template <typename TImage>
void
WriteImageFile(const TImage * image, AtomicOutput & out)
{
  // Labels that fit in 8 bits go into PNG as 8-bit grey (16-bit PNGs look black in most viewers),
  // and into 2D TIFF as 8-bit (GIS palettes of 256 colours instead of 65536).
  if constexpr (std::is_same_v<typename TImage::PixelType, LabelPixel> && !detail::IsVectorImage<TImage>::value)
  {
    const std::string ext = LowerCaseExtension(out.FinalPath());
    const size_t        n = image->GetBufferedRegion().GetNumberOfPixels();
    const LabelPixel *  p = image->GetBufferPointer();
    const bool          eightBitFormat =
      ext == ".png" || (TImage::ImageDimension == 2 && (ext == ".tif" || ext == ".tiff"));
    if (eightBitFormat && std::all_of(p, p + n, [](LabelPixel l) { return l <= 255; }))
    {
      using ByteImage = itk::Image<std::uint8_t, TImage::ImageDimension>;
      auto bytes = ByteImage::New();
      bytes->CopyInformation(image);
      bytes->SetRegions(image->GetBufferedRegion());
      bytes->SetMetaDataDictionary(image->GetMetaDataDictionary());
      bytes->Allocate();
      std::copy(p, p + n, bytes->GetBufferPointer());
      WriteImageFile(bytes.GetPointer(), out);
      return;
    }
  }
  auto writer = itk::ImageFileWriter<TImage>::New();
  writer->SetImageIO(
    CreateImageIO(out.FinalPath(), itk::ImageIOFactory::IOFileModeEnum::WriteMode, TImage::ImageDimension));
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
