// tessera region-grow: seeded region growing (interval, confidence, or competing regions by
// distance to the running mean).
#include <algorithm>
#include <cmath>

#include "tesseraApplication.h"
#include "tesseraProgress.h"
#include "tesseraRegionGrowingImageFilter.h"
#include "tesseraRegionIO.h"

namespace tessera
{
namespace
{
struct RegionGrowApp
{
  RegionIO                 io;
  std::vector<std::string> seedIndices;
  std::vector<std::string> seedPoints;
  std::string              seedImage;
  std::string              criterion = "distance";
  std::vector<double>      lower;
  std::vector<double>      upper;
  double                   multiplier = 2.5;
  unsigned int             iterations = 4;
  unsigned int             radius = 1;
  double                   maxDistance = std::numeric_limits<double>::infinity();
  bool                     fullyConnected = false;
  CommonOptions            common;
};

template <unsigned int D>
void
Run(const RegionGrowApp & o)
{
  auto image = o.io.Read<D>();
  auto filter = RegionGrowingImageFilter<D>::New();
  filter->SetInput(image);
  for (const auto & text : o.seedIndices)
  {
    const auto [p, label] = ParsePointWithLabel<D>(text, "--seed-index");
    itk::Index<D> index;
    for (unsigned int d = 0; d < D; ++d)
    {
      if (p[d] != std::floor(p[d]))
      {
        throw Error("--seed-index", "'" + text + "' is not a voxel index (integers expected)");
      }
      index[d] = static_cast<itk::IndexValueType>(p[d]);
    }
    filter->AddSeed(index, static_cast<LabelPixel>(label));
  }
  for (const auto & text : o.seedPoints)
  {
    const auto [p, label] = ParsePointWithLabel<D>(text, "--seed-point");
    itk::Point<double, D> point;
    for (unsigned int d = 0; d < D; ++d)
    {
      point[d] = p[d];
    }
    filter->AddSeed(SeedIndexFromPoint<D>(image.GetPointer(), point, "--seed-point"), static_cast<LabelPixel>(label));
  }
  if (!o.seedImage.empty())
  {
    auto seeds = ReadLabelImage<D>(o.seedImage);
    CheckSameGrid(image.GetPointer(), o.io.input, seeds.GetPointer(), o.seedImage);
    const size_t n = seeds->GetLargestPossibleRegion().GetNumberOfPixels();
    if (std::all_of(seeds->GetBufferPointer(), seeds->GetBufferPointer() + n, [](LabelPixel l) { return l == 0; }))
    {
      throw Error(o.seedImage, "the seed image is empty (no non-zero voxel)");
    }
    filter->SetSeedImage(seeds);
  }
  if (o.criterion == "interval")
  {
    filter->SetCriterion(RegionGrowingCriterion::Interval);
  }
  else if (o.criterion == "confidence")
  {
    filter->SetCriterion(RegionGrowingCriterion::Confidence);
  }
  else
  {
    filter->SetCriterion(RegionGrowingCriterion::MeanDistance);
  }
  if (!o.lower.empty())
  {
    filter->SetLowerPerChannel(o.lower);
  }
  if (!o.upper.empty())
  {
    filter->SetUpperPerChannel(o.upper);
  }
  filter->SetMultiplier(o.multiplier);
  filter->SetNumberOfIterations(o.iterations);
  filter->SetInitialNeighborhoodRadius(o.radius);
  filter->SetMaximumDistance(o.maxDistance);
  filter->SetFullyConnected(o.fullyConnected);
  ProgressReporter progress("region-grow", o.common.quiet);
  progress.Watch(filter, "");
  filter->Update();
  o.io.Write<D>(image, filter->GetOutput());
  progress.Done();
  const LabelImage<D> * out = filter->GetOutput();
  const size_t          n = out->GetLargestPossibleRegion().GetNumberOfPixels();
  std::map<LabelPixel, size_t> sizes;
  for (size_t i = 0; i < n; ++i)
  {
    if (out->GetBufferPointer()[i])
    {
      ++sizes[out->GetBufferPointer()[i]];
    }
  }
  std::ostringstream s;
  s << "regions:";
  for (const auto & [label, count] : sizes)
  {
    s << " " << label << "=" << count << " voxels";
  }
  PrintResult(o.common, s.str());
}

void
Setup(CLI::App & sub)
{
  auto o = std::make_shared<RegionGrowApp>();
  o->io.AddOptions(sub, "Image to segment: scalar, RGB or multi-component, 2D or 3D");
  sub.add_option("--seed-index", o->seedIndices,
                 "Seed voxel index x,y[,z] (0-based), optionally :label (default label 1); repeatable");
  sub.add_option("--seed-point", o->seedPoints,
                 "Seed physical point x,y[,z] in mm (through the image's origin, spacing and direction), "
                 "optionally :label (default 1); repeatable");
  sub.add_option("--seeds", o->seedImage, "Seed label image on the input's grid: every non-zero voxel seeds its label");
  sub.add_option("--criterion", o->criterion,
                 "interval: every channel within [--lower, --upper] (ITK ConnectedThreshold); confidence: within "
                 "mean ± multiplier·sigma, iterated (ITK [Vector]ConfidenceConnected); distance: competing regions "
                 "by distance to the running mean (Adams & Bischof 1994)")
    ->check(CLI::IsMember({ "interval", "confidence", "distance" }))
    ->default_val("distance");
  sub.add_option("--lower", o->lower, "interval: lower bound, intensity units; one value or one per channel")->delimiter(',');
  sub.add_option("--upper", o->upper, "interval: upper bound, intensity units; one value or one per channel")->delimiter(',');
  sub.add_option("--multiplier", o->multiplier, "confidence: k in mean ± k·sigma (> 0)")->default_val(2.5);
  sub.add_option("--iterations", o->iterations, "confidence: re-estimations of mean and sigma")->default_val(4);
  sub.add_option("--radius", o->radius, "confidence: radius in voxels of the neighbourhood of each seed giving the "
                                        "first mean and sigma")->default_val(1);
  sub.add_option("--max-distance", o->maxDistance,
                 "distance: voxels farther than this (intensity units, > 0) from every bordering region's mean stay 0 "
                 "(default: no limit, every connected voxel is labelled)");
  sub.add_flag("--fully-connected", o->fullyConnected, "8 (2D) / 26 (3D) neighbours instead of 4 / 6 (interval, distance)");
  AddCommonOptions(sub, o->common, false);
  sub.callback([o] {
    ApplyCommonOptions(o->common);
    o->io.CheckOutputs({ o->seedImage });
    if (o->seedIndices.empty() && o->seedPoints.empty() && o->seedImage.empty())
    {
      throw Error("seed", "no seed given (--seed-index, --seed-point or --seeds)");
    }
    DispatchDimension(o->io.input, [&](auto d) { Run<decltype(d)::value>(*o); });
  });
}

const ApplicationRegistration registration{ "region-grow", "Seeded region growing: interval, confidence or competing regions",
                                            Setup };
} // namespace
} // namespace tessera
