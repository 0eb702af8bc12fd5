// Module TesseraExtraIO: ITK's IO whose libraries are heavy to load (GDCM, HDF5, MINC: 10–20 MB
// and tens of milliseconds each), registered by RegisterExtraIOFactories (tesseraImageIO.h) only
// when a file needs them.
#include "itkGDCMImageIOFactory.h"
#include "itkHDF5ImageIOFactory.h"
#include "itkHDF5TransformIOFactory.h"
#include "itkMINCImageIOFactory.h"

extern "C" void
tesseraRegisterExtraIOFactories()
{
  itk::GDCMImageIOFactory::RegisterOneFactory();
  itk::HDF5ImageIOFactory::RegisterOneFactory();
  itk::MINCImageIOFactory::RegisterOneFactory();
  itk::HDF5TransformIOFactory::RegisterOneFactory();
}
