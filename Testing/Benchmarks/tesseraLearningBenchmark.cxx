// Learning benchmark (not a test: not part of ctest). Times, on the CPU with a fixed intra-op
// thread count, the U-Net that MakeNetwork builds (tesseraUNet.cxx) with fixed options:
//  - a training step: forward, cross-entropy, backward, Adam step (zero_grad included);
//  - inference: eval mode, no gradients, forward only; throughput in images (volumes) per second;
// at 512×512 (2D) and 128³ (3D, small width). learning_benchmark.py defines the identical network
// in PyTorch and times the same steps on the same input; run-learning-benchmark.sh runs both in
// one go and writes Documentation/Benchmarks/Learning.md.
// Input: torch::manual_seed(0), x = randn([N, 1, size...]), target = randint(0, classes, [N, size...])
// (ATen's CPU generator: the same numbers Python draws; the checksum column shows it).
// CSV rows: impl,case,step,threads,batch,size,best_s,median_s,throughput,checksum,parameters,cpu_best_s
// (cpu_best_s: the least process CPU time (all threads) of a timed step: less sensitive than wall
// clock to other processes on a shared machine).
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "tesseraSegmentationNetwork.h"

namespace
{
using Clock = std::chrono::steady_clock;

struct Case
{
  std::string          name;
  tessera::NetworkOptions options;
  std::vector<int64_t> size;
  int64_t              trainBatch, inferBatch;
};

std::vector<Case>
Cases(const std::string & architecture)
{
  tessera::NetworkOptions two;
  two.architecture = architecture;
  two.dimension = 2;
  two.inChannels = 1;
  two.classes = 4;
  two.baseWidth = 16;
  two.depth = 4;
  two.normalization = "batch";
  tessera::NetworkOptions three = two;
  three.dimension = 3;
  three.baseWidth = 8;
  three.depth = 3;
  return { { "2D 512x512", two, { 512, 512 }, 1, 1 }, { "3D 128^3", three, { 128, 128, 128 }, 1, 1 } };
}

double
Seconds(Clock::time_point start)
{
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::pair<double, double>
BestMedian(std::vector<double> t)
{
  std::sort(t.begin(), t.end());
  return { t.front(), t[t.size() / 2] };
}
} // namespace

int
main(int argc, char * argv[])
{
  int         threads = 2, repeats = 5, warmup = 1;
  std::string csv, architecture = "unet", only;
  for (int i = 1; i < argc; ++i)
  {
    const std::string a = argv[i];
    auto              next = [&]() -> std::string {
      if (i + 1 >= argc)
      {
        std::cerr << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--threads")
      threads = std::stoi(next());
    else if (a == "--repeats")
      repeats = std::stoi(next());
    else if (a == "--warmup")
      warmup = std::stoi(next());
    else if (a == "--csv")
      csv = next();
    else if (a == "--architecture")
      architecture = next();
    else if (a == "--only")
      only = next(); // "2D" or "3D"
    else
    {
      std::cerr << "usage: tesseraLearningBenchmark [--threads N] [--repeats R] [--warmup W] [--csv FILE] "
                   "[--architecture unet|fpn|linknet|gridnet] [--only 2D|3D]\n";
      return 2;
    }
  }
  at::set_num_threads(threads);
  at::set_num_interop_threads(1);
  std::ostringstream rows;
  for (const Case & c : Cases(architecture))
  {
    if (!only.empty() && c.name.rfind(only, 0) != 0)
      continue;
    torch::manual_seed(0);
    auto    network = tessera::MakeNetwork(c.options);
    int64_t parameters = 0;
    for (const auto & p : network->parameters())
      parameters += p.numel();
    std::vector<int64_t> shape{ c.trainBatch, c.options.inChannels }, targetShape{ c.trainBatch };
    shape.insert(shape.end(), c.size.begin(), c.size.end());
    targetShape.insert(targetShape.end(), c.size.begin(), c.size.end());
    torch::manual_seed(0);
    const torch::Tensor x = torch::randn(shape);
    const torch::Tensor target = torch::randint(0, c.options.classes, targetShape, torch::kLong);
    const double        checksum = x.sum().item<double>() + target.sum().item<double>();
    std::string         sizeText;
    for (size_t i = 0; i < c.size.size(); ++i)
      sizeText += (i ? "x" : "") + std::to_string(c.size[i]);

    // Training step.
    network->train();
    torch::optim::Adam  optimizer(network->parameters(), torch::optim::AdamOptions(1e-3));
    std::vector<double> times, cpu;
    for (int r = 0; r < warmup + repeats; ++r)
    {
      const std::clock_t cpuStart = std::clock();
      const auto        start = Clock::now();
      optimizer.zero_grad();
      torch::Tensor loss = torch::nn::functional::cross_entropy(network->forward(x), target);
      loss.backward();
      optimizer.step();
      const double t = Seconds(start);
      if (r >= warmup)
      {
        times.push_back(t);
        cpu.push_back(double(std::clock() - cpuStart) / CLOCKS_PER_SEC);
      }
    }
    auto [best, median] = BestMedian(times);
    rows << "tessera (C++)," << c.name << ",train step," << threads << "," << c.trainBatch << "," << sizeText << ","
         << best << "," << median << "," << c.trainBatch / best << "," << checksum << "," << parameters << ","
         << *std::min_element(cpu.begin(), cpu.end()) << "\n";
    std::cerr << c.name << " train step: best " << best << " s, median " << median << " s\n";

    // Inference.
    network->eval();
    torch::NoGradGuard noGrad;
    shape[0] = c.inferBatch;
    torch::manual_seed(1);
    const torch::Tensor xi = torch::randn(shape);
    times.clear();
    cpu.clear();
    for (int r = 0; r < warmup + repeats; ++r)
    {
      const std::clock_t cpuStart = std::clock();
      const auto         start = Clock::now();
      torch::Tensor      logits = network->forward(xi);
      const double       t = Seconds(start);
      if (r >= warmup)
      {
        times.push_back(t);
        cpu.push_back(double(std::clock() - cpuStart) / CLOCKS_PER_SEC);
      }
    }
    std::tie(best, median) = BestMedian(times);
    rows << "tessera (C++)," << c.name << ",inference," << threads << "," << c.inferBatch << "," << sizeText << ","
         << best << "," << median << "," << c.inferBatch / best << "," << xi.sum().item<double>() << "," << parameters
         << "," << *std::min_element(cpu.begin(), cpu.end()) << "\n";
    std::cerr << c.name << " inference: best " << best << " s, median " << median << " s\n";
  }
  if (csv.empty())
    std::cout << rows.str();
  else
    std::ofstream(csv) << rows.str();
  return 0;
}
