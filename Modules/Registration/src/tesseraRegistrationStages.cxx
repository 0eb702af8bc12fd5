// Registration as stages: register (a chain of transforms, written as one composite transform
// file) and warp (images and labels through transform files).
#include "tesseraRegistrationStages.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "itkImageFileWriter.h"
#include "itkTransformToDisplacementFieldFilter.h"
#include "tesseraImageRegistration.h"
#include "tesseraImageUtilities.h"
#include "tesseraRegistrationParameters.h"
#include "tesseraTransformFile.h"
#include "tesseraWarpImage.h"

namespace tessera
{
namespace
{
const std::vector<std::string> TransformExtensions{ ".h5", ".hdf5", ".tfm", ".txt", ".mat" };

template <unsigned int D>
void
Register(StageContext & c)
{
  const auto & p = c.Parameters();
  const auto   s = RegistrationSettingsFrom(p, c.Options().seed);
  if (s.transforms.empty())
  {
    throw Error("transform", "needs at least one transform");
  }
  const bool dense = std::find(s.transforms.begin(), s.transforms.end(), TransformKind::Deformable) != s.transforms.end();
  for (const std::string port : { "output", "inverse" })
  {
    const std::string path = c.OutputPath(port);
    const auto        ext = SplitExtension(path).second;
    if (dense && !path.empty() && ext != ".h5" && ext != ".hdf5")
    {
      throw Error(path, "a deformable transform needs an HDF5 transform file (.h5)");
    }
  }
  if (!c.OutputPath("warped").empty())
  {
    CheckFloatFormat(c.OutputPath("warped"));
  }
  if (c.Wants("inverse") &&
      std::find(s.transforms.begin(), s.transforms.end(), TransformKind::BSpline) != s.transforms.end())
  {
    throw Error("inverse", "a B-spline transform has no inverse in closed form (use the deformable stage)");
  }
  const auto fixedImage = c.Input<VectorImage<D>>("fixed");
  const auto movingImage = c.Input<VectorImage<D>>("moving");
  CheckShrinkFactors<D>(s, fixedImage, c.InputName("fixed"));
  CheckShrinkFactors<D>(s, movingImage, c.InputName("moving"));
  typename MaskImage<D>::Pointer movingMask;
  if (c.HasInput("moving-mask"))
  {
    movingMask = ReadMask<D>(c.InputPaths("moving-mask").at(0), movingImage.GetPointer(), c.InputName("moving"));
  }
  const auto fixed = MeanOfComponents<D>(fixedImage);
  const auto moving = MeanOfComponents<D>(movingImage);

  ImageRegistration<D> registration;
  registration.SetFixedImage(fixed);
  registration.SetMovingImage(moving);
  registration.SetFixedMask(c.Input<MaskImage<D>>("fixed-mask"));
  registration.SetMovingMask(movingMask);
  registration.SetSettings(s);
  registration.SetObserver([&](const std::string & stage, unsigned int level, unsigned int levels, double fraction) {
    c.Progress().SetStage(stage + ", level " + std::to_string(level + 1) + "/" + std::to_string(levels));
    c.Progress().Report(fraction);
  });
  try
  {
    registration.Update();
  }
  catch (const Error & e)
  {
    // The library names the image by its role; the user knows it by its file.
    throw e.Subject() == "moving" ? Error(c.InputName("moving"), e.Problem()) : e;
  }
  const auto transform = registration.GetTransform();
  c.SetWriter("output", [transform](const std::string & path) { WriteTransformFile<D>(transform, path); });
  if (c.Wants("inverse"))
  {
    const auto inverse = registration.GetInverseTransform();
    c.SetWriter("inverse", [inverse](const std::string & path) { WriteTransformFile<D>(inverse, path); });
  }
  if (c.Wants("warped"))
  {
    c.SetOutput("warped", WarpImage<D>(movingImage, fixed, transform, Interpolation::Linear));
  }
  if (c.Wants("displacement"))
  {
    using Field = itk::Image<itk::Vector<float, D>, D>;
    auto toField = itk::TransformToDisplacementFieldFilter<Field, double>::New();
    toField->SetTransform(transform);
    toField->SetReferenceImage(fixed);
    toField->UseReferenceImageOn();
    toField->Update();
    typename Field::Pointer field = toField->GetOutput();
    c.SetWriter("displacement", [field](const std::string & path) {
      auto writer = itk::ImageFileWriter<Field>::New();
      writer->SetInput(field);
      writer->SetFileName(path);
      writer->UseCompressionOn();
      writer->Update();
    });
  }
}

/** A one-component image of integers 0-65535 as labels (same grid and metadata), or null. */
template <unsigned int D>
typename LabelImage<D>::Pointer
AsLabels(const VectorImage<D> * image)
{
  const size_t  n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  const float * p = image->GetBufferPointer();
  if (image->GetNumberOfComponentsPerPixel() != 1 ||
      !std::all_of(p, p + n, [](float v) { return v == std::floor(v) && v >= 0 && v <= 65535; }))
  {
    return nullptr;
  }
  auto labels = LabelImage<D>::New();
  labels->CopyInformation(image);
  labels->SetRegions(image->GetLargestPossibleRegion());
  labels->Allocate();
  std::transform(p, p + n, labels->GetBufferPointer(), [](float v) { return static_cast<LabelPixel>(v); });
  labels->SetMetaDataDictionary(image->GetMetaDataDictionary());
  return labels;
}

template <unsigned int D>
void
Warp(StageContext & c)
{
  const auto & p = c.Parameters();
  const auto   interpolation = ParseInterpolation(p.Text("interpolation"));
  const auto   reference = c.Input<VectorImage<D>>("reference");
  // Given in antsApplyTransforms' order: the last transform is applied first.
  auto transform = itk::CompositeTransform<double, D>::New();
  for (const auto & path : c.InputPaths("transform"))
  {
    transform->AddTransform(ReadTransformFile<D>(path));
  }
  transform->FlattenTransformQueue();
  const auto image = c.Input<VectorImage<D>>("input");
  if (interpolation == Interpolation::Label || interpolation == Interpolation::Nearest)
  {
    if (const auto labels = AsLabels<D>(image))
    {
      // The label table travels with the labels (from the header or the file's sidecar).
      const auto & paths = c.InputPaths("input");
      const auto   table = paths.empty() ? std::string() : ReadLabelTableText(paths[0], labels->GetMetaDataDictionary());
      if (!table.empty())
      {
        itk::EncapsulateMetaData<std::string>(labels->GetMetaDataDictionary(), LabelTableKey, table);
      }
      c.SetOutput("output", WarpLabels<D>(labels, reference, transform, interpolation));
      return;
    }
    if (interpolation == Interpolation::Label)
    {
      throw Error(c.InputName("input"), "label interpolation needs a label image (one component of integers "
                                        "0-65535)");
    }
  }
  if (!c.OutputPath("output").empty())
  {
    CheckFloatFormat(c.OutputPath("output"));
  }
  c.SetOutput("output", WarpImage<D>(image, reference, transform, interpolation));
}
} // namespace

void
RegisterRegistrationStages(StageRegistry & registry)
{
  {
    StageDescription s;
    s.name = "register";
    s.summary = "Registers a moving image onto a fixed one: rigid, affine, B-spline and dense diffeomorphic transforms";
    s.source = "ITK v4 registration (Avants et al., Front. Neuroinform. 8, 2014); Mattes et al., IEEE TMI 22, 2003; "
               "Rueckert et al., IEEE TMI 18, 1999; greedy diffeomorphic descent as in Yushkevich's greedy and "
               "Joshi et al., NeuroImage 23, 2004; local correlation gradient of Avants et al., MedIA 12, 2008";
    s.inputs = {
      InputPort("fixed", PortKind::Image, "Fixed (reference) image: its grid is the output space").Alias("f"),
      InputPort("moving", PortKind::Image, "Moving image, mapped onto the fixed one; any grid").Alias("m").AnyGrid(),
      InputPort("fixed-mask", PortKind::Mask, "Only fixed voxels inside (non-zero) count in the metric").Optional(),
      InputPort("moving-mask", PortKind::File, "Mask on the moving image's grid (non-zero = inside), for the "
                                               "linear metrics")
        .Optional(),
    };
    s.outputs = {
      OutputPort("output", PortKind::File, "The composite transform (fixed points to moving points, ITK/ANTs "
                                           "order: last applied first), as ANTs' --write-composite-transform; "
                                           "deformable chains need .h5")
        .Alias("o")
        .Extensions(TransformExtensions),
      OutputPort("inverse", PortKind::File, "The inverse composite (moving points to fixed points)")
        .Optional()
        .Extensions(TransformExtensions),
      OutputPort("warped", PortKind::Image, "The moving image resampled onto the fixed grid (linear)").Optional(),
      OutputPort("displacement", PortKind::File, "The whole transform as a displacement field on the fixed grid, "
                                                 "in mm (vector NIfTI, as ANTs writes warps)")
        .Optional()
        .Extensions({ ".nii.gz", ".nii", ".nrrd", ".mha" }),
    };
    s.parameters = RegistrationParameters();
    s.seeded = true;
    s.perImage = false;
    s.run = RunByDimension<Register<2>, Register<3>>;
    registry.Add(s);
  }
  {
    StageDescription s;
    s.name = "warp";
    s.summary = "Resamples an image or labels onto a reference grid through transform files";
    s.source = "ITK ResampleImageFilter; per-label Gaussian interpolation: ITK LabelImageGaussianInterpolateImageFunction";
    s.inputs = {
      InputPort("input", PortKind::Image, "Image to resample: intensities, or labels with nearest/label "
                                          "interpolation")
        .Alias("i")
        .AnyGrid(),
      InputPort("reference", PortKind::Image, "Image whose grid (size, spacing, origin, direction) the output takes")
        .Alias("r")
        .AnyGrid(),
      InputPort("transform", PortKind::File, "Transform file(s) (ITK .h5/.tfm/.txt/.mat, ANTs composites), "
                                             "reference points to input points; repeatable, in antsApplyTransforms' "
                                             "order (the last given is applied first)")
        .Alias("t")
        .Multiple(),
    };
    s.outputs = { OutputPort("output", PortKind::Image, "The resampled image (labels keep their label table)").Alias("o") };
    s.parameters = {
      ChoiceParameter("interpolation", "linear", { "linear", "bspline", "nearest", "label" },
                      "linear, cubic B-spline, nearest neighbour, or label (per-label Gaussian vote: labels never "
                      "mix or blur)"),
    };
    s.run = RunByDimension<Warp<2>, Warp<3>>;
    registry.Add(s);
  }
}
} // namespace tessera
