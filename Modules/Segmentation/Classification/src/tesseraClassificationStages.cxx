// The pixel classifiers as stages (k-means, Gaussian mixture EM, kNN train and apply) and N4 bias-field correction,
// which they often need first.
#include "tesseraClassificationStages.h"

#include <algorithm>
#include <iomanip>
#include <sstream>

#include "tesseraFeatureImage.h"
#include "tesseraImageIO.h"
#include "tesseraGaussianMixtureImageFilter.h"
#include "tesseraKNNImageFilter.h"

namespace tessera
{
void
AddClassifierPorts(StageDescription & stage, const std::string & inputDoc)
{
  stage.inputs.push_back(InputPort("input", PortKind::Image, inputDoc).Alias("i"));
  stage.inputs.push_back(
    InputPort("mask", PortKind::Mask, "Mask on the input's grid: only non-zero voxels are labelled, the rest get 0")
      .Optional());
  stage.inputs.push_back(
    InputPort("labels", PortKind::LabelTable, "Label table naming and colouring the classes in the overlay").Optional());
  stage.outputs.push_back(OutputPort("output", PortKind::Labels, "Label image (uint16)").Alias("o"));
  stage.outputs.push_back(
    OutputPort("probabilities", PortKind::Probabilities,
               "Also write the per-class probabilities, one component per class of the carried label table "
               "(e.g. .nii.gz + .labels.json, .nrrd)")
      .Optional());
  stage.outputs.push_back(OverlayPort("overlay", "output"));
}

std::string
DescribeMixture(const GaussianMixtureModel & m, const std::string & objective)
{
  std::ostringstream s;
  s << objective << " " << std::setprecision(8) << m.logLikelihood << " nats per voxel after " << m.iterations
    << " EM iterations; classes (weight, mean):";
  for (unsigned int k = 0; k < m.classes; ++k)
  {
    s << " " << k + 1 << "=(" << std::setprecision(4) << m.weights[k] << ", " << std::setprecision(6)
      << m.means[k * m.dimension] << (m.dimension > 1 ? ", ..." : "") << ")";
  }
  return s.str();
}

ParameterDescription
ClassesParameter()
{
  return IntegerParameter("classes", "3", "count", "Number of classes K; labels 1..K by increasing intensity")
    .AtLeast(2)
    .AtMost(1000)
    .Alias("k");
}

std::vector<ParameterDescription>
BiasFieldParameters(const std::string & prefix)
{
  return {
    IntegerParameter(prefix + "shrink-factor", "4", "factor",
                     "The field is fitted on the image shrunk this many times per axis (faster; the field is smooth)")
      .AtLeast(1)
      .AtMost(32),
    IntegerParameter(prefix + "levels", "4", "count",
                     "B-spline fitting levels; the control-point mesh doubles at each")
      .AtLeast(1)
      .AtMost(10),
    IntegerParameter(prefix + "iterations", "50", "count", "Most iterations per level").AtLeast(1).AtMost(10000),
    RealParameter(prefix + "convergence", "0.001", "fraction",
                  "A level stops when the coefficient of variation of the field's change falls below this")
      .Above(0)
      .AtMost(1),
  };
}

BiasFieldCorrectionSettings
BiasFieldSettingsFrom(const ParameterValues & p, const std::string & prefix)
{
  BiasFieldCorrectionSettings s;
  s.shrinkFactor = p.Count(prefix + "shrink-factor");
  s.levels = p.Count(prefix + "levels");
  s.iterations = p.Count(prefix + "iterations");
  s.convergence = p.Real(prefix + "convergence");
  return s;
}

namespace
{
template <unsigned int D>
void
RunN4(StageContext & c)
{
  for (const char * port : { "output", "bias-field" })
  {
    if (!c.OutputPath(port).empty())
    {
      CheckFloatFormat(c.OutputPath(port)); // float32 results: refuse PNG and JPEG before the work
    }
  }
  const auto image = ScalarInput<D>(c, "input");
  c.Progress().SetStage("N4");
  const auto result = CorrectBiasField<D>(image, c.Input<MaskImage<D>>("mask"),
                                          BiasFieldSettingsFrom(c.Parameters(), ""),
                                          [&](double fraction) { c.Progress().Report(fraction); });
  // As every intensity output, vector images: a pipeline's next stage takes them as it takes files.
  c.SetOutput("output", ToVectorImage<D>(result.corrected));
  c.SetOutput("bias-field", ToVectorImage<D>(result.field));
  const auto [low, high] =
    std::minmax_element(result.field->GetBufferPointer(),
                        result.field->GetBufferPointer() + result.field->GetLargestPossibleRegion().GetNumberOfPixels());
  std::ostringstream s;
  s << "bias field from " << std::setprecision(4) << *low << " to " << *high;
  c.Report(s.str());
}


/** Runs a pixel classifier filter on the stage's input and mask, on the run's threads, and hands over its outputs
 * (the probabilities only when asked: writing them costs more than k-means on a scalar volume). */
template <unsigned int D, typename TFilter>
void
RunClassifier(StageContext & c, TFilter * filter, const typename VectorImage<D>::Pointer & input)
{
  filter->SetInput(input);
  filter->SetMaskImage(c.Input<MaskImage<D>>("mask"));
  if (c.Options().threads)
  {
    filter->SetNumberOfWorkUnits(c.Options().threads);
  }
  filter->SetComputeProbabilities(c.Wants("probabilities"));
  c.Progress().Watch(filter, "");
  filter->Update();
  c.SetOutput("output", filter->GetLabelOutput());
  if (c.Wants("probabilities"))
  {
    c.SetOutput("probabilities", filter->GetOutput());
  }
}

template <unsigned int D>
void
RunKMeans(StageContext & c)
{
  const auto & p = c.Parameters();
  auto         filter = KMeansImageFilter<D>::New();
  filter->SetNumberOfClasses(p.Count("classes"));
  filter->SetRestarts(p.Count("restarts"));
  filter->SetMaximumNumberOfIterations(p.Count("iterations"));
  filter->SetSeed(c.Options().seed);
  filter->SetSoft(p.Boolean("soft"));
  if (const auto * fixed = c.FixedModel<KMeansResult>())
  {
    filter->SetFixedCentroids(*fixed);
  }
  RunClassifier<D>(c, filter.GetPointer(), c.Input<VectorImage<D>>("input"));
  const auto &       r = filter->GetResult();
  c.SetFittedModel(KMeansResult{ r.dimension, r.classes, r.centroids, {}, r.inertia, r.iterations }); // no assignment
  std::ostringstream s;
  s << "inertia " << std::setprecision(10) << r.inertia << " after " << r.iterations << " iterations; centroids:";
  for (unsigned int k = 0; k < r.classes; ++k)
  {
    s << " " << k + 1 << "=(";
    for (unsigned int a = 0; a < r.dimension; ++a)
    {
      s << (a ? "," : "") << std::setprecision(6) << r.centroids[k * r.dimension + a];
    }
    s << ")";
  }
  c.Report(s.str());
}

template <unsigned int D>
void
RunGMM(StageContext & c)
{
  const auto & p = c.Parameters();
  auto         filter = GaussianMixtureImageFilter<D>::New();
  filter->SetNumberOfClasses(p.Count("classes"));
  filter->SetSeed(c.Options().seed);
  filter->SetMaximumNumberOfIterations(p.Count("iterations"));
  filter->SetTolerance(p.Real("tolerance"));
  if (const auto * fixed = c.FixedModel<GaussianMixtureModel>())
  {
    filter->SetFixedModel(*fixed);
  }
  RunClassifier<D>(c, filter.GetPointer(), c.Input<VectorImage<D>>("input"));
  c.SetFittedModel(filter->GetModel());
  c.Report(DescribeMixture(filter->GetModel()));
}

KNNClassifier::Parameters
KNNParameters(const StageContext & c)
{
  const auto &              p = c.Parameters();
  KNNClassifier::Parameters k;
  k.k = p.Count("neighbours");
  k.features.localMeanRadius = p.Count("local-mean-radius");
  k.features.position = p.Boolean("position");
  k.features.positionWeight = p.Real("position-weight");
  k.maximumSamples = p.Count("max-samples");
  k.seed = c.Options().seed;
  if (p.Has("ignore-label"))
  {
    for (const auto l : p.IntegerList("ignore-label"))
    {
      k.ignoreLabels.push_back(static_cast<LabelPixel>(l));
    }
  }
  return k;
}

template <unsigned int D>
void
TrainKNN(StageContext & c)
{
  const auto & images = c.InputPaths("input");
  const auto & labelImages = c.InputPaths("label-image");
  if (images.size() != labelImages.size())
  {
    throw Error("label-image", "give one label image per training image (" + std::to_string(images.size()) +
                                 " images, " + std::to_string(labelImages.size()) + " label images)");
  }
  auto classifier = std::make_shared<KNNClassifier>(KNNParameters(c));
  for (size_t i = 0; i < images.size(); ++i)
  {
    const auto image = ReadIntensityImage<D>(images[i]);
    CheckFinite<D>(image.GetPointer(), images[i]);
    const auto labels = ReadLabelImage<D>(labelImages[i]);
    CheckSameGrid(image.GetPointer(), images[i], labels.GetPointer(), labelImages[i]);
    const auto features = BuildFeatureImage<D>(image.GetPointer(), classifier->GetParameters().features);
    classifier->AddTrainingPixels(features->GetBufferPointer(), features->GetLargestPossibleRegion().GetNumberOfPixels(),
                                  features->GetNumberOfComponentsPerPixel(), image->GetNumberOfComponentsPerPixel(),
                                  labels->GetBufferPointer(), nullptr);
    c.Progress().Report(static_cast<double>(i + 1) / static_cast<double>(images.size() + 1));
  }
  classifier->Train();
  c.SetWriter("model", [classifier](const std::string & path) { classifier->Save(path); });
  c.Report("kNN model with " + std::to_string(classifier->NumberOfClasses()) + " classes and " +
           std::to_string(classifier->Dimension()) + " features per pixel");
}

template <unsigned int D>
void
ApplyKNN(StageContext & c)
{
  const std::string model = c.InputPaths("model").at(0);
  auto              classifier = std::make_shared<const KNNClassifier>(KNNClassifier::Load(model));
  const auto        image = c.Input<VectorImage<D>>("input");
  if (image->GetNumberOfComponentsPerPixel() != classifier->Channels())
  {
    throw Error(c.InputName("input"), "has " + std::to_string(image->GetNumberOfComponentsPerPixel()) +
                                        " channel(s) but the model " + model + " was trained on " +
                                        std::to_string(classifier->Channels()));
  }
  auto filter = KNNImageFilter<D>::New();
  filter->SetClassifier(classifier);
  RunClassifier<D>(c, filter.GetPointer(), BuildFeatureImage<D>(image.GetPointer(), classifier->GetParameters().features));
}

/** Tiled runs (--ram) of k-means and the Gaussian mixture: the model fitted on a sample of the whole image, then
 * applied pixel by pixel to each tile (input, features, probabilities and labels per pixel). */
TilingDescription
UnsupervisedTiling()
{
  TilingDescription t;
  t.halo = [](const ParameterValues &, const PortFiles &) { return 0u; };
  t.bytesPerPixel = [](const ParameterValues & p, const PortFiles &, unsigned int components) {
    return 24.0 + 8.0 * components + 8.0 * p.Count("classes");
  };
  t.fitsModel = true;
  t.exact = true;
  return t;
}
} // namespace

void
RegisterClassificationStages(StageRegistry & registry)
{
  {
    StageDescription s;
    s.name = "kmeans";
    s.summary = "Unsupervised k-means classification (k-means++ seeding, restarts)";
    s.source = "Lloyd 1982; k-means++: Arthur and Vassilvitskii 2007";
    s.seeded = true;
    AddClassifierPorts(s, "Image to classify: scalar, RGB or multi-component, 2D or 3D");
    s.parameters = {
      ClassesParameter(),
      IntegerParameter("restarts", "3", "count", "Independent k-means++ starts; the lowest inertia wins").AtLeast(1).AtMost(1000),
      IntegerParameter("iterations", "300", "count", "Most Lloyd iterations per start").AtLeast(1).AtMost(100000),
      BooleanParameter("soft", "Soft probabilities by distance instead of one-hot"),
    };
    s.tiling = UnsupervisedTiling();
    s.run = RunByDimension<RunKMeans<2>, RunKMeans<3>>;
    registry.Add(s);
  }
  {
    StageDescription s;
    s.name = "gmm";
    s.summary = "Gaussian mixture model fitted by EM (k-means init): posteriors and labels";
    s.source = "Dempster, Laird, Rubin 1977";
    s.seeded = true;
    AddClassifierPorts(s, "Image to classify: scalar, RGB or multi-component, 2D or 3D");
    s.parameters = {
      ClassesParameter(),
      IntegerParameter("iterations", "100", "count", "Most EM iterations").AtLeast(1).AtMost(100000),
      RealParameter("tolerance", "1e-3", "nats per voxel",
                    "EM stops when the mean log-likelihood per voxel gains less than this")
        .Above(0)
        .AtMost(1),
    };
    s.tiling = UnsupervisedTiling();
    s.run = RunByDimension<RunGMM<2>, RunGMM<3>>;
    registry.Add(s);
  }
  {
    StageDescription s;
    s.name = "n4";
    s.summary = "N4 bias-field correction: divides out a smooth multiplicative intensity field";
    s.source = "Tustison et al., IEEE TMI 29(6) 2010 (ITK N4BiasFieldCorrectionImageFilter)";
    s.inputs = {
      InputPort("input", PortKind::Image, "Scalar image, 2D or 3D (e.g. an MR volume); only intensities > 0 inform the fit")
        .Alias("i"),
      InputPort("mask", PortKind::Mask, "Mask on the input's grid: only its voxels inform the fit (default: all > 0)")
        .Optional(),
    };
    s.outputs = {
      OutputPort("output", PortKind::Image, "Corrected image (float32): input / bias field").Alias("o"),
      OutputPort("bias-field", PortKind::Image, "Also write the multiplicative bias field (float32)").Optional(),
    };
    s.parameters = BiasFieldParameters("");
    s.run = RunByDimension<RunN4<2>, RunN4<3>>;
    registry.Add(s);
  }
  {
    StageDescription s;
    s.name = "knn train";
    s.summary = "Train a k-nearest-neighbour pixel classifier from (image, label image) pairs";
    s.source = "Cover and Hart 1967";
    s.seeded = true;
    s.perImage = false;
    s.inputs = {
      InputPort("input", PortKind::File, "Training image(s): scalar, RGB or multi-component").Alias("i").Multiple(),
      InputPort("label-image", PortKind::File, "Label image of each training image, on its grid, in the same order")
        .Alias("l")
        .Multiple(),
    };
    s.outputs = { OutputPort("model", PortKind::File, "kNN model to write (JSON; .json.gz compresses it)")
                    .Alias("m")
                    .Extensions({ ".json", ".json.gz" }) };
    s.parameters = {
      IntegerParameter("neighbours", "5", "count", "Neighbours that vote (k)").AtLeast(1).AtMost(1000),
      IntegerParameter("local-mean-radius", "0", "voxels",
                       "Add each channel's local mean over a (2r+1)^D box of radius r (0 = off)")
        .AtLeast(0)
        .AtMost(50),
      BooleanParameter("position", "Add the physical position (mm) as features"),
      RealParameter("position-weight", "1", "unitless",
                    "Weight of the standardised position features (1 = as much as one channel)")
        .Above(0)
        .AtMost(1000),
      IntegerParameter("max-samples", "200000", "count", "Training pixels kept, drawn at random (seeded) from all pairs")
        .AtLeast(1)
        .AtMost(100000000),
      ListParameter("ignore-label", ParameterType::IntegerList, "label",
                    "Label value(s) not used for training, e.g. void")
        .AtLeast(0)
        .AtMost(65535)
        .WhenAbsent("none"),
    };
    s.run = [](StageContext & c) {
      const unsigned int d = ReadImageInfo(c.InputPaths("input").at(0)).dimension;
      if (d == 2)
      {
        TrainKNN<2>(c);
      }
      else if (d == 3)
      {
        TrainKNN<3>(c);
      }
      else
      {
        throw Error(c.InputPaths("input").at(0), "is a " + std::to_string(d) + "D image; Tessera handles 2D and 3D");
      }
    };
    registry.Add(s);
  }
  {
    StageDescription s;
    s.name = "knn apply";
    s.summary = "Label an image with a trained kNN model";
    AddClassifierPorts(s, "Image to label, with the channels the model was trained on");
    s.inputs.insert(s.inputs.begin() + 1,
                    InputPort("model", PortKind::File, "kNN model written by `tessera knn train`").Alias("m"));
    // Tiled (--ram): pixelwise, so exact with a halo as wide as the largest local-mean radius a model can have.
    s.tiling.halo = [](const ParameterValues &, const PortFiles &) { return 50u; };
    s.tiling.bytesPerPixel = [](const ParameterValues &, const PortFiles &, unsigned int components) { return 64.0 + 16.0 * components; };
    s.tiling.exact = true;
    s.run = RunByDimension<ApplyKNN<2>, ApplyKNN<3>>;
    registry.Add(s);
  }
}
} // namespace tessera
