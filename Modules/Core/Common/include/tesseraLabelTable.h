#ifndef tesseraLabelTable_h
#define tesseraLabelTable_h

#include <array>
#include <map>
#include <string>
#include <vector>

#include "tesseraImageTypes.h"

namespace tessera
{
/** Names, colours and ignore flags of the labels of a segmentation. Stored as JSON:
 * \code
 * {"labels": [{"id": 0, "name": "Background", "color": [0, 0, 0], "ignore": true},
 *             {"id": 1, "name": "CSF", "color": [0, 0, 255]}]}
 * \endcode
 * "color" (RGB, 0–255) and "ignore" (default false) are optional. */
class LabelTable
{
public:
  struct Entry
  {
    std::string               name;
    std::array<uint8_t, 3>    color{ { 0, 0, 0 } };
    bool                      ignore = false;
  };

  /** \throws Error naming the file for unreadable JSON, no labels, a missing id/name, an id outside
   * 0–65535, a duplicate id, a colour that is not three values in 0–255, or an unknown key. */
  static LabelTable Load(const std::string & path);
  /** Parses the JSON above from text; errors name `subject` (a file, or an image carrying it). */
  static LabelTable FromJson(const std::string & text, const std::string & subject);
  /** A table of the given labels, each named by its number (or prefix + number) with its palette colour. */
  static LabelTable Numbered(const std::vector<LabelPixel> & labels, const std::string & prefix = "");
  /** Serialises to the JSON above (indented; compact = one line). */
  std::string ToJson(bool compact = false) const;

  void Add(LabelPixel id, const Entry & entry) { m_Entries[id] = entry; }
  bool Contains(LabelPixel id) const { return m_Entries.count(id) != 0; }
  /** The name of a label, or its number as text when the table does not list it. */
  std::string Name(LabelPixel id) const;
  /** The colour of a label: the table's, else a fixed distinct palette colour (0 is black). */
  std::array<uint8_t, 3> Color(LabelPixel id) const;
  bool IsIgnored(LabelPixel id) const;
  const std::map<LabelPixel, Entry> & Entries() const { return m_Entries; }
  /** The labels in ascending order: for a ProbabilityImage, component i is the i-th. */
  std::vector<LabelPixel> Labels() const;
  size_t Size() const { return m_Entries.size(); }
  bool Empty() const { return m_Entries.empty(); }

private:
  std::map<LabelPixel, Entry> m_Entries;
};

/** A fixed, well-separated palette colour for label id (0 → black), used when no table is given. */
std::array<uint8_t, 3> DefaultLabelColor(LabelPixel id);
} // namespace tessera

#endif
