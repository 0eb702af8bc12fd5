// Atlases as stages: label-fusion (atlases already on the target's grid) and atlas-segment
// (register every atlas, warp, fuse).
#include "tesseraAtlasStages.h"

#include <chrono>
#include <filesystem>
#include <iomanip>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tesseraAtlasBuilder.h"
#include "tesseraAtlasMirror.h"
#include "tesseraCorrectiveLearning.h"
#include "tesseraImageUtilities.h"
#include "tesseraMultiAtlasSegmentation.h"
#include "tesseraRegistrationParameters.h"

namespace tessera
{
std::vector<ParameterDescription>
FusionParameters()
{
  return {
    ChoiceParameter("fusion", "jlf", { "majority", "weighted", "local", "staple", "jlf" },
                    "majority vote; globally weighted vote (weight MSD^-gain per atlas); locally weighted vote (patch "
                    "MSD^-gain per voxel); multi-label STAPLE; joint label fusion")
      .Source("Artaechevarria et al., IEEE TMI 28, 2009; Isgum et al., IEEE TMI 28, 2009; Warfield et al., IEEE TMI 23, "
              "2004; Wang et al., IEEE PAMI 35, 2013"),
    IntegerParameter("patch-radius", "2", "voxels", "local and jlf: patch compared around each voxel (2r+1 per axis)")
      .AtLeast(0)
      .AtMost(5),
    IntegerParameter("search-radius", "1", "voxels",
                     "jlf: each atlas's best-matching patch is looked for this far (2r+1 per axis)")
      .AtLeast(0)
      .AtMost(5),
    RealParameter("alpha", "0.1", "unitless", "jlf: ridge added to the diagonal of the atlases' error matrix M")
      .Above(0)
      .AtMost(1e6),
    RealParameter("beta", "2", "unitless", "jlf: exponent on the patch error products in M").Above(0).AtMost(10),
    RealParameter("gain", "2", "unitless", "weighted and local: vote weight = (mean squared difference)^-gain, "
                                          "intensities standardised over the mask")
      .AtLeast(0)
      .AtMost(20),
    IntegerParameter("staple-iterations", "50", "count", "staple: EM iterations at most (stops when no confusion "
                                                         "matrix entry changes by 1e-5)")
      .AtLeast(1)
      .AtMost(10000),
  };
}

FusionSettings
FusionSettingsFrom(const ParameterValues & p)
{
  FusionSettings s;
  s.method = ParseFusionMethod(p.Text("fusion"));
  s.patchRadius = p.Count("patch-radius");
  s.searchRadius = p.Count("search-radius");
  s.alpha = p.Real("alpha");
  s.beta = p.Real("beta");
  s.gain = p.Real("gain");
  s.stapleIterations = p.Count("staple-iterations");
  return s;
}

namespace
{
/** The table of the fused labels: names from `names` where it lists them, numbered otherwise. */
LabelTable
FusedTable(const std::vector<LabelPixel> & labels, const LabelTable & names)
{
  LabelTable table = LabelTable::Numbered(labels);
  for (const auto l : labels)
  {
    if (names.Contains(l))
      table.Add(l, names.Entries().at(l));
  }
  return table;
}

template <unsigned int D>
void
SetFusedOutputs(StageContext & c, typename LabelImage<D>::Pointer labels, typename ProbabilityImage<D>::Pointer p,
                const std::vector<LabelPixel> & set, const LabelTable & names)
{
  const LabelTable table = FusedTable(set, names);
  SetLabelTable(labels, table);
  c.SetOutput("output", labels);
  if (p)
  {
    SetLabelTable(p, table);
    c.SetOutput("probabilities", p);
  }
}

template <unsigned int D>
void
FuseLabels(StageContext & c)
{
  const auto  s = FusionSettingsFrom(c.Parameters());
  const auto  target = MeanOfComponents<D>(c.Input<VectorImage<D>>("input"));
  const auto  mask = c.Input<MaskImage<D>>("mask");
  const auto & labelPaths = c.InputPaths("atlas-labels");
  const auto & imagePaths = c.InputPaths("atlas-images");
  if (NeedsIntensities(s.method) && imagePaths.size() != labelPaths.size())
  {
    throw Error("atlas-images", FusionMethodName(s.method) + " compares intensities: give one atlas image per label "
                                "image (" + std::to_string(labelPaths.size()) + " label images, " +
                                std::to_string(imagePaths.size()) + " images)");
  }
  const LabelTable names = c.InputLabelTable("labels");
  LabelFusion<D>   fusion;
  fusion.SetSettings(s);
  fusion.SetTargetImage(target);
  fusion.SetMask(mask);
  fusion.SetComputeProbabilities(c.Wants("probabilities"));
  fusion.SetComputeConfidence(c.Wants("confidence"));
  std::vector<typename LabelImage<D>::Pointer>  labels;
  std::vector<typename ScalarImage<D>::Pointer> images;
  LabelTable                                    atlasTable = names;
  for (size_t i = 0; i < labelPaths.size(); ++i)
  {
    labels.push_back(ReadLabelImage<D>(labelPaths[i]));
    CheckSameGrid(target.GetPointer(), c.InputName("input"), labels.back().GetPointer(), labelPaths[i]);
    CheckLabelsInTable<D>(labels.back(), labelPaths[i], names);
    if (atlasTable.Empty())
    {
      const auto text = ReadLabelTableText(labelPaths[i], labels.back()->GetMetaDataDictionary());
      if (!text.empty())
        atlasTable = LabelTable::FromJson(text, labelPaths[i]);
    }
    if (NeedsIntensities(s.method))
    {
      const auto raw = ReadIntensityImage<D>(imagePaths[i]);
      CheckFinite<D>(raw.GetPointer(), imagePaths[i]);
      CheckSameGrid(target.GetPointer(), c.InputName("input"), raw.GetPointer(), imagePaths[i]);
      images.push_back(MeanOfComponents<D>(raw));
    }
    fusion.AddAtlas(labels.back(), images.empty() ? nullptr : images.back().GetPointer());
    c.Progress().Report(0.1 * (i + 1) / labelPaths.size());
  }
  c.Progress().SetStage("fusion (" + FusionMethodName(s.method) + ")");
  fusion.SetObserver([&](double f) { c.Progress().Report(0.1 + 0.9 * f); });
  fusion.Update();
  SetFusedOutputs<D>(c, fusion.GetLabels(), fusion.GetProbabilities(), fusion.GetLabelSet(), atlasTable);
  if (const auto confidence = fusion.GetConfidence())
    c.SetOutput("confidence", confidence);
  c.Report(std::to_string(labelPaths.size()) + " atlases, " + FusionMethodName(s.method) + ": " +
           std::to_string(fusion.GetConsensusVoxels()) + " voxels by consensus, " +
           std::to_string(fusion.GetFusedVoxels()) + " fused");
}

/** The atlases of the "atlases" input (list or description) less --exclude, checked; `names` gets
 * the description's label table. */
template <unsigned int D>
std::vector<AtlasMember>
LoadAtlases(StageContext & c, LabelTable & names)
{
  const auto & p = c.Parameters();
  const auto   list = c.InputPaths("atlases").at(0);
  const auto   root = p.Has("data-root") ? p.Text("data-root") : std::string();
  auto         atlases = LoadAtlasMembers(list, root);
  if (SplitExtension(list).second == ".json")
    names = AtlasDescription::Load(list, root).LoadLabelTable();
  if (p.Has("exclude"))
  {
    for (const auto & id : p.TextList("exclude"))
    {
      const auto it = std::find_if(atlases.begin(), atlases.end(), [&](const AtlasMember & a) { return a.id == id; });
      if (it == atlases.end())
        throw Error("exclude", "no atlas of " + list + " has the id " + id);
      atlases.erase(it);
    }
  }
  CheckAtlases<D>(atlases, names);
  return atlases;
}

template <unsigned int D>
void
SegmentWithAtlases(StageContext & c)
{
  const auto & p = c.Parameters();
  LabelTable   names;
  const auto   atlases = LoadAtlases<D>(c, names);
  const auto registration = RegistrationSettingsFrom(p, c.Options().seed);
  const auto target = MeanOfComponents<D>(c.Input<VectorImage<D>>("input"));
  CheckShrinkFactors<D>(registration, target, c.InputName("input"));

  MultiAtlasSegmentation<D> segmentation;
  segmentation.SetTargetImage(target);
  segmentation.SetMask(c.Input<MaskImage<D>>("mask"));
  segmentation.SetAtlases(atlases);
  segmentation.SetRegistrationSettings(registration);
  segmentation.SetFusionSettings(FusionSettingsFrom(p));
  segmentation.SetComputeProbabilities(c.Wants("probabilities"));
  if (names.Empty())
  {
    const auto labels = ReadLabelImage<D>(atlases.front().labels);
    const auto text = ReadLabelTableText(atlases.front().labels, labels->GetMetaDataDictionary());
    if (!text.empty())
      names = LabelTable::FromJson(text, atlases.front().labels);
  }
  if (p.Boolean("mirror"))
  {
    if (names.Empty())
      throw Error("mirror", "needs a label table to pair left and right labels: give an atlas description with a "
                            "labelTable, or atlas labels that carry one");
    auto pairs = LeftRightLabelPairs(names);
    if (pairs.empty())
      throw Error("mirror", "the atlases' label table names no left/right pair (such as \"Left X\" and \"Right X\")");
    segmentation.SetMirroredLabels(std::move(pairs));
  }
  // Read before the registrations, so that a wrong model file stops the run at once.
  std::optional<CorrectiveLearning<D>> corrector;
  if (!c.InputPaths("corrector").empty())
    corrector = CorrectiveLearning<D>::Load(c.InputPaths("corrector").at(0));
  segmentation.SetComputeConfidence(c.Wants("confidence") || (corrector && corrector->UsesConfidence()));
  segmentation.SetObserver([&](const std::string & step, double fraction) {
    c.Progress().SetStage(step);
    c.Progress().Report(fraction);
  });
  segmentation.Update();
  auto labels = segmentation.GetLabels();
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << atlases.size() * (p.Boolean("mirror") ? 2 : 1)
    << " atlases registered and warped in " << segmentation.GetRegistrationSeconds() << " s, fused ("
    << p.Text("fusion") << ") in " << segmentation.GetFusionSeconds() << " s";
  if (corrector)
  {
    c.Progress().SetStage("corrective learning");
    corrector->SetObserver([&](const std::string &, double f) { c.Progress().Report(f); });
    const auto start = std::chrono::steady_clock::now();
    labels = corrector->Apply(target, labels, c.Input<MaskImage<D>>("mask"),
                              corrector->UsesConfidence() ? segmentation.GetConfidence().GetPointer() : nullptr);
    s << ", corrected (" << corrector->GetChangedVoxels() << " voxels relabelled) in "
      << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s";
  }
  SetFusedOutputs<D>(c, labels, segmentation.GetProbabilities(), segmentation.GetLabelSet(), names);
  if (c.Wants("confidence"))
    c.SetOutput("confidence", segmentation.GetConfidence());
  c.Report(s.str());
}

CorrectiveLearningSettings
CorrectiveLearningSettingsFrom(const StageContext & c)
{
  const auto &               p = c.Parameters();
  CorrectiveLearningSettings s;
  s.dilation = p.Count("dilation");
  s.samplesPerLabel = p.Count("samples-per-label");
  s.trees = p.Count("trees");
  s.depth = p.Count("depth");
  s.seed = c.Options().seed;
  return s;
}

template <unsigned int D>
void
TrainCorrection(StageContext & c)
{
  const auto & images = c.InputPaths("input");
  const auto & automatic = c.InputPaths("automatic");
  const auto & manual = c.InputPaths("manual");
  const auto & masks = c.InputPaths("mask");
  const auto & confidences = c.InputPaths("confidence");
  auto         count = [&](const std::string & port, size_t n) {
    if (n != images.size())
      throw Error(port, "give one per training image, in the same order (" + std::to_string(images.size()) +
                          " images, " + std::to_string(n) + " " + port + " files)");
  };
  count("automatic", automatic.size());
  count("manual", manual.size());
  if (!masks.empty())
    count("mask", masks.size());
  if (!confidences.empty())
    count("confidence", confidences.size());
  // Every file is read and checked before the first subject's features are computed.
  for (size_t i = 0; i < images.size(); ++i)
  {
    const auto image = ReadIntensityImage<D>(images[i]);
    CheckFinite<D>(image.GetPointer(), images[i]);
    CheckSameGrid(image.GetPointer(), images[i], ReadLabelImage<D>(automatic[i]).GetPointer(), automatic[i]);
    CheckSameGrid(image.GetPointer(), images[i], ReadLabelImage<D>(manual[i]).GetPointer(), manual[i]);
    if (!masks.empty())
      ReadMask<D>(masks[i], image.GetPointer(), images[i]);
    if (!confidences.empty())
    {
      const auto confidence = ReadIntensityImage<D>(confidences[i]);
      CheckFinite<D>(confidence.GetPointer(), confidences[i]);
      CheckSameGrid(image.GetPointer(), images[i], confidence.GetPointer(), confidences[i]);
    }
  }
  auto learner = std::make_shared<CorrectiveLearning<D>>();
  learner->SetSettings(CorrectiveLearningSettingsFrom(c));
  for (size_t i = 0; i < images.size(); ++i)
  {
    c.Progress().SetStage("subject " + std::to_string(i + 1) + "/" + std::to_string(images.size()) + ": features");
    const auto image = MeanOfComponents<D>(ReadIntensityImage<D>(images[i]));
    const auto mask = masks.empty() ? nullptr : ReadMask<D>(masks[i], image.GetPointer(), images[i]);
    learner->SetObserver([&](const std::string &, double f) { c.Progress().Report((i + f) / images.size()); });
    const auto confidence =
      confidences.empty() ? nullptr : MeanOfComponents<D>(ReadIntensityImage<D>(confidences[i]));
    learner->AddSubject(image, ReadLabelImage<D>(automatic[i]), ReadLabelImage<D>(manual[i]), mask, confidence);
  }
  c.Progress().SetStage("training");
  learner->Train();
  c.SetWriter("model", [learner](const std::string & path) { learner->Save(path); });
  c.Report("corrective-learning model: " + std::to_string(learner->GetLabels().size()) + " labels, " +
           std::to_string(images.size()) + " subjects");
}

template <unsigned int D>
void
ApplyCorrection(StageContext & c)
{
  const auto image = MeanOfComponents<D>(c.Input<VectorImage<D>>("input"));
  const auto automatic = c.Input<LabelImage<D>>("automatic");
  const auto mask = c.Input<MaskImage<D>>("mask");
  const auto confidence = c.Input<VectorImage<D>>("confidence");
  auto       model = CorrectiveLearning<D>::Load(c.InputPaths("model").at(0));
  const auto table = ReadLabelTableText(c.InputPaths("automatic").at(0), automatic->GetMetaDataDictionary());
  c.Progress().SetStage("correcting");
  model.SetObserver([&](const std::string &, double f) { c.Progress().Report(f); });
  const auto corrected = model.Apply(image, automatic, mask,
                                     confidence ? MeanOfComponents<D>(confidence).GetPointer() : nullptr);
  if (!table.empty())
    SetLabelTable(corrected, LabelTable::FromJson(table, c.InputPaths("automatic").at(0)));
  c.SetOutput("output", corrected);
  c.Report(std::to_string(model.GetChangedVoxels()) + " voxels relabelled");
}

/** The path of `file` relative to the folder of `from` (both as given on the command line). */
std::string
RelativeTo(const std::string & file, const std::string & from)
{
  namespace fs = std::filesystem;
  return fs::absolute(file).lexically_normal().lexically_relative(fs::absolute(from).parent_path().lexically_normal()).string();
}

template <unsigned int D>
void
BuildAtlas(StageContext & c)
{
  const auto & p = c.Parameters();
  if (c.Wants("description") && c.OutputPath("output").empty())
  {
    throw Error("description", "needs the template written to a file (-o)");
  }
  if (!c.OutputPath("output").empty())
  {
    CheckFloatFormat(c.OutputPath("output"));
  }
  LabelTable names;
  const auto subjects = LoadAtlases<D>(c, names);
  AtlasBuildSettings settings;
  settings.iterations = p.Count("rounds");
  settings.shapeStep = p.Real("shape-step");
  settings.registration = RegistrationSettingsFrom(p, c.Options().seed);
  AtlasBuilder<D> builder;
  builder.SetSubjects(subjects);
  builder.SetSettings(settings);
  builder.SetComputeProbabilities(c.Wants("probabilities") || c.Wants("description"));
  builder.SetObserver([&](const std::string & step, double fraction) {
    c.Progress().SetStage(step);
    c.Progress().Report(fraction);
  });
  builder.Update();
  c.SetOutput("output", builder.GetTemplate());
  if (const auto probabilities = builder.GetProbabilities())
  {
    if (!names.Empty())
      SetLabelTable(probabilities, FusedTable(ClassTable<D>(probabilities, "label probabilities").Labels(), names));
    c.SetOutput("probabilities", probabilities);
  }
  std::ostringstream s;
  s << std::fixed << std::setprecision(2) << "template from " << subjects.size()
    << " subjects; RMS mean displacement per round (mm):";
  for (const auto d : builder.GetMeanDisplacement())
    s << " " << d;
  c.Report(s.str());
  if (c.Wants("description"))
  {
    const std::string json = c.OutputPath("description");
    std::string       ids;
    for (const auto & m : subjects)
      ids += (ids.empty() ? "" : ", ") + m.id;
    nlohmann::json d;
    d["name"] = "Template of " + std::to_string(subjects.size()) + " subjects";
    d["description"] = "Unbiased template built by tessera atlas build (" + std::to_string(settings.iterations) +
                       " rounds of groupwise registration and averaging), with per-label probability maps";
    d["space"] = "the template's own (the grid of subject " + subjects.front().id + ")";
    d["provenance"] = "tessera atlas build from " + c.InputPaths("atlases").at(0) + ": " + ids;
    d["licence"] = "as the source images";
    d["template"] = RelativeTo(c.OutputPath("output"), json);
    if (c.Wants("probabilities") && !c.OutputPath("probabilities").empty())
      d["labelProbabilities"] = RelativeTo(c.OutputPath("probabilities"), json);
    // Subjects meet the template best as its members did (segment --atlas registers with these).
    const auto values = p.ToJson();
    for (const auto & r : InterSubjectRegistrationParameters())
      if (p.Has(r.name))
        d["registration"][r.name] = values.at(r.name);
    c.SetText("description", d.dump(2) + "\n");
  }
}

/** atlas build has no image input: the first subject's image gives the dimension. */
void
BuildAtlasByDimension(StageContext & c)
{
  const auto & p = c.Parameters();
  const auto   members =
    LoadAtlasMembers(c.InputPaths("atlases").at(0), p.Has("data-root") ? p.Text("data-root") : std::string());
  const auto dimension = ReadImageInfo(members.front().image).dimension;
  if (dimension != 2 && dimension != 3)
    throw Error(members.front().image, "is " + std::to_string(dimension) + "D; templates are 2D or 3D");
  dimension == 2 ? BuildAtlas<2>(c) : BuildAtlas<3>(c);
}

std::vector<ParameterDescription>
Concatenate(std::vector<ParameterDescription> a, const std::vector<ParameterDescription> & b)
{
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

/** The parameters of an atlas list: where its paths start, and ids to leave out. */
std::vector<ParameterDescription>
ListParameters()
{
  return {
    TextParameter("data-root", "", "Folder the atlas list's or description's relative paths start from")
      .WhenAbsent("the list's own folder"),
    ListParameter("exclude", ParameterType::TextList, "ids",
                  "Atlas ids to leave out, e.g. the target's own in a leave-one-out (description ids, or image file "
                  "names without extension for lists)")
      .WhenAbsent("none"),
  };
}

const char * const ConfidenceDoc = "The fused probability of the chosen label at each voxel (1 where the atlases agree, "
                                   "0 outside the mask; float): where the fusion hesitated, and a feature for "
                                   "`corrective-learning train --confidence`";
} // namespace

void
RegisterAtlasStages(StageRegistry & registry)
{
  const std::vector<std::string> listExtensions{ ".csv", ".txt", ".json" };
  {
    StageDescription s;
    s.name = "label-fusion";
    s.summary = "Fuses atlas labels already on the target's grid: majority, weighted votes, STAPLE, joint label fusion";
    s.source = "Artaechevarria et al., IEEE TMI 28, 2009; Isgum et al., IEEE TMI 28, 2009; Warfield et al., IEEE TMI "
               "23, 2004 (multi-label: Rohlfing et al., 2004); Wang et al., IEEE PAMI 35, 2013";
    s.inputs = {
      InputPort("input", PortKind::Image, "Target image (intensities; its grid is the output's)").Alias("i"),
      InputPort("atlas-labels", PortKind::File, "Atlas label images on the target's grid (repeatable)")
        .Alias("l")
        .Multiple(),
      InputPort("atlas-images", PortKind::File, "Atlas intensity images on the target's grid, one per label image in "
                                                "the same order (weighted, local, jlf)")
        .Multiple()
        .Optional(),
      InputPort("mask", PortKind::Mask, "Only voxels inside (non-zero) are fused; outside is 0").Optional(),
      InputPort("labels", PortKind::LabelTable, "Label table: names for the output, and every atlas label must be in it")
        .Optional(),
    };
    s.outputs = {
      OutputPort("output", PortKind::Labels, "Fused labels").Alias("o"),
      OutputPort("probabilities", PortKind::Probabilities, "Per-label vote fractions (one component per label the "
                                                           "atlases give: 4 bytes per voxel and label)")
        .Optional(),
      OutputPort("confidence", PortKind::Image, ConfidenceDoc).Optional(),
      OverlayPort("overlay", "output"),
    };
    s.parameters = FusionParameters();
    s.perImage = false;
    s.run = RunByDimension<FuseLabels<2>, FuseLabels<3>>;
    registry.Add(s);
  }
  {
    StageDescription s;
    s.name = "atlas-segment";
    s.summary = "Multi-atlas segmentation: registers every atlas onto the target, warps its labels, fuses them";
    s.source = "Rohlfing et al., NeuroImage 21, 2004 (multi-atlas); registration as `register`; fusion as "
               "`label-fusion` (Wang et al., IEEE PAMI 35, 2013 by default)";
    s.inputs = {
      InputPort("input", PortKind::Image, "Target image (its grid is the output's)").Alias("i"),
      InputPort("atlases", PortKind::File, "Atlases: a list (.csv/.txt, one \"image,labels\" pair per line) or an "
                                           "atlas description (Atlases/*.json)")
        .Alias("a"),
      InputPort("mask", PortKind::Mask, "Target mask: only voxels inside are labelled (the registrations see the "
                                        "whole image, whose brain outline aligns the cortex)")
        .Optional(),
      InputPort("corrector", PortKind::File, "A corrective-learning model (`tessera corrective-learning train`, on "
                                             "the atlases segmented by this command from the others) applied to the "
                                             "fused labels; --probabilities stay the fusion's")
        .Optional(),
    };
    s.outputs = {
      OutputPort("output", PortKind::Labels, "Fused labels, with the atlases' label table").Alias("o"),
      OutputPort("probabilities", PortKind::Probabilities, "Per-label fusion weights (4 bytes per voxel and label)")
        .Optional(),
      OutputPort("confidence", PortKind::Image, ConfidenceDoc).Optional(),
      OverlayPort("overlay", "output"),
    };
    s.parameters = Concatenate(
      Concatenate(ListParameters(),
                  { BooleanParameter("mirror", "Also use every atlas mirrored left-right, its left and right labels "
                                               "swapped (paired by the label table's names, \"Left X\"/\"Right X\"): "
                                               "twice the atlases for twice the registration time")
                      .Source("brains are nearly symmetric; what it gains on MICCAI 2012: "
                              "Documentation/Benchmarks/AtlasSegmentation.md") }),
      Concatenate(FusionParameters(), InterSubjectRegistrationParameters()));
    s.seeded = true;
    s.perImage = false;
    s.run = RunByDimension<SegmentWithAtlases<2>, SegmentWithAtlases<3>>;
    registry.Add(s);
  }
  const std::string correctiveSource = "Wang et al., NeuroImage 56, 2011 (corrective learning); Breiman, Machine "
                                       "Learning 45, 2001 (random forests, OpenCV's RTrees)";
  {
    StageDescription s;
    s.name = "corrective-learning train";
    s.summary = "Learns where an automatic segmentation method errs, per label, from subjects it segmented and "
                "their manual labels";
    s.source = correctiveSource;
    s.inputs = {
      InputPort("input", PortKind::File, "Training images (intensities)").Alias("i").Multiple(),
      InputPort("automatic", PortKind::File, "The method's labels of each training image, in the same order (for "
                                             "multi-atlas segmentation: each atlas segmented from the others)")
        .Multiple(),
      InputPort("manual", PortKind::File, "Manual labels of each training image, in the same order").Alias("l").Multiple(),
      InputPort("mask", PortKind::File, "Masks of the training images, in the same order: only voxels inside are "
                                        "learnt from")
        .Multiple()
        .Optional(),
      InputPort("confidence", PortKind::File, "The method's confidence in its labels of each training image, in the "
                                              "same order (`label-fusion --confidence`): one more feature, which the "
                                              "model then needs when applied")
        .Multiple()
        .Optional(),
    };
    s.outputs = { OutputPort("model", PortKind::File, "Model to write: one random forest per label (OpenCV "
                                                     "FileStorage; .yml.gz is the most compact)")
                    .Alias("m")
                    .Extensions({ ".yml.gz", ".yml", ".json.gz", ".json", ".xml.gz", ".xml" }) };
    s.parameters = {
      IntegerParameter("dilation", "1", "voxels", "Each label's working region: its automatic region dilated this far "
                                                  "(a ball); only voxels there can change to or from it")
        .AtLeast(0)
        .AtMost(5),
      IntegerParameter("samples-per-label", "40000", "count", "Training voxels kept per label, drawn at random "
                                                              "(seeded) from all subjects' working regions")
        .AtLeast(100)
        .AtMost(10000000),
      IntegerParameter("trees", "50", "count", "Trees of each label's random forest").AtLeast(1).AtMost(1000),
      IntegerParameter("depth", "12", "count", "Largest depth of a tree").AtLeast(1).AtMost(25),
    };
    s.seeded = true;
    s.perImage = false;
    s.run = [](StageContext & c) {
      const auto dimension = ReadImageInfo(c.InputPaths("input").at(0)).dimension;
      if (dimension != 2 && dimension != 3)
        throw Error(c.InputPaths("input").at(0), "is " + std::to_string(dimension) + "D; Tessera handles 2D and 3D");
      dimension == 2 ? TrainCorrection<2>(c) : TrainCorrection<3>(c);
    };
    registry.Add(s);
  }
  {
    StageDescription s;
    s.name = "corrective-learning apply";
    s.summary = "Corrects an automatic segmentation with a model from `corrective-learning train`";
    s.source = correctiveSource;
    s.inputs = {
      InputPort("input", PortKind::Image, "Image the automatic labels segment (intensities)").Alias("i"),
      InputPort("automatic", PortKind::Labels, "Its labels from the method the model was trained on").Alias("l"),
      InputPort("model", PortKind::File, "Model written by `tessera corrective-learning train`").Alias("m"),
      InputPort("mask", PortKind::Mask, "Only voxels inside (non-zero) are corrected").Optional(),
      InputPort("confidence", PortKind::Image, "The method's confidence in these labels (`label-fusion "
                                               "--confidence`), for a model trained with it")
        .Optional(),
    };
    s.outputs = {
      OutputPort("output", PortKind::Labels, "Corrected labels, with the automatic labels' table").Alias("o"),
      OverlayPort("overlay", "output"),
    };
    s.perImage = false;
    s.run = RunByDimension<ApplyCorrection<2>, ApplyCorrection<3>>;
    registry.Add(s);
  }
  {
    StageDescription s;
    s.name = "atlas build";
    s.summary = "Builds an unbiased template with per-label probability maps from labelled subjects";
    s.source = "Joshi et al., NeuroImage 23, 2004; Avants et al., NeuroImage 49, 2010 (ANTs template construction)";
    s.inputs = {
      InputPort("atlases", PortKind::File, "Subjects: a list (.csv/.txt, one \"image,labels\" pair per line) or an "
                                           "atlas description (Atlases/*.json)")
        .Alias("a"),
    };
    s.outputs = {
      OutputPort("output", PortKind::Image, "The template: the subjects' intensities (scaled to mean 1000) averaged "
                                            "after registration onto it, on the first subject's grid")
        .Alias("o"),
      OutputPort("probabilities", PortKind::Probabilities, "Per-label probability maps on the template (the fraction "
                                                           "of subjects giving each label; 4 bytes per voxel and label)")
        .Optional(),
      OutputPort("description", PortKind::Text, "An atlas description (JSON) naming the template and the maps, "
                                                "relative to its own folder")
        .Optional()
        .Extensions({ ".json" }),
    };
    s.parameters = Concatenate(
      Concatenate(ListParameters(),
                  {
                    IntegerParameter("rounds", "3", "count",
                                     "Groupwise rounds: register every subject onto the template, average, re-centre "
                                     "(round 1: the linear stages only, onto the first subject)")
                      .AtLeast(1)
                      .AtMost(20),
                    RealParameter("shape-step", "0.5", "fraction",
                                  "Share of the subjects' mean displacement removed from the template between rounds")
                      .AtLeast(0)
                      .AtMost(1),
                  }),
      InterSubjectRegistrationParameters());
    s.seeded = true;
    s.perImage = false;
    s.run = BuildAtlasByDimension;
    registry.Add(s);
  }
}
} // namespace tessera
