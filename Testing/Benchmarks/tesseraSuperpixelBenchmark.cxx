// Superpixel benchmark on the Dubai aerial tiles: Tessera's SLIC (ITK SLICImageFilter) and its
// OpenCV ximgproc wrappers (SLICO, SLIC, SEEDS, ...) timed here, beside scikit-image's slic run by
// superpixel_skimage_peer.py (labels and times read from --peer). Every method is scored by the
// same code (EvaluateSuperpixels): boundary recall (2 px), undersegmentation error, ASA.
// Run through run-superpixel-benchmark.sh.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "itkMultiThreaderBase.h"
#include "tesseraImageIO.h"
#include "tesseraImageUtilities.h"
#include "tesseraSuperpixelMetrics.h"
#include "tesseraSuperpixels.h"

using namespace tessera;
namespace fs = std::filesystem;

namespace
{
struct Row
{
  std::string       tile, image, method;
  SuperpixelQuality q;
  double            seconds = 0;
};

const std::map<std::array<int, 3>, LabelPixel> kColours{ { { 60, 16, 152 }, 1 },  { { 132, 41, 246 }, 2 },
                                                         { { 110, 193, 228 }, 3 }, { { 254, 221, 58 }, 4 },
                                                         { { 226, 169, 41 }, 5 },  { { 155, 155, 155 }, 6 },
                                                         { { 0, 0, 0 }, 6 } };

std::string
Label(const std::string & method)
{
  static const std::map<std::string, std::string> names{
    { "slic", "tessera slic (ITK SLICImageFilter)" }, { "slico", "tessera slico (OpenCV SLICO)" },
    { "opencv-slic", "tessera opencv-slic (OpenCV SLIC)" }, { "seeds", "tessera seeds (OpenCV SEEDS)" },
    { "lsc", "tessera lsc (OpenCV LSC)" }, { "mslic", "tessera mslic (OpenCV MSLIC)" },
    { "felzenszwalb", "tessera felzenszwalb (OpenCV graph segmentation)" }, { "skimage", "scikit-image slic (peer)" }
  };
  const auto it = names.find(method);
  return it == names.end() ? method : it->second;
}

struct Mean
{
  double br = 0, ue = 0, asa = 0, seconds = 0, segments = 0;
  size_t n = 0;
  void   Add(const Row & r)
  {
    br += r.q.boundaryRecall;
    ue += r.q.undersegmentationError;
    asa += r.q.achievableAccuracy;
    seconds += r.seconds;
    segments += static_cast<double>(r.q.segments);
    ++n;
  }
};
} // namespace

int
main(int argc, char ** argv)
{
  std::string  data, peer, output = "Superpixels.md", csv;
  unsigned int segments = 1000, perTile = 0, threads = 1;
  std::string  methodList = "slic,slico,opencv-slic,seeds";
  for (int a = 1; a + 1 < argc; a += 2)
  {
    const std::string k = argv[a], v = argv[a + 1];
    if (k == "--data") data = v;
    else if (k == "--peer") peer = v;
    else if (k == "--output") output = v;
    else if (k == "--csv") csv = v;
    else if (k == "--segments") segments = static_cast<unsigned int>(std::stoul(v));
    else if (k == "--images-per-tile") perTile = static_cast<unsigned int>(std::stoul(v));
    else if (k == "--threads") threads = static_cast<unsigned int>(std::stoul(v));
    else if (k == "--methods") methodList = v;
    else
    {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  if (data.empty())
  {
    std::cerr << "usage: tesseraSuperpixelBenchmark --data DIR [--peer DIR] [--segments N] [--images-per-tile N] "
                 "[--threads N] [--methods slic,slico,...] [--output MD] [--csv CSV]\n";
    return 2;
  }
  itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(threads);
  std::vector<std::string> methods;
  for (std::stringstream s(methodList); s.good();)
  {
    std::string m;
    std::getline(s, m, ',');
    methods.push_back(m);
  }
  // Peer times.
  std::map<std::string, double> peerSeconds;
  std::string                   skimageVersion = "?";
  if (!peer.empty())
  {
    std::ifstream in(peer + "/times.csv");
    std::string   line;
    std::getline(in, line);
    while (std::getline(in, line))
    {
      std::stringstream        s(line);
      std::vector<std::string> f;
      for (std::string x; std::getline(s, x, ',');)
        f.push_back(x);
      if (f.size() >= 5)
      {
        peerSeconds[f[0] + "/" + f[1]] = std::stod(f[2]);
        skimageVersion = f[4];
      }
    }
  }
  std::vector<Row> rows;
  std::vector<fs::path> tiles;
  for (const auto & e : fs::directory_iterator(data))
    if (e.path().filename().string().rfind("tile", 0) == 0)
      tiles.push_back(e.path());
  std::sort(tiles.begin(), tiles.end());
  for (const auto & tile : tiles)
  {
    std::vector<fs::path> images;
    for (const auto & e : fs::directory_iterator(tile / "images"))
      images.push_back(e.path());
    std::sort(images.begin(), images.end());
    if (perTile && images.size() > perTile)
      images.resize(perTile);
    for (const auto & path : images)
    {
      const std::string name = path.stem().string(), tileName = tile.filename().string();
      const std::string maskPath = (tile / "masks" / (name + ".png")).string();
      auto              image = ReadIntensityImage<2>(path.string());
      auto              truth = LabelsFromColours(ReadImageFile<VectorImage<2>>(maskPath), kColours, maskPath);
      for (const auto & m : methods)
      {
        SuperpixelOptions o;
        o.method = ParseSuperpixelMethod(m);
        o.segments = segments;
        const auto start = std::chrono::steady_clock::now();
        auto       labels = ComputeSuperpixels<2>(image, o);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        rows.push_back({ tileName, name, m, EvaluateSuperpixels<2>(labels, truth), seconds });
      }
      const std::string peerLabels = peer + "/" + tileName + "/" + name + ".png";
      if (!peer.empty() && fs::exists(peerLabels))
      {
        auto labels = ReadLabelImage<2>(peerLabels);
        labels->CopyInformation(truth);
        rows.push_back({ tileName, name, "skimage", EvaluateSuperpixels<2>(labels, truth), peerSeconds[tileName + "/" + name] });
      }
      std::cerr << tileName << "/" << name;
      for (size_t k = rows.size() - methods.size() - (peer.empty() ? 0 : 1); k < rows.size(); ++k)
        std::cerr << "  " << rows[k].method << " ASA " << std::setprecision(3) << rows[k].q.achievableAccuracy << " "
                  << rows[k].seconds << " s";
      std::cerr << std::endl;
    }
  }
  // Aggregate: per tile and overall, per method.
  std::vector<std::string> order = methods;
  if (!peer.empty())
    order.push_back("skimage");
  std::map<std::string, std::map<std::string, Mean>> byTile;
  std::map<std::string, Mean>                        overall;
  for (const auto & r : rows)
  {
    byTile[r.tile][r.method].Add(r);
    overall[r.method].Add(r);
  }
  std::ostringstream md;
  md << std::fixed;
  md << "# Superpixels on the Dubai aerial tiles\n\n"
     << "Written by `Testing/Benchmarks/run-superpixel-benchmark.sh` (" << rows.size() / std::max<size_t>(1, order.size())
     << " images, " << tiles.size() << " tiles of `../shared/data/dubai-aerial`, " << segments
     << " requested superpixels, default parameters: compactness 10, 10 iterations, CIE Lab for colour).\n"
     << "Every method is scored by the same code (`tessera::EvaluateSuperpixels`) against the masks decoded with the "
        "README colour table (6 classes; black = Unlabeled):\n\n"
     << "- **BR**: boundary recall, fraction of ground-truth boundary pixels with a superpixel boundary within 2 px "
        "(higher is better);\n"
     << "- **UE**: undersegmentation error, Neubert & Protzel's form (1/N) Σ_S Σ_G min(|S∩G|, |S∖G|) (lower is better);\n"
     << "- **ASA**: achievable segmentation accuracy, pixel accuracy when every superpixel takes its majority class "
        "(higher is better);\n"
     << "- **time**: seconds per image for the superpixel call alone (no file IO), " << threads
     << " ITK thread(s); scikit-image " << skimageVersion << " `slic` is single-threaded. The ratio is skimage's time "
        "over the method's (> 1: faster than skimage); machine with " << std::thread::hardware_concurrency()
     << " hardware threads.\n"
     << "- scikit-image's `slic` places fewer seeds than requested on these image shapes (see *segments*), which by "
        "itself lowers its BR and ASA and raises its UE; compare at equal segment counts by setting SEGMENTS for the "
        "script.\n\n";
  auto table = [&](const std::map<std::string, Mean> & means, const std::string & first) {
    const double peerTime = means.count("skimage") ? means.at("skimage").seconds / means.at("skimage").n : 0.0;
    for (const auto & m : order)
    {
      if (!means.count(m))
        continue;
      const Mean & x = means.at(m);
      const double t = x.seconds / x.n;
      md << "| " << first << Label(m) << " | " << std::setprecision(0) << x.segments / x.n << " | "
         << std::setprecision(3) << x.br / x.n << " | " << x.ue / x.n << " | " << x.asa / x.n << " | " << t << " | ";
      if (peerTime > 0)
        md << std::setprecision(2) << peerTime / t << " |\n";
      else
        md << "– |\n";
    }
  };
  md << "## Mean over all images\n\n| method | segments | BR | UE | ASA | time (s) | skimage time / time |\n"
     << "|---|---:|---:|---:|---:|---:|---:|\n";
  table(overall, "");
  md << "\n## Per tile (mean over its images)\n\n| tile | method | segments | BR | UE | ASA | time (s) | skimage time / time |\n"
     << "|---|---|---:|---:|---:|---:|---:|---:|\n";
  for (const auto & [tile, means] : byTile)
    table(means, tile + " | ");
  WriteTextFile(output, md.str());
  if (!csv.empty())
  {
    std::ostringstream c;
    c << "tile,image,method,segments,boundary_recall,undersegmentation_error,asa,seconds\n" << std::setprecision(6);
    for (const auto & r : rows)
      c << r.tile << "," << r.image << "," << r.method << "," << r.q.segments << "," << r.q.boundaryRecall << ","
        << r.q.undersegmentationError << "," << r.q.achievableAccuracy << "," << r.seconds << "\n";
    WriteTextFile(csv, c.str());
  }
  std::cout << md.str();
  return 0;
}
