#include "tesseraTiledRun.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <numeric>
#include <sstream>

#include "itkImageAlgorithm.h"
#include "tesseraImageUtilities.h"
#include "tesseraLabelFiles.h"
#include "tesseraTileRegionStitcher.h"

namespace tessera
{
namespace
{
// GeoTIFF's block: tiles of whole blocks write each block once; smaller budgets get tiles of 64-pixel steps
// (blocks they share are rewritten, which only costs file space).
constexpr unsigned int Block = 256, SmallestTile = 64;
constexpr double       BaselineBytes = 80 << 20; // the process before any image, GDAL loaded (`tessera info` on a GeoTIFF: 76 MB)
constexpr double       SamplePixels = 1 << 20;   // most pixels of the sample a model is fitted on

std::string
MiB(double bytes)
{
  std::ostringstream s;
  s << std::ceil(bytes / (1 << 20)) << " MB";
  return s.str();
}

/** Intensities of a tile, as ReadIntensityImage gives them but decided for the whole file: RGBA
 * drops alpha; RGB keeps its three channels (the grey-as-RGB check would differ from tile to tile). */
VectorImage<2>::Pointer
ReadIntensityTile(const std::string & path, const ImageInfo & info, const itk::ImageRegion<2> & region)
{
  auto image = ReadImageFile<VectorImage<2>>(path, &region);
  CheckFinite<2>(image.GetPointer(), path);
  if (info.pixelType != "rgba" || image->GetNumberOfComponentsPerPixel() < 4)
  {
    return image;
  }
  auto out = VectorImage<2>::New();
  out->CopyInformation(image);
  out->SetRegions(image->GetLargestPossibleRegion());
  out->SetNumberOfComponentsPerPixel(3);
  out->Allocate();
  const size_t  n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  const float * p = image->GetBufferPointer();
  for (size_t i = 0; i < n; ++i)
  {
    std::copy(p + i * 4, p + i * 4 + 3, out->GetBufferPointer() + i * 3);
  }
  return out;
}

/** A tile of probabilities with the file's label table (read once), checked as ReadProbabilityImage checks them. */
ProbabilityImage<2>::Pointer
ReadProbabilityTile(const std::string & path, const LabelTable & table, const itk::ImageRegion<2> & region)
{
  auto image = ReadImageFile<ProbabilityImage<2>>(path, &region);
  SetLabelTable(image, table);
  CheckProbabilities<2>(image, path);
  return image;
}

/** A mask tile (non-zero = inside), and whether any pixel is inside. */
std::pair<MaskImage<2>::Pointer, bool>
ReadMaskTile(const std::string & path, const itk::ImageRegion<2> & region)
{
  size_t     inside = 0;
  const auto mask = ThresholdMask<2>(ReadImageFile<ScalarImage<2>>(path, &region).GetPointer(), inside);
  return { mask, inside > 0 };
}

/** Every `stride`-th pixel of every `stride`-th row of an image read tile by tile. */
template <typename TImage, typename TRead>
typename TImage::Pointer
Subsample(const TilePlan & plan, const itk::Size<2> & size, unsigned int stride, TRead read)
{
  typename TImage::Pointer sample;
  for (const auto & tile : plan.tiles)
  {
    const typename TImage::Pointer part = read(tile);
    const unsigned int            nc = part->GetNumberOfComponentsPerPixel();
    if (!sample)
    {
      sample = TImage::New();
      sample->CopyInformation(part);
      auto spacing = part->GetSpacing();
      spacing[0] *= stride;
      spacing[1] *= stride;
      sample->SetSpacing(spacing);
      sample->SetRegions(itk::Size<2>{ { (size[0] + stride - 1) / stride, (size[1] + stride - 1) / stride } });
      sample->SetNumberOfComponentsPerPixel(nc);
      sample->Allocate(true);
      sample->SetMetaDataDictionary(part->GetMetaDataDictionary());
    }
    for (itk::IndexValueType y = tile.GetIndex(1); y < tile.GetUpperIndex()[1] + 1; ++y)
    {
      if (y % stride)
      {
        continue;
      }
      for (itk::IndexValueType x = tile.GetIndex(0) + (stride - tile.GetIndex(0) % stride) % stride;
           x <= tile.GetUpperIndex()[0]; x += stride)
      {
        const auto from = part->GetBufferPointer() + ((y - tile.GetIndex(1)) * tile.GetSize(0) + (x - tile.GetIndex(0))) * nc;
        std::copy(from, from + nc, sample->GetBufferPointer() + ((y / stride) * sample->GetLargestPossibleRegion().GetSize(0) + x / stride) * nc);
      }
    }
  }
  // The sample's origin is the image's: its first pixel is the image's first.
  return sample;
}

/** The centre `tile` of a tile's output `data` (which covers `read`), placed on the whole image's grid
 * (`grid`: index 0, the image's origin) for pasting. */
template <typename TImage>
typename TImage::Pointer
TileCentre(const TImage * data, const itk::ImageRegion<2> & read, const itk::ImageRegion<2> & tile,
           const itk::ImageBase<2> * grid, bool zero)
{
  auto out = TImage::New();
  out->CopyInformation(grid);
  out->SetNumberOfComponentsPerPixel(data->GetNumberOfComponentsPerPixel());
  out->SetBufferedRegion(tile);
  out->SetRequestedRegion(tile);
  out->Allocate(true);
  out->SetMetaDataDictionary(data->GetMetaDataDictionary());
  if (!zero)
  {
    itk::ImageRegion<2> from(tile.GetSize());
    from.SetIndex(0, tile.GetIndex(0) - read.GetIndex(0));
    from.SetIndex(1, tile.GetIndex(1) - read.GetIndex(1));
    itk::ImageAlgorithm::Copy(data, out.GetPointer(), from, tile);
  }
  return out;
}
} // namespace

TilePlan
PlanTiles(const itk::Size<2> & size, unsigned int halo, double bytesPerPixel, double budgetBytes, double fixedBytes,
          unsigned int smallestTile)
{
  TilePlan plan;
  plan.halo = halo;
  plan.bytesPerPixel = bytesPerPixel;
  const unsigned int least = (std::max(smallestTile, SmallestTile) + SmallestTile - 1) / SmallestTile * SmallestTile;
  const double side = std::floor(std::sqrt(std::max(0.0, budgetBytes - fixedBytes) / bytesPerPixel));
  const double inner = side - 2.0 * halo;
  // Whole blocks when they leave a tile of at least `least`, else 64-pixel steps.
  for (const unsigned int step : { Block, SmallestTile })
  {
    if (plan.tileSize < least && inner >= step)
    {
      plan.tileSize = static_cast<unsigned int>(inner / step) * step;
    }
  }
  if (plan.tileSize < least)
  {
    const double smallest = least + 2.0 * halo;
    throw Error("ram", MiB(budgetBytes) + " is below one tile: a " + std::to_string(least) + " x " +
                         std::to_string(least) + " tile with its halo of " + std::to_string(halo) +
                         " pixels needs about " + MiB(fixedBytes + smallest * smallest * bytesPerPixel));
  }
  // As many tiles along each axis as this size needs, each as small as that count allows (in the same
  // steps): no sliver of a tile at the image's edge. A tile much narrower than its halo gave tiled SLIC
  // 2 % of pixels in other regions instead of 0.05 % (2000² crop in tiles of 640, the last 80 wide).
  const unsigned int step = plan.tileSize % Block == 0 ? Block : SmallestTile;
  unsigned int       balanced = least;
  for (unsigned int a = 0; a < 2; ++a)
  {
    const itk::SizeValueType count = (size[a] + plan.tileSize - 1) / plan.tileSize;
    const itk::SizeValueType each = (size[a] + count - 1) / count;
    balanced = std::max(balanced, static_cast<unsigned int>((each + step - 1) / step * step));
  }
  plan.tileSize = std::min(plan.tileSize, balanced);
  for (itk::SizeValueType y = 0; y < size[1]; y += plan.tileSize)
  {
    for (itk::SizeValueType x = 0; x < size[0]; x += plan.tileSize)
    {
      itk::ImageRegion<2> tile;
      tile.SetIndex({ { static_cast<itk::IndexValueType>(x), static_cast<itk::IndexValueType>(y) } });
      tile.SetSize({ { std::min<itk::SizeValueType>(plan.tileSize, size[0] - x),
                       std::min<itk::SizeValueType>(plan.tileSize, size[1] - y) } });
      plan.tiles.push_back(tile);
    }
  }
  return plan;
}

bool
RunTiled(const StageDescription & stage, const PortFiles & files,
         const ParameterValues & parameters, const RunOptions & options, double budgetMiB,
         std::vector<std::unique_ptr<AtomicOutput>> & pending)
{
  const TilingDescription & tiling = stage.tiling;
  const PortDescription *   primary = stage.PrimaryInput();
  const std::string         path = files.at(primary->name).at(0);
  const ImageInfo           info = ReadImageInfo(path);
  double                    pixels = 1.0;
  for (const auto s : info.size)
  {
    pixels *= static_cast<double>(s);
  }
  const double budget = budgetMiB * (1 << 20);
  // Stitched regions: a tile's provisional numbers (4 bytes per pixel) beside the stage's own.
  const double bytesPerPixel = tiling.bytesPerPixel(parameters, files, info.components) + (tiling.regions ? 4.0 : 0.0);
  const double fixedBytes = BaselineBytes + (tiling.fixedBytes ? tiling.fixedBytes(parameters, files) : 0.0);
  const double needed = fixedBytes + pixels * bytesPerPixel;
  if (needed <= budget)
  {
    return false;
  }
  if (info.dimension != 2)
  {
    throw Error("ram", path + " needs about " + MiB(needed) + "; tiled runs take 2D rasters, and it is " +
                         std::to_string(info.dimension) + "D");
  }
  if (const std::string why = tiling.refusal ? tiling.refusal(parameters, files) : ""; !why.empty())
  {
    throw Error("ram", path + " needs about " + MiB(needed) + ", and a tiled run cannot " + why);
  }
  // Image inputs besides the primary input and the mask (read tile by tile by gathering stages only).
  std::map<std::string, ImageInfo> others;
  for (const auto & port : stage.inputs)
  {
    if (files.count(port.name) && port.IsImage() && port.name != primary->name && port.kind != PortKind::Mask)
    {
      if (!tiling.gathering)
      {
        throw Error(port.name, "a tiled run (--ram) reads the input and the mask tile by tile; not this image");
      }
      others.emplace(port.name, ReadImageInfo(files.at(port.name).at(0)));
    }
  }
  // Formats whose readers take a window: others would be read whole for every tile.
  std::vector<std::pair<std::string, std::string>> windowed{ { "ram", path },
                                                             { "mask", files.count("mask") ? files.at("mask").at(0) : "" } };
  for (const auto & other : others)
  {
    windowed.emplace_back(other.first, files.at(other.first).at(0));
  }
  for (const auto & [port, name] : windowed)
  {
    const std::string format = LowerCaseExtension(name);
    if (!name.empty() && format != ".tif" && format != ".tiff" && format != ".vrt" && format != ".mha" &&
        format != ".mhd")
    {
      throw Error(port, name + ": tiled runs read GeoTIFF, VRT or MetaImage window by window (" + path +
                          " needs about " + MiB(needed) + "); convert it first, e.g. gdal_translate -co TILED=YES " + name + " image.tif");
    }
  }
  for (const auto & port : stage.outputs)
  {
    if (!files.count(port.name))
    {
      continue;
    }
    if (port.kind == PortKind::Text && tiling.gathering)
    {
      continue; // written once, from the decision
    }
    if (port.kind != PortKind::Labels && port.kind != PortKind::Probabilities && port.kind != PortKind::Image)
    {
      throw Error(port.name, "is not written by a tiled run (--ram): only images are, tile by tile");
    }
    const std::string extension = LowerCaseExtension(files.at(port.name).at(0));
    if (extension != ".tif" && extension != ".tiff")
    {
      throw Error(port.name, files.at(port.name).at(0) + ": a tiled run (--ram) writes GeoTIFF (.tif), tile by tile");
    }
  }
  for (const auto & [port, other] : others)
  {
    if (other.size != info.size)
    {
      throw Error(port, files.at(port).at(0) + " is not of the input's size");
    }
  }
  const itk::Size<2> size{ { info.size[0], info.size[1] } };
  const unsigned int halo = tiling.halo(parameters, files);
  // Regions are stitched between neighbours only: tiles at least twice the halo.
  const TilePlan     plan = tiling.regions ? PlanTiles(size, halo, bytesPerPixel, budget,
                                                       fixedBytes + TileRegionStitcher::BorderBytes(size[0], halo), 2 * halo)
                                           : PlanTiles(size, halo, bytesPerPixel, budget, fixedBytes);
  const std::string  maskPath = files.count("mask") ? files.at("mask").at(0) : std::string();
  if (!maskPath.empty())
  {
    const ImageInfo mask = ReadImageInfo(maskPath);
    if (mask.size != info.size || mask.components != 1)
    {
      throw Error("mask", maskPath + " is not a scalar image of the input's size");
    }
  }

  // Contexts as the caller would make them, on tiles instead of files; quiet: the tiles report here.
  RunOptions tileOptions = options;
  tileOptions.quiet = true;
  const auto context = [&](VectorImage<2> * image, MaskImage<2> * mask) {
    auto c = std::make_unique<StageContext>(stage, parameters, tileOptions);
    for (const auto & port : stage.inputs)
    {
      if (files.count(port.name) && !port.IsImage())
      {
        c->SetInputFiles(port.name, files.at(port.name));
      }
    }
    c->SetInputData(primary->name, image, path);
    if (mask)
    {
      c->SetInputData("mask", mask, maskPath);
    }
    return c;
  };
  // The primary input's tiles as its port reads them: intensities, or probabilities with their label table.
  LabelTable table;
  if (primary->kind == PortKind::Probabilities)
  {
    const itk::ImageRegion<2> first(itk::Size<2>{ { 1, 1 } });
    const auto                corner = ReadImageFile<ProbabilityImage<2>>(path, &first);
    if (const std::string text = ReadLabelTableText(path, corner->GetMetaDataDictionary()); !text.empty())
    {
      SetLabelTable(corner, LabelTable::FromJson(text, path));
    }
    table = ClassTable<2>(corner, path);
  }
  const auto readTile = [&](const itk::ImageRegion<2> & region) {
    return primary->kind == PortKind::Probabilities ? ReadProbabilityTile(path, table, region)
                                                    : ReadIntensityTile(path, info, region);
  };
  ProgressReporter progress(stage.name, options.quiet);
  std::any model;
  if (tiling.fitsModel)
  {
    const auto stride = static_cast<unsigned int>(std::ceil(std::sqrt(pixels / SamplePixels)));
    progress.SetStage("sampling every " + std::to_string(stride) + "th pixel");
    const auto sample = Subsample<VectorImage<2>>(plan, size, stride, readTile);
    MaskImage<2>::Pointer sampleMask;
    if (!maskPath.empty())
    {
      sampleMask = Subsample<MaskImage<2>>(plan, size, stride, [&](const itk::ImageRegion<2> & r) {
        return ReadMaskTile(maskPath, r).first;
      });
    }
    progress.SetStage("fitting on " + std::to_string(sample->GetLargestPossibleRegion().GetNumberOfPixels()) +
                      " pixels");
    auto fit = context(sample, sampleMask);
    fit->Run();
    model = fit->FittedModel();
  }

  // The whole image's grid, onto which tile centres are pasted.
  auto grid = itk::ImageBase<2>::New();
  {
    const itk::ImageRegion<2> first(itk::Size<2>{ { 1, 1 } });
    const auto                corner = ReadImageFile<VectorImage<2>>(path, &first);
    grid->CopyInformation(corner);
    grid->SetLargestPossibleRegion(itk::ImageRegion<2>(size));
  }
  std::map<std::string, AtomicOutput *> outputs;
  // Region labels go first, as provisional numbers, into a scratch GeoTIFF in a temporary folder that
  // is never committed; the second pass writes the joined regions' labels.
  struct Stitch
  {
    TileRegionStitcher            stitcher;
    std::unique_ptr<AtomicOutput> scratch;
    itk::MetaDataDictionary       dictionary;
  };
  std::map<std::string, Stitch> stitches;
  for (const auto & port : stage.outputs)
  {
    if (files.count(port.name) && port.kind != PortKind::Text)
    {
      pending.push_back(std::make_unique<AtomicOutput>(files.at(port.name).at(0)));
      outputs[port.name] = pending.back().get();
      if (tiling.regions && port.kind == PortKind::Labels)
      {
        stitches.emplace(port.name, Stitch{ TileRegionStitcher(size, plan.halo),
                                            std::make_unique<AtomicOutput>(files.at(port.name).at(0) + ".regions.tif"), {} });
      }
    }
  }
  // A tile's context: its inputs read over the tile and its halo, placed in the whole image. A tile
  // wholly outside the mask is run without it (a mask must not be empty) and written as 0.
  struct Tile
  {
    std::unique_ptr<StageContext> context;
    itk::ImageRegion<2>           read;
    bool                          inside = true;
  };
  const auto openTile = [&](const itk::ImageRegion<2> & tile) {
    Tile run;
    run.read = tile;
    run.read.PadByRadius(plan.halo);
    run.read.Crop(itk::ImageRegion<2>(size));
    const auto            image = readTile(run.read);
    MaskImage<2>::Pointer mask;
    if (!maskPath.empty())
    {
      std::tie(mask, run.inside) = ReadMaskTile(maskPath, run.read);
    }
    run.context = context(image, run.inside ? mask.GetPointer() : nullptr);
    for (const auto & [port, other] : others)
    {
      const std::string name = files.at(port).at(0);
      run.context->SetInputData(port,
                                stage.FindInput(port)->kind == PortKind::Labels
                                  ? static_cast<itk::DataObject *>(ReadLabelImage<2>(name, &run.read).GetPointer())
                                  : ReadIntensityTile(name, other, run.read).GetPointer(),
                                name);
    }
    if (model.has_value())
    {
      run.context->SetFixedModel(model);
    }
    TilePlacement placement;
    for (unsigned int a = 0; a < 2; ++a)
    {
      placement.wholeSize.push_back(static_cast<int64_t>(size[a]));
      placement.offset.push_back(run.read.GetIndex(a));
      placement.keepOffset.push_back(tile.GetIndex(a) - run.read.GetIndex(a));
      placement.keepSize.push_back(static_cast<int64_t>(tile.GetSize(a)));
    }
    run.context->SetPlacement(placement);
    return run;
  };
  std::unique_ptr<TiledGathering> gathering = tiling.gathering ? tiling.gathering(parameters) : nullptr;
  std::string                     decided;
  if (gathering)
  {
    progress.SetStage("gathering " + std::to_string(plan.tiles.size()) + " tiles");
    for (size_t t = 0; t < plan.tiles.size(); ++t)
    {
      gathering->Gather(*openTile(plan.tiles[t]).context);
      progress.Report(static_cast<double>(t + 1) / static_cast<double>(plan.tiles.size()));
    }
    progress.SetStage("deciding on the whole image");
    for (const auto & [port, text] : gathering->Decide(files, decided))
    {
      pending.push_back(std::make_unique<AtomicOutput>(files.at(port).at(0)));
      WriteTextFile(*pending.back(), text);
    }
  }
  progress.SetStage(std::to_string(plan.tiles.size()) + " tiles");
  for (size_t t = 0; t < plan.tiles.size(); ++t)
  {
    const auto & tile = plan.tiles[t];
    const Tile   run = openTile(tile);
    const auto & read = run.read;
    const bool   inside = run.inside;
    auto &       c = run.context;
    for (const auto & [port, out] : outputs)
    {
      c->RequestOutput(port, "");
    }
    if (gathering)
    {
      gathering->Apply(*c);
    }
    else
    {
      c->Run();
    }
    for (const auto & [port, out] : outputs)
    {
      itk::DataObject * data = c->OutputData(port);
      auto * labels = dynamic_cast<LabelImage<2> *>(data);
      if (labels && stitches.count(port))
      {
        Stitch & s = stitches.at(port);
        auto     numbers = TileRegionStitcher::ProvisionalImage::New();
        if (inside)
        {
          numbers = s.stitcher.AddTile(labels, read, tile);
        }
        else
        {
          numbers->SetRegions(read.GetSize());
          numbers->Allocate(true);
        }
        WriteImageFile(TileCentre<TileRegionStitcher::ProvisionalImage>(numbers, read, tile, grid, !inside).GetPointer(),
                       *s.scratch);
        s.dictionary = labels->GetMetaDataDictionary();
      }
      else if (labels)
      {
        auto centre = TileCentre<LabelImage<2>>(labels, read, tile, grid, !inside);
        WriteLabelImageForViewers<2>(centre, *out);
      }
      else if (auto * vectors = dynamic_cast<VectorImage<2> *>(data))
      {
        WriteImageFile(TileCentre<VectorImage<2>>(vectors, read, tile, grid, !inside).GetPointer(), *out);
      }
      else
      {
        throw Error(port, stage.name + " made no image to write");
      }
    }
    progress.Report(static_cast<double>(t + 1) / static_cast<double>(plan.tiles.size()));
  }
  std::string joined;
  for (auto & [port, stitch] : stitches)
  {
    Stitch & s = stitch; // a reference, not the binding: clang's C++17 lambdas cannot capture bindings
    progress.SetStage("joining the regions across tiles");
    const std::size_t regions = s.stitcher.Finish();
    joined = ", " + std::to_string(regions) + " regions joined across tiles";
    // Every tile carries the table of all regions: one pixel type for the file, whole sidecars.
    std::vector<LabelPixel> numbers(regions);
    std::iota(numbers.begin(), numbers.end(), LabelPixel{ 1 });
    itk::EncapsulateMetaData<std::string>(s.dictionary, LabelTableKey, LabelTable::Numbered(numbers).ToJson(true));
    for (const auto & tile : plan.tiles)
    {
      const auto numbers = ReadImageFile<TileRegionStitcher::ProvisionalImage>(s.scratch->TemporaryPath(), &tile);
      auto       labels = LabelImage<2>::New();
      labels->CopyInformation(grid);
      labels->SetBufferedRegion(tile);
      labels->SetRequestedRegion(tile);
      labels->Allocate();
      labels->SetMetaDataDictionary(s.dictionary);
      std::transform(numbers->GetBufferPointer(), numbers->GetBufferPointer() + tile.GetNumberOfPixels(),
                     labels->GetBufferPointer(), [&](std::uint32_t n) { return s.stitcher.Final(n); });
      WriteLabelImageForViewers<2>(labels, *outputs.at(port));
    }
  }
  progress.Done();
  if (!options.quiet)
  {
    std::cout << plan.tiles.size() << " tiles of " << plan.tileSize << " x " << plan.tileSize << " pixels (halo "
              << plan.halo << ") under " << budgetMiB << " MB" << (tiling.fitsModel ? ", the model fitted on a sample" : "")
              << joined << std::endl;
    if (!decided.empty())
    {
      std::cout << decided << std::endl;
    }
  }
  return true;
}
} // namespace tessera
