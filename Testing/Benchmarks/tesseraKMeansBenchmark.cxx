// k-means benchmark (not a test: not part of ctest). Times, in process, what the `kmeans` stage runs on a
// masked volume once its files are read: KMeansImageFilter<3> on the float intensity image and the mask, up to the
// label image (grouping into weighted distinct values, k-means++ and Lloyd, labelling), without and with the
// probability output (`--probabilities`), for each thread count of --threads. One warm-up run per setting, then
// --repeats timed runs, the settings interleaved. Prints CSV rows
//   subject,method,threads,round,seconds,inertia,iterations,note
// (seconds: wall clock of one run; inertia: Σ over in-mask voxels of the squared distance to the centroid of the
// voxel's label, recomputed here from the label image). run-kmeans-benchmark.sh interleaves it with
// sklearn_kmeans.py and writes the table. Exit status 1 when two settings disagree on a label or a centroid.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "tesseraBenchmarkOptions.h"
#include "tesseraError.h"
#include "tesseraImageUtilities.h"
#include "tesseraKMeansImageFilter.h"

namespace
{
constexpr unsigned int D = 3;
using Clock = std::chrono::steady_clock;

struct Options : tessera::benchmark::BrainOptions
{
  unsigned int              round = 0; ///< first round number written (the script runs one round per call)
  unsigned int              restarts = 3;
  unsigned int              classes = 3;
  unsigned int              seed = 0;
  std::vector<unsigned int> threads{ 1, 2 };
};

const char * const Usage =
  "usage: tesseraKMeansBenchmark [--image T1.nii.gz] [--mask mask.nii.gz] [--subject NAME]\n"
  "         [--repeats N=5] [--round FIRST=0] [--restarts R=3] [--classes K=3] [--seed S=0]\n"
  "         [--threads \"1 2\"]\n";

Options
Parse(int argc, char * argv[])
{
  Options o;
  tessera::benchmark::ReadOptions(argc, argv, Usage, o, [&](const std::string & a, const std::string & v) {
    if (a == "--round") o.round = static_cast<unsigned int>(std::stoul(v));
    else if (a == "--restarts") o.restarts = std::max(1, std::stoi(v));
    else if (a == "--classes") o.classes = std::max(2, std::stoi(v));
    else if (a == "--seed") o.seed = static_cast<unsigned int>(std::stoul(v));
    else if (a == "--threads")
    {
      std::istringstream s(v);
      o.threads.clear();
      for (unsigned int t; s >> t;)
      {
        o.threads.push_back(std::max(1u, t));
      }
    }
    else return false;
    return true;
  });
  return o;
}

struct Run
{
  double                          seconds = 0.0;
  tessera::LabelImage<D>::Pointer labels;
  tessera::KMeansResult           result;
};

Run
KMeansOnce(const Options & o, unsigned int threads, bool probabilities, const tessera::VectorImage<D> * image,
           const tessera::MaskImage<D> * mask)
{
  Run        run;
  const auto t0 = Clock::now();
  auto       filter = tessera::KMeansImageFilter<D>::New();
  filter->SetNumberOfWorkUnits(threads);
  filter->SetInput(image);
  filter->SetMaskImage(mask);
  filter->SetNumberOfClasses(o.classes);
  filter->SetRestarts(o.restarts);
  filter->SetSeed(o.seed);
  filter->SetComputeProbabilities(probabilities); // as the stage does when --probabilities is asked
  filter->GetLabelOutput()->Update();
  run.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  run.labels = filter->GetLabelOutput();
  run.result = filter->GetResult();
  return run;
}

/** Σ over in-mask voxels of (x − centroid of its label)², labels 1..K. */
double
Inertia(const tessera::VectorImage<D> * image, const Run & run)
{
  const size_t                 n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  const float *                x = image->GetBufferPointer();
  const tessera::LabelPixel *  l = run.labels->GetBufferPointer();
  const std::vector<double> &  c = run.result.centroids;
  double                       s = 0.0;
  for (size_t i = 0; i < n; ++i)
  {
    if (l[i])
    {
      const double d = x[i] - c[l[i] - 1];
      s += d * d;
    }
  }
  return s;
}
} // namespace

int
main(int argc, char * argv[])
{
  try
  {
    const Options o = Parse(argc, argv);
    const auto    image = tessera::ReadIntensityImage<D>(o.image);
    if (image->GetNumberOfComponentsPerPixel() != 1)
    {
      throw tessera::Error(o.image, "a scalar volume is expected");
    }
    const auto mask = tessera::ReadMask<D>(o.mask, image.GetPointer(), o.image);
    const size_t n = image->GetLargestPossibleRegion().GetNumberOfPixels();

    struct Setting
    {
      unsigned int threads;
      bool         probabilities;
    };
    std::vector<Setting> settings;
    for (bool probabilities : { false, true })
    {
      for (unsigned int t : o.threads)
      {
        settings.push_back({ t, probabilities });
      }
    }
    std::vector<Run> first; // warm-up: page faults, ITK's pool
    for (const auto & s : settings)
    {
      first.push_back(KMeansOnce(o, s.threads, s.probabilities, image, mask));
      const auto * a = first.front().labels->GetBufferPointer();
      if (!std::equal(a, a + n, first.back().labels->GetBufferPointer()) ||
          first.front().result.centroids != first.back().result.centroids)
      {
        throw tessera::Error("threads", std::to_string(settings.front().threads) + " and " + std::to_string(s.threads) +
                                          " threads give different results");
      }
    }
    std::ostringstream note;
    note << "centroids";
    for (double c : first[0].result.centroids)
    {
      note << " " << std::setprecision(8) << c;
    }
    note << "; filter inertia " << std::setprecision(12) << first[0].result.inertia;
    const double inertia = Inertia(image, first[0]);

    std::cout << std::setprecision(12);
    for (unsigned int r = 0; r < o.repeats; ++r)
    {
      for (const auto & s : settings)
      {
        const Run run = KMeansOnce(o, s.threads, s.probabilities, image, mask);
        std::cout << o.subject << ",\"tessera KMeansImageFilter (k-means++, " << o.restarts << " restarts"
                  << (s.probabilities ? ", with probabilities" : "") << ")\"," << s.threads << "," << o.round + r << ","
                  << run.seconds << "," << inertia << "," << run.result.iterations << ",\"" << note.str() << "\"\n";
      }
    }
  }
  catch (const std::exception & e)
  {
    std::cerr << "tesseraKMeansBenchmark: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
