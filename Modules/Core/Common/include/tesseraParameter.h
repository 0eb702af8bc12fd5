#ifndef tesseraParameter_h
#define tesseraParameter_h

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace tessera
{
/** The value types a stage parameter may have. Lists are written "a,b,c" on the command line
 * and as JSON arrays in pipeline files. */
enum class ParameterType
{
  Boolean,
  Integer,
  Real,
  Text,
  Choice,
  IntegerList,
  RealList,
  TextList
};

/** The one description of a stage parameter (DESIGN.md, "Stages: one description, many uses"):
 * the command line option and its --help, the pipeline-file key, the documentation table and
 * the range checks all come from it. Library code names parameters by `name` only; the
 * command-line layer spells them `--name` (plus an optional one-letter alias). */
struct ParameterDescription
{
  std::string              name;          ///< key: lower case with dashes, e.g. "smoothness"
  ParameterType            type = ParameterType::Real;
  std::string              unit;          ///< "mm", "voxels", "nats", "count", "fraction", ...; empty for text/flags
  std::string              defaultValue;  ///< as text; empty = no default (see whenAbsent)
  std::string              whenAbsent;    ///< without a default: what happens when none is given ("no limit")
  std::string              doc;           ///< one or two sentences
  std::string              source;        ///< paper or algorithm it follows, if any
  std::vector<std::string> choices;       ///< for Choice (and TextList elements, when not empty)
  double                   minimum = -std::numeric_limits<double>::infinity();
  double                   maximum = std::numeric_limits<double>::infinity();
  bool                     minimumInclusive = true;
  bool                     maximumInclusive = true;
  std::string              alias;         ///< optional one-letter command-line alias, e.g. "k" for -k
  bool                     required = false;

  // Fluent setters, so a stage's table reads as one expression per parameter.
  ParameterDescription & Unit(std::string u) { unit = std::move(u); return *this; }
  ParameterDescription & Doc(std::string d) { doc = std::move(d); return *this; }
  ParameterDescription & Source(std::string s) { source = std::move(s); return *this; }
  ParameterDescription & Alias(std::string a) { alias = std::move(a); return *this; }
  ParameterDescription & AtLeast(double v) { minimum = v; minimumInclusive = true; return *this; }
  ParameterDescription & Above(double v) { minimum = v; minimumInclusive = false; return *this; }
  ParameterDescription & AtMost(double v) { maximum = v; maximumInclusive = true; return *this; }
  ParameterDescription & Below(double v) { maximum = v; maximumInclusive = false; return *this; }
  ParameterDescription & Required() { required = true; return *this; }
  ParameterDescription & WhenAbsent(std::string w) { whenAbsent = std::move(w); return *this; }
  ParameterDescription & Choices(std::vector<std::string> c) { choices = std::move(c); return *this; }

  bool IsNumeric() const;
  bool IsList() const;
  /** "[0, inf)", "(0, 1)", "{icm, alpha-expansion}" or "" when unbounded. */
  std::string RangeText() const;
  /** The --help text: doc, then "(unit; default X; range R)". */
  std::string HelpText() const;
};

/** Builders for the common parameter kinds; the default is given as text ("" = none). */
ParameterDescription BooleanParameter(const std::string & name, const std::string & doc);
ParameterDescription IntegerParameter(const std::string & name, const std::string & defaultValue, const std::string & unit,
                                      const std::string & doc);
ParameterDescription RealParameter(const std::string & name, const std::string & defaultValue, const std::string & unit,
                                   const std::string & doc);
ParameterDescription TextParameter(const std::string & name, const std::string & defaultValue, const std::string & doc);
ParameterDescription ChoiceParameter(const std::string & name, const std::string & defaultValue,
                                     std::vector<std::string> choices, const std::string & doc);
ParameterDescription ListParameter(const std::string & name, ParameterType type, const std::string & unit,
                                   const std::string & doc);

using ParameterValue = std::variant<bool, std::int64_t, double, std::string, std::vector<std::int64_t>,
                                    std::vector<double>, std::vector<std::string>>;

/** Typed, validated values of a stage's parameters: every parameter with a default has a value,
 * others only when given. Built from command-line text or pipeline JSON; every value is parsed
 * and range-checked against its description.
 * \throws Error(name, problem) naming the parameter (not a command-line spelling). */
class ParameterValues
{
public:
  ParameterValues() = default;
  /** Values from text (command line): one string per scalar parameter, one or more per list. */
  static ParameterValues FromText(const std::vector<ParameterDescription> & descriptions,
                                  const std::map<std::string, std::vector<std::string>> & given);
  /** Values from a JSON object (pipeline files): numbers, booleans, strings or arrays.
   * \throws Error(key, ...) for an unknown key or a value of the wrong type. */
  static ParameterValues FromJson(const std::vector<ParameterDescription> & descriptions, const nlohmann::json & given);

  bool Has(const std::string & name) const { return m_Values.count(name) != 0; }
  /** True when the value was given rather than taken from the default. */
  bool Given(const std::string & name) const { return m_Given.count(name) != 0; }
  bool                             Boolean(const std::string & name) const;
  std::int64_t                     Integer(const std::string & name) const;
  double                           Real(const std::string & name) const;
  const std::string &              Text(const std::string & name) const;
  const std::vector<std::int64_t> & IntegerList(const std::string & name) const;
  const std::vector<double> &      RealList(const std::string & name) const;
  const std::vector<std::string> & TextList(const std::string & name) const;
  /** An unsigned count, for the many Set...(unsigned int) of ITK filters. */
  unsigned int                     Count(const std::string & name) const;

  /** All values as JSON (defaults included), e.g. for --dry-run and run records. */
  nlohmann::ordered_json ToJson() const;

private:
  const ParameterValue & Value(const std::string & name) const;
  void                   Set(const ParameterDescription & d, ParameterValue v, bool given);

  std::map<std::string, ParameterValue> m_Values;
  std::map<std::string, bool>           m_Given;
  std::vector<std::string>              m_Order;
};

/** Parses one text value of a parameter (no range check). \throws Error(name, ...). */
ParameterValue ParseParameterText(const ParameterDescription & description, const std::vector<std::string> & text);
/** Checks a value against the description's range and choices. \throws Error(name, ...). */
void ValidateParameter(const ParameterDescription & description, const ParameterValue & value);
/** A number as people write it: 0.5, 1e-06, 300 (never 309 digits). */
std::string FormatNumber(double value);
} // namespace tessera

#endif
