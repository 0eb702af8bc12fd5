// tessera knn train|apply: supervised kNN pixel classification from labelled example images.
#include <memory>

#include "tesseraApplication.h"
#include "tesseraFeatureImage.h"
#include "tesseraKNNImageFilter.h"
#include "tesseraProgress.h"
#include "tesseraSegmentationOutputs.h"

namespace tessera
{
namespace
{
struct TrainOptions
{
  std::vector<std::string> images;
  std::vector<std::string> labelImages;
  std::string              model;
  KNNClassifier::Parameters parameters;
  CommonOptions            common;
};

template <unsigned int D>
void
Train(TrainOptions & o)
{
  o.parameters.seed = o.common.seed;
  KNNClassifier    classifier(o.parameters);
  ProgressReporter progress("knn train", o.common.quiet);
  for (size_t i = 0; i < o.images.size(); ++i)
  {
    const auto image = ReadIntensityImage<D>(o.images[i]);
    CheckFinite<D>(image.GetPointer(), o.images[i]);
    const auto labels = ReadLabelImage<D>(o.labelImages[i]);
    CheckSameGrid(image.GetPointer(), o.images[i], labels.GetPointer(), o.labelImages[i]);
    const auto features = BuildFeatureImage<D>(image.GetPointer(), o.parameters.features);
    classifier.AddTrainingPixels(features->GetBufferPointer(), features->GetLargestPossibleRegion().GetNumberOfPixels(),
                                 features->GetNumberOfComponentsPerPixel(), image->GetNumberOfComponentsPerPixel(),
                                 labels->GetBufferPointer(), nullptr);
    progress.Report(static_cast<double>(i + 1) / static_cast<double>(o.images.size() + 1));
  }
  classifier.Train();
  classifier.Save(o.model);
  progress.Done();
  PrintResult(o.common, "kNN model with " + std::to_string(classifier.NumberOfClasses()) + " label values and " +
                          std::to_string(classifier.Dimension()) + " features per pixel written to " + o.model);
}

struct ApplyOptions
{
  SegmentationIO io;
  std::string    model;
  CommonOptions  common;
};

template <unsigned int D>
void
Apply(const ApplyOptions & o)
{
  auto classifier = std::make_shared<const KNNClassifier>(KNNClassifier::Load(o.model));
  auto [image, mask] = o.io.Read<D>();
  if (image->GetNumberOfComponentsPerPixel() != classifier->Channels())
  {
    throw Error(o.io.input, "has " + std::to_string(image->GetNumberOfComponentsPerPixel()) +
                              " channel(s) but the model " + o.model + " was trained on " +
                              std::to_string(classifier->Channels()));
  }
  ProgressReporter progress("knn apply", o.common.quiet);
  const auto       features = BuildFeatureImage<D>(image.GetPointer(), classifier->GetParameters().features);
  auto             filter = KNNImageFilter<D>::New();
  filter->SetInput(features);
  filter->SetMaskImage(mask);
  filter->SetClassifier(classifier);
  progress.Watch(filter, "");
  filter->Update();
  o.io.Write<D>(image, filter->GetLabelOutput(), filter->GetOutput());
  progress.Done();
}

void
Setup(CLI::App & sub)
{
  sub.require_subcommand(1);
  auto t = std::make_shared<TrainOptions>();
  auto * train = sub.add_subcommand("train", "Train a kNN model from (image, label image) pairs");
  train->add_option("-i,--input", t->images, "Training image(s); repeat -i/-l for several pairs")->required();
  train->add_option("-l,--label-image", t->labelImages, "Label image of each training image, on its grid")->required();
  train->add_option("-m,--model", t->model, "Model file to write (OpenCV FileStorage, e.g. knn.yml.gz)")->required();
  train->add_option("-k,--neighbours", t->parameters.k, "Neighbours that vote (k)")->default_val(5);
  train->add_option("--local-mean-radius", t->parameters.features.localMeanRadius,
                    "Add each channel's local mean over a (2r+1)^D box, r in voxels (0 = off)")
    ->default_val(0);
  train->add_flag("--position", t->parameters.features.position, "Add the physical position (mm) as features");
  train->add_option("--position-weight", t->parameters.features.positionWeight,
                    "Weight of the standardised position features (1 = as much as one channel)")
    ->default_val(1.0);
  train->add_option("--max-samples", t->parameters.maximumSamples,
                    "Training pixels kept, drawn at random (seeded) from all pairs")
    ->default_val(200000);
  train->add_option("--ignore-label", t->parameters.ignoreLabels, "Label value(s) not used for training, e.g. void");
  AddCommonOptions(*train, t->common, true);
  train->callback([t] {
    ApplyCommonOptions(t->common);
    if (t->images.size() != t->labelImages.size())
    {
      throw Error("-l/--label-image", "give one label image per training image (" + std::to_string(t->images.size()) +
                                        " images, " + std::to_string(t->labelImages.size()) + " label images)");
    }
    std::vector<std::string> inputs = t->images;
    inputs.insert(inputs.end(), t->labelImages.begin(), t->labelImages.end());
    CheckOutputsDistinct(inputs, { t->model });
    DispatchDimension(t->images.front(), [&](auto d) { Train<decltype(d)::value>(*t); });
  });

  auto a = std::make_shared<ApplyOptions>();
  auto * apply = sub.add_subcommand("apply", "Label an image with a trained kNN model");
  a->io.AddOptions(*apply, "Image to label, with the channels the model was trained on");
  apply->add_option("-m,--model", a->model, "kNN model written by `tessera knn train`")->required();
  AddCommonOptions(*apply, a->common);
  apply->callback([a] {
    ApplyCommonOptions(a->common);
    a->io.CheckOutputs({ a->model });
    DispatchDimension(a->io.input, [&](auto d) { Apply<decltype(d)::value>(*a); });
  });
}

const ApplicationRegistration registration{ "knn", "Supervised k-nearest-neighbour pixel classifier (train, apply)",
                                            Setup };
} // namespace
} // namespace tessera
