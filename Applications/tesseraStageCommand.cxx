#include "tesseraStageCommand.h"

#include <filesystem>
#include <set>
#include <sstream>

#include "itkMultiThreaderBase.h"

namespace fs = std::filesystem;

namespace tessera
{
namespace
{
/** Options every application takes; not parameters of the method, so not in pipeline files. */
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
  if (std::any_of(stage.outputs.begin(), stage.outputs.end(), [](const auto & p) { return p.kind == PortKind::Overlay; }))
  {
    const OverlayOptions defaults;
    common.push_back(RealParameter("overlay-opacity", FormatNumber(defaults.opacity), "weight",
                                   "Weight of the label colours inside the regions of the overlay (0 = borders only)")
                       .AtLeast(0)
                       .AtMost(1));
    common.push_back(BooleanParameter("overlay-outline", "Draw only the region borders in the overlay"));
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

std::string
Lower(std::string s)
{
  std::transform(s.begin(), s.end(), s.begin(), ::tolower);
  return s;
}

/** The output file for one input of a folder run. */
std::string
FolderOutput(const std::string & folder, const std::string & input, const PortDescription & port,
             const std::string & extension)
{
  const auto [stem, inputExtension] = SplitExtension(fs::path(input).filename().string());
  std::string ext;
  switch (port.kind)
  {
    case PortKind::Overlay: ext = ".png"; break;
    case PortKind::Probabilities: ext = ".nii.gz"; break;
    case PortKind::Text:
    case PortKind::File: ext = port.extensions.empty() ? ".txt" : port.extensions.front(); break;
    default:
      ext = extension.empty() ? inputExtension : (extension[0] == '.' ? extension : "." + extension);
      if (const std::string l = Lower(ext); l == ".jpg" || l == ".jpeg" || l == ".bmp")
      {
        ext = ".png"; // lossy or 8-bit RGB formats cannot hold labels
      }
  }
  return (fs::path(folder) / (stem + ext)).string();
}

void
RunCommand(const StageDescription & stage, const CommandValues & values)
{
  const std::vector<ParameterDescription> commonDescriptions = CommonParameters(stage);
  const ParameterValues common = ParameterValues::FromText(commonDescriptions, values.common);
  const ParameterValues parameters = ParameterValues::FromText(stage.parameters, values.parameters);
  RunOptions            options;
  options.quiet = common.Boolean("quiet");
  options.threads = common.Count("threads");
  options.seed = stage.seeded ? static_cast<unsigned int>(common.Integer("seed")) : 0u;
  options.seedGiven = common.Given("seed");
  if (common.Has("overlay-opacity"))
  {
    options.overlay.opacity = common.Real("overlay-opacity");
    options.overlay.outline = common.Boolean("overlay-outline");
  }
  if (options.threads > 0)
  {
    itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(options.threads);
    itk::MultiThreaderBase::SetGlobalMaximumNumberOfThreads(options.threads);
  }

  // A folder as the primary input: every image in it, outputs into folders of the same names.
  const PortDescription * primary = stage.PrimaryInput();
  std::vector<std::string> batch;
  std::error_code          ec;
  if (primary && stage.perImage && values.ports.count(primary->name) &&
      fs::is_directory(values.ports.at(primary->name).front(), ec))
  {
    const std::string folder = values.ports.at(primary->name).front();
    batch = ListImageFiles(folder);
    if (batch.empty())
    {
      throw Error(folder, "the folder holds no image files");
    }
  }
  const std::vector<std::string> jobs = batch.empty() ? std::vector<std::string>{ "" } : batch;

  std::vector<std::unique_ptr<StageContext>>        contexts;
  std::vector<std::string>                          inputs;
  std::vector<std::pair<std::string, PortKind>>     outputs;
  std::vector<std::vector<std::string>>             extensions;
  for (const auto & job : jobs)
  {
    auto context = std::make_unique<StageContext>(stage, parameters, options);
    for (const auto & port : stage.inputs)
    {
      if (values.ports.count(port.name))
      {
        context->SetInputFiles(port.name, job.empty() || &port != primary ? values.ports.at(port.name)
                                                                          : std::vector<std::string>{ job });
      }
    }
    for (const auto & port : stage.outputs)
    {
      if (!values.ports.count(port.name))
      {
        continue;
      }
      std::string path = values.ports.at(port.name).front();
      if (!job.empty())
      {
        if (fs::exists(path, ec) && !fs::is_directory(path, ec))
        {
          throw Error(OptionName(stage, port.name), path + " must be a folder when the input is a folder");
        }
        path = FolderOutput(path, job, port, common.Has("extension") ? common.Text("extension") : "");
      }
      context->RequestOutput(port.name, path);
      outputs.emplace_back(path, port.kind);
      extensions.push_back(port.extensions);
    }
    for (const auto & f : context->InputFiles())
    {
      inputs.push_back(f);
    }
    contexts.push_back(std::move(context));
  }
  OutputSet outputSet(inputs, outputs, extensions);
  for (size_t j = 0; j < contexts.size(); ++j)
  {
    std::vector<std::unique_ptr<AtomicOutput>> pending;
    contexts[j]->Run();
    contexts[j]->WriteOutputs(pending);
    outputSet.Commit(pending);
    if (!batch.empty() && !options.quiet)
    {
      std::cout << batch[j] << " done" << std::endl;
    }
    contexts[j].reset(); // free the images of this input before the next
  }
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
                            e.Subject() == "extension" || e.Subject().rfind("overlay-", 0) == 0;
      if (isOption)
      {
        throw Error(OptionName(stage, e.Subject()), e.Problem());
      }
      throw;
    }
  });
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
