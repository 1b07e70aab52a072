#include "libs/dynlib.h"

#include <dlfcn.h>

#include <string>

namespace roux::libs {

Status load_library(const char* soname, const char* package,
                    std::initializer_list<std::pair<const char*, void**>> symbols) {
  void* handle = dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return Status::internal(std::string("cannot load ") + soname + " (" + (why ? why : "not found") +
                            "); install the Debian package " + package);
  }
  for (const auto& [name, slot] : symbols) {
    *slot = dlsym(handle, name);
    if (*slot == nullptr)
      return Status::internal(std::string(soname) + " has no function " + name + "; install the Debian package " +
                              package + " that roux was built against");
  }
  return Status::ok();  // the handle stays open for the life of the process
}

}  // namespace roux::libs
