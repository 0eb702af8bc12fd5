#include "tesseraModuleLoader.h"

#include <dlfcn.h>
#include <filesystem>
#include <map>
#include <mutex>

#include "tesseraError.h"

namespace tessera
{
namespace
{
/** The folder of the library holding this code: modules are built beside it. */
std::filesystem::path
ModuleFolder()
{
  Dl_info info{};
  if (dladdr(reinterpret_cast<void *>(&ModuleSymbol), &info) == 0 || info.dli_fname == nullptr)
  {
    return {};
  }
  return std::filesystem::path(info.dli_fname).parent_path();
}
} // namespace

void *
ModuleSymbol(const std::string & module, const std::string & symbol)
{
  static std::mutex                    mutex;
  static std::map<std::string, void *> handles;
  std::lock_guard<std::mutex>          lock(mutex);
  void *&                              handle = handles[module];
  if (!handle)
  {
    const std::string file = (ModuleFolder() / ("lib" + module + ".so")).string();
    handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
    {
      const char * why = dlerror();
      throw Error(module, std::string("module cannot be loaded: ") + (why ? why : file));
    }
  }
  dlerror();
  void * address = dlsym(handle, symbol.c_str());
  if (!address)
  {
    const char * why = dlerror();
    throw Error(module, "module lacks " + symbol + (why ? std::string(": ") + why : std::string()));
  }
  return address;
}

std::function<void(StageContext &)>
ModuleRun(const std::string & module, const std::string & symbol)
{
  return [module, symbol](StageContext & context) { ModuleFunction<void(StageContext &)>(module, symbol)(context); };
}
} // namespace tessera
