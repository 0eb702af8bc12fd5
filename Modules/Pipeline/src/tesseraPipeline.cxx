#include "tesseraPipeline.h"

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "tesseraStages.h"

namespace tessera
{
namespace
{
/** The line (1-based) of the first `needle` at or after offset, and that occurrence's offset. */
std::pair<int, size_t>
Find(const std::string & text, const std::string & needle, size_t offset)
{
  const size_t at = text.find(needle, offset);
  if (at == std::string::npos)
  {
    return { 0, offset };
  }
  return { 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n')), at };
}

std::string
ReadText(const std::string & path)
{
  std::ifstream file(path);
  if (!file)
  {
    throw Error(path, "no such pipeline file");
  }
  std::stringstream s;
  s << file.rdbuf();
  return s.str();
}

bool
Compatible(PortKind produced, PortKind wanted)
{
  // Probabilities are multi-component intensities too (e.g. to draw an overlay on).
  return produced == wanted || (wanted == PortKind::Image && produced == PortKind::Probabilities);
}
} // namespace

std::vector<std::string>
Pipeline::Variables(const std::string & path)
{
  const std::string        text = ReadText(path);
  std::set<std::string>    names;
  const std::regex         variable("\"\\$([A-Za-z_][A-Za-z0-9_-]*)\"");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), variable); it != std::sregex_iterator(); ++it)
  {
    names.insert((*it)[1]);
  }
  return { names.begin(), names.end() };
}

Pipeline
Pipeline::Load(const std::string & path, const std::map<std::string, std::string> & variables)
{
  return Parse(ReadText(path), path, variables);
}

Pipeline
Pipeline::Parse(const std::string & text, const std::string & path, const std::map<std::string, std::string> & variables)
{
  nlohmann::json doc;
  try
  {
    doc = nlohmann::json::parse(text);
  }
  catch (const nlohmann::json::parse_error & e)
  {
    throw Error(path, std::string("is not valid JSON: ") + e.what());
  }
  const auto at = [&](int line) { return line > 0 ? path + ":" + std::to_string(line) : path; };
  if (!doc.is_object() || !doc.contains("steps") || !doc["steps"].is_array() || doc["steps"].empty())
  {
    throw Error(path, "a pipeline needs a non-empty \"steps\" array");
  }
  for (const auto & [key, value] : doc.items())
  {
    if (key != "steps" && key != "description")
    {
      throw Error(at(Find(text, "\"" + key + "\"", 0).first), "unknown key \"" + key + "\" (expected description, steps)");
    }
  }
  Pipeline pipeline;
  pipeline.m_Path = path;
  pipeline.m_Description = doc.value("description", std::string());
  const auto &                       registry = Stages();
  std::map<std::string, const PipelineStep *> byName;
  size_t                             offset = Find(text, "\"steps\"", 0).second;
  for (size_t i = 0; i < doc["steps"].size(); ++i)
  {
    const auto & j = doc["steps"][i];
    const auto [line, found] = Find(text, "\"stage\"", offset);
    offset = found + 1;
    PipelineStep step;
    step.line = line;
    const std::string where = at(line);
    if (!j.is_object() || !j.contains("stage") || !j["stage"].is_string())
    {
      throw Error(where, "step " + std::to_string(i + 1) + " needs a \"stage\" name");
    }
    step.name = j.value("name", j["stage"].get<std::string>());
    const std::string subject = where + ": step '" + step.name + "'";
    for (const auto & [key, value] : j.items())
    {
      if (key != "name" && key != "stage" && key != "inputs" && key != "parameters" && key != "outputs")
      {
        throw Error(at(Find(text, "\"" + key + "\"", found).first),
                    "step '" + step.name + "': unknown key \"" + key + "\" (expected name, stage, inputs, parameters, outputs)");
      }
    }
    if (byName.count(step.name))
    {
      throw Error(subject, "another step has this name; give each step its own \"name\"");
    }
    step.stage = registry.Find(j["stage"].get<std::string>());
    if (!step.stage)
    {
      try
      {
        registry.Get(j["stage"].get<std::string>());
      }
      catch (const Error & e)
      {
        throw Error(subject, "stage '" + e.Subject() + "': " + e.Problem());
      }
    }
    try
    {
      step.parameters = ParameterValues::FromJson(step.stage->parameters, j.value("parameters", nlohmann::json()));
    }
    catch (const Error & e)
    {
      throw Error(at(Find(text, "\"" + e.Subject() + "\"", found).first),
                  "step '" + step.name + "' (" + step.stage->name + "): parameter " + e.Subject() + ": " + e.Problem());
    }
    auto resolve = [&](const nlohmann::json & value, const std::string & port) {
      if (!value.is_string())
      {
        throw Error(subject, port + ": expected a file, \"step.port\" or \"$variable\", got " + value.dump());
      }
      std::string s = value.get<std::string>();
      if (!s.empty() && s[0] == '$')
      {
        const auto v = variables.find(s.substr(1));
        if (v == variables.end())
        {
          throw Error(subject, port + ": variable " + s + " is not set (tessera pipeline: -i, -o or --set name=value; a training config: pseudo_labels.set)");
        }
        s = v->second;
      }
      return s;
    };
    for (const char * group : { "inputs", "outputs" })
    {
      if (!j.contains(group))
      {
        continue;
      }
      if (!j[group].is_object())
      {
        throw Error(subject, std::string("\"") + group + "\" must be an object of port: source");
      }
      const bool input = std::string(group) == "inputs";
      for (const auto & [port, value] : j[group].items())
      {
        const PortDescription * p = input ? step.stage->FindInput(port) : step.stage->FindOutput(port);
        if (!p)
        {
          std::string known;
          for (const auto & q : input ? step.stage->inputs : step.stage->outputs)
          {
            known += (known.empty() ? "" : ", ") + q.name;
          }
          throw Error(at(Find(text, "\"" + port + "\"", found).first), "step '" + step.name + "': " + step.stage->name +
                                                                         " has no " + (input ? "input" : "output") +
                                                                         " '" + port + "' (" + known + ")");
        }
        const std::string source = resolve(value, port);
        if (source.empty())
        {
          continue; // an empty variable leaves an optional port unset
        }
        (input ? step.inputs : step.outputs)[port] = source;
        if (!input)
        {
          continue;
        }
        // "step.port" names an earlier output; anything else is a file.
        const auto dot = source.find('.');
        if (dot != std::string::npos && byName.count(source.substr(0, dot)))
        {
          const PipelineStep *    from = byName.at(source.substr(0, dot));
          const PortDescription * produced = from->stage->FindOutput(source.substr(dot + 1));
          if (!produced || !produced->IsImage() || !p->IsImage())
          {
            throw Error(subject, port + ": " + source + " is not an image output of step '" + from->name + "'");
          }
          if (!Compatible(produced->kind, p->kind))
          {
            throw Error(subject, port + " takes a " + p->KindText() + ", but " + source + " is a " + produced->KindText());
          }
        }
      }
    }
    for (const auto & p : step.stage->inputs)
    {
      if (!p.optional && !step.inputs.count(p.name))
      {
        throw Error(subject, step.stage->name + " needs input '" + p.name + "' (" + p.KindText() + ")");
      }
    }
    pipeline.m_Steps.push_back(std::move(step));
    for (auto & s : pipeline.m_Steps) // pointers again: the vector may have moved
    {
      byName[s.name] = &s;
    }
  }
  return pipeline;
}

std::string
Pipeline::Plan() const
{
  std::ostringstream s;
  s << "pipeline " << m_Path << (m_Description.empty() ? "" : ": " + m_Description) << "\n";
  for (size_t i = 0; i < m_Steps.size(); ++i)
  {
    const auto & step = m_Steps[i];
    s << i + 1 << ". " << step.name << " (" << step.stage->name << ")\n";
    for (const auto & [port, source] : step.inputs)
    {
      s << "   in  " << port << " <- " << source << "\n";
    }
    s << "   parameters " << step.parameters.ToJson().dump() << "\n";
    for (const auto & [port, path] : step.outputs)
    {
      s << "   out " << port << " -> " << path << "\n";
    }
  }
  return s.str();
}

void
Pipeline::Run(const RunOptions & options) const
{
  std::vector<std::unique_ptr<StageContext>> contexts;
  std::map<std::string, StageContext *>      byName;
  std::map<std::string, std::set<std::string>> used; // step → its outputs later steps read
  for (const auto & step : m_Steps)
  {
    for (const auto & [port, source] : step.inputs)
    {
      const auto dot = source.find('.');
      if (dot != std::string::npos)
      {
        used[source.substr(0, dot)].insert(source.substr(dot + 1));
      }
    }
  }
  // Set every step up first, so that missing files and bad outputs fail before any work.
  std::vector<std::string>                      inputs;
  std::vector<std::pair<std::string, PortKind>> outputs;
  std::vector<std::vector<std::string>>         extensions;
  for (const auto & step : m_Steps)
  {
    auto context = std::make_unique<StageContext>(*step.stage, step.parameters, options);
    for (const auto & [port, source] : step.inputs)
    {
      const auto dot = source.find('.');
      if (dot == std::string::npos || !byName.count(source.substr(0, dot)))
      {
        context->SetInputFiles(port, { source });
      }
    }
    for (const auto & port : used[step.name])
    {
      context->RequestOutput(port, "");
    }
    for (const auto & [port, path] : step.outputs)
    {
      context->RequestOutput(port, path);
      outputs.emplace_back(path, step.stage->FindOutput(port)->kind);
      extensions.push_back(step.stage->FindOutput(port)->extensions);
    }
    for (const auto & f : context->InputFiles())
    {
      inputs.push_back(f);
    }
    byName[step.name] = context.get();
    contexts.push_back(std::move(context));
  }
  OutputSet outputSet(inputs, outputs, extensions);
  for (size_t i = 0; i < m_Steps.size(); ++i)
  {
    const auto & step = m_Steps[i];
    for (const auto & [port, source] : step.inputs)
    {
      const auto dot = source.find('.');
      if (dot != std::string::npos && byName.count(source.substr(0, dot)))
      {
        itk::DataObject * data = byName.at(source.substr(0, dot))->OutputData(source.substr(dot + 1));
        if (!data)
        {
          throw Error(m_Path + ":" + std::to_string(step.line), "step '" + step.name + "': " + source + " was not made");
        }
        contexts[i]->SetInputData(port, data, source);
      }
    }
    try
    {
      contexts[i]->Run();
    }
    catch (const Error & e)
    {
      throw Error(m_Path + ":" + std::to_string(step.line) + ": step '" + step.name + "' (" + step.stage->name + ")",
                  e.what());
    }
  }
  std::vector<std::unique_ptr<AtomicOutput>> pending;
  for (auto & context : contexts)
  {
    context->WriteOutputs(pending);
  }
  outputSet.Commit(pending);
}
} // namespace tessera
