#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tesseraError.h"
#include "tesseraImageTensor.h"
#include "tesseraImageUtilities.h"
#include "tesseraInference.h"
#include "tesseraLosses.h"
#include "tesseraModelFile.h"
#include "tesseraUNet.h"

using namespace tessera;
namespace fs = std::filesystem;

namespace
{
NetworkOptions
Small(int dimension = 2, int depth = 2, const std::string & norm = "batch")
{
  NetworkOptions o;
  o.dimension = dimension;
  o.inChannels = 1;
  o.classes = 3;
  o.baseWidth = 4;
  o.depth = depth;
  o.normalization = norm;
  return o;
}

/** A pointwise network (1×1 convolution): its output at a pixel depends on that pixel only. */
struct PointwiseImpl : SegmentationNetworkImpl
{
  torch::nn::Conv2d conv{ nullptr };
  PointwiseImpl() { conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 3, 1))); }
  torch::Tensor forward(torch::Tensor x) override
  {
    EXPECT_EQ(x.size(2) % 8, 0);
    EXPECT_EQ(x.size(3) % 8, 0);
    return conv->forward(x);
  }
  int64_t SizeMultiple() const override { return 8; }
};

fs::path
TempDir()
{
  auto d = fs::temp_directory_path() / ("tessera-unet-test-" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}
} // namespace

TEST(UNet, ShapesIn2DAnd3D)
{
  torch::manual_seed(1);
  for (const std::string norm : { "batch", "instance", "none" })
  {
    auto o = Small(2, 3, norm);
    o.dropout = 0.2;
    auto net = MakeNetwork(o);
    EXPECT_EQ(net->SizeMultiple(), 8);
    auto y = net->forward(torch::randn({ 2, 1, 32, 48 }));
    EXPECT_EQ(y.sizes(), torch::IntArrayRef({ 2, 3, 32, 48 }));
  }
  auto net3 = MakeNetwork(Small(3, 2, "instance"));
  auto y3 = net3->forward(torch::randn({ 1, 1, 8, 16, 12 }));
  EXPECT_EQ(y3.sizes(), torch::IntArrayRef({ 1, 3, 8, 16, 12 }));
  EXPECT_THROW(net3->forward(torch::randn({ 1, 1, 8, 16, 10 })), Error);
  auto bad = Small();
  bad.architecture = "segformer";
  EXPECT_THROW(MakeNetwork(bad), Error);
  bad = Small();
  bad.normalization = "group";
  EXPECT_THROW(MakeNetwork(bad), Error);
}

TEST(UNet, WidthAndDepthSetParameterCount)
{
  auto count = [](const NetworkOptions & o) {
    int64_t n = 0;
    for (const auto & p : MakeNetwork(o)->parameters())
      n += p.numel();
    return n;
  };
  auto o = Small();
  const auto base = count(o);
  o.baseWidth = 8;
  EXPECT_GT(count(o), 3 * base);
  o = Small();
  o.depth = 3;
  EXPECT_GT(count(o), 3 * base);
}

// A single window covering the image gives exactly the whole-image prediction.
TEST(Inference, TiledEqualsWholeImageWhenOneWindowCovers)
{
  torch::manual_seed(2);
  auto net = MakeNetwork(Small(2, 2));
  net->eval();
  auto             x = torch::randn({ 1, 64, 48 });
  InferenceOptions o;
  o.window = { 64, 48 };
  auto tiled = PredictProbabilities(*net, x, o);
  torch::NoGradGuard g;
  auto whole = torch::softmax(net->forward(x.unsqueeze(0)), 1)[0];
  EXPECT_TRUE(torch::equal(tiled, whole));
}

// Many overlapping Gaussian-weighted windows reproduce a pointwise network's whole-image result
// (the blending is a normalised weighted mean) on a size that is no multiple of 32.
TEST(Inference, TiledBlendingIsNormalised)
{
  torch::manual_seed(3);
  auto net = std::make_shared<PointwiseImpl>();
  auto x = torch::randn({ 1, 100, 77 });
  torch::Tensor whole;
  {
    torch::NoGradGuard g;
    whole = torch::softmax(net->forward(torch::constant_pad_nd(x, { 0, 3, 0, 4 }).unsqueeze(0)), 1)[0]
              .slice(1, 0, 100)
              .slice(2, 0, 77);
  }
  for (double overlap : { 0.0, 0.25, 0.5 })
  {
    InferenceOptions o;
    o.window = { 32, 24 };
    o.overlap = overlap;
    o.batchSize = 3;
    auto tiled = PredictProbabilities(*net, x, o);
    EXPECT_EQ(tiled.sizes(), torch::IntArrayRef({ 3, 100, 77 }));
    EXPECT_TRUE(torch::allclose(tiled, whole, 1e-5, 1e-6)) << overlap;
  }
  // Step at most 16 (half the window): ceil(68 / 16) + 1 = 6 origins, evenly spaced.
  EXPECT_EQ(WindowOrigins(100, 32, 0.5), (std::vector<int64_t>{ 0, 14, 27, 41, 54, 68 }));
  EXPECT_EQ(WindowOrigins(20, 32, 0.5), (std::vector<int64_t>{ 0 }));
  auto g = GaussianImportance({ 9, 9 }, 0.125);
  EXPECT_FLOAT_EQ(g[4][4].item<float>(), 1.0f);
  EXPECT_GT(g.min().item<float>(), 0.0f);
}

// Any input size: padded to the size multiple and cropped back, sums to one.
TEST(Inference, AnySizeIsShapeCorrect)
{
  torch::manual_seed(4);
  auto net = MakeNetwork(Small(2, 3));
  for (auto size : std::vector<std::pair<int64_t, int64_t>>{ { 100, 77 }, { 7, 5 }, { 33, 130 } })
  {
    InferenceOptions o;
    o.window = { 32, 32 };
    auto p = PredictProbabilities(*net, torch::randn({ 1, size.first, size.second }), o);
    EXPECT_EQ(p.sizes(), torch::IntArrayRef({ 3, size.first, size.second }));
    EXPECT_TRUE(torch::allclose(p.sum(0), torch::ones({ size.first, size.second }), 1e-5, 1e-5));
  }
  auto net3 = MakeNetwork(Small(3, 1));
  InferenceOptions o;
  o.window = { 8, 8, 8 };
  auto p3 = PredictProbabilities(*net3, torch::randn({ 1, 9, 13, 11 }), o);
  EXPECT_EQ(p3.sizes(), torch::IntArrayRef({ 3, 9, 13, 11 }));
}

// TTA averages over the dihedral group, so it commutes with rotations and flips.
TEST(Inference, TestTimeAugmentationIsRotationAndFlipConsistent)
{
  torch::manual_seed(5);
  auto             net = MakeNetwork(Small(2, 2));
  auto             x = torch::randn({ 1, 64, 64 });
  InferenceOptions o;
  o.tta = true;
  auto p = PredictProbabilities(*net, x, o);
  auto rotated = PredictProbabilities(*net, torch::rot90(x, 1, { 1, 2 }).contiguous(), o);
  EXPECT_TRUE(torch::allclose(rotated, torch::rot90(p, 1, { 1, 2 }), 1e-5, 1e-6));
  auto flipped = PredictProbabilities(*net, torch::flip(x, { 2 }), o);
  EXPECT_TRUE(torch::allclose(flipped, torch::flip(p, { 2 }), 1e-5, 1e-6));
  o.tta = false;
  auto plain = PredictProbabilities(*net, x, o);
  EXPECT_FALSE(torch::allclose(plain, p, 1e-5, 1e-6)); // TTA does change the prediction
  // 3D: the 8 axis flips.
  auto net3 = MakeNetwork(Small(3, 1));
  auto v = torch::randn({ 1, 8, 10, 6 });
  o.tta = true;
  auto q = PredictProbabilities(*net3, v, o);
  EXPECT_TRUE(torch::allclose(PredictProbabilities(*net3, torch::flip(v, { 1 }), o), torch::flip(q, { 1 }), 1e-5, 1e-6));
}

// Tiles placed on the whole image's grid run the untiled run's windows, so the part each keeps has
// the untiled probabilities (with and without TTA), whatever the tiles' batches; a halo narrower
// than the window is refused.
TEST(Inference, TilesOnTheWholeImageGridGiveTheUntiledProbabilities)
{
  torch::manual_seed(6);
  auto net = MakeNetwork(Small(2, 2));
  auto x = torch::randn({ 1, 90, 70 });
  for (const bool tta : { false, true })
  {
    InferenceOptions o;
    o.window = { 32, 24 };
    o.batchSize = 3;
    o.tta = tta;
    const auto    whole = PredictProbabilities(*net, x, o);
    const int64_t keep = 30, halo = 32;
    for (int64_t y0 = 0; y0 < 90; y0 += keep)
      for (int64_t x0 = 0; x0 < 70; x0 += keep)
      {
        const int64_t ky = std::min<int64_t>(keep, 90 - y0), kx = std::min<int64_t>(keep, 70 - x0);
        const int64_t ry = std::max<int64_t>(0, y0 - halo), rx = std::max<int64_t>(0, x0 - halo);
        const int64_t ey = std::min<int64_t>(90, y0 + ky + halo), ex = std::min<int64_t>(70, x0 + kx + halo);
        InferenceOptions t = o;
        t.placement = { { 70, 90 }, { rx, ry }, { x0 - rx, y0 - ry }, { kx, ky } };
        const auto tile = PredictProbabilities(*net, x.slice(1, ry, ey).slice(2, rx, ex), t);
        ASSERT_EQ(tile.sizes(), torch::IntArrayRef({ 3, ey - ry, ex - rx }));
        const auto kept = tile.slice(1, y0 - ry, y0 - ry + ky).slice(2, x0 - rx, x0 - rx + kx);
        const auto expected = whole.slice(1, y0, y0 + ky).slice(2, x0, x0 + kx);
        EXPECT_TRUE(torch::equal(kept, expected)) << tta << " " << y0 << " " << x0 << " "
                                                               << (kept - expected).abs().max().item<float>();
        EXPECT_TRUE(torch::equal(kept.argmax(0), expected.argmax(0)));
      }
    InferenceOptions narrow = o;
    narrow.placement = { { 70, 90 }, { 20, 20 }, { 10, 10 }, { 10, 10 } };
    EXPECT_THROW(PredictProbabilities(*net, x.slice(1, 20, 50).slice(2, 20, 50), narrow), Error);
  }
}

// save → load → predict gives identical outputs; bad files are reported by name.
TEST(ModelFile, SaveLoadPredictIsIdentical)
{
  torch::manual_seed(6);
  auto net = MakeNetwork(Small(2, 2));
  // A few training steps so the batch-norm running statistics are not the defaults.
  torch::optim::Adam adam(net->parameters(), 1e-2);
  net->train();
  for (int i = 0; i < 3; ++i)
  {
    adam.zero_grad();
    auto l = CrossEntropyLoss(net->forward(torch::randn({ 2, 1, 16, 16 }) * 3 + 1), torch::randint(0, 3, { 2, 16, 16 }));
    l.backward();
    adam.step();
  }
  ModelInfo info;
  info.network = Small(2, 2);
  info.mean = { 10.0 };
  info.std = { 2.0 };
  info.outputValues = { 0, 128, 255 };
  info.cropSize = { 32, 32 };
  info.labelTable = nlohmann::json::parse(R"({"labels":[{"id":0,"name":"a"},{"id":255,"name":"b","color":[1,2,3]}]})");
  const auto dir = TempDir();
  const auto path = (dir / "model.pt").string();
  SaveModel(path, *net, info, &adam, nlohmann::json{ { "epoch", 3 } });
  auto loaded = LoadModel(path);
  EXPECT_EQ(loaded.info.ToJson().dump(), info.ToJson().dump());
  EXPECT_EQ(loaded.trainingState["epoch"], 3);
  auto             x = torch::randn({ 1, 40, 37 });
  InferenceOptions o;
  o.window = { 32, 32 };
  EXPECT_TRUE(torch::equal(PredictProbabilities(*net, x, o), PredictProbabilities(*loaded.network, x, o)));
  torch::optim::Adam other(loaded.network->parameters(), 1e-2);
  EXPECT_NO_THROW(LoadOptimizerState(path, other));

  // Missing, corrupt and foreign files.
  EXPECT_THROW(LoadModel((dir / "missing.pt").string()), Error);
  const auto corrupt = (dir / "corrupt.pt").string();
  std::ofstream(corrupt) << "not a model";
  try
  {
    LoadModel(corrupt);
    FAIL();
  }
  catch (const Error & e)
  {
    EXPECT_NE(std::string(e.what()).find(corrupt), std::string::npos);
  }
  const auto weightsOnly = (dir / "weights.pt").string();
  torch::serialize::OutputArchive a;
  net->save(a);
  a.save_to(weightsOnly);
  EXPECT_THROW(LoadModel(weightsOnly), Error);
  fs::remove_all(dir);
}

// A tiny U-Net trained a few steps on real ISBI 2012 crops: the loss falls.
TEST(Training, LossFallsOnIsbiCrops)
{
  const std::string root = std::string(TESSERA_DATA_DIR) + "/isbi2012-membrane/";
  auto              image = ReadIntensityImage<2>(root + "image/0.png");
  auto              labels = ReadLabelImage<2>(root + "label/0.png");
  auto              x = ImageToTensor<2>(image.GetPointer());
  auto              y = LabelsToTensor<2>(labels.GetPointer());
  x = (x - x.mean()) / x.std();
  y = (y > 127).to(torch::kLong); // 255 cell → 1, 0 membrane → 0
  std::vector<torch::Tensor> xs, ys;
  for (int64_t r : { 0, 64, 128, 192 })
  {
    xs.push_back(x.slice(1, r, r + 64).slice(2, 256 - r, 320 - r));
    ys.push_back(y.slice(0, r, r + 64).slice(1, 256 - r, 320 - r));
  }
  auto xb = torch::stack(xs), yb = torch::stack(ys);
  torch::manual_seed(8);
  auto o = Small(2, 2);
  o.classes = 2;
  o.baseWidth = 8;
  auto               net = MakeNetwork(o);
  auto               loss = CombinedLoss::FromJson("cross_entropy+dice", "test");
  torch::optim::Adam adam(net->parameters(), 3e-3);
  net->train();
  std::vector<double> history;
  for (int step = 0; step < 25; ++step)
  {
    adam.zero_grad();
    auto l = loss(net->forward(xb), yb);
    l.backward();
    adam.step();
    history.push_back(l.item<double>());
  }
  EXPECT_LT(history.back(), 0.75 * history.front()) << history.front() << " -> " << history.back();
}
