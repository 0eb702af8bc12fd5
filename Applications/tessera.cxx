// The `tessera` launcher: git-style subcommands, one per registered stage (tesseraStages.h), plus
// `pipeline` (run a pipeline file) and `stages` (list the stages, print their option tables).
#include <algorithm>
#include <cstdlib>
#include <new>
#include <iostream>
#include <numeric>
#include <vector>

#include "itkMacro.h"
#include "tesseraStageCommand.h"
#include "tesseraStages.h"

// The launcher's allocations: as the standard library's, but a failure records its size first
// (FailedAllocationBytes), so that out-of-memory errors say how much was asked. GCC 12 takes the
// free() in the matching operator delete for a mismatch; it is the replacement the standard describes.
// Not under AddressSanitizer, whose own operator new is the one that runs (its free() would not match).
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TESSERA_ADDRESS_SANITIZER
#endif
#endif
#if !defined(TESSERA_ADDRESS_SANITIZER) && !defined(__SANITIZE_ADDRESS__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void *
operator new(std::size_t bytes)
{
  if (void * p = std::malloc(bytes ? bytes : 1))
  {
    return p;
  }
  tessera::FailedAllocationBytes() = bytes;
  throw std::bad_alloc();
}
void *
operator new[](std::size_t bytes)
{
  return ::operator new(bytes);
}
void
operator delete(void * p) noexcept
{
  std::free(p);
}
void
operator delete[](void * p) noexcept
{
  std::free(p);
}
void
operator delete(void * p, std::size_t) noexcept
{
  std::free(p);
}
void
operator delete[](void * p, std::size_t) noexcept
{
  std::free(p);
}
#pragma GCC diagnostic pop
#endif

namespace
{
void
AddStagesCommand(CLI::App & app)
{
  auto * sub = app.add_subcommand("stages", "List the stages (applications and pipeline steps) with their inputs and "
                                            "outputs, or print one stage's option table as Markdown");
  auto markdown = std::make_shared<std::string>();
  sub->add_option("--markdown", *markdown, "Print the Markdown option table of this stage (as in Documentation)");
  sub->callback([markdown] {
    const auto & registry = tessera::Stages();
    if (!markdown->empty())
    {
      std::cout << tessera::StageOptionsMarkdown(registry.Get(*markdown));
      return;
    }
    for (const auto & [name, stage] : registry.All())
    {
      std::cout << name << ": " << stage.summary << "\n  in:";
      for (const auto & p : stage.inputs)
      {
        std::cout << " " << p.name << (p.optional ? "?" : "") << " (" << p.KindText() << ")";
      }
      std::cout << "\n  out:";
      for (const auto & p : stage.outputs)
      {
        std::cout << " " << p.name << (p.optional ? "?" : "") << " (" << p.KindText() << ")";
      }
      std::cout << "\n";
    }
  });
}
bool
KnownApplication(CLI::App & app, const std::string & name)
{
  const auto all = app.get_subcommands([](CLI::App *) { return true; });
  return std::any_of(all.begin(), all.end(), [&](const CLI::App * a) { return a->get_name() == name; });
}

// Levenshtein distance, for "did you mean" on a mistyped application name.
size_t
EditDistance(const std::string & a, const std::string & b)
{
  std::vector<size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), size_t{ 0 });
  for (size_t i = 1; i <= a.size(); ++i)
  {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
    {
      const size_t up = row[j];
      row[j] = std::min({ row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1]) });
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string
Suggestion(CLI::App & app, const std::string & name)
{
  std::string best;
  size_t      bestDistance = 3; // suggest only names within two edits
  for (const auto * a : app.get_subcommands([](CLI::App *) { return true; }))
  {
    const size_t d = EditDistance(name, a->get_name());
    if (d < bestDistance)
    {
      best = a->get_name();
      bestDistance = d;
    }
  }
  return best.empty() ? "" : " (did you mean " + best + "?)";
}
} // namespace

int
main(int argc, char ** argv)
{
  tessera::RetainFreedMemory();
  CLI::App app{ "Tessera: image segmentation for 2D and 3D medical, natural and aerial images.\n"
                "Run `tessera <application> --help` for an application's options." };
  app.name("tessera");
  app.set_version_flag("--version", "tessera " TESSERA_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);
  // Errors start with the application: "tessera mrf: error: ..." ("tessera knn train: ...").
  std::string which = argc > 1 ? std::string("tessera ") + argv[1] : std::string("tessera");
  if (argc > 2 && tessera::Stages().Find(std::string(argv[1]) + " " + argv[2]))
  {
    which += std::string(" ") + argv[2];
  }
  try
  {
    for (const auto & [name, stage] : tessera::Stages().All())
    {
      tessera::AddStageCommand(app, stage);
    }
    tessera::AddPipelineCommand(app);
    tessera::AddRerunCommand(app);
    AddStagesCommand(app);
    if (argc > 1 && argv[1][0] != '-' && !KnownApplication(app, argv[1]))
    {
      which = "tessera";
      throw tessera::Error(argv[1], "no such application" + Suggestion(app, argv[1]) + "; tessera --help lists them");
    }
    // Groups (knn, atlas): a mistyped member is named too, instead of "A subcommand is required".
    if (CLI::App * group = argc > 2 && argv[2][0] != '-' ? app.get_subcommand(argv[1]) : nullptr;
        group && !group->get_subcommands([](CLI::App *) { return true; }).empty() && !KnownApplication(*group, argv[2]))
    {
      which = std::string("tessera ") + argv[1];
      throw tessera::Error(argv[2], "no such application" + Suggestion(*group, argv[2]) + "; tessera " + argv[1] +
                                      " --help lists them");
    }
    app.parse(argc, argv);
  }
  catch (const CLI::ParseError & e)
  {
    if (e.get_exit_code() == 0) // --help, --version
    {
      return app.exit(e);
    }
    std::cerr << which << ": error: " << e.what() << std::endl;
    return 1;
  }
  catch (const tessera::Error & e)
  {
    std::cerr << which << ": error: " << e.what() << std::endl;
    return 1;
  }
  catch (const itk::ExceptionObject & e)
  {
    std::cerr << which << ": error: " << tessera::FirstLine(e.GetDescription()) << std::endl;
    return 1;
  }
  catch (const std::bad_alloc &)
  {
    std::cerr << which << ": error: " << tessera::OutOfMemoryMessage() << std::endl;
    return 1;
  }
  catch (const std::exception & e)
  {
    // One line: LibTorch and OpenCV messages carry backtraces and source excerpts after it.
    std::cerr << which << ": error: " << tessera::FirstLine(e.what()) << std::endl;
    return 1;
  }
  return 0;
}
