#include "tesseraTransformFile.h"

#include <filesystem>
#include <fstream>
#include <mutex>

#include "itkBSplineTransform.h"
#include "itkDisplacementFieldTransform.h"
#include "itkMatlabTransformIOFactory.h"
#include "itkMatrixOffsetTransformBase.h"
#include "itkTransformFactory.h"
#include "itkTransformFileReader.h"
#include "itkTransformFileWriter.h"
#include "itkTxtTransformIOFactory.h"
#include "tesseraError.h"
#include "tesseraImageIO.h"
#include "tesseraStage.h"

namespace tessera
{
namespace
{
/** The transforms ITK's factory does not know by default (displacement fields, B-splines), and the
 * transform file formats for `path`: text and Matlab here, HDF5 from module TesseraExtraIO. */
void
RegisterTransforms(const std::string & path)
{
  const std::string ext = SplitExtension(path).second;
  if (ext == ".h5" || ext == ".hdf5")
  {
    RegisterExtraIOFactories();
  }
  static std::once_flag once;
  std::call_once(once, [] {
    itk::TxtTransformIOFactory::RegisterOneFactory();
    itk::MatlabTransformIOFactory::RegisterOneFactory();
    itk::TransformFactoryBase::RegisterDefaultTransforms();
    itk::TransformFactory<itk::DisplacementFieldTransform<double, 2>>::RegisterTransform();
    itk::TransformFactory<itk::DisplacementFieldTransform<double, 3>>::RegisterTransform();
    itk::TransformFactory<itk::BSplineTransform<double, 2, 3>>::RegisterTransform();
    itk::TransformFactory<itk::BSplineTransform<double, 3, 3>>::RegisterTransform();
    // ANTs writes linear stages under their base class name.
    itk::TransformFactory<itk::MatrixOffsetTransformBase<double, 2, 2>>::RegisterTransform();
    itk::TransformFactory<itk::MatrixOffsetTransformBase<double, 3, 3>>::RegisterTransform();
  });
}

std::string
Extension(const std::string & path)
{
  const auto [stem, ext] = SplitExtension(path);
  (void)stem;
  return ext;
}
} // namespace

bool
IsTransformFileName(const std::string & path)
{
  const std::string ext = Extension(path);
  return ext == ".h5" || ext == ".hdf5" || ext == ".tfm" || ext == ".txt" || ext == ".mat";
}

template <unsigned int D>
typename itk::CompositeTransform<double, D>::Pointer
ReadTransformFile(const std::string & path)
{
  RegisterTransforms(path);
  if (!IsTransformFileName(path))
  {
    throw Error(path, "is not a transform file (expected .h5, .hdf5, .tfm, .txt or .mat)");
  }
  const std::string ext = Extension(path);
  {
    std::ifstream file(path, std::ios::binary);
    if (!file)
    {
      throw Error(path, std::filesystem::exists(path) ? "cannot be opened" : "no such file");
    }
    // HDF5's own error stack would flood stderr: check the signature first.
    char signature[8] = {};
    file.read(signature, 8);
    if ((ext == ".h5" || ext == ".hdf5") && std::string(signature, 8) != std::string("\x89HDF\r\n\x1a\n", 8))
    {
      throw Error(path, "is not an HDF5 file");
    }
  }
  auto reader = itk::TransformFileReaderTemplate<double>::New();
  reader->SetFileName(path);
  try
  {
    reader->Update();
  }
  catch (const itk::ExceptionObject & e)
  {
    throw Error(path, "cannot be read as a transform: " + FirstLine(e.GetDescription()));
  }
  catch (const std::exception &)
  {
    // ITK's text transform reader fails on damaged files with bare std::string errors.
    throw Error(path, "cannot be read as a transform (damaged, or not an ITK transform file)");
  }
  auto composite = itk::CompositeTransform<double, D>::New();
  const auto * list = reader->GetTransformList();
  if (list->empty())
  {
    throw Error(path, "holds no transform");
  }
  for (const auto & t : *list)
  {
    if (t->GetInputSpaceDimension() != D || t->GetOutputSpaceDimension() != D)
    {
      throw Error(path, "holds a " + std::to_string(t->GetInputSpaceDimension()) + "D transform (" +
                          t->GetNameOfClass() + "), not " + std::to_string(D) + "D");
    }
    auto * typed = dynamic_cast<itk::Transform<double, D, D> *>(t.GetPointer());
    if (!typed)
    {
      throw Error(path, std::string("holds a transform Tessera cannot apply: ") + t->GetNameOfClass());
    }
    composite->AddTransform(typed);
  }
  // A composite stored as one transform: use it directly (its own order).
  if (composite->GetNumberOfTransforms() == 1)
  {
    if (auto * inner = dynamic_cast<itk::CompositeTransform<double, D> *>(composite->GetNthTransform(0).GetPointer()))
    {
      return inner;
    }
  }
  composite->FlattenTransformQueue();
  return composite;
}

template <unsigned int D>
void
WriteTransformFile(const itk::CompositeTransform<double, D> * transform, const std::string & path)
{
  RegisterTransforms(path);
  const std::string ext = Extension(path);
  if (!IsTransformFileName(path))
  {
    throw Error(path, "is not a transform file name (expected .h5, .hdf5, .tfm, .txt or .mat)");
  }
  const bool text = ext == ".tfm" || ext == ".txt" || ext == ".mat";
  for (unsigned int i = 0; text && i < transform->GetNumberOfTransforms(); ++i)
  {
    if (transform->GetNthTransform(i)->GetTransformCategory() == itk::TransformBaseTemplateEnums::TransformCategory::DisplacementField)
    {
      throw Error(path, "a dense displacement field needs an HDF5 transform file (.h5)");
    }
  }
  auto writer = itk::TransformFileWriterTemplate<double>::New();
  writer->SetFileName(path);
  // One transform is written alone (a Matlab .mat holds exactly one, as ANTs writes them).
  if (transform->GetNumberOfTransforms() == 1)
  {
    writer->SetInput(transform->GetNthTransform(0));
  }
  else if (ext == ".mat")
  {
    throw Error(path, "a Matlab transform file holds one transform; this chain has " +
                        std::to_string(transform->GetNumberOfTransforms()) + " (use .h5)");
  }
  else
  {
    writer->SetInput(transform);
  }
  try
  {
    writer->Update();
  }
  catch (const itk::ExceptionObject & e)
  {
    throw Error(path, "cannot be written: " + FirstLine(e.GetDescription()));
  }
}

template itk::CompositeTransform<double, 2>::Pointer ReadTransformFile<2>(const std::string &);
template itk::CompositeTransform<double, 3>::Pointer ReadTransformFile<3>(const std::string &);
template void WriteTransformFile<2>(const itk::CompositeTransform<double, 2> *, const std::string &);
template void WriteTransformFile<3>(const itk::CompositeTransform<double, 3> *, const std::string &);
} // namespace tessera
