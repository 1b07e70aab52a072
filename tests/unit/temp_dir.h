#pragma once
// A fresh folder under /tmp for a unit test, removed with everything in it when the test ends.
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace roux::testing {

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/roux-unit-XXXXXX";
    path = ::mkdtemp(t);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace roux::testing
