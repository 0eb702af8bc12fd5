#ifndef tesseraImageIO_hxx
#define tesseraImageIO_hxx

#include <algorithm>
#include <type_traits>

#include "itkImageAlgorithm.h"
#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkMetaDataObject.h"
#include "itkVectorImage.h"
#include "tesseraLabelTable.h"

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
ReadImageFile(const std::string & path, const typename TImage::RegionType * region)
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
  if (region && detail::IsNiftiPath(path))
  {
    // ITK's NIfTI reader turns NaN into 0, and the voxels put back (RestoreNiftiNonFinite) are the whole file's.
    throw Error(path, "NIfTI files are read whole; for tiles, convert it to MetaImage (.mha) or GeoTIFF (.tif)");
  }
  auto reader = itk::ImageFileReader<TImage>::New();
  reader->SetImageIO(CreateImageIO(path, itk::ImageIOFactory::IOFileModeEnum::ReadMode));
  reader->SetFileName(path);
  if (region)
  {
    reader->GetOutput()->SetRequestedRegion(*region);
  }
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
  if (region)
  {
    // Readers that cannot stream fill a larger buffer: keep the region only.
    if (image->GetBufferedRegion() != *region)
    {
      auto cropped = TImage::New();
      cropped->CopyInformation(image);
      cropped->SetRegions(*region);
      cropped->SetNumberOfComponentsPerPixel(image->GetNumberOfComponentsPerPixel());
      cropped->SetMetaDataDictionary(image->GetMetaDataDictionary());
      cropped->Allocate();
      itk::ImageAlgorithm::Copy(image.GetPointer(), cropped.GetPointer(), *region, *region);
      image = cropped;
    }
    typename TImage::PointType origin;
    image->TransformIndexToPhysicalPoint(region->GetIndex(), origin);
    image->SetOrigin(origin);
    image->SetRegions(typename TImage::RegionType(region->GetSize()));
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
    // A tile pasted into a file decides by the label table all tiles carry, so that every tile
    // takes the pixel type of the first.
    std::string table;
    const bool  tile = image->GetBufferedRegion() != image->GetLargestPossibleRegion() &&
                      itk::ExposeMetaData<std::string>(image->GetMetaDataDictionary(), LabelTableKey, table);
    const auto  labels = tile ? LabelTable::FromJson(table, out.FinalPath()).Labels() : std::vector<LabelPixel>();
    if (eightBitFormat && (tile ? std::all_of(labels.begin(), labels.end(), [](LabelPixel l) { return l <= 255; })
                                : std::all_of(p, p + n, [](LabelPixel l) { return l <= 255; })))
    {
      using ByteImage = itk::Image<std::uint8_t, TImage::ImageDimension>;
      auto bytes = ByteImage::New();
      bytes->CopyInformation(image);
      bytes->SetBufferedRegion(image->GetBufferedRegion());
      bytes->SetRequestedRegion(image->GetBufferedRegion());
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
  if (image->GetBufferedRegion() != image->GetLargestPossibleRegion())
  {
    // A tile (TiledRun): pasted into the file, which the first tile creates (GDAL rasters).
    const auto &      tile = image->GetBufferedRegion();
    itk::ImageIORegion region(TImage::ImageDimension);
    for (unsigned int d = 0; d < TImage::ImageDimension; ++d)
    {
      region.SetIndex(d, tile.GetIndex(d) - image->GetLargestPossibleRegion().GetIndex(d));
      region.SetSize(d, tile.GetSize(d));
    }
    writer->SetIORegion(region);
  }
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
