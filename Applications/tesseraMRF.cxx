// tessera mrf: labels an image from per-class probabilities by minimising a Potts Markov random
// field energy, -log p per voxel plus beta per pair of neighbours with different labels, with
// graph-cut alpha-expansion (default) or ICM. Prints the initial and final energy.
#include <cmath>
#include <iomanip>
#include <sstream>

#include "tesseraApplication.h"
#include "tesseraImageUtilities.h"
#include "tesseraLabelTable.h"
#include "tesseraOverlay.h"
#include "tesseraPottsMRFImageFilter.h"
#include "tesseraProgress.h"

namespace tessera
{
namespace
{
struct MRFOptions
{
  std::string   input;
  std::string   output;
  std::string   mask;
  double        smoothness = 0.5;
  std::string   method = "alpha-expansion";
  bool          fullConnectivity = false;
  unsigned int  iterations = 20;
  double        epsilon = DefaultPottsEpsilon;
  std::string   initial;
  std::string   overlay;
  std::string   image;
  std::string   labels;
  CommonOptions common;
};

template <unsigned int D>
void
RunMRF(const MRFOptions & o)
{
  const auto probabilities = ReadImageFile<ProbabilityImage<D>>(o.input);
  typename MaskImage<D>::Pointer mask;
  if (!o.mask.empty())
  {
    mask = ReadMask<D>(o.mask, probabilities.GetPointer(), o.input);
  }
  CheckFinite<D>(probabilities, o.input, mask);
  {
    const unsigned int nc = probabilities->GetNumberOfComponentsPerPixel();
    const size_t       n = probabilities->GetLargestPossibleRegion().GetNumberOfPixels();
    const float *      p = probabilities->GetBufferPointer();
    for (size_t i = 0; i < n; ++i)
    {
      if (mask && !mask->GetBufferPointer()[i])
      {
        continue;
      }
      for (unsigned int c = 0; c < nc; ++c)
      {
        if (p[i * nc + c] < 0.0f)
        {
          std::ostringstream s;
          s << "has a negative probability at voxel " << probabilities->ComputeIndex(static_cast<itk::OffsetValueType>(i))
            << " (component " << c << ")";
          throw Error(o.input, s.str());
        }
      }
    }
  }
  typename LabelImage<D>::Pointer initial;
  if (!o.initial.empty())
  {
    initial = ReadLabelImage<D>(o.initial);
    CheckSameGrid(probabilities.GetPointer(), o.input, initial.GetPointer(), o.initial);
    const unsigned int nc = probabilities->GetNumberOfComponentsPerPixel();
    const size_t       n = initial->GetLargestPossibleRegion().GetNumberOfPixels();
    for (size_t i = 0; i < n; ++i)
    {
      const LabelPixel l = initial->GetBufferPointer()[i];
      if (l >= nc && (!mask || mask->GetBufferPointer()[i]))
      {
        std::ostringstream s;
        s << "label " << l << " at voxel " << initial->ComputeIndex(static_cast<itk::OffsetValueType>(i))
          << " has no probability component in " << o.input << " (" << nc << " components)";
        throw Error(o.initial, s.str());
      }
    }
  }

  auto filter = PottsMRFImageFilter<D>::New();
  filter->SetInput(probabilities);
  if (mask)
  {
    filter->SetMaskImage(mask);
  }
  if (initial)
  {
    filter->SetInitialLabels(initial);
  }
  filter->SetSmoothness(o.smoothness);
  filter->SetFullyConnected(o.fullConnectivity);
  filter->SetMethod(o.method == "icm" ? PottsMRFMethod::ICM : PottsMRFMethod::AlphaExpansion);
  filter->SetMaximumNumberOfIterations(o.iterations);
  filter->SetEpsilon(o.epsilon);
  {
    ProgressReporter progress("mrf", o.common.quiet);
    progress.Watch(filter, o.method);
    filter->Update();
    progress.Done();
  }
  WriteImageFile(filter->GetOutput(), o.output);

  std::ostringstream s;
  s << std::setprecision(10) << "initial energy: " << filter->GetInitialEnergy() << "\n"
    << "final energy: " << filter->GetEnergy() << "\n"
    << o.method << (o.method == "icm" ? " sweeps: " : " cycles: ") << filter->GetIterations();
  PrintResult(o.common, s.str());

  if (!o.overlay.empty())
  {
    const LabelTable table = o.labels.empty() ? LabelTable() : LabelTable::Load(o.labels);
    if (o.image.empty())
    {
      WriteOverlay<D>(probabilities, filter->GetOutput(), table, o.overlay);
    }
    else
    {
      const auto background = ReadImageFile<VectorImage<D>>(o.image);
      CheckSameGrid(probabilities.GetPointer(), o.input, background.GetPointer(), o.image);
      WriteOverlay<D>(background, filter->GetOutput(), table, o.overlay);
    }
  }
}

void
Run(const MRFOptions & o)
{
  ApplyCommonOptions(o.common);
  if (!(o.smoothness >= 0.0) || !std::isfinite(o.smoothness))
  {
    throw Error("--smoothness", "must be a finite number >= 0");
  }
  if (!(o.epsilon > 0.0 && o.epsilon < 1.0))
  {
    throw Error("--epsilon", "must be in (0, 1)");
  }
  CheckOutputsDistinct({ o.input, o.mask, o.initial, o.image, o.labels }, { o.output, o.overlay });
  DispatchDimension(o.input, [&](auto d) { RunMRF<decltype(d)::value>(o); });
}

void
Setup(CLI::App & sub)
{
  auto o = std::make_shared<MRFOptions>();
  sub.add_option("-i,--input", o->input,
                 "Per-class probabilities: a 2D or 3D multi-component image (e.g. .nii.gz, .mha, .nrrd), "
                 "component c = probability of label c, values >= 0")
    ->required();
  sub.add_option("-o,--output", o->output,
                 "Label image to write (uint16, label = component index, 0 outside the mask); format from the "
                 "extension")
    ->required();
  sub.add_option("--mask", o->mask,
                 "Mask on the input's grid, non-zero = inside; voxels outside get label 0 and take no part "
                 "(default: none, every voxel)");
  sub.add_option("--smoothness", o->smoothness,
                 "Potts weight beta >= 0, unitless (nats of -log probability per pair of face neighbours with "
                 "different labels along the finest axis; pairs are weighted by smallest spacing / distance)")
    ->default_val(0.5);
  sub.add_option("--method", o->method,
                 "icm (iterated conditional modes: fast, local) or alpha-expansion (graph cuts, Boykov et al. "
                 "2001: lower energies)")
    ->check(CLI::IsMember({ "icm", "alpha-expansion" }))
    ->default_val("alpha-expansion");
  sub.add_flag("--full-connectivity", o->fullConnectivity,
               "Use all 8 (2D) / 26 (3D) neighbours instead of the 4 / 6 face neighbours (default: off)");
  sub.add_option("--iterations", o->iterations,
                 "Most ICM sweeps or alpha-expansion cycles over all labels (count); stops earlier when nothing "
                 "improves")
    ->default_val(20);
  sub.add_option("--epsilon", o->epsilon,
                 "Smallest probability in -log p, so that p = 0 costs -log(epsilon) (unitless, in (0, 1))")
    ->default_val(DefaultPottsEpsilon);
  sub.add_option("--initial", o->initial,
                 "Start labelling on the input's grid, labels < number of components (default: argmax of the "
                 "probabilities)");
  sub.add_option("--overlay", o->overlay,
                 "Also write a PNG with the labels over --image (3D: middle slices) for a quick look "
                 "(default: none)");
  sub.add_option("--image", o->image,
                 "Intensity image on the input's grid to draw the --overlay on (default: the probabilities, first "
                 "three components as RGB)");
  sub.add_option("--labels", o->labels, "Label table (JSON) giving the --overlay colours (default: fixed palette)");
  AddCommonOptions(sub, o->common);
  sub.callback([o] { Run(*o); });
}

const ApplicationRegistration registration{
  "mrf", "Potts MRF labelling of per-class probabilities (graph-cut alpha-expansion or ICM)", Setup
};
} // namespace
} // namespace tessera
