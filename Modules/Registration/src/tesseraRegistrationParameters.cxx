// The parameters of a registration, described once for every stage that registers images.
#include "tesseraRegistrationParameters.h"

namespace tessera
{
namespace
{
std::vector<unsigned int>
Counts(const ParameterValues & p, const std::string & name, std::vector<unsigned int> defaults)
{
  if (!p.Has(name))
  {
    return defaults;
  }
  std::vector<unsigned int> v;
  for (const auto x : p.IntegerList(name))
  {
    v.push_back(static_cast<unsigned int>(x));
  }
  return v;
}
} // namespace

std::vector<ParameterDescription>
RegistrationParameters()
{
  return {
    ListParameter("transform", ParameterType::TextList, "stages",
                  "The chain, from fewer to more degrees of freedom: translation, rigid, similarity, affine, "
                  "bspline (cubic B-spline free-form), deformable (dense diffeomorphic) (comma-separated)")
      .Choices({ "translation", "rigid", "similarity", "affine", "bspline", "deformable" })
      .Alias("t")
      .WhenAbsent("rigid,affine,deformable"),
    ChoiceParameter("initialisation", "moments", { "none", "geometry", "moments" },
                    "Start: identity (none), image centres aligned (geometry) or centres of mass aligned (moments)"),
    ChoiceParameter("metric", "mi", { "mi", "ms", "ncc", "lncc" },
                    "Linear stages: Mattes mutual information (any modalities), mean squares, "
                    "global normalised cross-correlation, or local (neighbourhood) cross-correlation"),
    IntegerParameter("bins", "32", "bins", "Mutual information histogram bins").AtLeast(4).AtMost(1024),
    IntegerParameter("samples", "5000", "voxels",
                     "Fixed voxels the linear metrics sample at random per level (drawn from --seed; "
                     "0 = every voxel)")
      .AtLeast(0)
      .AtMost(1000000000),
    IntegerParameter("radius", "2", "voxels", "Local cross-correlation window radius (window 2r+1 per axis)")
      .AtLeast(1)
      .AtMost(10),
    ListParameter("shrink-factors", ParameterType::IntegerList, "voxels",
                  "Pyramid: shrink factor per level, coarse to fine (comma-separated)")
      .AtLeast(1)
      .AtMost(64)
      .WhenAbsent("4,2,1"),
    ListParameter("smoothing-sigmas", ParameterType::RealList, "mm",
                  "Pyramid: Gaussian smoothing per level, one per shrink factor")
      .AtLeast(0)
      .AtMost(100)
      .WhenAbsent("2,1,0"),
    ListParameter("iterations", ParameterType::IntegerList, "count",
                  "Linear stages: iterations per level, one per shrink factor")
      .AtLeast(0)
      .AtMost(100000)
      .WhenAbsent("200,100,100"),
    ListParameter("deformable-iterations", ParameterType::IntegerList, "count",
                  "B-spline and deformable stages: iterations per level, one per shrink factor (0 skips a level)")
      .AtLeast(0)
      .AtMost(100000)
      .WhenAbsent("100,50,20"),
    ChoiceParameter("deformable-metric", "lncc", { "lncc", "ms" },
                    "B-spline and deformable stages: local cross-correlation (window --radius) or mean squares (same "
                    "contrast)"),
    RealParameter("fluid-sigma", "1.732", "voxels", "Deformable: Gaussian smoothing of each update (per level)")
      .AtLeast(0)
      .AtMost(20),
    RealParameter("elastic-sigma", "0.707", "voxels", "Deformable: Gaussian smoothing of the field (per level)")
      .AtLeast(0)
      .AtMost(20),
    RealParameter("step", "1", "voxels", "B-spline and deformable: largest displacement update per iteration")
      .Above(0)
      .AtMost(10),
    RealParameter("grid-spacing", "10", "mm", "B-spline: control point spacing").Above(0).AtMost(1e4),
  };
}

std::vector<ParameterDescription>
InterSubjectRegistrationParameters()
{
  auto parameters = RegistrationParameters();
  for (auto & p : parameters)
  {
    if (p.name == "radius")
    {
      p.defaultValue = "4";
    }
    else if (p.name == "elastic-sigma")
    {
      p.defaultValue = "0";
    }
    else
    {
      continue;
    }
    p.doc += "; the default is ANTs' SyN scripts' (antsRegistrationSyN.sh), best for labels between subjects";
  }
  return parameters;
}

RegistrationSettings
RegistrationSettingsFrom(const ParameterValues & p, unsigned int seed)
{
  RegistrationSettings s;
  s.transforms.clear();
  for (const auto & name : p.Has("transform") ? p.TextList("transform")
                                               : std::vector<std::string>{ "rigid", "affine", "deformable" })
  {
    s.transforms.push_back(ParseTransformKind(name));
  }
  const std::string init = p.Text("initialisation");
  s.initialisation = init == "none" ? Initialisation::None
                                    : (init == "geometry" ? Initialisation::Geometry : Initialisation::Moments);
  const std::string metric = p.Text("metric");
  s.metric = metric == "ms"    ? LinearMetric::MeanSquares
             : metric == "ncc" ? LinearMetric::Correlation
             : metric == "lncc" ? LinearMetric::LocalCorrelation
                                : LinearMetric::MutualInformation;
  s.bins = p.Count("bins");
  s.samples = p.Count("samples");
  s.radius = p.Count("radius");
  s.shrinkFactors = Counts(p, "shrink-factors", { 4, 2, 1 });
  s.smoothingSigmas = p.Has("smoothing-sigmas") ? p.RealList("smoothing-sigmas") : std::vector<double>{ 2, 1, 0 };
  s.iterations = Counts(p, "iterations", { 200, 100, 100 });
  s.deformable.iterations = Counts(p, "deformable-iterations", { 100, 50, 20 });
  s.deformable.metric = p.Text("deformable-metric") == "ms" ? DeformableMetric::MeanSquares
                                                             : DeformableMetric::LocalCorrelation;
  s.deformable.radius = s.radius;
  s.deformable.fluidSigma = p.Real("fluid-sigma");
  s.deformable.elasticSigma = p.Real("elastic-sigma");
  s.deformable.step = p.Real("step");
  s.gridSpacing = p.Real("grid-spacing");
  s.seed = seed;
  return s;
}

} // namespace tessera
