// Segmentation benchmark (not a test: not part of ctest). On one masked 3D volume, in one run:
//  (a) our KMeansImageFilter<3> (image + mask -> label image, FeatureSamples grouping included, no probabilities),
//  (b) ITK's itk::ScalarImageKmeansImageFilter on the same in-mask voxels only,
//  (c) our PottsMRFImageFilter<3> on GaussianMixtureImageFilter<3> posteriors (as `tessera segment`
//      computes them: K = 3, EM tolerance 1e-3, at most 100 EM iterations), alpha-expansion vs ICM
//      from the same start (the argmax of the posteriors), beta = 0.5, at most 20 cycles/sweeps.
// Times are wall clock, best of --repeats runs; inertia is recomputed here for every method from
// its final labels and means (sum over in-mask voxels of (x - mean of its cluster)^2), energies are
// the Potts energies the filter reports. Writes CSV rows
//   subject,group,method,threads,seconds,value,time_ratio,value_ratio,iterations,note
// where value is the inertia (group kmeans) or the energy in nats (group mrf) and the ratios are
// to our method of the group (k-means: KMeansImageFilter; MRF: alpha-expansion); iterations are
// Lloyd iterations of the winning start, alpha-expansion cycles or ICM sweeps (empty for ITK's
// filter, which does not report them).
// scikit-learn's row comes from sklearn_kmeans.py; run-segmentation-benchmark.sh joins both.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "itkMultiThreaderBase.h"
#include "itkScalarImageKmeansImageFilter.h"
#include "tesseraBenchmarkOptions.h"
#include "tesseraError.h"
#include "tesseraGaussianMixtureImageFilter.h"
#include "tesseraImageIO.h"
#include "tesseraImageUtilities.h"
#include "tesseraKMeansImageFilter.h"
#include "tesseraPottsMRFImageFilter.h"

namespace
{
constexpr unsigned int D = 3;
using Clock = std::chrono::steady_clock;

struct Options : tessera::benchmark::BrainOptions
{
  Options() { repeats = 3; }
  std::string  csv;
  unsigned int restarts = 3;
  unsigned int classes = 3;
  unsigned int seed = 0;
  unsigned int threads = 0; // 0 = ITK's default
  double       beta = 0.5;
};

struct Row
{
  std::string  group, method, threads, note;
  double       seconds = 0.0, value = 0.0;
  unsigned int iterations = 0;
};

const char * const Usage =
  "usage: tesseraSegmentationBenchmark [--image T1.nii.gz] [--mask mask.nii.gz] [--subject NAME]\n"
  "         [--repeats N=3] [--restarts R=3] [--classes K=3] [--beta B=0.5] [--seed S=0]\n"
  "         [--threads T=0 (ITK default)] [--csv out.csv]\n";

Options
Parse(int argc, char * argv[])
{
  Options o;
  tessera::benchmark::ReadOptions(argc, argv, Usage, o, [&](const std::string & a, const std::string & v) {
    if (a == "--csv") o.csv = v;
    else if (a == "--restarts") o.restarts = std::max(1, std::stoi(v));
    else if (a == "--classes") o.classes = std::max(2, std::stoi(v));
    else if (a == "--beta") o.beta = std::stod(v);
    else if (a == "--seed") o.seed = static_cast<unsigned int>(std::stoul(v));
    else if (a == "--threads") o.threads = static_cast<unsigned int>(std::stoul(v));
    else return false;
    return true;
  });
  return o;
}

/** Best wall-clock seconds of `repeats` calls of f; `last` keeps what the last call returned. */
template <typename F>
double
BestOf(unsigned int repeats, F && f)
{
  double best = std::numeric_limits<double>::infinity();
  for (unsigned int r = 0; r < repeats; ++r)
  {
    const auto t0 = Clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return best;
}

/** Σ over in-mask voxels of (x - means[label - 1])², labels 1..K inside the mask; also checks
 * that every voxel sits with its nearest mean (Lloyd's fixed point), counting the voxels that do not. */
double
Inertia(const std::vector<float> & x, const std::vector<tessera::LabelPixel> & labels, const std::vector<double> & means,
        size_t & notNearest)
{
  double s = 0.0;
  notNearest = 0;
  for (size_t i = 0; i < x.size(); ++i)
  {
    const double d = x[i] - means[labels[i] - 1];
    s += d * d;
    for (double m : means)
    {
      if ((x[i] - m) * (x[i] - m) < d * d - 1e-9)
      {
        ++notNearest;
        break;
      }
    }
  }
  return s;
}

std::string
Format(double v, int precision = 6)
{
  std::ostringstream s;
  s << std::setprecision(precision) << v;
  return s.str();
}
} // namespace

int
main(int argc, char * argv[])
{
  try
  {
    const Options o = Parse(argc, argv);
    if (o.threads)
    {
      itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(o.threads);
    }
    const unsigned int workUnits = itk::MultiThreaderBase::GetGlobalDefaultNumberOfThreads();

    auto image = tessera::ReadIntensityImage<D>(o.image);
    if (image->GetNumberOfComponentsPerPixel() != 1)
    {
      throw tessera::Error(o.image, "a scalar volume is expected");
    }
    auto         mask = tessera::ReadMask<D>(o.mask, image.GetPointer(), o.image);
    const size_t nVoxels = image->GetLargestPossibleRegion().GetNumberOfPixels();
    const float * intensity = image->GetBufferPointer();
    const uint8_t * inside = mask->GetBufferPointer();
    std::vector<float> x; // in-mask intensities, raster order
    for (size_t i = 0; i < nVoxels; ++i)
    {
      if (inside[i])
      {
        x.push_back(intensity[i]);
      }
    }
    {
      std::vector<float> sorted = x;
      std::sort(sorted.begin(), sorted.end());
      const size_t distinct = std::unique(sorted.begin(), sorted.end()) - sorted.begin();
      std::cerr << o.subject << ": " << nVoxels << " voxels, " << x.size() << " inside the mask, " << distinct
                << " distinct intensities; " << o.repeats << " repeats, " << o.restarts << " k-means restarts, "
                << workUnits << " ITK threads\n";
    }
    std::vector<Row> rows;
    auto             gather = [&](const tessera::LabelImage<D> * l) {
      std::vector<tessera::LabelPixel> out;
      out.reserve(x.size());
      for (size_t i = 0; i < nVoxels; ++i)
      {
        if (inside[i])
        {
          out.push_back(l->GetBufferPointer()[i]);
        }
      }
      return out;
    };

    // (a) Ours: image + mask -> label image (grouping into weighted distinct samples included).
    {
      tessera::KMeansResult                 result;
      tessera::LabelImage<D>::Pointer       labels;
      const double seconds = BestOf(o.repeats, [&] {
        auto km = tessera::KMeansImageFilter<D>::New();
        km->SetInput(image);
        km->SetMaskImage(mask);
        km->SetNumberOfClasses(o.classes);
        km->SetRestarts(o.restarts);
        km->SetSeed(o.seed);
        km->SetComputeProbabilities(false); // as `tessera kmeans` without --probabilities
        km->GetLabelOutput()->Update();
        labels = km->GetLabelOutput();
        labels->DisconnectPipeline();
        result = km->GetResult();
      });
      size_t       notNearest = 0;
      const double inertia = Inertia(x, gather(labels), result.centroids, notNearest);
      std::ostringstream note;
      note << "means";
      for (double c : result.centroids)
      {
        note << " " << std::setprecision(6) << c;
      }
      note << "; filter inertia " << std::setprecision(10) << result.inertia;
      if (notNearest)
      {
        note << "; " << notNearest << " voxels not at their nearest mean";
      }
      rows.push_back({ "kmeans", "tessera KMeansImageFilter (k-means++, " + std::to_string(o.restarts) + " restarts)",
                       std::to_string(workUnits), note.str(), seconds, inertia, result.iterations });
    }

    // (b) ITK's ScalarImageKmeansImageFilter. It has no mask, so it gets a 1D image holding only the
    // in-mask voxels; initial means are the quantiles (k + 1/2) / K of those intensities; one start
    // (ITK has no restarts; its k-d tree estimator runs to convergence, at most 200 iterations).
    // Timed: building the 1D image, the quantiles, the filter, and scattering its labels (+1) back
    // into a 3D label image (0 outside the mask), i.e. the same image + mask -> labels as ours.
    {
      using ItkImage = itk::Image<float, 1>;
      using ItkLabels = itk::Image<uint8_t, 1>;
      using ItkKMeans = itk::ScalarImageKmeansImageFilter<ItkImage, ItkLabels>;
      ItkKMeans::ParametersType     means;
      tessera::LabelImage<D>::Pointer labels;
      const double seconds = BestOf(o.repeats, [&] {
        auto flat = ItkImage::New();
        ItkImage::RegionType region;
        region.SetSize(0, x.size());
        flat->SetRegions(region);
        flat->Allocate();
        size_t j = 0;
        for (size_t i = 0; i < nVoxels; ++i)
        {
          if (inside[i])
          {
            flat->GetBufferPointer()[j++] = intensity[i];
          }
        }
        std::vector<float> q(flat->GetBufferPointer(), flat->GetBufferPointer() + j);
        auto km = ItkKMeans::New();
        km->SetInput(flat);
        km->SetUseNonContiguousLabels(false);
        for (unsigned int k = 0; k < o.classes; ++k)
        {
          const size_t at = std::min(q.size() - 1, static_cast<size_t>((k + 0.5) / o.classes * q.size()));
          std::nth_element(q.begin(), q.begin() + at, q.end());
          km->AddClassWithInitialMean(q[at]);
        }
        km->Update();
        means = km->GetFinalMeans();
        labels = tessera::LabelImage<D>::New();
        labels->CopyInformation(image);
        labels->SetRegions(image->GetLargestPossibleRegion());
        labels->Allocate();
        const uint8_t * l = km->GetOutput()->GetBufferPointer();
        j = 0;
        for (size_t i = 0; i < nVoxels; ++i)
        {
          labels->GetBufferPointer()[i] = inside[i] ? static_cast<tessera::LabelPixel>(l[j++] + 1) : 0;
        }
      });
      std::vector<double> m(means.begin(), means.end());
      size_t              notNearest = 0;
      const double        inertia = Inertia(x, gather(labels), m, notNearest);
      std::ostringstream  note;
      note << "means";
      for (double c : m)
      {
        note << " " << std::setprecision(6) << c;
      }
      note << "; in-mask voxels only (1D image), initial means at quantiles (k+1/2)/K, one start";
      if (notNearest)
      {
        note << "; " << notNearest << " voxels not at their nearest mean";
      }
      rows.push_back({ "kmeans", "ITK ScalarImageKmeansImageFilter (quantile start)", "1", note.str(), seconds,
                       inertia, 0 });
    }

    // (c) Potts MRF on Gaussian-mixture posteriors, alpha-expansion vs ICM from the same start.
    {
      tessera::ProbabilityImage<D>::Pointer posteriors;
      const double gmmSeconds = BestOf(1, [&] {
        auto gmm = tessera::GaussianMixtureImageFilter<D>::New();
        gmm->SetInput(image);
        gmm->SetMaskImage(mask);
        gmm->SetNumberOfClasses(o.classes);
        gmm->SetSeed(o.seed);
        gmm->SetMaximumNumberOfIterations(100);
        gmm->SetTolerance(1e-3);
        gmm->Update();
        posteriors = gmm->GetOutput();
        posteriors->DisconnectPipeline();
      });
      double startEnergy = 0.0;
      for (auto method : { tessera::PottsMRFMethod::AlphaExpansion, tessera::PottsMRFMethod::ICM })
      {
        double       energy = 0.0;
        unsigned int iterations = 0;
        const double seconds = BestOf(o.repeats, [&] {
          auto mrf = tessera::PottsMRFImageFilter<D>::New();
          mrf->SetInput(posteriors);
          mrf->SetMaskImage(mask);
          mrf->SetSmoothness(o.beta);
          mrf->SetMethod(method);
          mrf->SetMaximumNumberOfIterations(20);
          mrf->Update();
          energy = mrf->GetEnergy();
          startEnergy = mrf->GetInitialEnergy();
          iterations = mrf->GetIterations();
        });
        const bool         alpha = method == tessera::PottsMRFMethod::AlphaExpansion;
        std::ostringstream note;
        note << "beta " << o.beta << ", 6-neighbourhood, start = argmax of GMM posteriors (energy "
             << std::setprecision(10) << startEnergy << ")";
        if (alpha)
        {
          note << "; GMM posteriors took " << std::setprecision(4) << gmmSeconds << " s (not in the row)";
        }
        rows.push_back({ "mrf", alpha ? "tessera PottsMRF alpha-expansion" : "tessera PottsMRF ICM", "1", note.str(),
                         seconds, energy, iterations });
      }
    }

    // Ratios to our method of each group (the first row of the group).
    std::ostringstream csv;
    csv << "subject,group,method,threads,seconds,value,time_ratio,value_ratio,iterations,note\n";
    for (const auto & r : rows)
    {
      const auto & ref = *std::find_if(rows.begin(), rows.end(), [&](const Row & q) { return q.group == r.group; });
      csv << o.subject << "," << r.group << ",\"" << r.method << "\",\"" << r.threads << "\"," << Format(r.seconds)
          << "," << Format(r.value, 12) << "," << Format(r.seconds / ref.seconds, 4) << ","
          << Format(r.value / ref.value, 8) << "," << (r.iterations ? std::to_string(r.iterations) : "") << ",\"" << r.note << "\"\n";
    }
    std::cout << csv.str();
    if (!o.csv.empty())
    {
      tessera::WriteTextFile(o.csv, csv.str());
    }
  }
  catch (const std::exception & e)
  {
    std::cerr << "tesseraSegmentationBenchmark: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
