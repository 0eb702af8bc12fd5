#ifndef tesseraCNNImageFilter_h
#define tesseraCNNImageFilter_h

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "itkImageToImageFilter.h"
#include "tesseraImageTypes.h"
#include "tesseraLabelTable.h"
#include "tesseraTilePlacement.h"

/** \file The CNN as an ITK filter (DESIGN.md, "Learned stage"); this header is free of LibTorch
 * headers, so composing a CNN with other filters costs no torch compile time. */
namespace tessera
{
/** A trained network with everything inference needs: the network (a Tessera model file or a
 * TorchScript module), the input normalisation, input scale, training window and the label
 * table of its classes. Opaque here; made by LoadCNNModel() / LoadTorchScriptCNNModel(). */
struct CNNModel;

/** Loads a model file written by `tessera train`. \throws Error(path, ...). */
std::shared_ptr<const CNNModel> LoadCNNModel(const std::string & path);

/** What a TorchScript module needs besides its file: its classes and normalisation. */
struct TorchScriptModelOptions
{
  LabelTable           labels;        ///< one label per output channel, in ascending label order
  unsigned int         dimension = 2; ///< 2 or 3
  std::vector<double>  mean{ 0.0 };   ///< per input channel (one value: all channels)
  std::vector<double>  std{ 1.0 };
  std::vector<int64_t> window;        ///< (D,) H, W inference window; empty = the whole image
  int64_t              sizeMultiple = 32;
};
/** Loads a TorchScript module exported from PyTorch (forward: [N, C, ...] → logits [N, K, ...]).
 * \throws Error(path, ...) for an unreadable module or inconsistent options. */
std::shared_ptr<const CNNModel> LoadTorchScriptCNNModel(const std::string & path,
                                                        const TorchScriptModelOptions & options);

/** Input channels, dimension, default window and class table of a model. */
int                          CNNModelChannels(const CNNModel & model);
unsigned int                 CNNModelDimension(const CNNModel & model);
const std::vector<int64_t> & CNNModelWindow(const CNNModel & model);
/** The model's classes: distinct output labels, ascending (classes sharing a label are merged). */
LabelTable CNNModelLabels(const CNNModel & model);

/** What a tiled run (`--ram`) needs to know of one CNNImageFilter run on a 2D tile. */
struct CNNTiling
{
  unsigned int halo = 0;          ///< pixels: the widest window, rounded up to the network's size multiple
  double       bytesPerPixel = 0; ///< per pixel of a tile read (input, blended probabilities, outputs)
  double       fixedBytes = 0;    ///< LibTorch, the weights and one batch of windows' activations
  std::string  refusal;           ///< why the model cannot run tiled ("" when it can)
};
/** CNNTiling of `model` for windows of `window` pixels (empty: the model's), `batch` windows per
 * pass and `channels` input channels (they count in bytesPerPixel only). The activations are estimated from the first layer's width
 * (8 of its feature maps per window pixel, as a U-Net's skips and decoder keep). */
CNNTiling CNNModelTiling(const CNNModel & model, const std::vector<int64_t> & window, int batch, unsigned int channels);

/** \class CNNImageFilter
 * \brief Per-class probabilities of a segmentation network: VectorImage<D> (intensities, as many
 * channels as the model takes) → ProbabilityImage<D>, one component per class of the model's
 * label table (CNNModelLabels(), carried by the output), on the input's grid.
 *
 * The model's normalisation ((x − mean) / std per channel) and input scale are applied, the image
 * is tiled into overlapping windows whose softmax outputs are blended with Gaussian weights (as
 * nnU-Net and MONAI do), optionally averaged over test-time augmentation (2D: the 8 rotations and
 * flips; 3D: the 8 axis flips), and resampled back. Output 1 (GetLabelOutput()) is the most
 * probable label. Runs on CUDA when available (device "auto") or as asked.
 * \throws Error when no model is set, the channels or dimension do not match, options are out
 * of range (window < 8 pixels per axis, overlap outside [0, 0.95], batch < 1), or a tile is
 * given (SetPlacement) to a model with an input scale ≠ 1.
 * \sa PottsMRFImageFilter, which takes these probabilities. */
template <unsigned int VDimension>
class CNNImageFilter : public itk::ImageToImageFilter<VectorImage<VDimension>, ProbabilityImage<VDimension>>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(CNNImageFilter);
  static constexpr unsigned int ImageDimension = VDimension;
  using Self = CNNImageFilter;
  using Superclass = itk::ImageToImageFilter<VectorImage<VDimension>, ProbabilityImage<VDimension>>;
  using Pointer = itk::SmartPointer<Self>;
  itkNewMacro(Self);
  itkTypeMacro(CNNImageFilter, ImageToImageFilter);

  void SetModel(std::shared_ptr<const CNNModel> model) { m_Model = std::move(model); this->Modified(); }
  /** Window (D,) H, W in pixels; empty = the model's training window. */
  void SetWindow(const std::vector<int64_t> & window) { m_Window = window; this->Modified(); }
  /** Overlap of neighbouring windows, fraction in [0, 0.95]; default 0.5. */
  itkSetMacro(Overlap, double);
  itkGetConstMacro(Overlap, double);
  itkSetMacro(TestTimeAugmentation, bool);
  itkGetConstMacro(TestTimeAugmentation, bool);
  /** Windows per forward pass; default 4. */
  itkSetMacro(BatchSize, int);
  itkGetConstMacro(BatchSize, int);
  /** "auto" (CUDA when available), "cpu" or "cuda"; default "auto". */
  void SetDevice(const std::string & device) { m_Device = device; this->Modified(); }
  /** LibTorch intra-op threads; 0 = all cores (default). */
  itkSetMacro(Threads, unsigned int);
  /** The input is one tile of a larger image (tiled runs): windows are placed on the whole image's
   * grid, so the kept part's probabilities are the untiled run's (InferenceOptions::placement). */
  void SetPlacement(const TilePlacement & placement) { m_Placement = placement; this->Modified(); }

  LabelImage<VDimension> * GetLabelOutput();

  using Superclass::MakeOutput;
  itk::ProcessObject::DataObjectPointer MakeOutput(itk::ProcessObject::DataObjectPointerArraySizeType index) override;

protected:
  CNNImageFilter();
  ~CNNImageFilter() override = default;
  void GenerateOutputInformation() override;
  void EnlargeOutputRequestedRegion(itk::DataObject * output) override;
  void GenerateData() override;
  void PrintSelf(std::ostream & os, itk::Indent indent) const override;

private:
  std::shared_ptr<const CNNModel> m_Model;
  std::vector<int64_t>            m_Window;
  double                          m_Overlap = 0.5;
  bool                            m_TestTimeAugmentation = false;
  int                             m_BatchSize = 4;
  std::string                     m_Device = "auto";
  unsigned int                    m_Threads = 0;
  TilePlacement                   m_Placement;
};

extern template class CNNImageFilter<2>;
extern template class CNNImageFilter<3>;
} // namespace tessera

#endif
