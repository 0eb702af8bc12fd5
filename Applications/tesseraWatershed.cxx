// tessera watershed: morphological watershed of the gradient magnitude, from regional minima
// (with a flooding level) or from markers.
#include <algorithm>

#include "tesseraApplication.h"
#include "tesseraProgress.h"
#include "tesseraRegionIO.h"
#include "tesseraWatershedImageFilter.h"

namespace tessera
{
namespace
{
struct WatershedApp
{
  RegionIO      io;
  std::string   markers;
  std::string   relief;
  double        sigma = 1.0;
  double        level = 0.05;
  bool          line = false;
  bool          fullyConnected = false;
  CommonOptions common;
};

template <unsigned int D>
void
Run(const WatershedApp & o)
{
  auto image = o.io.Read<D>();
  auto filter = WatershedSegmentationImageFilter<D>::New();
  filter->SetInput(image);
  if (!o.markers.empty())
  {
    auto markers = ReadLabelImage<D>(o.markers);
    CheckSameGrid(image.GetPointer(), o.io.input, markers.GetPointer(), o.markers);
    const size_t n = markers->GetLargestPossibleRegion().GetNumberOfPixels();
    if (std::all_of(markers->GetBufferPointer(), markers->GetBufferPointer() + n, [](LabelPixel l) { return l == 0; }))
    {
      throw Error(o.markers, "the marker image is empty (no non-zero voxel)");
    }
    filter->SetMarkerImage(markers);
  }
  filter->SetSigma(o.sigma);
  filter->SetLevel(o.level);
  filter->SetMarkWatershedLine(o.line);
  filter->SetFullyConnected(o.fullyConnected);
  ProgressReporter progress("watershed", o.common.quiet);
  progress.Watch(filter, "");
  filter->Update();
  o.io.Write<D>(image, filter->GetOutput());
  if (!o.relief.empty())
  {
    WriteImageFile(filter->GetRelief(), o.relief);
  }
  progress.Done();
  PrintResult(o.common, std::to_string(filter->GetNumberOfRegions()) + " regions");
}

void
Setup(CLI::App & sub)
{
  auto o = std::make_shared<WatershedApp>();
  o->io.AddOptions(sub, "Image to segment: scalar, RGB or multi-component, 2D or 3D");
  sub.add_option("--markers", o->markers,
                 "Marker label image on the input's grid (non-zero = markers): one region per marker label, "
                 "labels kept (ITK MorphologicalWatershedFromMarkers). Without it: regional minima");
  sub.add_option("--sigma", o->sigma,
                 "Gradient scale in mm (ITK GradientMagnitudeRecursiveGaussian; >= 0; 0 floods the one-channel input "
                 "itself as the relief)")
    ->default_val(1.0);
  sub.add_option("--level", o->level,
                 "Without markers: flooding level as a fraction in [0, 1) of the relief's maximum; minima shallower "
                 "than it are removed (h-minima), so higher = fewer regions")
    ->default_val(0.05);
  sub.add_flag("--line", o->line, "Keep one-voxel watershed lines of label 0 between regions (default: regions touch)");
  sub.add_flag("--fully-connected", o->fullyConnected, "8 (2D) / 26 (3D) neighbours instead of 4 / 6");
  sub.add_option("--relief", o->relief, "Also write the relief (gradient magnitude) that was flooded, float");
  AddCommonOptions(sub, o->common, false);
  sub.callback([o] {
    ApplyCommonOptions(o->common);
    o->io.CheckOutputs({ o->markers }, { o->relief });
    DispatchDimension(o->io.input, [&](auto d) { Run<decltype(d)::value>(*o); });
  });
}

const ApplicationRegistration registration{ "watershed", "Watershed of the gradient magnitude, from minima or markers", Setup };
} // namespace
} // namespace tessera
