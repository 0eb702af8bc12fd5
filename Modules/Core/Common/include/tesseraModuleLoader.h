#ifndef tesseraModuleLoader_h
#define tesseraModuleLoader_h

#include <functional>
#include <string>

/** \file Modules loaded on first use. LibTorch, OpenCV (with the BLAS and LAPACK its core binds)
 * and ITK's DICOM, HDF5 and MINC IO take 0.01–0.4 s and 6–110 MB to load; the stages, figures and
 * file formats that need them load the
 * shared library that holds them the first time they run, so every other command starts in a few
 * milliseconds (Documentation/Benchmarks/WholeCommand.md). Modules are looked up beside
 * libTesseraCommon.so (the build's lib/ folder). */
namespace tessera
{
class StageContext;

/** The address of extern "C" `symbol` in module `module` ("TesseraLearning" →
 * lib/libTesseraLearning.so), loaded on the first call and kept for the process.
 * \throws Error(module, ...) when the library cannot be loaded or lacks the symbol. */
void * ModuleSymbol(const std::string & module, const std::string & symbol);

/** ModuleSymbol as a function pointer of type F (e.g. `void(StageContext &)`). */
template <typename F>
F *
ModuleFunction(const std::string & module, const std::string & symbol)
{
  return reinterpret_cast<F *>(ModuleSymbol(module, symbol));
}

/** A stage's run function that calls `extern "C" void symbol(StageContext &)` of `module`: the
 * stage is described (help, checks, pipelines) without loading the module. */
std::function<void(StageContext &)> ModuleRun(const std::string & module, const std::string & symbol);
} // namespace tessera

#endif
