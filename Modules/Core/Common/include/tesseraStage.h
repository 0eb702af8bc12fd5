#ifndef tesseraStage_h
#define tesseraStage_h

#include <any>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "itkDataObject.h"
#include "itkImageBase.h"
#include "tesseraFigureFiles.h"
#include "tesseraParameter.h"
#include "tesseraProbabilityImage.h"
#include "tesseraProgress.h"
#include "tesseraTilePlacement.h"

/** \file Stages (DESIGN.md, "Stages: one description, many uses"). A stage is a method described
 * once: name, summary, inputs and outputs (their kinds), parameters (tesseraParameter.h) and a run
 * function that composes the ITK filters. The `tessera` command-line applications, pipeline files,
 * the documentation tables and the registry test are all generated from these descriptions. */
namespace tessera
{
/** What flows through a stage's port. The image kinds flow in memory between pipeline stages. */
enum class PortKind
{
  Image,         ///< intensities: VectorImage<D> (scalar images have one component)
  Labels,        ///< LabelImage<D>
  Probabilities, ///< ProbabilityImage<D> with its label table
  Mask,          ///< MaskImage<D>, non-zero = inside; read as any pixel type
  LabelTable,    ///< a label table JSON file (names and colours)
  File,          ///< any other file the stage reads or writes itself (a model, a config)
  Text,          ///< text the stage makes (CSV, JSON), written atomically by the framework
  Overlay        ///< a PNG of a labels output over an image input, drawn by the framework
};

/** One input or output of a stage. */
struct PortDescription
{
  std::string              name;       ///< "input", "mask", "output", "probabilities", ...
  PortKind                 kind = PortKind::Image;
  std::string              doc;
  bool                     optional = false;
  bool                     multiple = false;   ///< inputs: several files (e.g. training images)
  bool                     sameGrid = true;    ///< image inputs: must lie on the primary input's grid
  bool                     positional = false; ///< may be given without its option (`tessera info image.nii.gz`)
  std::string              alias;              ///< one-letter command-line alias ("i" for -i)
  std::vector<std::string> extensions;         ///< Text/File outputs: accepted extensions (".csv", ...)
  std::string              overlayOf;          ///< Overlay: the labels output drawn
  std::string              overlayOver;        ///< Overlay: the image input drawn on ("" = primary input)

  PortDescription & Optional() { optional = true; return *this; }
  PortDescription & Multiple() { multiple = true; return *this; }
  PortDescription & AnyGrid() { sameGrid = false; return *this; }
  PortDescription & Positional() { positional = true; return *this; }
  PortDescription & Alias(std::string a) { alias = std::move(a); return *this; }
  PortDescription & Extensions(std::vector<std::string> e) { extensions = std::move(e); return *this; }
  /** "intensity image", "label image", ... for help texts. */
  std::string KindText() const;
  bool IsImage() const;
};

PortDescription InputPort(const std::string & name, PortKind kind, const std::string & doc);
PortDescription OutputPort(const std::string & name, PortKind kind, const std::string & doc);
/** An overlay output of labels output `of` over image input `over` ("" = the primary input). */
PortDescription OverlayPort(const std::string & name, const std::string & of, const std::string & over = "");

class StageContext;

/** A run's files by port name (inputs and outputs). */
using PortFiles = std::map<std::string, std::vector<std::string>>;

/** How a stage runs on a 2D raster too large for memory, tile by tile (`--ram`, TiledRun.h): each
 * tile is read with a halo around it, run as a whole image, and only its centre is written. */
/** A stage that decides once, on statistics of the whole image gathered tile by tile (merging
 * regions on their adjacency graph): TilingDescription::gathering. A tiled run hands it every tile
 * twice; each tile's context holds the inputs read over the tile and its halo, and Placement()
 * says where it lies. */
class TiledGathering
{
public:
  virtual ~TiledGathering() = default;
  /** First pass: adds one tile's statistics. */
  virtual void Gather(StageContext & tile) = 0;
  /** Once, between the passes: decides on what was gathered. \returns the text outputs by port, for
   * those `files` asks for; `report` gets the line a whole run would print. */
  virtual std::map<std::string, std::string> Decide(const PortFiles & files, std::string & report) = 0;
  /** Second pass: sets one tile's image outputs (over its read region, as a run would). */
  virtual void Apply(StageContext & tile) = 0;
};

struct TilingDescription
{
  /** Halo in pixels around each tile for these parameters and files (filter support, feature
   * window, MRF reach, a network's window); null: the stage does not run tiled. */
  std::function<unsigned int(const ParameterValues &, const PortFiles &)> halo;
  /** Peak bytes per pixel (of `components`-channel input) of one run, for sizing tiles under the budget. */
  std::function<double(const ParameterValues &, const PortFiles &, unsigned int components)> bytesPerPixel;
  /** Bytes one run needs whatever the tile's size (a network's weights and the activations of one
   * batch of windows); null: none beyond the process's baseline. */
  std::function<double(const ParameterValues &, const PortFiles &)> fixedBytes;
  /** Empty when these parameters and inputs (files by port) allow a tiled run, else what a tiled
   * run cannot do, e.g. "fit --model hmrf (its prior spans the whole image)". */
  std::function<std::string(const ParameterValues &, const PortFiles &)> refusal;
  /** The stage fits class parameters (k-means, a mixture): they are fitted once on a sample spread over
   * the whole image, then every tile applies them (StageContext::FixedModel), so classes do not change
   * from tile to tile. */
  bool fitsModel = false;
  /** True when a tiled run gives exactly the untiled result (pixelwise with a halo that covers the
   * features' reach); false when only nearly (an MRF's reach is not bounded). */
  bool exact = false;
  /** The label outputs number regions (superpixels, segments) whose numbers mean nothing outside the
   * tile: a tiled run joins the regions that cross tile borders (TileRegionStitcher) and numbers them
   * anew, in a second pass over the tiles. */
  bool regions = false;
  /** Stages that decide on the whole image (TiledGathering), for these parameters: the tiled run reads
   * every image input tile by tile, gathers, lets the stage decide, then writes each tile; the halo is
   * what the statistics reach (1 for neighbour pairs). Null: every tile runs the stage on its own. */
  std::function<std::unique_ptr<TiledGathering>(const ParameterValues &)> gathering;
};

/** A method, described once. */
struct StageDescription
{
  std::string                       name;     ///< "mrf", "knn train" (a space: a sub-application)
  std::string                       summary;  ///< one line
  std::string                       source;   ///< papers / algorithms, for the docs
  std::vector<PortDescription>      inputs;
  std::vector<PortDescription>      outputs;
  std::vector<ParameterDescription> parameters;
  bool                              seeded = false;   ///< takes a random seed
  bool                              perImage = true;  ///< a folder of inputs may be processed in turn
  TilingDescription                 tiling;           ///< tiled runs (--ram); none unless tiling.halo is set
  std::function<void(StageContext &)> run;

  const PortDescription *      FindInput(const std::string & port) const;
  const PortDescription *      FindOutput(const std::string & port) const;
  const ParameterDescription * FindParameter(const std::string & parameter) const;
  /** The first image-kind input: it fixes the dimension and the grid of the others. */
  const PortDescription * PrimaryInput() const;
};

/** All stages by name. */
class StageRegistry
{
public:
  /** \throws Error when the name is taken or the description is inconsistent. */
  void Add(StageDescription stage);
  /** \throws Error(name, "unknown stage ...") listing the known ones. */
  const StageDescription & Get(const std::string & name) const;
  const StageDescription * Find(const std::string & name) const;
  const std::map<std::string, StageDescription> & All() const { return m_Stages; }

private:
  std::map<std::string, StageDescription> m_Stages;
};

/** Options of a run that are not parameters of the method. */
struct RunOptions
{
  bool         quiet = false;
  unsigned int threads = 0; ///< 0 = all cores
  unsigned int seed = 0;
  bool         seedGiven = false; ///< false: the default seed (stages that draw one at random may)
  OverlayOptions overlay;         ///< how Overlay outputs are drawn
  bool         labelColours = false; ///< label outputs also as a colour PNG (LabelColoursPath)
  std::string  description;       ///< a short form of the run for image headers (ITK_FileNotes, 79 characters)
};

/** One run of a stage: its inputs (files, or data from earlier stages), parameter values and
 * requested outputs. The run function reads inputs through Input<T>() (files are read, checked
 * and grid-checked on first use), and hands its results to SetOutput()/SetText()/SetWriter().
 * WriteOutputs() writes every requested output (overlays drawn here) into AtomicOutputs that
 * the caller commits together. */
class StageContext
{
public:
  StageContext(const StageDescription & stage, ParameterValues parameters, RunOptions options);
  ~StageContext();

  // ---- set up by the driver (command line or pipeline)
  void SetInputFiles(const std::string & port, const std::vector<std::string> & paths);
  void SetInputData(const std::string & port, itk::DataObject * data, const std::string & displayName);
  /** Asks for an output; path "" keeps it in memory only (pipelines). */
  void RequestOutput(const std::string & port, const std::string & path);
  /** Runs the stage. \throws Error: library exceptions (ITK, out of memory) are turned into an
   * Error naming the stage. */
  void Run();
  /** Writes the requested outputs with a path into new AtomicOutputs appended to `pending`. */
  void WriteOutputs(std::vector<std::unique_ptr<AtomicOutput>> & pending);
  /** Every input file and requested output path, for the checks before a run. */
  std::vector<std::string> InputFiles() const;
  std::vector<std::string> OutputFiles() const;
  /** The data of an output after Run(), or null. */
  itk::DataObject * OutputData(const std::string & port) const;

  // ---- used by the stage's run function
  const StageDescription & Stage() const { return m_Stage; }
  const ParameterValues &  Parameters() const { return m_Parameters; }
  const RunOptions &       Options() const { return m_Options; }
  /** 2 or 3, from the primary input. \throws Error for other dimensions. */
  unsigned int Dimension() const;
  bool HasInput(const std::string & port) const;
  /** The file name (or "stage.output" for data) that errors about an input name. */
  std::string InputName(const std::string & port) const;
  /** The files of a File (or multiple) input. */
  const std::vector<std::string> & InputPaths(const std::string & port) const;
  /** An image input of the kind the port declares (null when an optional input is absent):
   * read and checked on first use (intensities finite, probabilities valid, masks non-empty,
   * non-primary images on the primary input's grid). \throws Error naming the file. */
  template <typename TImage>
  typename TImage::Pointer Input(const std::string & port);
  /** A LabelTable input, or an empty table when absent. */
  LabelTable InputLabelTable(const std::string & port);
  /** True when the caller asked for this output. */
  bool Wants(const std::string & port) const;
  /** The file asked for an output ("" when in memory only or not asked). */
  std::string OutputPath(const std::string & port) const;
  void SetOutput(const std::string & port, itk::DataObject * data);
  void SetText(const std::string & port, const std::string & text);
  /** For File outputs: a function that writes the file to the (temporary) path it is given. */
  void SetWriter(const std::string & port, std::function<void(const std::string & path)> writer);
  ProgressReporter & Progress();
  /** Prints a result line on stdout unless quiet. */
  void Report(const std::string & line) const;
  /** Tiled runs (TilingDescription::fitsModel): the model fitted on the sample, which the stage
   * applies instead of fitting (null when the stage fits its own). */
  template <typename T>
  const T * FixedModel() const
  {
    return std::any_cast<T>(&m_FixedModel);
  }
  void SetFixedModel(std::any model) { m_FixedModel = std::move(model); }
  /** What the stage fitted (its run function hands it over), for a tiled run to fix on the tiles. */
  void SetFittedModel(std::any model) { m_FittedModel = std::move(model); }
  const std::any & FittedModel() const { return m_FittedModel; }
  /** Tiled runs: where the primary input lies in the whole image (untiled: empty). */
  const TilePlacement & Placement() const { return m_Placement; }
  void SetPlacement(TilePlacement placement) { m_Placement = std::move(placement); }

private:
  struct Slot;
  Slot &       InputSlot(const std::string & port);
  const Slot * FindInputSlot(const std::string & port) const;
  template <unsigned int D>
  const itk::ImageBase<D> * PrimaryImage();
  template <unsigned int D>
  itk::DataObject::Pointer ReadInput(const PortDescription & port, const std::string & path);
  template <unsigned int D>
  void WriteOutputsOfDimension(std::vector<std::unique_ptr<AtomicOutput>> & pending);

  const StageDescription &                       m_Stage;
  ParameterValues                                m_Parameters;
  RunOptions                                     m_Options;
  std::map<std::string, std::unique_ptr<Slot>>   m_Inputs;
  std::map<std::string, std::string>             m_RequestedOutputs;
  std::map<std::string, itk::DataObject::Pointer> m_OutputData;
  std::map<std::string, std::string>             m_OutputText;
  std::map<std::string, std::function<void(const std::string &)>> m_OutputWriters;
  std::unique_ptr<ProgressReporter>              m_Progress;
  std::any                                       m_FixedModel, m_FittedModel;
  TilePlacement                                  m_Placement;
};

/** The first line of a (library's) message, for one-line errors. */
std::string FirstLine(const std::string & text);

/** Bytes of the last allocation that failed, 0 when unknown: the launcher's operator new records
 * it, so that "ran out of memory" can say how much was asked. */
std::atomic<std::size_t> & FailedAllocationBytes();

/** "ran out of memory" with the size of the failed allocation (when known) and the machine's memory. */
std::string OutOfMemoryMessage();

/** Makes the C library's malloc keep what the process frees for its next allocations instead of handing it back to
 * the system: blocks up to 32 MiB (glibc's largest M_MMAP_THRESHOLD) come from the heap, and the heap is not trimmed.
 * Stages allocate and free images and tensors of the same sizes over and over (each layer of a network, each
 * window batch, each pass); memory handed back has to be faulted in and zeroed again by the kernel on the next
 * use (on the 2-core benchmark machine `tessera segment` of a brain went from 1.77 to 1.27 s, `predict` of a
 * 512² image from 2.98 to 2.55 s, `rag-merge` and `knn apply` lost a quarter). Peak memory stays the same
 * (what is kept is reused); the memory is released when the process ends. Call once, first thing in main(): the
 * `tessera` launcher does. No effect outside glibc. */
void RetainFreedMemory();

/** A stage's run function from its 2D and 3D instantiations, chosen by the dimension of the
 * primary input: `s.run = RunByDimension<Run<2>, Run<3>>;` keeps one template for 2D and 3D. */
template <void (*F2)(StageContext &), void (*F3)(StageContext &)>
void
RunByDimension(StageContext & context)
{
  context.Dimension() == 2 ? F2(context) : F3(context);
}

/** The outputs of one run, committed together: folders that do not exist yet are made when the
 * run starts and removed again (when still empty) if it fails; nothing is moved into place until
 * every output is written. */
class OutputSet
{
public:
  /** Checks every output before any work: not an input, not named twice, a format that can be
   * written (by extension), a folder that exists or can be made. \throws Error naming the file. */
  OutputSet(const std::vector<std::string> & inputs, const std::vector<std::pair<std::string, PortKind>> & outputs,
            const std::vector<std::vector<std::string>> & extensions);
  ~OutputSet();
  OutputSet(const OutputSet &) = delete;
  OutputSet & operator=(const OutputSet &) = delete;
  /** Commits every pending output. */
  void Commit(std::vector<std::unique_ptr<AtomicOutput>> & pending);

private:
  std::vector<std::string> m_CreatedFolders;
  bool                     m_Committed = false;
};
} // namespace tessera

#include "tesseraStage.hxx"

#endif
