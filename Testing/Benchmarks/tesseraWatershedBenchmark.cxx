// Watershed benchmark: Tessera's flooding (FloodFromMarkers, Meyer's priority flood) against
// OpenCV's cv::watershed from the same markers on a 1 Mpx aerial image, and against ITK's
// MorphologicalWatershedFromMarkersImageFilter (2D and a 3D MICCAI brain; OpenCV has no 3D).
// Contenders run interleaved, REPEATS rounds; each row gives the median and min-max in seconds,
// with /proc/loadavg before and after. Run through run-watershed-benchmark.sh.
//
// Usage:
//   tesseraWatershedBenchmark --image RGB.jpg --volume T1.nii.gz --output Watershed.md --csv Watershed.csv
//                             [--repeats 7] [--work DIR] [--tessera PATH --opencv-program PATH]
// With --tessera and --opencv-program (watershed_opencv_peer.cxx built against OpenCV alone), the
// two whole commands are timed too, with their peak resident memory (/usr/bin/time).
//
// Relief: GradientMagnitude at sigma 1 mm (what `tessera watershed --sigma 1` floods). Markers:
// single pixels on a regular grid (every 32 px in 2D from (16, 16), every 10 voxels in 3D from
// (5, 5, 5)), numbered 1, 2, ... in raster order. cv::watershed floods its own relief (the
// largest channel difference between neighbours), so it runs twice: on the image itself (what
// OpenCV users run) and on the relief scaled to 0-255 in all three channels (the same data).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>

#include <opencv2/imgproc.hpp>

#include "itkImageRegionIteratorWithIndex.h"
#include "itkMorphologicalWatershedFromMarkersImageFilter.h"
#include "itkMultiThreaderBase.h"
#include "tesseraImageIO.h"
#include "tesseraImageUtilities.h"
#include "tesseraWatershedImageFilter.h"

using namespace tessera;
namespace fs = std::filesystem;

namespace
{
using Clock = std::chrono::steady_clock;

/** CPU seconds of this process and of its finished children (user + system). */
double
CpuSeconds()
{
  double total = 0;
  for (const int who : { RUSAGE_SELF, RUSAGE_CHILDREN })
  {
    rusage u{};
    getrusage(who, &u);
    total += u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
  }
  return total;
}

std::string
LoadAverage()
{
  std::ifstream f("/proc/loadavg");
  std::string   one, five, fifteen;
  f >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

struct Contender
{
  std::string           id, what;
  std::function<void()> run;
};

struct Row
{
  std::string caseName, id, what, loadBefore, loadAfter;
  double      median = 0, min = 0, max = 0, cpu = 0; // wall seconds; median CPU seconds
  size_t      repeats = 0;
};

/** Runs the contenders interleaved (one of each per round), `repeats` rounds. */
std::vector<Row>
Race(const std::string & caseName, const std::vector<Contender> & contenders, size_t repeats)
{
  const std::string                before = LoadAverage();
  std::vector<std::vector<double>> seconds(contenders.size()), cpu(contenders.size());
  for (size_t r = 0; r < repeats; ++r)
  {
    for (size_t c = 0; c < contenders.size(); ++c)
    {
      const double cpu0 = CpuSeconds();
      const auto   t0 = Clock::now();
      contenders[c].run();
      seconds[c].push_back(std::chrono::duration<double>(Clock::now() - t0).count());
      cpu[c].push_back(CpuSeconds() - cpu0);
    }
  }
  const std::string after = LoadAverage();
  std::vector<Row>  rows;
  for (size_t c = 0; c < contenders.size(); ++c)
  {
    auto & t = seconds[c];
    std::sort(t.begin(), t.end());
    std::sort(cpu[c].begin(), cpu[c].end());
    auto median = [&](const std::vector<double> & v) {
      return repeats % 2 ? v[repeats / 2] : 0.5 * (v[repeats / 2 - 1] + v[repeats / 2]);
    };
    rows.push_back({ caseName, contenders[c].id, contenders[c].what, before, after, median(t), t.front(), t.back(),
                     median(cpu[c]), repeats });
    std::cerr << caseName << " / " << contenders[c].id << ": median " << rows.back().median << " s\n";
  }
  return rows;
}

template <unsigned int D>
typename LabelImage<D>::Pointer
GridMarkers(const ScalarImage<D> * grid, unsigned int step)
{
  auto markers = LabelImage<D>::New();
  markers->CopyInformation(grid);
  markers->SetRegions(grid->GetLargestPossibleRegion());
  markers->Allocate();
  LabelPixel                                       next = 0;
  itk::ImageRegionIteratorWithIndex<LabelImage<D>> it(markers, markers->GetLargestPossibleRegion());
  for (; !it.IsAtEnd(); ++it)
  {
    bool on = true;
    for (unsigned int d = 0; d < D; ++d)
    {
      on = on && it.GetIndex()[d] % step == step / 2;
    }
    it.Set(on ? ++next : 0);
  }
  return markers;
}

template <unsigned int D>
typename LabelImage<D>::Pointer
NewLabels(const ScalarImage<D> * grid)
{
  auto out = LabelImage<D>::New();
  out->CopyInformation(grid);
  out->SetRegions(grid->GetLargestPossibleRegion());
  out->Allocate();
  return out;
}

template <unsigned int D>
typename LabelImage<D>::Pointer
ItkFlood(const ScalarImage<D> * relief, const LabelImage<D> * markers)
{
  auto w = itk::MorphologicalWatershedFromMarkersImageFilter<ScalarImage<D>, LabelImage<D>>::New();
  w->SetInput(relief);
  w->SetMarkerImage(markers);
  w->SetMarkWatershedLine(false); // ITK's default is on
  w->Update();
  return w->GetOutput();
}

/** Runs a shell command, which must succeed, under /usr/bin/time; returns its peak resident
 * memory in MiB. */
double
RunCommand(const std::string & command, const std::string & work)
{
  const std::string rss = (fs::path(work) / "rss").string();
  if (std::system(("/usr/bin/time -f %M -o " + rss + " " + command).c_str()) != 0)
  {
    throw std::runtime_error("failed: " + command);
  }
  double        kib = 0;
  std::ifstream(rss) >> kib;
  return kib / 1024.0;
}
} // namespace

int
main(int argc, char ** argv)
{
  std::map<std::string, std::string> o{ { "--repeats", "7" }, { "--work", "/tmp/tessera-watershed-benchmark" } };
  for (int a = 1; a + 1 < argc; a += 2)
  {
    o[argv[a]] = argv[a + 1];
  }
  for (const char * required : { "--image", "--volume", "--output", "--csv" })
  {
    if (o[required].empty())
    {
      std::cerr << "usage: " << argv[0]
                << " --image RGB --volume T1 --output MD --csv CSV [--repeats N] [--work DIR]"
                   " [--tessera PATH --opencv-program PATH]\n";
      return 2;
    }
  }
  const size_t repeats = std::stoul(o["--repeats"]);
  fs::create_directories(o["--work"]);
  std::vector<Row> rows;
  std::ostringstream notes;

  // 2D: the aerial image, its relief, grid markers.
  auto rgb = ReadIntensityImage<2>(o["--image"]);
  auto relief = GradientMagnitude<2>(rgb, 1.0);
  auto markers = GridMarkers<2>(relief, 32);
  const auto size = relief->GetLargestPossibleRegion().GetSize();
  const int  w = static_cast<int>(size[0]), h = static_cast<int>(size[1]);
  const size_t n = size[0] * size[1];
  cv::Mat cvImage(h, w, CV_8UC3), cvRelief(h, w, CV_8UC3), cvMarkers(h, w, CV_32S);
  const float reliefMax = *std::max_element(relief->GetBufferPointer(), relief->GetBufferPointer() + n);
  for (size_t i = 0; i < n; ++i)
  {
    const auto   v = rgb->GetPixel(rgb->ComputeIndex(i));
    const auto   r = static_cast<uchar>(std::lround(255.0f * relief->GetBufferPointer()[i] / reliefMax));
    cv::Vec3b &  c = cvImage.at<cv::Vec3b>(static_cast<int>(i / w), static_cast<int>(i % w));
    for (int k = 0; k < 3; ++k)
    {
      c[k] = static_cast<uchar>(v[2 - k]); // OpenCV's BGR order
    }
    cvRelief.at<cv::Vec3b>(static_cast<int>(i / w), static_cast<int>(i % w)) = cv::Vec3b(r, r, r);
    cvMarkers.at<int>(static_cast<int>(i / w), static_cast<int>(i % w)) = markers->GetBufferPointer()[i];
  }
  auto    ours = NewLabels<2>(relief);
  auto    itkOut = LabelImage<2>::Pointer();
  cv::Mat cvOut, cvReliefOut;
  auto    filter = WatershedSegmentationImageFilter<2>::New();
  filter->SetInput(rgb);
  filter->SetMarkerImage(markers);
  filter->SetSigma(1.0);
  LabelPixel markerCount = 0;
  for (size_t i = 0; i < n; ++i)
  {
    markerCount = std::max(markerCount, markers->GetBufferPointer()[i]);
  }
  const std::string name2 = "2D " + fs::path(o["--image"]).filename().string() + " (" + std::to_string(w) + "x" +
                            std::to_string(h) + ", " + std::to_string(markerCount) + " markers)";
  auto race2 = Race(name2,
                    { { "tessera-flood", "Tessera FloodFromMarkers on the relief (flooding only)",
                        [&] { FloodFromMarkers<2>(relief, markers, false, false, ours); } },
                      { "opencv-relief", "cv::watershed on the relief (8-bit, 3 channels; flooding only)",
                        [&] {
                          cvReliefOut = cvMarkers.clone();
                          cv::watershed(cvRelief, cvReliefOut);
                        } },
                      { "opencv-image", "cv::watershed on the RGB image (its own relief)",
                        [&] {
                          cvOut = cvMarkers.clone();
                          cv::watershed(cvImage, cvOut);
                        } },
                      { "itk-flood", "ITK MorphologicalWatershedFromMarkers on the relief (flooding only)",
                        [&] { itkOut = ItkFlood<2>(relief, markers); } },
                      { "tessera-relief", "Tessera GradientMagnitude, sigma 1 mm (relief only)",
                        [&] { GradientMagnitude<2>(rgb, 1.0); } },
                      { "tessera-filter", "Tessera WatershedSegmentationImageFilter (relief + flooding)",
                        [&] {
                          filter->Modified();
                          filter->Update();
                        } } },
                    repeats);
  rows.insert(rows.end(), race2.begin(), race2.end());
  size_t itkSame = 0, cvBoth = 0, cvSame = 0;
  for (size_t i = 0; i < n; ++i)
  {
    itkSame += ours->GetBufferPointer()[i] == itkOut->GetBufferPointer()[i];
    const int c = cvReliefOut.at<int>(static_cast<int>(i / w), static_cast<int>(i % w));
    cvBoth += c > 0;
    cvSame += c > 0 && c == ours->GetBufferPointer()[i];
  }
  notes << "- 2D labels: Tessera = ITK on " << itkSame << " of " << n
        << " pixels; Tessera = cv::watershed (same relief) on "
        << std::fixed << std::setprecision(3) << 100.0 * cvSame / cvBoth
        << " % of the pixels OpenCV labels (it floods by neighbour differences, not by the relief's value, and "
           "quantises to 256 levels).\n";

  // 3D: a MICCAI T1, its relief, grid markers; Tessera and ITK.
  auto t1 = ReadIntensityImage<3>(o["--volume"]);
  auto relief3 = GradientMagnitude<3>(t1, 1.0);
  auto markers3 = GridMarkers<3>(relief3, 10);
  auto ours3 = NewLabels<3>(relief3);
  auto itk3 = LabelImage<3>::Pointer();
  auto filter3 = WatershedSegmentationImageFilter<3>::New();
  filter3->SetInput(t1);
  filter3->SetMarkerImage(markers3);
  filter3->SetSigma(1.0);
  const auto   s3 = relief3->GetLargestPossibleRegion().GetSize();
  const size_t n3 = relief3->GetLargestPossibleRegion().GetNumberOfPixels();
  LabelPixel   markerCount3 = 0;
  for (size_t i = 0; i < n3; ++i)
  {
    markerCount3 = std::max(markerCount3, markers3->GetBufferPointer()[i]);
  }
  const std::string name3 = "3D " + fs::path(o["--volume"]).filename().string() + " (" + std::to_string(s3[0]) + "x" +
                            std::to_string(s3[1]) + "x" + std::to_string(s3[2]) + ", " + std::to_string(markerCount3) +
                            " markers)";
  auto race3 = Race(name3,
                    { { "tessera-flood", "Tessera FloodFromMarkers on the relief (flooding only)",
                        [&] { FloodFromMarkers<3>(relief3, markers3, false, false, ours3); } },
                      { "itk-flood", "ITK MorphologicalWatershedFromMarkers on the relief (flooding only)",
                        [&] { itk3 = ItkFlood<3>(relief3, markers3); } },
                      { "tessera-relief", "Tessera GradientMagnitude, sigma 1 mm (relief only)",
                        [&] { GradientMagnitude<3>(t1, 1.0); } },
                      { "tessera-filter", "Tessera WatershedSegmentationImageFilter (relief + flooding)",
                        [&] {
                          filter3->Modified();
                          filter3->Update();
                        } } },
                    repeats);
  rows.insert(rows.end(), race3.begin(), race3.end());
  size_t itkSame3 = 0;
  for (size_t i = 0; i < n3; ++i)
  {
    itkSame3 += ours3->GetBufferPointer()[i] == itk3->GetBufferPointer()[i];
  }
  notes << "- 3D labels: Tessera = ITK on " << itkSame3 << " of " << n3 << " voxels.\n";

  // Whole commands: `tessera watershed` against the OpenCV program, same image and markers files.
  if (!o["--tessera"].empty() && !o["--opencv-program"].empty())
  {
    std::map<std::string, std::vector<double>> memory; // peak resident MiB per run
    const fs::path    work = o["--work"];
    const std::string markerFile = (work / "markers.png").string();
    WriteImageFile(markers.GetPointer(), markerFile);
    const std::string tesseraCommand = o["--tessera"] + " watershed -q --sigma 1 -i " + o["--image"] + " --markers " +
                                       markerFile + " -o " + (work / "tessera.png").string();
    const std::string opencvCommand =
      o["--opencv-program"] + " " + o["--image"] + " " + markerFile + " " + (work / "opencv.png").string();
    auto commands = Race("whole command, " + name2,
                         { { "tessera-command", "`tessera watershed --sigma 1` (read, relief, flooding, write)",
                             [&] { memory["tessera-command"].push_back(RunCommand(tesseraCommand, work)); } },
                           { "opencv-command", "OpenCV program: imread, cv::watershed, imwrite",
                             [&] { memory["opencv-command"].push_back(RunCommand(opencvCommand, work)); } } },
                         repeats);
    rows.insert(rows.end(), commands.begin(), commands.end());
    notes << "- Whole commands: `" << tesseraCommand << "` against `" << opencvCommand << "`; peak resident memory "
          << std::fixed << std::setprecision(0);
    for (auto & [id, mib] : memory)
    {
      std::sort(mib.begin(), mib.end());
      notes << id << " " << mib[mib.size() / 2] << " MiB" << (id == memory.rbegin()->first ? ".\n" : ", ");
    }
    notes << std::defaultfloat;
  }

  // Tables: ratio = contender's median / OpenCV's on the image (2D) or / ITK's (3D).
  std::map<std::string, double> reference;
  for (const auto & r : rows)
  {
    if (r.id == "opencv-image" || r.id == "opencv-command" || (r.caseName.rfind("3D", 0) == 0 && r.id == "itk-flood"))
    {
      reference[r.caseName] = r.median;
    }
  }
  std::ofstream csv(o["--csv"]);
  csv << "case,contender,description,repeats,median_s,min_s,max_s,median_cpu_s,ratio_to_reference,load_before,"
         "load_after\n";
  std::ofstream md(o["--output"]);
  md << "# Watershed from markers: Tessera, OpenCV, ITK\n\n"
     << "Written by `Testing/Benchmarks/run-watershed-benchmark.sh` (tesseraWatershedBenchmark.cxx). Contenders run "
        "interleaved, "
     << repeats
     << " rounds; wall times in seconds, median and min-max; CPU = user + system seconds of all threads (and of the "
        "child process for whole commands), median; load = /proc/loadavg (1, 5, 15 min) before and after each "
        "group. Machine: "
     << std::thread::hardware_concurrency() << " cores (shared), ITK threads "
     << itk::MultiThreaderBase::GetGlobalDefaultNumberOfThreads()
     << "; the floodings are single-threaded, the relief (ITK recursive Gaussian) uses ITK's threads.\n\n"
     << "Relief: Tessera's GradientMagnitude at sigma 1 mm (root sum of squares over RGB). Markers: single pixels on a "
        "grid (2D every 32 px, 3D every 10 voxels), the same for every contender. cv::watershed floods its own relief "
        "(largest channel difference between neighbours, 256 levels): it runs on the relief scaled to 0-255 in three "
        "channels (the same data) and on the RGB image (what OpenCV users run). The ratio is of median wall times, to "
        "OpenCV on the image (2D), to the OpenCV program (whole commands), to ITK (3D; OpenCV has no 3D "
        "watershed). `tessera watershed` computes the Gaussian gradient relief, which OpenCV does not (OpenCV's "
        "relief is a difference of neighbours): the \"relief only\" rows give its cost.\n\n";
  std::string current;
  for (const auto & r : rows)
  {
    const double ratio = reference.count(r.caseName) ? r.median / reference[r.caseName] : 0.0;
    csv << '"' << r.caseName << "\"," << r.id << ",\"" << r.what << "\"," << r.repeats << ',' << r.median << ','
        << r.min << ',' << r.max << ',' << r.cpu << ',' << ratio << ',' << r.loadBefore << ',' << r.loadAfter << '\n';
    if (r.caseName != current)
    {
      current = r.caseName;
      md << "\n## " << r.caseName << "\n\nload before " << r.loadBefore << ", after " << r.loadAfter
         << "\n\n| contender | median (s) | min-max (s) | CPU, median (s) | × reference |\n|---|---|---|---|---|\n";
    }
    md << "| " << r.what << " | " << std::setprecision(4) << std::defaultfloat << r.median << " | " << r.min << "-"
       << r.max << " | " << r.cpu << " | " << std::fixed << std::setprecision(2) << ratio << std::defaultfloat << " |\n";
  }
  md << "\n## Labels\n\n" << notes.str();
  std::cerr << "wrote " << o["--output"] << " and " << o["--csv"] << "\n";
  return 0;
}
