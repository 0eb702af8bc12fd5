#ifndef tesseraAtlasDescription_h
#define tesseraAtlasDescription_h

#include <optional>
#include <string>
#include <vector>

#include "tesseraLabelTable.h"
#include "tesseraParameter.h"

/** \file Atlas descriptions (the JSON files in Atlases/) and plain atlas lists.
 *
 * A description names its files relative to a data root given at run time, so the same file
 * serves any machine that holds the data:
 * \code
 * {"name": "...", "description": "...", "space": "...", "provenance": "...", "licence": "...",
 *  "labelTable": "miccai2012-multiatlas/labels.csv",
 *  "members": [{"id": "1000", "image": "miccai2012-multiatlas/1000_SS.nii.gz",
 *               "labels": "miccai2012-multiatlas/1000_glm.nii.gz"}, ...]}
 * \endcode
 * or, for a probabilistic atlas, "template" (an image) and "priors": [{"label": 2, "name": "GM",
 * "image": "icbm152-2009a/gm.nii.gz", "scale": 255}, ...] with "remainder": {"label": 1, "name":
 * "CSF"} for the class that takes 1 minus the sum of the maps, or "labelProbabilities": one
 * probability image with a component per label (as `tessera atlas build` writes). An optional "registration"
 * object holds the registration parameters (as `tessera register` names them, e.g. {"radius": 4,
 * "elastic-sigma": 0}) that bring the template onto a subject: `atlas build` writes the ones it built the
 * template with, and `segment --atlas` registers with them. A label table file is a label table
 * JSON (tesseraLabelTable.h) or a CSV whose first two columns are the label number and its name.
 *
 * An atlas list (.csv or .txt) has one "image,labels" pair per line (blank lines and lines
 * starting with # skipped), relative to the list's folder unless absolute. */
namespace tessera
{
struct AtlasMember
{
  std::string id;     ///< a name for messages and --exclude (the description's id, else the image's file stem)
  std::string image;  ///< intensities (path as resolved)
  std::string labels; ///< label image on the image's grid
};

struct AtlasPrior
{
  LabelPixel  label = 0;
  std::string name;
  std::string image; ///< probability map; probability = value / scale
  double      scale = 1;
};

struct AtlasDescription
{
  std::string              path; ///< the description file
  std::string              name, description, space, provenance, licence;
  std::string              labelTable; ///< resolved path, or empty
  std::vector<AtlasMember> members;
  std::string              templateImage;
  std::vector<AtlasPrior>  priors;
  std::string              labelProbabilities; ///< resolved path, or empty
  LabelPixel               remainderLabel = 0;
  std::string              remainderName;
  /** "registration": parameter values of RegistrationParameters() (defaults for those not given). */
  std::optional<ParameterValues> registration;

  /** Reads and checks a description: JSON, known keys of the right types, a name, members or a
   * template with priors, and every file it names present under dataRoot (the description's own
   * folder when empty). \throws Error naming the description file and the problem. */
  static AtlasDescription Load(const std::string & path, const std::string & dataRoot);
  /** The label table it names (empty when none). \throws Error naming the table file. */
  LabelTable LoadLabelTable() const;
};

/** The members of an atlas list (.csv/.txt) or of a description (.json), their files checked to
 * exist. \throws Error naming the list file and the line or member. */
std::vector<AtlasMember> LoadAtlasMembers(const std::string & path, const std::string & dataRoot);

/** A label table from a table JSON or a CSV "number,name[,...]" with a header line. */
LabelTable LoadLabelTableFile(const std::string & path);
} // namespace tessera

#endif
