#include "tesseraAtlasDescription.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tesseraError.h"
#include "tesseraImageIO.h"
#include "tesseraRegistrationParameters.h"
#include "tesseraStage.h"

namespace tessera
{
namespace
{
namespace fs = std::filesystem;

std::string
Resolve(const std::string & root, const std::string & file)
{
  return fs::path(file).is_absolute() || root.empty() ? file : (fs::path(root) / file).string();
}

void
CheckFile(const std::string & subject, const std::string & what, const std::string & path)
{
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
  {
    throw Error(subject, what + " " + path + " does not exist or is not a file");
  }
}

std::string
Lower(std::string s)
{
  for (auto & ch : s)
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

std::string
StringField(const nlohmann::json & j, const std::string & key, const std::string & subject, bool required)
{
  if (!j.contains(key))
  {
    if (required)
      throw Error(subject, "has no \"" + key + "\"");
    return "";
  }
  if (!j.at(key).is_string() || (required && j.at(key).get<std::string>().empty()))
  {
    throw Error(subject, "\"" + key + "\" must be a non-empty string");
  }
  return j.at(key).get<std::string>();
}
} // namespace

AtlasDescription
AtlasDescription::Load(const std::string & path, const std::string & dataRoot)
{
  std::ifstream file(path);
  if (!file)
  {
    throw Error(path, "cannot be read");
  }
  nlohmann::json j;
  try
  {
    j = nlohmann::json::parse(file);
  }
  catch (const nlohmann::json::exception & e)
  {
    throw Error(path, "is not valid JSON (" + FirstLine(e.what()) + ")");
  }
  if (!j.is_object())
  {
    throw Error(path, "must hold a JSON object");
  }
  static const std::set<std::string> known{ "name", "description", "space", "provenance", "licence", "labelTable",
                                            "members", "template", "priors", "remainder",
                                            "labelProbabilities", "registration" };
  for (const auto & item : j.items())
  {
    if (!known.count(item.key()))
      throw Error(path, "unknown key \"" + item.key() + "\"");
  }
  const std::string root = dataRoot.empty() ? fs::path(path).parent_path().string() : dataRoot;
  AtlasDescription  a;
  a.path = path;
  a.name = StringField(j, "name", path, true);
  a.description = StringField(j, "description", path, false);
  a.space = StringField(j, "space", path, true);
  a.provenance = StringField(j, "provenance", path, true);
  a.licence = StringField(j, "licence", path, true);
  if (j.contains("labelTable"))
  {
    a.labelTable = Resolve(root, StringField(j, "labelTable", path, true));
    CheckFile(path, "label table", a.labelTable);
  }
  if (j.contains("members"))
  {
    if (!j["members"].is_array() || j["members"].empty())
      throw Error(path, "\"members\" must be a non-empty list");
    std::set<std::string> ids;
    for (const auto & m : j["members"])
    {
      const std::string subject = path + ", member " + std::to_string(a.members.size() + 1);
      if (!m.is_object())
        throw Error(subject, "must be an object with \"id\", \"image\" and \"labels\"");
      AtlasMember member{ StringField(m, "id", subject, true), Resolve(root, StringField(m, "image", subject, true)),
                          Resolve(root, StringField(m, "labels", subject, true)) };
      if (!ids.insert(member.id).second)
        throw Error(subject, "repeats the id " + member.id);
      CheckFile(path + ", member " + member.id, "image", member.image);
      CheckFile(path + ", member " + member.id, "labels", member.labels);
      a.members.push_back(member);
    }
  }
  if (j.contains("template"))
  {
    a.templateImage = Resolve(root, StringField(j, "template", path, true));
    CheckFile(path, "template", a.templateImage);
  }
  if (j.contains("priors"))
  {
    if (!j["priors"].is_array() || j["priors"].empty())
      throw Error(path, "\"priors\" must be a non-empty list");
    for (const auto & p : j["priors"])
    {
      const std::string subject = path + ", prior " + std::to_string(a.priors.size() + 1);
      if (!p.is_object() || !p.contains("label") || !p["label"].is_number_integer() || p["label"].get<long>() < 0 ||
          p["label"].get<long>() > 65535)
        throw Error(subject, "needs a \"label\" (an integer 0-65535)");
      AtlasPrior prior;
      prior.label = static_cast<LabelPixel>(p["label"].get<long>());
      prior.name = StringField(p, "name", subject, true);
      prior.image = Resolve(root, StringField(p, "image", subject, true));
      if (p.contains("scale"))
      {
        if (!p["scale"].is_number() || !(p["scale"].get<double>() > 0))
          throw Error(subject, "\"scale\" must be a positive number");
        prior.scale = p["scale"].get<double>();
      }
      CheckFile(subject, "probability map", prior.image);
      a.priors.push_back(prior);
    }
    if (a.templateImage.empty())
      throw Error(path, "has priors but no \"template\" image they are defined on");
  }
  if (j.contains("remainder"))
  {
    const auto & r = j["remainder"];
    if (!r.is_object() || !r.contains("label") || !r["label"].is_number_integer() || r["label"].get<long>() < 0 ||
        r["label"].get<long>() > 65535)
      throw Error(path, "\"remainder\" needs a \"label\" (an integer 0-65535)");
    a.remainderLabel = static_cast<LabelPixel>(r["label"].get<long>());
    a.remainderName = StringField(r, "name", path + ", remainder", true);
  }
  if (j.contains("labelProbabilities"))
  {
    a.labelProbabilities = Resolve(root, StringField(j, "labelProbabilities", path, true));
    CheckFile(path, "label probabilities", a.labelProbabilities);
    if (a.templateImage.empty())
      throw Error(path, "has label probabilities but no \"template\" image they are defined on");
  }
  if (j.contains("registration"))
  {
    if (!j["registration"].is_object())
      throw Error(path, "\"registration\" must be an object of registration parameters (name: value)");
    try
    {
      a.registration = ParameterValues::FromJson(RegistrationParameters(), j["registration"]);
    }
    catch (const Error & e)
    {
      throw Error(path, std::string("\"registration\": ") + e.what());
    }
  }
  if (a.members.empty() && a.priors.empty() && a.labelProbabilities.empty())
  {
    throw Error(path, "has neither \"members\" (labelled images), \"priors\" (probability maps) nor "
                      "\"labelProbabilities\"");
  }
  return a;
}

LabelTable
AtlasDescription::LoadLabelTable() const
{
  return labelTable.empty() ? LabelTable() : LoadLabelTableFile(labelTable);
}

LabelTable
LoadLabelTableFile(const std::string & path)
{
  if (Lower(SplitExtension(path).second) != ".csv")
  {
    return LabelTable::Load(path);
  }
  std::ifstream file(path);
  if (!file)
    throw Error(path, "cannot be read");
  LabelTable  table;
  std::string line;
  std::getline(file, line); // header
  for (unsigned int number = 2; std::getline(file, line); ++number)
  {
    if (line.empty() || line == "\r")
      continue;
    std::stringstream ss(line);
    std::string       id, name;
    std::getline(ss, id, ',');
    std::getline(ss, name, ',');
    try
    {
      size_t     used = 0;
      const long v = std::stol(id, &used);
      if (used != id.size() || v < 0 || v > 65535)
        throw std::invalid_argument(id);
      table.Add(static_cast<LabelPixel>(v), { name, DefaultLabelColor(static_cast<LabelPixel>(v)), false });
    }
    catch (const std::logic_error &)
    {
      throw Error(path, "line " + std::to_string(number) + ": \"" + id + "\" is not a label (an integer 0-65535)");
    }
  }
  if (table.Empty())
    throw Error(path, "lists no labels");
  return table;
}

std::vector<AtlasMember>
LoadAtlasMembers(const std::string & path, const std::string & dataRoot)
{
  if (Lower(SplitExtension(path).second) == ".json")
  {
    const auto a = AtlasDescription::Load(path, dataRoot);
    if (a.members.empty())
      throw Error(path, "describes a probabilistic atlas, not labelled images");
    return a.members;
  }
  std::ifstream file(path);
  if (!file)
    throw Error(path, "cannot be read");
  const std::string        root = dataRoot.empty() ? fs::path(path).parent_path().string() : dataRoot;
  std::vector<AtlasMember> members;
  std::string              line;
  for (unsigned int number = 1; std::getline(file, line); ++number)
  {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#')
      continue;
    const auto comma = line.find(',');
    const std::string where = path + ", line " + std::to_string(number);
    if (comma == std::string::npos || line.find(',', comma + 1) != std::string::npos)
      throw Error(where, "needs one \"image,labels\" pair");
    auto trim = [](std::string s) {
      const auto b = s.find_first_not_of(" \t");
      const auto e = s.find_last_not_of(" \t");
      return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    AtlasMember m{ "", Resolve(root, trim(line.substr(0, comma))), Resolve(root, trim(line.substr(comma + 1))) };
    if (m.image.empty() || m.labels.empty() || m.image == root || m.labels == root)
      throw Error(where, "needs one \"image,labels\" pair");
    m.id = SplitExtension(fs::path(m.image).filename().string()).first;
    CheckFile(where, "image", m.image);
    CheckFile(where, "labels", m.labels);
    members.push_back(m);
  }
  if (members.empty())
    throw Error(path, "lists no atlases");
  return members;
}
} // namespace tessera
