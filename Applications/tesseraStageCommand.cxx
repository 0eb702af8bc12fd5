#include "tesseraStageCommand.h"

#include <cctype>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <thread>

#include "itkMultiThreaderBase.h"
#include "tesseraModuleLoader.h"
#include "tesseraRunRecord.h"
#include "tesseraStages.h"
#include "tesseraTiledRun.h"

namespace fs = std::filesystem;

namespace tessera
{
namespace
{
/** Options every application takes; not parameters of the method, so not in pipeline files. */
/** Image outputs a GeoTIFF can hold. */
bool
IsRaster(PortKind kind)
{
  return kind == PortKind::Labels || kind == PortKind::Probabilities || kind == PortKind::Image;
}

std::vector<ParameterDescription>
CommonParameters(const StageDescription & stage)
{
  std::vector<ParameterDescription> common{
    BooleanParameter("quiet", "No progress or result lines; errors are still printed to stderr").Alias("q"),
    IntegerParameter("threads", "0", "count", "Worker threads (0 = all cores)").AtLeast(0).AtMost(1024),
  };
  if (stage.seeded)
  {
    common.push_back(IntegerParameter("seed", "0", "count", "Random seed: the same seed gives the same result")
                       .AtLeast(0)
                       .AtMost(4294967295.0));
  }
  if (stage.tiling.halo)
  {
    common.push_back(IntegerParameter("ram", "", "MB",
                                      std::string("Memory budget: a 2D raster whose run would need more is processed "
                                                  "tile by tile (halo included; GeoTIFF, VRT or MetaImage in, GeoTIFF "
                                                  "out, written tile by tile); ") +
                                        (stage.tiling.fitsModel ? "the model is fitted on a sample of the whole "
                                                                  "image (at most 2^20 pixels), then "
                                                                : "") +
                                        (stage.tiling.gathering ? "statistics are gathered over every tile, the "
                                                                  "stage decides once on the whole image, then each "
                                                                  "tile is written from that decision"
                                         : stage.tiling.exact    ? "every pixel is labelled as a whole run with that model would"
                                         : stage.tiling.regions ? "regions crossing tile borders are joined and numbered "
                                                                  "anew (near a whole run's regions)"
                                                                : "labels are near a whole run's (an MRF reaches past any halo)"))
                       .AtLeast(64)
                       .AtMost(1e7)
                       .WhenAbsent("no limit: the image is processed whole"));
  }
  if (std::any_of(stage.outputs.begin(), stage.outputs.end(), [](const auto & p) { return p.kind == PortKind::Overlay; }))
  {
    const OverlayOptions defaults;
    common.push_back(RealParameter("overlay-opacity", FormatNumber(defaults.opacity), "weight",
                                   "Weight of the label colours inside the regions of the overlay (0 = borders only)")
                       .AtLeast(0)
                       .AtMost(1));
    common.push_back(BooleanParameter("overlay-outline", "Draw only the region borders in the overlay"));
  }
  const bool labels =
    std::any_of(stage.outputs.begin(), stage.outputs.end(), [](const auto & p) { return p.kind == PortKind::Labels; });
  if (labels)
  {
    common.push_back(BooleanParameter("label-colours", "Also write each label output in its label colours as "
                                                       "<name>.colours.png (3D: the three middle views)"));
  }
  if (std::any_of(stage.outputs.begin(), stage.outputs.end(), [](const auto & p) { return IsRaster(p.kind); }))
  {
    common.push_back(BooleanParameter("cog", "Write the GeoTIFF outputs (.tif) as Cloud Optimized GeoTIFFs (GDAL's COG "
                                              "driver: internal overviews, nearest for labels, average otherwise), "
                                              "which QGIS and web viewers read over HTTP by range"));
  }
  if (labels && stage.perImage && stage.PrimaryInput())
  {
    common.push_back(BooleanParameter("bids", "With a folder input: name outputs as BIDS derivatives "
                                              "(sub-01_T1w.nii.gz -> sub-01_desc-<application>_dseg.nii.gz, with "
                                              "its dseg.tsv; _probseg for probabilities)"));
  }
  if (stage.perImage && stage.PrimaryInput())
  {
    common.push_back(TextParameter("extension", "",
                                   "With a folder input: extension of the label/image outputs (default: the input's; "
                                   "JPEG inputs give .png)"));
  }
  return common;
}

std::string
TypeName(const ParameterDescription & d)
{
  switch (d.type)
  {
    case ParameterType::Integer: return "INT";
    case ParameterType::Real: return "FLOAT";
    case ParameterType::Choice: return "CHOICE";
    case ParameterType::IntegerList: return "INT,...";
    case ParameterType::RealList: return "FLOAT,...";
    case ParameterType::TextList: return d.choices.empty() ? "TEXT ..." : "CHOICE,..."; // choices hold no commas
    case ParameterType::Boolean: return "FLAG";
    default: return "TEXT";
  }
}

std::string
PortHelp(const PortDescription & p, bool output)
{
  std::string s = p.doc + " (" + p.KindText();
  if (output && p.IsImage())
  {
    s += "; format from the extension: .nii.gz, .nrrd, .mha, .png, .tif, ...";
  }
  if (!p.extensions.empty())
  {
    s += ";";
    for (const auto & e : p.extensions)
    {
      s += " " + e;
    }
  }
  if (p.multiple)
  {
    s += "; repeatable";
  }
  if (!p.optional)
  {
    s += "; required";
  }
  return s + ")";
}

/** One stage invocation from the command line: option values, then the run. */
struct CommandValues
{
  std::map<std::string, std::vector<std::string>> ports;
  std::map<std::string, std::vector<std::string>> parameters;
  std::map<std::string, std::vector<std::string>> common;
};

/** The BIDS derivative stem of an input for one output: "sub-01_ses-1_T1w" → "sub-01_ses-1_desc-segment_dseg"
 * (the input's entities, its suffix replaced; the application's name, letters and digits only, as desc). */
std::string
BidsStem(const std::string & inputStem, const StageDescription & stage, const PortDescription & port)
{
  std::string entities = inputStem;
  if (const auto last = entities.rfind('_'); last != std::string::npos && entities.find('-', last) == std::string::npos)
  {
    entities = entities.substr(0, last); // the suffix ("T1w") is the part after the last '_' with no '-'
  }
  std::string desc;
  for (const char ch : stage.name)
  {
    desc += std::isalnum(static_cast<unsigned char>(ch)) ? std::string(1, ch) : "";
  }
  const std::string suffix = port.kind == PortKind::Labels          ? "dseg"
                             : port.kind == PortKind::Probabilities ? "probseg"
                                                                    : port.name;
  return entities + "_desc-" + desc + "_" + suffix;
}

/** The output file for one input of a folder run. */
std::string
FolderOutput(const std::string & folder, const std::string & input, const StageDescription & stage,
             const PortDescription & port, const std::string & extension, bool bids)
{
  auto [stem, inputExtension] = SplitExtension(fs::path(input).filename().string());
  if (bids)
  {
    stem = BidsStem(stem, stage, port);
  }
  std::string ext;
  switch (port.kind)
  {
    case PortKind::Overlay: ext = ".png"; break;
    case PortKind::Probabilities: ext = ".nii.gz"; break;
    case PortKind::Text:
    case PortKind::File: ext = port.extensions.empty() ? ".txt" : port.extensions.front(); break;
    default:
      ext = extension.empty() ? inputExtension : (extension[0] == '.' ? extension : "." + extension);
      if (const std::string l = LowerCaseExtension(stem + ext); l == ".jpg" || l == ".jpeg" || l == ".bmp")
      {
        ext = ".png"; // lossy or 8-bit RGB formats cannot hold labels
      }
  }
  return (fs::path(folder) / (stem + ext)).string();
}

std::string
Absolute(const std::string & path)
{
  return fs::absolute(path).lexically_normal().string();
}

/** The command line that the given values spell (paths as given), for records and NIfTI headers. */
std::string
CommandText(const StageDescription & stage, const PortFiles & ports, const ParameterValues & parameters,
            const std::vector<ParameterDescription> & descriptions, bool withPorts)
{
  std::string text = "tessera " + stage.name;
  if (withPorts)
  {
    for (const auto * list : { &stage.inputs, &stage.outputs })
    {
      for (const auto & p : *list)
      {
        for (const auto & f : ports.count(p.name) ? ports.at(p.name) : std::vector<std::string>{})
        {
          text += " --" + p.name + " " + f;
        }
      }
    }
  }
  const nlohmann::ordered_json values = parameters.ToJson();
  for (const auto & d : descriptions)
  {
    if (!parameters.Given(d.name) || !values.contains(d.name) || d.name == "quiet")
    {
      continue;
    }
    const auto & v = values.at(d.name);
    if (v.is_boolean())
    {
      text += v.get<bool>() ? " --" + d.name : "";
      continue;
    }
    text += " --" + d.name;
    for (const auto & item : v.is_array() ? v : nlohmann::ordered_json::array({ v }))
    {
      text += " " + (item.is_string() ? item.get<std::string>() : item.dump());
    }
  }
  return text;
}

/** The inputs of a run record, each input file's absolute path and SHA-256 by port, computed on a
 * thread of their own beside the run: reading and decompressing the inputs, its usual start, keeps
 * one thread busy. The thread is detached and holds copies of the names, so that a run that fails
 * early (a FIFO, a damaged file) exits at once, without waiting for the checksums. */
std::future<nlohmann::ordered_json>
InputChecksums(const StageDescription & stage, const PortFiles & ports)
{
  std::vector<std::pair<std::string, std::vector<std::string>>> files;
  for (const auto & p : stage.inputs)
  {
    if (ports.count(p.name))
    {
      files.emplace_back(p.name, ports.at(p.name));
    }
  }
  std::packaged_task<nlohmann::ordered_json()> task([files] {
    nlohmann::ordered_json inputs = nlohmann::ordered_json::object();
    for (const auto & [port, paths] : files)
    {
      for (const auto & f : paths)
      {
        inputs[port].push_back({ { "path", Absolute(f) }, { "sha256", Sha256OfPath(f) } });
      }
    }
    return inputs;
  });
  auto checksums = task.get_future();
  std::thread(std::move(task)).detach();
  return checksums;
}

/** The run record of one job: application, version, every parameter (defaults included), the
 * common options given, inputs with SHA-256 (InputChecksums), outputs, timings and peak memory. */
std::string
RunRecord(const StageDescription & stage, const PortFiles & ports, const ParameterValues & parameters,
          const ParameterValues & common, const std::vector<ParameterDescription> & commonDescriptions,
          const nlohmann::ordered_json & inputs, const std::string & started, double seconds)
{
  nlohmann::ordered_json record;
  record["tessera_run_record"] = 1;
  record["application"] = stage.name;
  record["version"] = TESSERA_VERSION;
  record["command"] = CommandText(stage, ports, parameters, stage.parameters, true) +
                      CommandText(stage, {}, common, commonDescriptions, false).substr(8 + stage.name.size());
  nlohmann::ordered_json outputs = nlohmann::ordered_json::object();
  for (const auto & p : stage.outputs)
  {
    if (ports.count(p.name))
    {
      outputs[p.name] = Absolute(ports.at(p.name).front());
    }
  }
  record["inputs"] = inputs;
  record["outputs"] = outputs;
  record["parameters"] = parameters.ToJson();
  nlohmann::ordered_json given = nlohmann::ordered_json::object();
  const nlohmann::ordered_json options = common.ToJson(); // items() refers to it: keep it alive
  for (const auto & [name, value] : options.items())
  {
    // bids and extension only name a folder run's outputs; the record holds the names they gave.
    if (common.Given(name) && name != "quiet" && name != "bids" && name != "extension")
    {
      given[name] = value;
    }
  }
  record["options"] = given;
  const ResourceUsage usage = CurrentResourceUsage();
  record["started"] = started;
  record["seconds"] = std::round(seconds * 1000) / 1000;
  record["cpu_seconds"] = std::round(usage.cpuSeconds * 1000) / 1000;
  record["peak_memory_mib"] = std::round(usage.peakMemoryMiB * 10) / 10;
  return record.dump(2) + "\n";
}

/** --cog: the run's GeoTIFF image outputs, written into `pending`, become Cloud Optimized GeoTIFFs
 * (module TesseraGDALIO) before they are committed. */
void
MakeCloudOptimized(const StageDescription & stage, const PortFiles & files,
                   const std::vector<std::unique_ptr<AtomicOutput>> & pending)
{
  for (const auto & port : stage.outputs)
  {
    if (!IsRaster(port.kind) || !files.count(port.name))
    {
      continue;
    }
    const fs::path target = fs::absolute(files.at(port.name).front());
    for (const auto & output : pending)
    {
      if (fs::path(output->FinalPath()) == target)
      {
        ModuleFunction<void(const char *, bool)>("TesseraGDALIO", "tesseraMakeCloudOptimized")(
          output->TemporaryPath().c_str(), port.kind == PortKind::Labels);
      }
    }
  }
}

std::string
UtcNow()
{
  const std::time_t now = std::time(nullptr);
  char              text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

/** Runs an application on files: a folder as the primary input runs every image in it, outputs
 * into folders of the same names. Every output, and the run record beside the first, is checked
 * before any work and committed together per input. */
void
RunApplication(const StageDescription & stage, const PortFiles & ports, const ParameterValues & parameters,
               const ParameterValues & common)
{
  const std::vector<ParameterDescription> commonDescriptions = CommonParameters(stage);
  RunOptions                              options;
  options.quiet = common.Boolean("quiet");
  options.threads = common.Count("threads");
  options.seed = stage.seeded ? static_cast<unsigned int>(common.Integer("seed")) : 0u;
  options.seedGiven = common.Given("seed");
  if (common.Has("overlay-opacity"))
  {
    options.overlay.opacity = common.Real("overlay-opacity");
    options.overlay.outline = common.Boolean("overlay-outline");
  }
  options.labelColours = common.Boolean("label-colours");
  options.description = CommandText(stage, {}, parameters, stage.parameters, false).substr(0, 79);
  if (options.threads > 0)
  {
    itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(options.threads);
    itk::MultiThreaderBase::SetGlobalMaximumNumberOfThreads(options.threads);
  }

  const PortDescription * primary = stage.PrimaryInput();
  std::vector<std::string> batch;
  std::error_code          ec;
  if (primary && stage.perImage && ports.count(primary->name) && fs::is_directory(ports.at(primary->name).front(), ec))
  {
    const std::string folder = ports.at(primary->name).front();
    batch = ListImageFiles(folder);
    if (batch.empty())
    {
      throw Error(folder, "the folder holds no image files");
    }
  }
  if (batch.empty() && (common.Boolean("bids") || common.Has("extension")))
  {
    throw Error(common.Boolean("bids") ? "bids" : "extension", "applies only to a folder input");
  }
  const std::vector<std::string> jobs = batch.empty() ? std::vector<std::string>{ "" } : batch;

  std::vector<std::unique_ptr<StageContext>>    contexts;
  std::vector<PortFiles>                        jobFiles;
  std::vector<std::string>                      records;
  std::vector<std::string>                      inputs;
  std::vector<std::pair<std::string, PortKind>> outputs;
  std::vector<std::vector<std::string>>         extensions;
  for (const auto & job : jobs)
  {
    auto      context = std::make_unique<StageContext>(stage, parameters, options);
    PortFiles files;
    for (const auto & port : stage.inputs)
    {
      if (ports.count(port.name))
      {
        files[port.name] = job.empty() || &port != primary ? ports.at(port.name) : std::vector<std::string>{ job };
        context->SetInputFiles(port.name, files[port.name]);
      }
    }
    if (common.Boolean("cog") && primary && files.count(primary->name))
    {
      const std::string & input = files.at(primary->name).front();
      if (const unsigned int dimension = ReadImageInfo(input).dimension; dimension != 2)
      {
        throw Error("cog", input + " is " + std::to_string(dimension) + "D; Cloud Optimized GeoTIFFs are 2D rasters");
      }
    }
    std::string record;
    for (const auto & port : stage.outputs)
    {
      if (!ports.count(port.name))
      {
        continue;
      }
      std::string path = ports.at(port.name).front();
      if (!job.empty())
      {
        // A missing folder is made, unless its name looks like a file's (a slip, not a folder wanted).
        if ((fs::exists(path, ec) && !fs::is_directory(path, ec)) ||
            (!fs::exists(path, ec) && !fs::path(path).extension().empty()))
        {
          throw Error(OptionName(stage, port.name), path + " must be a folder when the input is a folder");
        }
        path = FolderOutput(path, job, stage, port, common.Has("extension") ? common.Text("extension") : "",
                            common.Boolean("bids"));
      }
      const std::string format = LowerCaseExtension(path);
      if (common.Boolean("cog") && IsRaster(port.kind) && format != ".tif" && format != ".tiff")
      {
        throw Error("cog", path + ": Cloud Optimized GeoTIFFs are .tif files");
      }
      context->RequestOutput(port.name, path);
      files[port.name] = { path };
      outputs.emplace_back(path, port.kind);
      extensions.push_back(port.extensions);
      record = record.empty() ? RunRecordPath(path) : record;
    }
    if (!record.empty())
    {
      outputs.emplace_back(record, PortKind::Text);
      extensions.push_back({ ".json" });
    }
    for (const auto & f : context->InputFiles())
    {
      inputs.push_back(f);
    }
    contexts.push_back(std::move(context));
    jobFiles.push_back(files);
    records.push_back(record);
  }
  OutputSet outputSet(inputs, outputs, extensions);
  for (size_t j = 0; j < contexts.size(); ++j)
  {
    const std::string started = UtcNow();
    const auto        start = std::chrono::steady_clock::now();
    std::future<nlohmann::ordered_json> checksums;
    if (!records[j].empty())
    {
      checksums = InputChecksums(stage, jobFiles[j]);
    }
    std::vector<std::unique_ptr<AtomicOutput>> pending;
    if (!common.Has("ram") || !RunTiled(stage, jobFiles[j], parameters, options, static_cast<double>(common.Integer("ram")), pending))
    {
      contexts[j]->Run();
      contexts[j]->WriteOutputs(pending);
    }
    if (common.Boolean("cog"))
    {
      MakeCloudOptimized(stage, jobFiles[j], pending);
    }
    if (!records[j].empty())
    {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      pending.push_back(std::make_unique<AtomicOutput>(records[j]));
      WriteTextFile(*pending.back(), RunRecord(stage, jobFiles[j], parameters, common, commonDescriptions,
                                               checksums.get(), started, seconds));
    }
    outputSet.Commit(pending);
    if (!batch.empty() && !options.quiet)
    {
      std::cout << batch[j] << " done" << std::endl;
    }
    contexts[j].reset(); // free the images of this input before the next
  }
}

void
RunCommand(const StageDescription & stage, const CommandValues & values)
{
  RunApplication(stage, values.ports, ParameterValues::FromText(stage.parameters, values.parameters),
                 ParameterValues::FromText(CommonParameters(stage), values.common));
}

/** `tessera rerun record.json -o folder`: the run a record describes, on the same inputs
 * (unchanged: their SHA-256 is checked), with the outputs written into another folder. */
void
Rerun(const std::string & recordPath, const std::string & folder, bool quiet)
{
  std::ifstream file(recordPath);
  if (!file)
  {
    throw Error(recordPath, "no such file");
  }
  nlohmann::json record;
  try
  {
    record = nlohmann::json::parse(file);
  }
  catch (const nlohmann::json::exception & e)
  {
    throw Error(recordPath, std::string("is not valid JSON: ") + FirstLine(e.what()));
  }
  if (!record.is_object() || record.value("tessera_run_record", 0) != 1 || !record.contains("application") ||
      !record["application"].is_string() || !record.contains("inputs") || !record["inputs"].is_object() ||
      !record.contains("outputs") || !record["outputs"].is_object() || record["outputs"].empty())
  {
    throw Error(recordPath, "is not a Tessera run record (application, inputs and outputs expected)");
  }
  const StageDescription & stage = Stages().Get(record["application"].get<std::string>());
  PortFiles                ports;
  try
  {
    for (const auto & [port, list] : record["inputs"].items())
    {
      for (const auto & entry : list)
      {
        const std::string path = entry.at("path").get<std::string>();
        if (!fs::exists(path))
        {
          throw Error(path, "no such file (an input of " + recordPath + ")");
        }
        if (Sha256OfPath(path) != entry.at("sha256").get<std::string>())
        {
          throw Error(path, "has changed since the run (its SHA-256 differs from " + recordPath + ")");
        }
        ports[port].push_back(path);
      }
    }
    for (const auto & [port, path] : record["outputs"].items())
    {
      ports[port] = { (fs::path(folder) / fs::path(path.get<std::string>()).filename()).string() };
    }
  }
  catch (const nlohmann::json::exception & e)
  {
    throw Error(recordPath, std::string("is not a Tessera run record: ") + FirstLine(e.what()));
  }
  nlohmann::json common = record.value("options", nlohmann::json::object());
  if (quiet)
  {
    common["quiet"] = true;
  }
  RunApplication(stage, ports, ParameterValues::FromJson(stage.parameters, record.value("parameters", nlohmann::json())),
                 ParameterValues::FromJson(CommonParameters(stage), common));
}
} // namespace

std::string
OptionNames(const std::string & name, const std::string & alias)
{
  return (alias.empty() ? "" : "-" + alias + ",") + "--" + name;
}

std::string
OptionName(const StageDescription &, const std::string & name)
{
  return "--" + name;
}

void
AddStageCommand(CLI::App & app, const StageDescription & stage)
{
  CLI::App * parent = &app;
  std::string name = stage.name;
  if (const auto space = name.find(' '); space != std::string::npos)
  {
    const std::string group = name.substr(0, space);
    parent = nullptr;
    for (auto * existing : app.get_subcommands([](CLI::App *) { return true; }))
    {
      parent = existing->get_name() == group ? existing : parent;
    }
    if (!parent)
    {
      parent = app.add_subcommand(group, group + " (see its subcommands)");
      parent->require_subcommand(1);
    }
    name = name.substr(space + 1);
  }
  CLI::App * sub = parent->add_subcommand(name, stage.summary);
  auto       values = std::make_shared<CommandValues>();
  auto       addText = [&](const std::string & key, const std::string & names, const std::string & help, bool list,
                     std::map<std::string, std::vector<std::string>> & target, const std::string & type) {
    CLI::Option * option = nullptr;
    if (list)
    {
      option = sub->add_option_function<std::vector<std::string>>(
        names, [&target, key](const std::vector<std::string> & v) { target[key] = v; }, help);
      if (type != "TEXT ...")
      {
        option->delimiter(',');
      }
      option->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    }
    else
    {
      option = sub->add_option_function<std::string>(
        names, [&target, key](const std::string & v) { target[key] = { v }; }, help);
    }
    option->type_name(type);
    return option;
  };
  for (const auto & p : stage.inputs)
  {
    const std::string names = OptionNames(p.name, p.alias) + (p.positional ? "," + p.name : "");
    addText(p.name, names, PortHelp(p, false), p.multiple, values->ports, "FILE");
  }
  for (const auto & p : stage.outputs)
  {
    addText(p.name, OptionNames(p.name, p.alias), PortHelp(p, true), false, values->ports, "FILE");
  }
  auto addParameters = [&](const std::vector<ParameterDescription> & list,
                           std::map<std::string, std::vector<std::string>> & target) {
    for (const auto & d : list)
    {
      const std::string names = OptionNames(d.name, d.alias);
      if (d.type == ParameterType::Boolean)
      {
        sub->add_flag_function(
          names, [&target, key = d.name](std::int64_t) { target[key] = { "true" }; }, d.HelpText());
      }
      else
      {
        addText(d.name, names, d.HelpText(), d.IsList(), target, TypeName(d));
      }
    }
  };
  addParameters(stage.parameters, values->parameters);
  addParameters(CommonParameters(stage), values->common);
  sub->callback([&stage, values] {
    // Required inputs and outputs are checked here, so the error has our form.
    for (const auto * ports : { &stage.inputs, &stage.outputs })
    {
      for (const auto & p : *ports)
      {
        if (!p.optional && !values->ports.count(p.name))
        {
          throw Error(OptionNames(p.name, p.alias), "is required");
        }
      }
    }
    try
    {
      RunCommand(stage, *values);
    }
    catch (const Error & e)
    {
      // Library errors name parameters and ports; the command line spells them as options.
      const bool isOption = stage.FindParameter(e.Subject()) || stage.FindInput(e.Subject()) ||
                            stage.FindOutput(e.Subject()) || e.Subject() == "threads" || e.Subject() == "seed" ||
                            e.Subject() == "extension" || e.Subject().rfind("overlay-", 0) == 0 ||
                            e.Subject() == "label-colours" || e.Subject() == "bids" || e.Subject() == "ram" ||
                            e.Subject() == "cog";
      if (isOption)
      {
        throw Error(OptionName(stage, e.Subject()), e.Problem());
      }
      throw;
    }
  });
}

void
AddRerunCommand(CLI::App & app)
{
  auto * sub = app.add_subcommand("rerun", "Run again what a run record (<output>.run.json, written beside every "
                                           "application's outputs) describes: same application, parameters and "
                                           "inputs (checked unchanged by SHA-256), outputs into another folder");
  auto record = std::make_shared<std::string>();
  auto folder = std::make_shared<std::string>();
  auto quiet = std::make_shared<bool>(false);
  sub->add_option("record", *record, "The run record (JSON)")->required()->type_name("FILE");
  sub->add_option("-o,--output-dir", *folder, "Folder for the outputs (made if missing; the recorded file names "
                                              "are kept)")
    ->required()
    ->type_name("FOLDER");
  sub->add_flag("-q,--quiet", *quiet, "No progress or result lines");
  sub->callback([=] { Rerun(*record, *folder, *quiet); });
}

std::string
StageOptionsMarkdown(const StageDescription & stage)
{
  std::ostringstream s;
  auto               cell = [](std::string text) {
    for (size_t i = 0; (i = text.find('|', i)) != std::string::npos; i += 2)
    {
      text.replace(i, 1, "\\|");
    }
    return text;
  };
  s << "| option | kind | unit | default | range | description |\n|---|---|---|---|---|---|\n";
  for (const auto * ports : { &stage.inputs, &stage.outputs })
  {
    const bool output = ports == &stage.outputs;
    for (const auto & p : *ports)
    {
      s << "| `" << OptionNames(p.name, p.alias) << "` | " << (output ? "output " : "input ") << p.KindText()
        << " | | " << (p.optional ? "none" : "required") << " | | " << cell(p.doc) << " |\n";
    }
  }
  auto parameters = stage.parameters;
  for (const auto & c : CommonParameters(stage))
  {
    parameters.push_back(c);
  }
  for (const auto & d : parameters)
  {
    std::string def = d.type == ParameterType::Boolean ? "off" : (d.defaultValue.empty() ? d.whenAbsent : d.defaultValue);
    if (d.required)
    {
      def = "required";
    }
    s << "| `" << OptionNames(d.name, d.alias) << "` | " << TypeName(d) << " | " << d.unit << " | " << cell(def)
      << " | " << cell(d.RangeText()) << " | " << cell(d.doc) << (d.source.empty() ? "" : " (" + d.source + ")")
      << " |\n";
  }
  return s.str();
}
} // namespace tessera
