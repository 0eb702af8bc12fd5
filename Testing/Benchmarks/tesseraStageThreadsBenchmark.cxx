// Thread scaling of one registered stage, in process: the stage's run (the method and its own
// conversions, no file reading or writing) at 1 and at 2 threads, interleaved round by round.
// Each context reads its inputs once, in an untimed first run (a second untimed run warms the
// allocator); every timed run after it starts from those images in memory. Run through run-stage-threads-benchmark.sh, which writes
// Documentation/Benchmarks/Threads.md.
//
// Usage:
//   tesseraStageThreadsBenchmark [--one-thread] ROUNDS STAGE [--PORT FILE | --PARAMETER VALUE...]...
// e.g. tesseraStageThreadsBenchmark 7 kmeans --input T1.nii.gz --mask mask.nii.gz --classes 3
// --one-thread: the 1-thread runs only; two such processes side by side measure what the machine gives two
// independent jobs (a shared memory bus or cache, or two virtual cores on one physical core, give less than 2x).
// Options named after an input port give its file; the others are the stage's parameters, as on
// `tessera STAGE`'s command line (long names only). Prints one CSV line per timed run:
//   threads,round,wall_seconds,cpu_seconds,checksum
// cpu_seconds is user + system time of the process over the run (all threads); checksum is the
// FNV-1a hash of the label output, the same for every run when the result does not depend on the
// thread count.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <sys/resource.h>

#include "itkMultiThreaderBase.h"
#include "tesseraError.h"
#include "tesseraImageTypes.h"
#include "tesseraStages.h"

using namespace tessera;

namespace
{
double
CpuSeconds()
{
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

template <unsigned int D>
bool
HashLabels(itk::DataObject * data, std::uint64_t & hash)
{
  const auto * labels = dynamic_cast<LabelImage<D> *>(data);
  if (!labels)
  {
    return false;
  }
  const LabelPixel * p = labels->GetBufferPointer();
  const std::size_t  n = labels->GetBufferedRegion().GetNumberOfPixels();
  for (std::size_t i = 0; i < n; ++i)
  {
    hash = (hash ^ p[i]) * 1099511628211ull;
  }
  return true;
}

/** FNV-1a of the "output" labels (0 when the stage's output is not a label image). */
std::uint64_t
Checksum(const StageContext & context)
{
  std::uint64_t hash = 1469598103934665603ull;
  itk::DataObject * data = context.OutputData("output");
  return data && (HashLabels<2>(data, hash) || HashLabels<3>(data, hash)) ? hash : 0;
}
} // namespace

int
main(int argc, char * argv[])
{
  tessera::RetainFreedMemory(); // as the `tessera` launcher
  try
  {
    const bool oneThread = argc > 1 && std::string(argv[1]) == "--one-thread";
    const int  first = oneThread ? 2 : 1;
    if (argc < first + 2)
    {
      throw Error("usage",
                  "tesseraStageThreadsBenchmark [--one-thread] ROUNDS STAGE [--PORT FILE | --PARAMETER VALUE...]...");
    }
    const int                  rounds = std::stoi(argv[first]);
    const StageDescription &   stage = Stages().Get(argv[first + 1]);
    const std::vector<unsigned int> threadCounts = oneThread ? std::vector<unsigned int>{ 1 } : std::vector<unsigned int>{ 1, 2 };
    PortFiles                  files;
    std::map<std::string, std::vector<std::string>> given;
    for (int i = first + 2; i < argc;)
    {
      const std::string option = argv[i++];
      if (option.rfind("--", 0) != 0)
      {
        throw Error(option, "expected --PORT or --PARAMETER");
      }
      const std::string        name = option.substr(2);
      std::vector<std::string> values;
      while (i < argc && std::string(argv[i]).rfind("--", 0) != 0)
      {
        values.emplace_back(argv[i++]);
      }
      (stage.FindInput(name) ? files[name] : given[name]) = values;
    }
    const ParameterValues parameters = ParameterValues::FromText(stage.parameters, given);

    // ITK's thread pool gets its threads when first used, as many as the default then: 2, so that a 2-thread run
    // has them whichever context runs first. Each run then asks for its count through the default.
    itk::MultiThreaderBase::SetGlobalMaximumNumberOfThreads(2);
    itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(2);
    itk::MultiThreaderBase::New();
    std::map<unsigned int, std::unique_ptr<StageContext>> contexts;
    for (const unsigned int threads : threadCounts)
    {
      RunOptions options;
      options.quiet = true;
      options.threads = threads;
      options.seedGiven = true;
      auto & context = contexts[threads] = std::make_unique<StageContext>(stage, parameters, options);
      for (const auto & [port, paths] : files)
      {
        context->SetInputFiles(port, paths);
      }
      for (const auto & port : stage.outputs)
      {
        if (port.kind == PortKind::Labels || port.kind == PortKind::Image)
        {
          context->RequestOutput(port.name, "");
          break;
        }
      }
      itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(threads);
      context->Run(); // reads the inputs; untimed
      context->Run(); // and once more from memory, so that the first timed run is not the first of its kind
    }
    std::cout << "threads,round,wall_seconds,cpu_seconds,checksum\n" << std::setprecision(6);
    for (int round = 1; round <= rounds; ++round)
    {
      // Alternate which thread count goes first, so that neither always follows the other.
      std::vector<unsigned int> order = threadCounts;
      if (round % 2 == 0)
      {
        std::reverse(order.begin(), order.end());
      }
      for (const unsigned int threads : order)
      {
        itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(threads);
        const double cpu = CpuSeconds();
        const auto   start = std::chrono::steady_clock::now();
        contexts[threads]->Run();
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::cout << threads << ',' << round << ',' << wall << ',' << CpuSeconds() - cpu << ','
                  << std::hex << Checksum(*contexts[threads]) << std::dec << '\n';
      }
    }
    return 0;
  }
  catch (const Error & e)
  {
    std::cerr << "tesseraStageThreadsBenchmark: " << e.what() << '\n';
    return 1;
  }
  catch (const std::exception & e)
  {
    std::cerr << "tesseraStageThreadsBenchmark: " << e.what() << '\n';
    return 1;
  }
}
