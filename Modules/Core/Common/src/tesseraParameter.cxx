#include "tesseraParameter.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "tesseraError.h"

namespace tessera
{
namespace
{
const char *
TypeName(ParameterType type)
{
  switch (type)
  {
    case ParameterType::Boolean: return "a flag (true or false)";
    case ParameterType::Integer: return "an integer";
    case ParameterType::Real: return "a number";
    case ParameterType::Text: return "text";
    case ParameterType::Choice: return "one of the choices";
    case ParameterType::IntegerList: return "a list of integers";
    case ParameterType::RealList: return "a list of numbers";
    case ParameterType::TextList: return "a list of texts";
  }
  return "";
}

double
ParseReal(const std::string & name, const std::string & text)
{
  const char * begin = text.c_str();
  char *       end = nullptr;
  errno = 0;
  const double v = std::strtod(begin, &end);
  if (text.empty() || end != begin + text.size())
  {
    throw Error(name, "'" + text + "' is not a number");
  }
  if (!std::isfinite(v) || errno == ERANGE)
  {
    throw Error(name, "'" + text + "' is not a finite number");
  }
  return v;
}

std::int64_t
ParseInteger(const std::string & name, const std::string & text)
{
  const char * begin = text.c_str();
  char *       end = nullptr;
  errno = 0;
  const long long v = std::strtoll(begin, &end, 10);
  if (text.empty() || end != begin + text.size())
  {
    throw Error(name, "'" + text + "' is not an integer");
  }
  if (errno == ERANGE)
  {
    throw Error(name, "'" + text + "' is out of range");
  }
  return v;
}

bool
ParseBoolean(const std::string & name, const std::string & text)
{
  std::string t = text;
  std::transform(t.begin(), t.end(), t.begin(), ::tolower);
  if (t == "true" || t == "1" || t == "on" || t == "yes")
  {
    return true;
  }
  if (t == "false" || t == "0" || t == "off" || t == "no")
  {
    return false;
  }
  throw Error(name, "'" + text + "' is not true or false");
}

std::string
JoinChoices(const std::vector<std::string> & choices)
{
  std::string s;
  for (const auto & c : choices)
  {
    s += (s.empty() ? "" : ", ") + c;
  }
  return s;
}

void
CheckRange(const ParameterDescription & d, double v)
{
  const bool low = d.minimumInclusive ? v >= d.minimum : v > d.minimum;
  const bool high = d.maximumInclusive ? v <= d.maximum : v < d.maximum;
  if (!(low && high))
  {
    throw Error(d.name, "must be in " + d.RangeText() + ", got " + FormatNumber(v));
  }
}

void
CheckChoice(const ParameterDescription & d, const std::string & v)
{
  if (!d.choices.empty() && std::find(d.choices.begin(), d.choices.end(), v) == d.choices.end())
  {
    throw Error(d.name, "'" + v + "' is not one of " + JoinChoices(d.choices));
  }
}
} // namespace

std::string
FormatNumber(double value)
{
  if (std::isinf(value))
  {
    return value > 0 ? "inf" : "-inf";
  }
  std::ostringstream s;
  s << value; // 6 significant digits
  return s.str();
}

bool
ParameterDescription::IsNumeric() const
{
  return type == ParameterType::Integer || type == ParameterType::Real || type == ParameterType::IntegerList ||
         type == ParameterType::RealList;
}

bool
ParameterDescription::IsList() const
{
  return type == ParameterType::IntegerList || type == ParameterType::RealList || type == ParameterType::TextList;
}

std::string
ParameterDescription::RangeText() const
{
  if (!choices.empty())
  {
    return "{" + JoinChoices(choices) + "}";
  }
  if (!IsNumeric() || (std::isinf(minimum) && std::isinf(maximum)))
  {
    return "";
  }
  return std::string(minimumInclusive && !std::isinf(minimum) ? "[" : "(") + FormatNumber(minimum) + ", " +
         FormatNumber(maximum) + (maximumInclusive && !std::isinf(maximum) ? "]" : ")");
}

std::string
ParameterDescription::HelpText() const
{
  std::vector<std::string> facts;
  if (!unit.empty())
  {
    facts.push_back(unit);
  }
  if (type == ParameterType::Boolean)
  {
    facts.push_back("default: off");
  }
  else if (!defaultValue.empty())
  {
    facts.push_back("default " + defaultValue);
  }
  else if (!whenAbsent.empty())
  {
    facts.push_back("default: " + whenAbsent);
  }
  if (!RangeText().empty())
  {
    facts.push_back(std::string(IsList() ? "each in " : (type == ParameterType::Choice ? "one of " : "in ")) + RangeText());
  }
  if (required)
  {
    facts.push_back("required");
  }
  std::string s = doc;
  if (!facts.empty())
  {
    s += " (";
    for (size_t i = 0; i < facts.size(); ++i)
    {
      s += (i ? "; " : "") + facts[i];
    }
    s += ")";
  }
  if (!source.empty())
  {
    s += " [" + source + "]";
  }
  return s;
}

ParameterDescription
BooleanParameter(const std::string & name, const std::string & doc)
{
  ParameterDescription d;
  d.name = name;
  d.type = ParameterType::Boolean;
  d.defaultValue = "false";
  d.doc = doc;
  return d;
}

ParameterDescription
IntegerParameter(const std::string & name, const std::string & defaultValue, const std::string & unit,
                 const std::string & doc)
{
  ParameterDescription d;
  d.name = name;
  d.type = ParameterType::Integer;
  d.defaultValue = defaultValue;
  d.unit = unit;
  d.doc = doc;
  return d;
}

ParameterDescription
RealParameter(const std::string & name, const std::string & defaultValue, const std::string & unit,
              const std::string & doc)
{
  ParameterDescription d = IntegerParameter(name, defaultValue, unit, doc);
  d.type = ParameterType::Real;
  return d;
}

ParameterDescription
TextParameter(const std::string & name, const std::string & defaultValue, const std::string & doc)
{
  ParameterDescription d;
  d.name = name;
  d.type = ParameterType::Text;
  d.defaultValue = defaultValue;
  d.doc = doc;
  return d;
}

ParameterDescription
ChoiceParameter(const std::string & name, const std::string & defaultValue, std::vector<std::string> choices,
                const std::string & doc)
{
  ParameterDescription d = TextParameter(name, defaultValue, doc);
  d.type = ParameterType::Choice;
  d.choices = std::move(choices);
  return d;
}

ParameterDescription
ListParameter(const std::string & name, ParameterType type, const std::string & unit, const std::string & doc)
{
  ParameterDescription d;
  d.name = name;
  d.type = type;
  d.unit = unit;
  d.doc = doc;
  return d;
}

ParameterValue
ParseParameterText(const ParameterDescription & d, const std::vector<std::string> & text)
{
  if (!d.IsList() && text.size() != 1)
  {
    throw Error(d.name, "takes one value, got " + std::to_string(text.size()));
  }
  switch (d.type)
  {
    case ParameterType::Boolean: return ParseBoolean(d.name, text[0]);
    case ParameterType::Integer: return ParseInteger(d.name, text[0]);
    case ParameterType::Real: return ParseReal(d.name, text[0]);
    case ParameterType::Text:
    case ParameterType::Choice: return text[0];
    case ParameterType::IntegerList:
    {
      std::vector<std::int64_t> v;
      for (const auto & t : text)
      {
        v.push_back(ParseInteger(d.name, t));
      }
      return v;
    }
    case ParameterType::RealList:
    {
      std::vector<double> v;
      for (const auto & t : text)
      {
        v.push_back(ParseReal(d.name, t));
      }
      return v;
    }
    case ParameterType::TextList: return text;
  }
  return text[0];
}

void
ValidateParameter(const ParameterDescription & d, const ParameterValue & value)
{
  std::visit(
    [&](const auto & v) {
      using T = std::decay_t<decltype(v)>;
      if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>)
      {
        CheckRange(d, static_cast<double>(v));
      }
      else if constexpr (std::is_same_v<T, std::string>)
      {
        CheckChoice(d, v);
      }
      else if constexpr (std::is_same_v<T, std::vector<std::int64_t>> || std::is_same_v<T, std::vector<double>>)
      {
        if (v.empty())
        {
          throw Error(d.name, "needs at least one value");
        }
        for (const auto x : v)
        {
          CheckRange(d, static_cast<double>(x));
        }
      }
      else if constexpr (std::is_same_v<T, std::vector<std::string>>)
      {
        for (const auto & x : v)
        {
          CheckChoice(d, x);
        }
      }
    },
    value);
}

void
ParameterValues::Set(const ParameterDescription & d, ParameterValue v, bool given)
{
  ValidateParameter(d, v);
  if (!m_Values.count(d.name))
  {
    m_Order.push_back(d.name);
  }
  m_Values[d.name] = std::move(v);
  if (given)
  {
    m_Given[d.name] = true;
  }
}

ParameterValues
ParameterValues::FromText(const std::vector<ParameterDescription> & descriptions,
                          const std::map<std::string, std::vector<std::string>> & given)
{
  ParameterValues values;
  for (const auto & d : descriptions)
  {
    const auto it = given.find(d.name);
    if (it != given.end())
    {
      values.Set(d, ParseParameterText(d, it->second), true);
    }
    else if (d.required)
    {
      throw Error(d.name, "is required");
    }
    else if (!d.defaultValue.empty())
    {
      values.Set(d, ParseParameterText(d, { d.defaultValue }), false);
    }
  }
  for (const auto & [name, text] : given)
  {
    if (std::none_of(descriptions.begin(), descriptions.end(), [&name = name](const auto & d) { return d.name == name; }))
    {
      throw Error(name, "is not a parameter of this stage");
    }
  }
  return values;
}

ParameterValues
ParameterValues::FromJson(const std::vector<ParameterDescription> & descriptions, const nlohmann::json & given)
{
  if (!given.is_null() && !given.is_object())
  {
    throw Error("parameters", "must be a JSON object of name: value");
  }
  std::map<std::string, std::vector<std::string>> text;
  const nlohmann::json                            object = given.is_object() ? given : nlohmann::json::object();
  for (const auto & [key, value] : object.items())
  {
    const auto d = std::find_if(descriptions.begin(), descriptions.end(), [&key = key](const auto & x) { return x.name == key; });
    if (d == descriptions.end())
    {
      throw Error(key, "is not a parameter of this stage");
    }
    auto scalar = [&, &key = key](const nlohmann::json & v) -> std::string {
      if (v.is_string() && !(d->IsNumeric() || d->type == ParameterType::Boolean))
      {
        return v.get<std::string>();
      }
      if (v.is_boolean() && d->type == ParameterType::Boolean)
      {
        return v.get<bool>() ? "true" : "false";
      }
      if (v.is_number_integer() && d->IsNumeric())
      {
        return std::to_string(v.get<long long>());
      }
      if (v.is_number_float() && (d->type == ParameterType::Real || d->type == ParameterType::RealList))
      {
        std::ostringstream s;
        s.precision(17);
        s << v.get<double>();
        return s.str();
      }
      throw Error(key, v.dump() + " is not " + TypeName(d->type));
    };
    std::vector<std::string> items;
    if (value.is_array() && d->IsList())
    {
      for (const auto & v : value)
      {
        items.push_back(scalar(v));
      }
    }
    else
    {
      items.push_back(scalar(value));
    }
    text[key] = items;
  }
  return FromText(descriptions, text);
}

const ParameterValue &
ParameterValues::Value(const std::string & name) const
{
  const auto it = m_Values.find(name);
  if (it == m_Values.end())
  {
    throw Error(name, "has no value (no default and none given)");
  }
  return it->second;
}

bool
ParameterValues::Boolean(const std::string & name) const
{
  return Has(name) && std::get<bool>(Value(name));
}

std::int64_t
ParameterValues::Integer(const std::string & name) const
{
  return std::get<std::int64_t>(Value(name));
}

double
ParameterValues::Real(const std::string & name) const
{
  return std::get<double>(Value(name));
}

const std::string &
ParameterValues::Text(const std::string & name) const
{
  return std::get<std::string>(Value(name));
}

const std::vector<std::int64_t> &
ParameterValues::IntegerList(const std::string & name) const
{
  return std::get<std::vector<std::int64_t>>(Value(name));
}

const std::vector<double> &
ParameterValues::RealList(const std::string & name) const
{
  return std::get<std::vector<double>>(Value(name));
}

const std::vector<std::string> &
ParameterValues::TextList(const std::string & name) const
{
  return std::get<std::vector<std::string>>(Value(name));
}

unsigned int
ParameterValues::Count(const std::string & name) const
{
  const std::int64_t v = Integer(name);
  if (v < 0 || v > std::numeric_limits<unsigned int>::max())
  {
    throw Error(name, "must be a count in [0, " + std::to_string(std::numeric_limits<unsigned int>::max()) + "]");
  }
  return static_cast<unsigned int>(v);
}

nlohmann::ordered_json
ParameterValues::ToJson() const
{
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto & name : m_Order)
  {
    std::visit([&](const auto & v) { j[name] = v; }, m_Values.at(name));
  }
  return j;
}
} // namespace tessera
