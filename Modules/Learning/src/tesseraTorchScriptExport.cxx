#include "tesseraTorchScriptExport.h"
#include "tesseraTraining.h"

#include <cctype>

#include <torch/csrc/jit/frontend/tracer.h>
#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/shape_analysis.h>
#include <torch/script.h>

#include "tesseraError.h"
#include "tesseraImageIO.h"

namespace tessera
{
namespace
{
namespace jit = torch::jit;

// "tessera::(anonymous namespace)::ConvNormReluImpl" → "ConvNormRelu": a valid class name for the
// code TorchScript writes into the archive.
std::string
ClassName(const torch::nn::Module & module)
{
  std::string name = module.name();
  name = name.substr(name.rfind("::") == std::string::npos ? 0 : name.rfind("::") + 2);
  if (name.size() > 4 && name.compare(name.size() - 4, 4, "Impl") == 0)
  {
    name.resize(name.size() - 4);
  }
  for (char & c : name)
  {
    c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  }
  return name.empty() || std::isdigit(static_cast<unsigned char>(name[0])) ? "M" + name : name;
}

// A script module tree mirroring the C++ one and holding the same tensors: the tracer maps the
// parameters and buffers it meets to attribute reads of `self` (instead of baking them in as
// constants), and the archive keeps the C++ names.
jit::Module
ScriptMirror(const torch::nn::Module & module, const std::shared_ptr<jit::CompilationUnit> & unit)
{
  jit::Module mirror(c10::QualifiedName("__torch__.tessera." + ClassName(module)), unit, /*shouldMangle=*/true);
  mirror.register_attribute("training", c10::BoolType::get(), false); // jit::Module::train needs it
  for (const auto & p : module.named_parameters(/*recurse=*/false))
  {
    if (p.value().defined())
    {
      mirror.register_parameter(p.key(), p.value(), /*is_buffer=*/false);
    }
  }
  for (const auto & b : module.named_buffers(/*recurse=*/false))
  {
    if (b.value().defined())
    {
      mirror.register_buffer(b.key(), b.value());
    }
  }
  for (const auto & child : module.named_children())
  {
    mirror.register_module(child.key(), ScriptMirror(*child.value(), unit));
  }
  return mirror;
}

// The integers of an int[] the tracer recorded: a constant or a list of constants.
c10::optional<std::vector<int64_t>>
TracedInts(jit::Value * list)
{
  if (const auto constant = jit::toIValue(list))
  {
    return constant->isIntList() ? c10::make_optional(constant->toIntVector()) : c10::nullopt;
  }
  if (list->node()->kind() != c10::prim::ListConstruct)
  {
    return c10::nullopt;
  }
  std::vector<int64_t> ints;
  for (jit::Value * element : list->node()->inputs())
  {
    const auto constant = jit::toIValue(element);
    if (!constant || !constant->isInt())
    {
      return c10::nullopt;
    }
    ints.push_back(constant->toInt());
  }
  return ints;
}

// Resizes to explicit sizes (FPN: nearest ×2 to the skip's size, linear ×4 to the input's) take
// them from C++ integers, which the tracer records as constants. Rewrite each as
// size(input, axis) × (or ÷) the traced ratio, so the graph follows the input size.
void
MakeResizesFollowInput(jit::Graph & graph)
{
  for (jit::Node * node : graph.nodes())
  {
    const std::string kind = node->kind().toQualString();
    const auto *      schema = node->maybeSchema();
    if (kind.rfind("aten::upsample_", 0) != 0 || !schema || schema->arguments().size() < 2 ||
        schema->arguments()[1].name() != "output_size")
    {
      continue;
    }
    const auto input = node->input(0)->type()->cast<c10::TensorType>();
    if (!input || !input->sizes().concrete_sizes() || !TracedInts(node->input(1)))
    {
      continue;
    }
    const std::vector<int64_t> in = *input->sizes().concrete_sizes();
    const std::vector<int64_t> out = *TracedInts(node->input(1));
    jit::WithInsertPoint       here(node);
    std::vector<jit::Value *>  sizes;
    for (size_t a = 0; a < out.size(); ++a)
    {
      const int64_t      was = in.at(2 + a);
      jit::Value * const size = graph.insert(c10::aten::size, { node->input(0), static_cast<int64_t>(2 + a) });
      if (out[a] % was == 0)
      {
        sizes.push_back(graph.insert(c10::aten::mul, { size, out[a] / was }));
      }
      else if (was % out[a] == 0)
      {
        sizes.push_back(graph.insert(c10::aten::floordiv, { size, was / out[a] }));
      }
      else
      {
        sizes.push_back(graph.insertConstant(out[a])); // no integer ratio: stays fixed (the check below fails)
      }
    }
    node->replaceInput(1, graph.insertNode(graph.createList(c10::IntType::get(), sizes))->output());
  }
}

// Deterministic, RNG-free input whose normalised values spread over about ±1.
torch::Tensor
ExampleInput(const std::vector<int64_t> & shape, const torch::Tensor & mean, const torch::Tensor & std)
{
  int64_t count = 1;
  for (int64_t s : shape)
  {
    count *= s;
  }
  return torch::sin(torch::arange(count, torch::kFloat).mul(0.7345)).reshape(shape) * std + mean;
}

// Eval mode while tracing, the caller's mode afterwards (also on errors).
class EvalGuard
{
public:
  explicit EvalGuard(torch::nn::Module & module)
    : m_Module(module)
    , m_Training(module.is_training())
  {
    m_Module.eval();
  }
  ~EvalGuard() { m_Module.train(m_Training); }

private:
  torch::nn::Module & m_Module;
  bool                m_Training;
};

std::string
FirstLine(const c10::Error & e)
{
  const std::string what = e.what_without_backtrace();
  return what.substr(0, what.find('\n'));
}
} // namespace

void
ExportTorchScript(SegmentationNetworkImpl & network, const ModelInfo & info, const std::string & path)
{
  const ModelInfo checked = ModelInfo::FromJson(info.ToJson(), path); // one place validates model info
  const int       dim = checked.network.dimension;
  for (const auto & p : network.parameters())
  {
    if (!p.device().is_cpu() || p.scalar_type() != torch::kFloat)
    {
      throw Error(path, "the network must be on the CPU and in float32 to be exported");
    }
  }

  AtomicOutput out(path); // before tracing: a missing folder fails fast

  // Example sizes: the crop (the size the network was trained on), rounded up to the multiple.
  const int64_t        m = network.SizeMultiple();
  std::vector<int64_t> shape{ 1, checked.network.inChannels }, other = shape, broadcast(2 + dim, 1);
  for (int a = 0; a < dim; ++a)
  {
    const int64_t crop = checked.cropSize[a] > 0 ? checked.cropSize[a] : 2 * m;
    const int64_t size = (crop + m - 1) / m * m;
    shape.push_back(size);
    other.push_back(size > m ? size - m : size + m); // every axis differs from the traced size
  }
  broadcast[1] = checked.network.inChannels;
  const torch::Tensor mean = torch::tensor(checked.mean, torch::kDouble).to(torch::kFloat).reshape(broadcast);
  const torch::Tensor std = torch::tensor(checked.std, torch::kDouble).to(torch::kFloat).reshape(broadcast);

  EvalGuard          eval(network);
  torch::NoGradGuard noGrad;
  auto               unit = std::make_shared<jit::CompilationUnit>();
  jit::Module        module;
  // Same arithmetic as `tessera predict` (tesseraPrediction.cxx): float32 (x − mean) / std.
  auto forward = [&](jit::Stack inputs) -> jit::Stack {
    const torch::Tensor x = (inputs.at(0).toTensor() - mean) / std;
    return { torch::softmax(network.forward(x), 1) };
  };
  try
  {
    module = ScriptMirror(network, unit);
    module.register_buffer("mean", mean);
    module.register_buffer("std", std);
    auto graph =
      jit::tracer::trace({ ExampleInput(shape, mean, std) }, forward,
                         [](const torch::autograd::Variable &) { return std::string(); }, /*strict=*/true,
                         /*force_outplace=*/false, &module)
        .first->graph;
    MakeResizesFollowInput(*graph);
    jit::EliminateDeadCode(graph);
    jit::EraseShapeInformation(graph); // the traced sizes are an example, not a contract
    graph->inputs().at(1)->setDebugName("x");
    // What torch.jit.trace does for a module (_create_method_from_trace): the graph, whose first
    // input is `self`, becomes the method forward of the module's class.
    jit::Function * method =
      unit->create_function(c10::QualifiedName(*module.type()->name(), "forward"), graph);
    module.type()->addMethod(method);
  }
  catch (const c10::Error & e)
  {
    throw Error(path, "cannot trace the network: " + FirstLine(e));
  }
  catch (const std::runtime_error & e) // the tracer's own checks
  {
    throw Error(path, std::string("cannot trace the network: ") + e.what());
  }

  // The tracer records what ran, so a size read in C++ would be frozen: compare with the network
  // on another size before writing anything.
  try
  {
    const torch::Tensor x = ExampleInput(other, mean, std);
    const torch::Tensor expected = forward({ x }).at(0).toTensor();
    const torch::Tensor traced = module.forward({ x }).toTensor();
    if (expected.size(1) != checked.network.classes)
    {
      throw Error(path, "the network returns " + std::to_string(expected.size(1)) + " channels, the model " +
                          std::to_string(checked.network.classes) + " classes");
    }
    if (traced.sizes() != expected.sizes() || !torch::allclose(traced, expected, 1e-5, 1e-5))
    {
      throw Error(path, "the traced network does not follow the input size (its forward reads sizes in C++)");
    }
  }
  catch (const Error &)
  {
    throw;
  }
  catch (const c10::Error & e)
  {
    throw Error(path, "the traced network fails on another input size: " + FirstLine(e));
  }
  catch (const std::exception & e) // the interpreter's JITException: a TorchScript traceback
  {
    std::string what = e.what();
    while (!what.empty() && what.back() == '\n')
    {
      what.pop_back();
    }
    throw Error(path, "the traced network fails on another input size: " + what.substr(what.rfind('\n') + 1));
  }

  try
  {
    module.save(out.TemporaryPath(), { { TorchScriptModelInfoFile, info.ToJson().dump() } });
  }
  catch (const c10::Error & e)
  {
    throw Error(path, "cannot be written: " + FirstLine(e));
  }
  out.Commit();
}
void
ExportModelToTorchScript(const std::string & modelPath, const std::string & outputPath)
{
  LoadedModel model = LoadModel(modelPath);
  ExportTorchScript(*model.network, model.info, outputPath);
}
} // namespace tessera

