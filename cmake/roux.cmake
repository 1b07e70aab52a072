# Shared build settings: one warnings target linked by everything (osquery's habit).
add_library(roux_warnings INTERFACE)
target_compile_options(roux_warnings INTERFACE -Wall -Wextra -Wno-missing-field-initializers)
# NOTE: g++ 12's -Wrestrict/-Wstringop-overflow fire false positives inside libstdc++ for
# `"literal" + std::string` once inlined at -O2/-O3 (GCC bug 105329, fixed in 13). They are noise
# here, and with -Werror in CI they would fail the build.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(roux_warnings INTERFACE -Wno-restrict -Wno-stringop-overflow)
endif()
if(DEFINED ENV{CI})
  target_compile_options(roux_warnings INTERFACE -Werror)
endif()
if(ROUX_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(ROUX_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread)
  add_link_options(-fsanitize=thread)
endif()

# roux_library(NAME DIR DEPS...): a static library of DIR/*.cc (tests excluded), public include
# root src/ (so includes read "base/status.h") and resources/ for the registry.
function(roux_library name dir)
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${dir}/*.cc)
  list(FILTER srcs EXCLUDE REGEX "_test\\.cc$")
  add_library(${name} STATIC ${srcs})
  target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/src ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARGN} PRIVATE roux_warnings)
endfunction()
