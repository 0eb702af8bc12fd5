#include "tesseraLabelTable.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tesseraError.h"

namespace tessera
{
LabelTable
LabelTable::Load(const std::string & path)
{
  std::ifstream file(path);
  if (!file)
  {
    throw Error(path, "no such label table");
  }
  std::stringstream text;
  text << file.rdbuf();
  return FromJson(text.str(), path);
}

LabelTable
LabelTable::FromJson(const std::string & text, const std::string & path)
{
  nlohmann::json doc;
  try
  {
    doc = nlohmann::json::parse(text);
  }
  catch (const nlohmann::json::exception & e)
  {
    throw Error(path, std::string("is not valid JSON: ") + e.what());
  }
  if (!doc.is_object() || !doc.contains("labels") || !doc["labels"].is_array())
  {
    throw Error(path, "a label table needs a \"labels\" array");
  }
  LabelTable table;
  for (const auto & item : doc["labels"])
  {
    if (!item.is_object() || !item.contains("id") || !item.contains("name"))
    {
      throw Error(path, "every label needs an \"id\" and a \"name\"");
    }
    for (const auto & [key, value] : item.items())
    {
      if (key != "id" && key != "name" && key != "color" && key != "ignore")
      {
        throw Error(path, "unknown key \"" + key + "\" in a label (expected id, name, color, ignore)");
      }
    }
    if (!item["id"].is_number_integer() || item["id"].get<long long>() < 0 || item["id"].get<long long>() > 65535)
    {
      throw Error(path, "label id " + item["id"].dump() + " is not an integer in 0-65535");
    }
    const auto id = static_cast<LabelPixel>(item["id"].get<int>());
    if (table.Contains(id))
    {
      throw Error(path, "label id " + std::to_string(id) + " is listed twice");
    }
    Entry entry;
    if (!item["name"].is_string())
    {
      throw Error(path, "the name of label " + std::to_string(id) + " is not text");
    }
    entry.name = item["name"].get<std::string>();
    entry.color = DefaultLabelColor(id);
    if (item.contains("color"))
    {
      const auto & c = item["color"];
      if (!c.is_array() || c.size() != 3)
      {
        throw Error(path, "the colour of label " + std::to_string(id) + " is not [R, G, B]");
      }
      for (int k = 0; k < 3; ++k)
      {
        if (!c[k].is_number_integer() || c[k].get<int>() < 0 || c[k].get<int>() > 255)
        {
          throw Error(path, "the colour of label " + std::to_string(id) + " has a value outside 0-255");
        }
        entry.color[k] = static_cast<uint8_t>(c[k].get<int>());
      }
    }
    if (item.contains("ignore") && !item["ignore"].is_boolean())
    {
      throw Error(path, "\"ignore\" of label " + std::to_string(id) + " is not true or false");
    }
    entry.ignore = item.value("ignore", false);
    table.Add(id, entry);
  }
  if (table.Empty())
  {
    throw Error(path, "the label table lists no labels");
  }
  return table;
}

LabelTable
LabelTable::Numbered(const std::vector<LabelPixel> & labels, const std::string & prefix)
{
  LabelTable table;
  for (const LabelPixel l : labels)
  {
    table.Add(l, { prefix + std::to_string(l), DefaultLabelColor(l), false });
  }
  return table;
}

std::vector<LabelPixel>
LabelTable::Labels() const
{
  std::vector<LabelPixel> labels;
  for (const auto & entry : m_Entries)
  {
    labels.push_back(entry.first);
  }
  return labels;
}

std::string
LabelTable::ToJson(bool compact) const
{
  nlohmann::json labels = nlohmann::json::array();
  for (const auto & [id, e] : m_Entries)
  {
    nlohmann::json item{ { "id", id }, { "name", e.name }, { "color", e.color } };
    if (e.ignore)
    {
      item["ignore"] = true;
    }
    labels.push_back(item);
  }
  const nlohmann::json doc{ { "labels", labels } };
  return compact ? doc.dump() : doc.dump(2) + "\n";
}

std::string
LabelTable::Name(LabelPixel id) const
{
  const auto it = m_Entries.find(id);
  return it == m_Entries.end() ? std::to_string(id) : it->second.name;
}

std::array<uint8_t, 3>
LabelTable::Color(LabelPixel id) const
{
  const auto it = m_Entries.find(id);
  return it == m_Entries.end() ? DefaultLabelColor(id) : it->second.color;
}

bool
LabelTable::IsIgnored(LabelPixel id) const
{
  const auto it = m_Entries.find(id);
  return it != m_Entries.end() && it->second.ignore;
}

std::array<uint8_t, 3>
DefaultLabelColor(LabelPixel id)
{
  // ITK-SNAP's first default colours, then golden-angle hues for the rest.
  static const std::array<std::array<uint8_t, 3>, 13> palette{ { { 0, 0, 0 },
                                                                 { 255, 0, 0 },
                                                                 { 0, 255, 0 },
                                                                 { 0, 0, 255 },
                                                                 { 255, 255, 0 },
                                                                 { 0, 255, 255 },
                                                                 { 255, 0, 255 },
                                                                 { 255, 239, 213 },
                                                                 { 0, 0, 205 },
                                                                 { 205, 133, 63 },
                                                                 { 210, 180, 140 },
                                                                 { 102, 205, 170 },
                                                                 { 0, 0, 128 } } };
  if (id < palette.size())
  {
    return palette[id];
  }
  const double h = std::fmod(id * 137.508, 360.0) / 60.0;
  const double x = 1.0 - std::fabs(std::fmod(h, 2.0) - 1.0);
  double       r = 0, g = 0, b = 0;
  switch (static_cast<int>(h))
  {
    case 0: r = 1; g = x; break;
    case 1: r = x; g = 1; break;
    case 2: g = 1; b = x; break;
    case 3: g = x; b = 1; break;
    case 4: r = x; b = 1; break;
    default: r = 1; b = x; break;
  }
  return { static_cast<uint8_t>(55 + 200 * r), static_cast<uint8_t>(55 + 200 * g), static_cast<uint8_t>(55 + 200 * b) };
}
} // namespace tessera
