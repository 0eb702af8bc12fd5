#ifndef tesseraStageCommand_h
#define tesseraStageCommand_h

#include <string>

#include <CLI/CLI.hpp>

#include "tesseraStage.h"

/** \file The command-line layer: every `tessera <application>` is generated from a stage
 * description (tesseraStage.h). Only this layer knows option spellings: parameter "smoothness"
 * is `--smoothness`, input "input" is `-i/--input`, output "output" is `-o/--output`. */
namespace tessera
{
/** The option that spells a port or parameter: "-i,--input", "--smoothness", "-k,--classes". */
std::string OptionNames(const std::string & name, const std::string & alias);
/** How errors and docs name a port or parameter on the command line: "--smoothness". */
std::string OptionName(const StageDescription & stage, const std::string & name);

/** Adds `stage` as a subcommand of app (a name with a space, "knn train", nests under "knn"). */
void AddStageCommand(CLI::App & app, const StageDescription & stage);

/** Adds `tessera rerun record.json -o folder`: the run a record describes, again, into another folder. */
void AddRerunCommand(CLI::App & app);

/** Adds `tessera pipeline spec.json [-i input] [-o output] [--set name=value] [--dry-run]`. */
void AddPipelineCommand(CLI::App & app);

/** The Markdown table of a stage's options (inputs, outputs, parameters, common options), as
 * the Documentation/Applications pages carry it. */
std::string StageOptionsMarkdown(const StageDescription & stage);
} // namespace tessera

#endif
