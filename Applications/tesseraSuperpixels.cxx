// tessera superpixels: SLIC superpixels/supervoxels (ITK, 2D and 3D) and OpenCV ximgproc
// superpixels (SLIC, SLICO, MSLIC, SEEDS, LSC, Felzenszwalb; 2D).
#include "tesseraApplication.h"
#include "tesseraProgress.h"
#include "tesseraRegionIO.h"
#include "tesseraSuperpixels.h"

namespace tessera
{
namespace
{
struct SuperpixelsApp
{
  RegionIO          io;
  std::string       method = "slic";
  SuperpixelOptions options;
  bool              noLab = false;
  CommonOptions     common;
};

template <unsigned int D>
void
Run(const SuperpixelsApp & o)
{
  auto              image = o.io.Read<D>();
  SuperpixelOptions options = o.options;
  options.method = ParseSuperpixelMethod(o.method);
  options.lab = !o.noLab;
  auto filter = SuperpixelImageFilter<D>::New();
  filter->SetInput(image);
  filter->SetOptions(options);
  ProgressReporter progress("superpixels", o.common.quiet);
  progress.Watch(filter, "");
  filter->Update();
  o.io.Write<D>(image, filter->GetOutput());
  progress.Done();
  PrintResult(o.common, std::to_string(filter->GetNumberOfSegments()) + " superpixels (" + o.method + ")");
}

void
Setup(CLI::App & sub)
{
  auto o = std::make_shared<SuperpixelsApp>();
  o->io.AddOptions(sub, "Image: scalar, RGB or multi-component; 2D (all methods) or 3D (slic)");
  sub.add_option("--method", o->method,
                 "slic (ITK SLICImageFilter, 2D and 3D), opencv-slic, slico, mslic, seeds, lsc, felzenszwalb "
                 "(OpenCV ximgproc, 2D)")
    ->default_val("slic");
  sub.add_option("-n,--segments", o->options.segments,
                 "Requested number of superpixels (> 0); grid step = (physical extent / n)^(1/D) mm")
    ->default_val(1000);
  sub.add_option("--compactness", o->options.compactness,
                 "slic/opencv-slic/slico/mslic/lsc: weight of space against colour (> 0; ITK SpatialProximityWeight, "
                 "OpenCV ruler, LSC ratio = compactness/100)")
    ->default_val(10.0);
  sub.add_option("--iterations", o->options.iterations, "slic/seeds/lsc iterations (> 0)")->default_val(10);
  sub.add_flag("--no-lab", o->noLab, "Cluster 3-channel images in their own values, not CIE L*a*b*");
  sub.add_option("--scale", o->options.scale, "felzenszwalb: scale k (> 0; larger = larger regions)")->default_val(300.0);
  sub.add_option("--sigma", o->options.sigma, "felzenszwalb: Gaussian pre-smoothing in pixels (>= 0)")->default_val(0.5);
  sub.add_option("--min-size", o->options.minimumSize, "felzenszwalb: smallest region in pixels")->default_val(50);
  AddCommonOptions(sub, o->common, false);
  sub.callback([o] {
    ApplyCommonOptions(o->common);
    ParseSuperpixelMethod(o->method); // a bad name fails before reading
    o->io.CheckOutputs();
    DispatchDimension(o->io.input, [&](auto d) { Run<decltype(d)::value>(*o); });
  });
}

const ApplicationRegistration registration{ "superpixels", "Superpixels / supervoxels: SLIC (2D/3D), SLICO, SEEDS, LSC, Felzenszwalb",
                                            Setup };
} // namespace
} // namespace tessera
