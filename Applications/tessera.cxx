// The `tessera` launcher: git-style subcommands, one per Applications/tessera<Name>.cxx.
#include <iostream>

#include "itkMacro.h"
#include "itkMultiThreaderBase.h"
#include "tesseraApplication.h"
#include "tesseraError.h"

namespace tessera
{
std::map<std::string, std::pair<std::string, ApplicationSetup>> &
RegisteredApplications()
{
  static std::map<std::string, std::pair<std::string, ApplicationSetup>> applications;
  return applications;
}

ApplicationRegistration::ApplicationRegistration(const std::string & name, const std::string & summary,
                                                 ApplicationSetup setup)
{
  RegisteredApplications()[name] = { summary, std::move(setup) };
}

void
AddCommonOptions(CLI::App & sub, CommonOptions & options, bool withSeed)
{
  sub.add_flag("-q,--quiet", options.quiet, "No progress or result lines; errors are still printed to stderr");
  sub.add_option("--threads", options.threads, "Worker threads (0 = all cores)")->default_val(0);
  if (withSeed)
  {
    sub.add_option("--seed", options.seed, "Random seed: the same seed gives the same result")->default_val(0);
  }
}

void
ApplyCommonOptions(const CommonOptions & options)
{
  if (options.threads > 0)
  {
    itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(options.threads);
    itk::MultiThreaderBase::SetGlobalMaximumNumberOfThreads(options.threads);
  }
}

void
PrintResult(const CommonOptions & options, const std::string & line)
{
  if (!options.quiet)
  {
    std::cout << line << std::endl;
  }
}
} // namespace tessera

int
main(int argc, char ** argv)
{
  CLI::App app{ "Tessera: image segmentation for 2D and 3D medical, natural and aerial images.\n"
                "Run `tessera <application> --help` for an application's options." };
  app.name("tessera");
  app.require_subcommand(1);
  app.fallthrough(false);
  for (auto & [name, entry] : tessera::RegisteredApplications())
  {
    CLI::App * sub = app.add_subcommand(name, entry.first);
    entry.second(*sub);
  }
  const std::string which = argc > 1 ? std::string("tessera ") + argv[1] : std::string("tessera");
  try
  {
    app.parse(argc, argv);
  }
  catch (const CLI::ParseError & e)
  {
    return app.exit(e);
  }
  catch (const tessera::Error & e)
  {
    std::cerr << which << ": error: " << e.what() << std::endl;
    return 1;
  }
  catch (const itk::ExceptionObject & e)
  {
    std::cerr << which << ": error: " << e.GetDescription() << std::endl;
    return 1;
  }
  catch (const std::exception & e)
  {
    std::cerr << which << ": error: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
