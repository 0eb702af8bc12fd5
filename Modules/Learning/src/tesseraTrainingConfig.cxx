#include "tesseraTrainingConfig.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>

#include "tesseraError.h"
#include "tesseraImageIO.h"
#include "tesseraLabelTable.h"

namespace fs = std::filesystem;

namespace tessera
{
namespace
{
using json = nlohmann::json;

struct Reader
{
  std::string path;
  fs::path    base;

  [[noreturn]] void Fail(const std::string & key, const std::string & problem) const { throw Error(path, key + ": " + problem); }

  void CheckKeys(const json & j, const std::string & where, const std::set<std::string> & allowed) const
  {
    if (!j.is_object())
      Fail(where, "expected a JSON object");
    for (auto it = j.begin(); it != j.end(); ++it)
      if (!allowed.count(it.key()))
      {
        std::string list;
        for (const auto & a : allowed)
          list += (list.empty() ? "" : ", ") + a;
        Fail(where.empty() ? it.key() : where + "." + it.key(), "unknown key (expected one of: " + list + ")");
      }
  }
  double Number(const json & j, const std::string & key, double lo, double hi) const
  {
    if (!j.is_number())
      Fail(key, "expected a number, got " + j.dump());
    const double v = j.get<double>();
    if (!(v >= lo && v <= hi))
      Fail(key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + j.dump());
    return v;
  }
  int Integer(const json & j, const std::string & key, int lo, int hi) const
  {
    if (!j.is_number_integer())
      Fail(key, "expected an integer, got " + j.dump());
    const auto v = j.get<long long>();
    if (v < lo || v > hi)
      Fail(key, "must be in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + j.dump());
    return static_cast<int>(v);
  }
  bool Bool(const json & j, const std::string & key) const
  {
    if (!j.is_boolean())
      Fail(key, "expected true or false, got " + j.dump());
    return j.get<bool>();
  }
  std::string String(const json & j, const std::string & key) const
  {
    if (!j.is_string())
      Fail(key, "expected a string, got " + j.dump());
    return j.get<std::string>();
  }
  std::string Resolve(const std::string & p) const
  {
    const fs::path q(p);
    return (q.is_absolute() ? q : base / q).lexically_normal().string();
  }
  /** A folder, a file, or an array of folders/files → sorted files of each folder, in order. */
  std::vector<std::string> Files(const json & j, const std::string & key) const
  {
    std::vector<std::string> out;
    const json               list = j.is_array() ? j : json::array({ j });
    if (list.empty())
      Fail(key, "no files given");
    for (const auto & item : list)
    {
      const std::string p = Resolve(String(item, key));
      std::error_code   ec;
      if (fs::is_directory(p, ec))
      {
        auto files = ListImageFiles(p);
        if (files.empty())
          Fail(key, "folder " + p + " holds no image files");
        out.insert(out.end(), files.begin(), files.end());
      }
      else if (fs::is_regular_file(p, ec))
        out.push_back(p);
      else
        Fail(key, p + " does not exist");
    }
    return out;
  }
  DatasetFiles Dataset(const json & j, const std::string & key) const
  {
    CheckKeys(j, key, { "images", "labels" });
    if (!j.contains("images") || !j.contains("labels"))
      Fail(key, "needs \"images\" and \"labels\"");
    DatasetFiles d{ Files(j["images"], key + ".images"), Files(j["labels"], key + ".labels") };
    if (d.images.size() != d.labels.size())
      Fail(key, std::to_string(d.images.size()) + " images but " + std::to_string(d.labels.size()) + " label files");
    return d;
  }
  /** out = o[key] when o has it, checked as Number() would, naming it "where.key". */
  void OptionalNumber(const json & o, const std::string & where, const std::string & key, double lo, double hi, double & out) const
  {
    if (o.contains(key))
      out = Number(o[key], where + "." + key, lo, hi);
  }
  void OptionalInteger(const json & o, const std::string & where, const std::string & key, int lo, int hi, int & out) const
  {
    if (o.contains(key))
      out = Integer(o[key], where + "." + key, lo, hi);
  }
  /** A JSON object key holding a label value 0–65535. */
  int LabelValue(const std::string & text, const std::string & key) const
  {
    try
    {
      size_t    used = 0;
      const int v = std::stoi(text, &used);
      if (used == text.size() && v >= 0 && v <= 65535)
        return v;
    }
    catch (const std::exception &)
    {
    }
    Fail(key, "key \"" + text + "\" is not a label value 0–65535");
  }
  std::vector<int64_t> Sizes(const json & j, const std::string & key, size_t n) const
  {
    if (!j.is_array() || j.size() != n)
      Fail(key, "expected " + std::to_string(n) + " sizes (one per axis), got " + j.dump());
    std::vector<int64_t> v;
    for (const auto & x : j)
      v.push_back(Integer(x, key, 1, 1 << 20));
    return v;
  }
};

uint32_t
Pack(const std::array<uint8_t, 3> & c)
{
  return (uint32_t{ c[0] } << 16) | (uint32_t{ c[1] } << 8) | c[2];
}
} // namespace

int
TrainingConfig::ClassOf(int value, const std::string & file) const
{
  if (std::find(ignoreValues.begin(), ignoreValues.end(), value) != ignoreValues.end())
    return -1;
  if (!remap.empty())
  {
    auto it = remap.find(value);
    if (it == remap.end())
      throw Error(file, "label value " + std::to_string(value) + " is neither in the config's \"remap\" nor ignored");
    return it->second;
  }
  if (value < 0 || value >= network.classes)
    throw Error(file, "label value " + std::to_string(value) + " is outside the classes 0.." +
                        std::to_string(network.classes - 1) + " and not ignored (add it to \"ignore_values\" or \"remap\")");
  return value;
}

TrainingConfig
ReadTrainingConfig(const std::string & path)
{
  Reader          r{ path, fs::absolute(path).parent_path() };
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw Error(path, "config file not found");
  json j;
  {
    std::ifstream in(path);
    try
    {
      j = json::parse(in);
    }
    catch (const json::exception & e)
    {
      throw Error(path, std::string("not valid JSON: ") + e.what());
    }
  }
  r.CheckKeys(j, "", { "output", "data", "network", "loss", "optimizer", "scheduler", "early_stopping", "monitor",
                       "crop_size", "batch_size", "epochs", "steps_per_epoch", "workers", "max_minutes",
                       "augmentation", "input_scale", "comment", "validation_overlap", "equivariance_loss",
                       "semi_supervised", "weak_supervision", "pseudo_labels" });
  TrainingConfig c;
  c.configPath = path;
  if (j.contains("output"))
    c.output = r.Resolve(r.String(j["output"], "output"));
  if (j.contains("network"))
  {
    try
    {
      c.network = NetworkOptionsFromJson(j["network"], path);
    }
    catch (const Error & e)
    {
      throw Error(path, "network." + e.Problem());
    }
    c.classesGiven = j["network"].contains("classes");
    c.inChannelsGiven = j["network"].contains("in_channels");
  }
  if (!j.contains("data"))
    r.Fail("data", "missing: the training images and labels");
  const json & d = j["data"];
  r.CheckKeys(d, "data", { "train", "val", "unlabelled", "label_format", "label_table", "remap", "ignore_values", "output_values" });
  if (!d.contains("train") && !j.contains("pseudo_labels"))
    r.Fail("data.train", "missing (or give pseudo_labels)");
  if (d.contains("train"))
    c.train = r.Dataset(d["train"], "data.train");
  if (d.contains("val"))
    c.val = r.Dataset(d["val"], "data.val");
  if (d.contains("unlabelled"))
    c.semi.images = r.Files(d["unlabelled"], "data.unlabelled");
  if (d.contains("label_format"))
  {
    c.labelFormat = r.String(d["label_format"], "data.label_format");
    if (c.labelFormat != "index" && c.labelFormat != "rgb")
      r.Fail("data.label_format", "must be \"index\" or \"rgb\", not \"" + c.labelFormat + "\"");
  }
  LabelTable table;
  if (d.contains("label_table"))
  {
    c.labelTablePath = r.Resolve(r.String(d["label_table"], "data.label_table"));
    table = LabelTable::Load(c.labelTablePath);
    c.labelTable = json::parse(table.ToJson());
    for (const auto & [id, e] : table.Entries())
      if (e.ignore)
        c.ignoreValues.push_back(id);
  }
  if (c.labelFormat == "rgb")
  {
    if (c.labelTablePath.empty())
      r.Fail("data.label_table", "needed for rgb labels: it gives each colour's label");
    for (const auto & [id, e] : table.Entries())
    {
      const uint32_t key = Pack(e.color);
      if (c.colourToValue.count(key))
        r.Fail("data.label_table", "labels " + std::to_string(c.colourToValue[key]) + " and " + std::to_string(id) +
                                     " share a colour");
      c.colourToValue[key] = id;
    }
  }
  if (d.contains("ignore_values"))
  {
    if (!d["ignore_values"].is_array())
      r.Fail("data.ignore_values", "expected an array of label values");
    for (const auto & v : d["ignore_values"])
      c.ignoreValues.push_back(r.Integer(v, "data.ignore_values", 0, 65535));
  }
  if (d.contains("remap"))
  {
    const json & m = d["remap"];
    if (!m.is_object() || m.empty())
      r.Fail("data.remap", "expected an object {\"label value\": class, ...}");
    for (auto it = m.begin(); it != m.end(); ++it)
    {
      const int from = r.LabelValue(it.key(), "data.remap");
      const int to = it->is_null() ? -1 : r.Integer(*it, "data.remap." + it.key(), -1, 65535);
      c.remap[from] = to;
    }
  }
  // Classes: given, or derived from the remap / label table.
  int derived = 0;
  if (!c.remap.empty())
    for (const auto & [from, to] : c.remap)
      derived = std::max(derived, to + 1);
  else if (!c.labelTablePath.empty())
    for (const auto & [id, e] : table.Entries())
      if (!e.ignore && std::find(c.ignoreValues.begin(), c.ignoreValues.end(), id) == c.ignoreValues.end())
        derived = std::max(derived, id + 1);
  if (!c.classesGiven)
  {
    if (derived == 0)
      r.Fail("network.classes", "needed when there is neither a \"remap\" nor a label table");
    c.network.classes = derived;
  }
  else if (derived > c.network.classes)
    r.Fail("network.classes", std::to_string(c.network.classes) + " is fewer than the " + std::to_string(derived) +
                                " classes the remap/label table gives");
  // Output values: given, or the unique label value mapped to each class, else the class.
  c.outputValues.resize(c.network.classes);
  for (int k = 0; k < c.network.classes; ++k)
  {
    c.outputValues[k] = static_cast<LabelPixel>(k);
    if (c.remap.empty())
      continue;
    std::vector<int> sources;
    for (const auto & [from, to] : c.remap)
      if (to == k)
        sources.push_back(from);
    if (sources.size() == 1)
      c.outputValues[k] = static_cast<LabelPixel>(sources[0]);
  }
  if (d.contains("output_values"))
  {
    const json & o = d["output_values"];
    if (!o.is_array() || static_cast<int>(o.size()) != c.network.classes)
      r.Fail("data.output_values", "expected " + std::to_string(c.network.classes) + " label values (one per class)");
    for (int k = 0; k < c.network.classes; ++k)
      c.outputValues[k] = static_cast<LabelPixel>(r.Integer(o[k], "data.output_values", 0, 65535));
  }
  if (j.contains("loss"))
    c.loss = j["loss"];
  if (j.contains("optimizer"))
  {
    const json & o = j["optimizer"];
    r.CheckKeys(o, "optimizer", { "lr", "weight_decay", "name" });
    if (o.contains("name") && r.String(o["name"], "optimizer.name") != "adam")
      r.Fail("optimizer.name", "only \"adam\" is supported");
    if (o.contains("lr"))
      c.learningRate = r.Number(o["lr"], "optimizer.lr", 1e-12, 10);
    if (o.contains("weight_decay"))
      c.weightDecay = r.Number(o["weight_decay"], "optimizer.weight_decay", 0, 1);
  }
  if (j.contains("scheduler"))
  {
    const json & s = j["scheduler"];
    r.CheckKeys(s, "scheduler", { "factor", "patience", "min_lr" });
    r.OptionalNumber(s, "scheduler", "factor", 1e-6, 1, c.plateauFactor);
    r.OptionalInteger(s, "scheduler", "patience", 0, 1000000, c.plateauPatience);
    r.OptionalNumber(s, "scheduler", "min_lr", 0, 10, c.minLearningRate);
  }
  if (j.contains("early_stopping"))
  {
    const json & s = j["early_stopping"];
    r.CheckKeys(s, "early_stopping", { "patience" });
    if (s.contains("patience"))
      c.earlyStopping = r.Integer(s["patience"], "early_stopping.patience", 0, 1000000);
  }
  if (j.contains("monitor"))
  {
    c.monitor = r.String(j["monitor"], "monitor");
    if (c.monitor != "val_miou" && c.monitor != "val_loss")
      r.Fail("monitor", "must be val_miou or val_loss");
  }
  if (j.contains("crop_size"))
    c.cropSize = r.Sizes(j["crop_size"], "crop_size", static_cast<size_t>(c.network.dimension));
  else
    c.cropSize.assign(static_cast<size_t>(c.network.dimension), c.network.dimension == 2 ? 256 : 64);
  if (static_cast<int>(c.cropSize.size()) != c.network.dimension)
    r.Fail("crop_size", "expected one size per axis");
  if (j.contains("batch_size"))
    c.batchSize = r.Integer(j["batch_size"], "batch_size", 1, 1 << 16);
  if (j.contains("epochs"))
    c.epochs = r.Integer(j["epochs"], "epochs", 1, 1 << 24);
  if (j.contains("steps_per_epoch"))
    c.stepsPerEpoch = r.Integer(j["steps_per_epoch"], "steps_per_epoch", 0, 1 << 24);
  if (j.contains("workers"))
    c.workers = r.Integer(j["workers"], "workers", 1, 256);
  if (j.contains("max_minutes"))
    c.maxMinutes = r.Number(j["max_minutes"], "max_minutes", 0, 1e9);
  if (j.contains("input_scale"))
    c.inputScale = r.Number(j["input_scale"], "input_scale", 1e-3, 16);
  if (j.contains("validation_overlap"))
    c.valOverlap = r.Number(j["validation_overlap"], "validation_overlap", 0, 0.95);
  if (j.contains("augmentation"))
  {
    const json & a = j["augmentation"];
    r.CheckKeys(a, "augmentation", { "scale", "flip", "rot90", "brightness", "contrast" });
    auto & g = c.augmentation;
    if (a.contains("scale"))
    {
      if (!a["scale"].is_array() || a["scale"].size() != 2)
        r.Fail("augmentation.scale", "expected [min, max], e.g. [0.8, 1.25]");
      g.scaleMin = r.Number(a["scale"][0], "augmentation.scale", 0.05, 20);
      g.scaleMax = r.Number(a["scale"][1], "augmentation.scale", g.scaleMin, 20);
    }
    if (a.contains("flip"))
      g.flip = r.Bool(a["flip"], "augmentation.flip");
    if (a.contains("rot90"))
      g.rot90 = r.Bool(a["rot90"], "augmentation.rot90");
    if (a.contains("brightness"))
      g.brightness = r.Number(a["brightness"], "augmentation.brightness", 0, 100);
    if (a.contains("contrast"))
      g.contrast = r.Number(a["contrast"], "augmentation.contrast", 0, 0.99);
  }
  if (j.contains("equivariance_loss"))
  {
    const json & e = j["equivariance_loss"];
    r.CheckKeys(e, "equivariance_loss", { "weight", "group" });
    if (e.contains("weight"))
      c.equivarianceWeight = r.Number(e["weight"], "equivariance_loss.weight", 0, 1e6);
    if (e.contains("group"))
    {
      if (!e["group"].is_string() || (e["group"] != "p4" && e["group"] != "p4m"))
        r.Fail("equivariance_loss.group", "expected \"p4\" or \"p4m\", got " + e["group"].dump());
      c.equivarianceGroup = e["group"].get<std::string>();
    }
    if (c.equivarianceWeight > 0 && (c.network.dimension != 2 || c.cropSize[0] != c.cropSize[1]))
      r.Fail("equivariance_loss", "turns images in their plane: it needs 2D and square crops (crop_size)");
  }
  if (j.contains("semi_supervised") != !c.semi.images.empty())
    r.Fail(j.contains("semi_supervised") ? "data.unlabelled" : "semi_supervised",
           "semi_supervised and data.unlabelled go together: list the unlabelled images and say how to learn from them");
  if (j.contains("semi_supervised"))
  {
    const json & e = j["semi_supervised"];
    r.CheckKeys(e, "semi_supervised", { "weight", "threshold", "teacher", "strong" });
    auto & s = c.semi;
    r.OptionalNumber(e, "semi_supervised", "weight", 0, 1e6, s.weight);
    r.OptionalNumber(e, "semi_supervised", "threshold", 0, 1, s.threshold);
    if (e.contains("teacher"))
    {
      s.teacher = r.String(e["teacher"], "semi_supervised.teacher");
      if (s.teacher != "weak" && s.teacher != "p4" && s.teacher != "p4m")
        r.Fail("semi_supervised.teacher", "expected \"weak\", \"p4\" or \"p4m\", got \"" + s.teacher + "\"");
      if (s.teacher != "weak" && (c.network.dimension != 2 || c.cropSize[0] != c.cropSize[1]))
        r.Fail("semi_supervised.teacher", "a " + s.teacher + " ensemble turns crops in their plane: it needs 2D and square crops (crop_size)");
    }
    if (e.contains("strong"))
    {
      const json & g = e["strong"];
      r.CheckKeys(g, "semi_supervised.strong", { "brightness", "contrast", "blur", "cutmix" });
      r.OptionalNumber(g, "semi_supervised.strong", "brightness", 0, 100, s.brightness);
      r.OptionalNumber(g, "semi_supervised.strong", "contrast", 0, 0.99, s.contrast);
      r.OptionalNumber(g, "semi_supervised.strong", "blur", 0, 1, s.blur);
      r.OptionalNumber(g, "semi_supervised.strong", "cutmix", 0, 1, s.cutmix);
    }
  }
  if (j.contains("pseudo_labels"))
  {
    const json & e = j["pseudo_labels"];
    auto &       o = c.pseudo;
    r.CheckKeys(e, "pseudo_labels", { "pipeline", "images", "set", "label_values", "threshold", "margin" });
    if (!e.contains("pipeline") || !e.contains("images"))
      r.Fail("pseudo_labels", "needs \"pipeline\" (a pipeline file) and \"images\"");
    o.pipeline = r.Resolve(r.String(e["pipeline"], "pseudo_labels.pipeline"));
    if (!fs::is_regular_file(o.pipeline, ec))
      r.Fail("pseudo_labels.pipeline", o.pipeline + " does not exist");
    o.images = r.Files(e["images"], "pseudo_labels.images");
    std::set<std::string> names;
    for (const auto & image : o.images)
      if (!names.insert(SplitExtension(fs::path(image).filename().string()).first).second)
        r.Fail("pseudo_labels.images", "two images are named " + fs::path(image).filename().string() +
                                         ": their pseudo-label files would collide");
    if (e.contains("set"))
    {
      if (!e["set"].is_object())
        r.Fail("pseudo_labels.set", "expected an object {\"variable\": \"value\", ...}");
      for (auto it = e["set"].begin(); it != e["set"].end(); ++it)
      {
        if (it.key() == "input" || it.key() == "output")
          r.Fail("pseudo_labels.set." + it.key(), "is set by train: each image, and a scratch file");
        o.variables[it.key()] = r.String(*it, "pseudo_labels.set." + it.key());
      }
    }
    if (e.contains("label_values"))
    {
      const json & m = e["label_values"];
      if (!m.is_object() || m.empty())
        r.Fail("pseudo_labels.label_values", "expected an object {\"pipeline label\": label value, ...}");
      for (auto it = m.begin(); it != m.end(); ++it)
        o.labelValues[r.LabelValue(it.key(), "pseudo_labels.label_values")] =
          r.Integer(*it, "pseudo_labels.label_values." + it.key(), 0, 65534);
    }
    r.OptionalNumber(e, "pseudo_labels", "threshold", 0, 1, o.threshold);
    r.OptionalInteger(e, "pseudo_labels", "margin", 0, 1000, o.margin);
    if (c.labelFormat == "rgb")
      r.Fail("pseudo_labels", "needs data.label_format index (pseudo-labels are label values)");
  }
  if (j.contains("weak_supervision"))
  {
    const json & e = j["weak_supervision"];
    r.CheckKeys(e, "weak_supervision", { "potts_beta", "warmup_epochs", "update_every" });
    r.OptionalNumber(e, "weak_supervision", "potts_beta", 0, 1e3, c.weak.pottsBeta);
    r.OptionalInteger(e, "weak_supervision", "warmup_epochs", 0, 1 << 24, c.weak.warmupEpochs);
    r.OptionalInteger(e, "weak_supervision", "update_every", 1, 1 << 24, c.weak.updateEvery);
  }
  try
  {
    ValidateNetworkOptions(c.network, path);
  }
  catch (const Error & e)
  {
    throw Error(path, "network." + e.Problem());
  }
  return c;
}
} // namespace tessera
