// ResNet encoder: shapes, torch::save round trip, and weights exported from PyTorch (a
// torchvision-named ResNet-18 written by Python at test time: TorchScript and state dict).
#include <gtest/gtest.h>

#include "tesseraError.h"
#include "tesseraFPN.h"
#include "tesseraLearningTestPython.h"
#include "tesseraResNetEncoder.h"

namespace
{
using namespace tessera;

// A ResNet-18 with torchvision's module structure and names (torchvision itself may be absent:
// python3-torchvision is not a Debian dependency here), width given, random weights and running
// statistics. Writes resnet.pt (TorchScript), resnet_state.pth (torch.save of the state dict),
// resnet_ordered.pth (the OrderedDict itself, which LibTorch cannot read), wrapped.pt (TorchScript,
// the ResNet under "backbone."), input.bin, features.bin (layer4 in eval
// mode), conv1.bin and running_var.bin (layer4.1.bn2.running_var).
const char * const ResNetScript = R"PY(
import sys
import torch
import torch.nn as nn

out, width = sys.argv[1], int(sys.argv[2])
torch.manual_seed(0)

class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)

class ResNet(nn.Module):
    def __init__(self, width, layers=(2, 2, 2, 2), num_classes=10):
        super().__init__()
        self.inplanes = width
        self.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(width, layers[0])
        self.layer2 = self._make_layer(width * 2, layers[1], 2)
        self.layer3 = self._make_layer(width * 4, layers[2], 2)
        self.layer4 = self._make_layer(width * 8, layers[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(width * 8, num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def features(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def forward(self, x):
        return self.fc(torch.flatten(self.avgpool(self.features(x)), 1))

class Wrapped(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Conv2d(width * 8, 2, 1)

    def forward(self, x):
        return self.head(self.backbone.features(x))

model = ResNet(width)
with torch.no_grad():
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.uniform_(0.5, 1.5)
            m.bias.normal_(0, 0.1)
            m.running_mean.normal_(0, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.num_batches_tracked.fill_(7)
model.eval()
torch.jit.script(model).save(f"{out}/resnet.pt")
torch.save(dict(model.state_dict()), f"{out}/resnet_state.pth")
torch.save(model.state_dict(), f"{out}/resnet_ordered.pth")
torch.jit.script(Wrapped(model)).save(f"{out}/wrapped.pt")
x = torch.randn(2, 3, 64, 96)
with torch.no_grad():
    y = model.features(x)
x.numpy().astype("<f4").tofile(f"{out}/input.bin")
y.numpy().astype("<f4").tofile(f"{out}/features.bin")
model.conv1.weight.detach().numpy().astype("<f4").tofile(f"{out}/conv1.bin")
model.layer4[1].bn2.running_var.numpy().astype("<f4").tofile(f"{out}/running_var.bin")
print(list(y.shape))
)PY";

ResNetEncoderOptions
Options(int dimension, int64_t width, const std::string & architecture = "resnet18")
{
  ResNetEncoderOptions o;
  o.dimension = dimension;
  o.width = width;
  o.architecture = architecture;
  return o;
}

TEST(ResNetEncoder, FeatureShapes2D)
{
  for (const std::string architecture : { "resnet18", "resnet34" })
  {
    ResNetEncoderImpl encoder(Options(2, 8, architecture));
    const auto        features = encoder.forward(torch::randn({ 2, 3, 64, 96 }));
    ASSERT_EQ(features.size(), 5u);
    const auto channels = encoder.Channels();
    for (size_t i = 0; i < 5; ++i)
    {
      const int64_t stride = int64_t{ 2 } << i;
      EXPECT_EQ(features[i].sizes(), (std::vector<int64_t>{ 2, channels[i], 64 / stride, 96 / stride }));
    }
  }
}

TEST(ResNetEncoder, FeatureShapes3D)
{
  ResNetEncoderImpl encoder(Options(3, 4));
  const auto        features = encoder.forward(torch::randn({ 1, 3, 32, 64, 32 }));
  EXPECT_EQ(features[4].sizes(), (std::vector<int64_t>{ 1, 32, 1, 2, 1 }));
  EXPECT_EQ(features[0].sizes(), (std::vector<int64_t>{ 1, 4, 16, 32, 16 }));
}

TEST(ResNetEncoder, TorchvisionNames)
{
  ResNetEncoderImpl encoder(Options(2, 64));
  const auto        parameters = encoder.named_parameters();
  const auto        buffers = encoder.named_buffers();
  for (const std::string name : { "conv1.weight", "bn1.weight", "bn1.bias", "layer1.0.conv1.weight",
                                  "layer1.1.bn2.bias", "layer2.0.downsample.0.weight", "layer2.0.downsample.1.weight",
                                  "layer4.1.conv2.weight" })
  {
    EXPECT_TRUE(parameters.contains(name)) << name;
  }
  EXPECT_TRUE(buffers.contains("bn1.running_mean"));
  EXPECT_TRUE(buffers.contains("layer3.0.downsample.1.running_var"));
  EXPECT_TRUE(buffers.contains("layer4.1.bn2.num_batches_tracked"));
  // torchvision resnet18 without fc: 11,176,512 parameters, 62 parameter tensors, 60 buffers
  int64_t count = 0;
  for (const auto & p : encoder.parameters())
  {
    count += p.numel();
  }
  EXPECT_EQ(count, 11176512);
  EXPECT_EQ(parameters.size(), 60u);
  EXPECT_EQ(buffers.size(), 60u);
}

TEST(ResNetEncoder, TorchSaveRoundTrip)
{
  test::TemporaryFolder folder;
  torch::manual_seed(1);
  auto source = std::make_shared<ResNetEncoderImpl>(Options(2, 8));
  torch::save(std::static_pointer_cast<torch::nn::Module>(source), folder / "encoder.pt");
  torch::manual_seed(2);
  ResNetEncoderImpl    target(Options(2, 8));
  EncoderWeightsReport report = target.LoadWeights(folder / "encoder.pt");
  EXPECT_EQ(report.prefix, "");
  EXPECT_EQ(report.copied, 120);
  for (const auto & p : source->named_parameters())
  {
    EXPECT_TRUE(torch::equal(p.value(), target.named_parameters()[p.key()])) << p.key();
  }

  // A whole FPN saved by torch::save: the encoder's names are under "encoder.".
  NetworkOptions options;
  options.architecture = "fpn";
  options.inChannels = 3;
  auto fpn = std::make_shared<FPNImpl>(options);
  torch::save(std::static_pointer_cast<torch::nn::Module>(fpn), folder / "fpn.pt");
  ResNetEncoderImpl full(Options(2, 64));
  report = full.LoadWeights(folder / "fpn.pt");
  // ... and into the encoder of another network (as a training config's pretrained encoder).
  torch::manual_seed(3);
  options.architecture = "linknet";
  const auto linknet = MakeNetwork(options);
  EXPECT_EQ(LoadEncoderWeights(*linknet, folder / "fpn.pt").copied, 120);
  EXPECT_TRUE(torch::equal(FindResNetEncoder(*linknet)->named_parameters()["layer2.0.downsample.0.weight"],
                           fpn->encoder->named_parameters()["layer2.0.downsample.0.weight"]));
  options.architecture = "gridnet";
  EXPECT_EQ(FindResNetEncoder(*MakeNetwork(options)), nullptr);
  EXPECT_THROW(LoadEncoderWeights(*MakeNetwork(options), folder / "fpn.pt"), Error);
  EXPECT_EQ(report.prefix, "encoder.");
  EXPECT_TRUE(torch::equal(full.named_parameters()["layer3.1.conv2.weight"],
                           fpn->encoder->named_parameters()["layer3.1.conv2.weight"]));
}

TEST(ResNetEncoder, LoadsTorchvisionStyleWeightsFromPython)
{
  if (!test::PythonTorchAvailable())
  {
    GTEST_SKIP() << "/usr/bin/python3 cannot import torch";
  }
  test::TemporaryFolder folder;
  const int64_t         width = 16;
  ASSERT_EQ(test::RunPython(folder, "resnet.py", ResNetScript, folder.Path().string() + " " + std::to_string(width)), 0);

  const torch::Tensor input = test::ReadRawFloat(folder / "input.bin", { 2, 3, 64, 96 });
  const torch::Tensor expected = test::ReadRawFloat(folder / "features.bin", { 2, 8 * width, 2, 3 });
  const torch::Tensor conv1 = test::ReadRawFloat(folder / "conv1.bin", { width, 3, 7, 7 });
  const torch::Tensor runningVar = test::ReadRawFloat(folder / "running_var.bin", { 8 * width });

  for (const std::string file : { "resnet.pt", "resnet_state.pth", "wrapped.pt" })
  {
    SCOPED_TRACE(file);
    ResNetEncoderImpl          encoder(Options(2, width));
    const EncoderWeightsReport report = encoder.LoadWeights(folder / file);
    EXPECT_EQ(report.prefix, file == "wrapped.pt" ? "backbone." : "");
    EXPECT_EQ(report.copied, 120);
    EXPECT_TRUE(report.adapted.empty());
    EXPECT_EQ(report.unused, (std::vector<std::string>{ report.prefix + "fc.bias", report.prefix + "fc.weight" }));
    // The loaded tensors equal Python's, and so does the forward pass.
    EXPECT_TRUE(torch::equal(encoder.named_parameters()["conv1.weight"], conv1));
    EXPECT_TRUE(torch::equal(encoder.named_buffers()["layer4.1.bn2.running_var"], runningVar));
    EXPECT_EQ(encoder.named_buffers()["bn1.num_batches_tracked"].item<int64_t>(), 7);
    encoder.eval();
    torch::NoGradGuard  noGrad;
    const torch::Tensor features = encoder.forward(input)[4];
    ASSERT_EQ(features.sizes(), expected.sizes());
    EXPECT_TRUE(torch::allclose(features, expected, 1e-4, 1e-4))
      << "max difference " << (features - expected).abs().max().item<float>();
  }

  // The same source tensors, compared one by one with what the TorchScript file holds.
  const auto        source = ReadNamedTensors(folder / "resnet.pt");
  ResNetEncoderImpl encoder(Options(2, width));
  encoder.LoadWeights(folder / "resnet_state.pth");
  for (const auto & p : encoder.named_parameters())
  {
    EXPECT_TRUE(torch::equal(p.value(), source.at(p.key()))) << p.key();
  }
  for (const auto & b : encoder.named_buffers())
  {
    EXPECT_TRUE(torch::equal(b.value(), source.at(b.key()))) << b.key();
  }

  // One input channel: conv1 summed over the three source channels.
  ResNetEncoderOptions grey = Options(2, width);
  grey.inChannels = 1;
  ResNetEncoderImpl          greyEncoder(grey);
  const EncoderWeightsReport report = greyEncoder.LoadWeights(folder / "resnet.pt");
  EXPECT_EQ(report.adapted, std::vector<std::string>{ "conv1.weight" });
  EXPECT_TRUE(torch::allclose(greyEncoder.named_parameters()["conv1.weight"], conv1.sum(1, true)));

  // The OrderedDict of model.state_dict(): an error that says how to convert it.
  try
  {
    ResNetEncoderImpl(Options(2, width)).LoadWeights(folder / "resnet_ordered.pth");
    FAIL() << "no error";
  }
  catch (const Error & e)
  {
    EXPECT_NE(std::string(e.what()).find("torch.save(dict(torch.load(path)), new_path)"), std::string::npos) << e.what();
  }

  // Wrong width: an error naming the file and the shapes, and nothing copied.
  ResNetEncoderImpl   narrow(Options(2, 8));
  const torch::Tensor before = narrow.named_parameters()["layer1.0.conv1.weight"].clone();
  try
  {
    narrow.LoadWeights(folder / "resnet.pt");
    FAIL() << "no error";
  }
  catch (const Error & e)
  {
    EXPECT_EQ(e.Subject(), folder / "resnet.pt");
    EXPECT_NE(std::string(e.what()).find("conv1.weight is [16, 3, 7, 7], ours [8, 3, 7, 7]"), std::string::npos)
      << e.what();
  }
  EXPECT_TRUE(torch::equal(narrow.named_parameters()["layer1.0.conv1.weight"], before));

  // ResNet-34 needs blocks a ResNet-18 file does not have.
  ResNetEncoderImpl deeper(Options(2, width, "resnet34"));
  EXPECT_THROW(deeper.LoadWeights(folder / "resnet.pt"), Error);
}

TEST(ResNetEncoder, BadFiles)
{
  test::TemporaryFolder folder;
  std::ofstream(folder / "junk.pt") << "not a model";
  ResNetEncoderImpl encoder(Options(2, 4));
  EXPECT_THROW(encoder.LoadWeights(folder / "junk.pt"), Error);
  EXPECT_THROW(encoder.LoadWeights(folder / "missing.pt"), Error);
  std::map<std::string, torch::Tensor> none{ { "weight", torch::zeros({ 1 }) } };
  EXPECT_THROW(encoder.LoadWeights(none, "auto", "memory"), Error);
  ResNetEncoderOptions bad = Options(2, 4, "resnet50");
  EXPECT_THROW(ResNetEncoderImpl{ bad }, Error);
}
} // namespace
