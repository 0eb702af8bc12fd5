// tessera pipeline: runs a pipeline file (Modules/Pipeline/include/tesseraPipeline.h), for one
// input or for every image of a folder.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "itkMultiThreaderBase.h"
#include "tesseraPipeline.h"
#include "tesseraStageCommand.h"

namespace fs = std::filesystem;

namespace tessera
{
namespace
{
struct PipelineOptions
{
  std::string              spec;
  std::string              input;
  std::string              output;
  std::vector<std::string> set;
  bool                     dryRun = false;
  bool                     quiet = false;
  std::string              threads = "0";
  std::string              seed = "0";
};

void
RunPipelineCommand(const PipelineOptions & o)
{
  const std::vector<ParameterDescription> common{
    IntegerParameter("threads", "0", "count", "").AtLeast(0).AtMost(1024),
    IntegerParameter("seed", "0", "count", "").AtLeast(0).AtMost(4294967295.0),
  };
  ParameterValues values;
  try
  {
    values = ParameterValues::FromText(common, { { "threads", { o.threads } }, { "seed", { o.seed } } });
  }
  catch (const Error & e)
  {
    throw Error("--" + e.Subject(), e.Problem());
  }
  RunOptions options;
  options.quiet = o.quiet || o.dryRun;
  options.threads = values.Count("threads");
  options.seed = static_cast<unsigned int>(values.Integer("seed"));
  options.seedGiven = true;
  if (options.threads > 0)
  {
    itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(options.threads);
    itk::MultiThreaderBase::SetGlobalMaximumNumberOfThreads(options.threads);
  }
  std::map<std::string, std::string> variables;
  for (const auto & s : o.set)
  {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
    {
      throw Error("--set", "'" + s + "' is not name=value");
    }
    variables[s.substr(0, eq)] = s.substr(eq + 1);
  }
  // A misspelt name would otherwise be ignored and the file's default used.
  const auto used = Pipeline::Variables(o.spec);
  for (const auto & [name, value] : variables)
  {
    if (std::find(used.begin(), used.end(), name) == used.end())
    {
      throw Error("--set", o.spec + " has no $" + name + " variable");
    }
  }
  std::vector<std::pair<std::string, std::string>> jobs; // (input, output)
  std::error_code                                  ec;
  if (!o.input.empty() && fs::is_directory(o.input, ec))
  {
    if (o.output.empty() || (fs::exists(o.output, ec) && !fs::is_directory(o.output, ec)))
    {
      throw Error("-o/--output", "must be a folder when the input is a folder");
    }
    for (const auto & f : ListImageFiles(o.input))
    {
      auto [stem, ext] = SplitExtension(fs::path(f).filename().string());
      if (ext == ".jpg" || ext == ".jpeg" || ext == ".JPG" || ext == ".bmp")
      {
        ext = ".png";
      }
      jobs.emplace_back(f, (fs::path(o.output) / (stem + ext)).string());
    }
    if (jobs.empty())
    {
      throw Error(o.input, "the folder holds no image files");
    }
  }
  else
  {
    jobs.emplace_back(o.input, o.output);
  }
  // Every job is checked before the first runs.
  std::vector<Pipeline> pipelines;
  for (const auto & [input, output] : jobs)
  {
    auto v = variables;
    if (!input.empty())
    {
      v["input"] = input;
    }
    if (!output.empty())
    {
      v["output"] = output;
    }
    pipelines.push_back(Pipeline::Load(o.spec, v));
  }
  for (size_t i = 0; i < pipelines.size(); ++i)
  {
    if (o.dryRun)
    {
      std::cout << pipelines[i].Plan();
      continue;
    }
    pipelines[i].Run(options);
    if (!o.quiet)
    {
      std::cout << (jobs[i].first.empty() ? o.spec : jobs[i].first) << " done" << std::endl;
    }
  }
}
} // namespace

void
AddPipelineCommand(CLI::App & app)
{
  auto   o = std::make_shared<PipelineOptions>();
  auto * sub = app.add_subcommand(
    "pipeline", "Run a pipeline file: a chain of stages in memory (see Documentation/Applications/pipeline.md)");
  sub->add_option("spec,--spec", o->spec, "Pipeline file (JSON): steps of registered stages (FILE; required)")
    ->required();
  sub->add_option("-i,--input", o->input,
                  "Sets $input: an image, or a folder whose images are processed in turn (FILE; default: none)");
  sub->add_option("-o,--output", o->output,
                  "Sets $output: a file, or a folder with a folder input (FILE; default: none)");
  sub->add_option("--set", o->set, "Sets another $variable of the file: name=value (repeatable)");
  sub->add_flag("--dry-run", o->dryRun, "Check the file and print the plan (steps, inputs, parameters, outputs); run nothing");
  sub->add_flag("-q,--quiet", o->quiet, "No progress or result lines; errors are still printed to stderr");
  sub->add_option("--threads", o->threads, "Worker threads (count; default 0 = all cores; in [0, 1024])");
  sub->add_option("--seed", o->seed, "Random seed: the same seed gives the same result (default 0)");
  sub->callback([o] { RunPipelineCommand(*o); });
}
} // namespace tessera
