# All dependencies come from Debian 12 packages (scripts/install-deps.sh).
find_package(pegtl 3 CONFIG REQUIRED)
find_package(fmt 9 CONFIG REQUIRED)
find_package(nlohmann_json 3 CONFIG REQUIRED)
find_package(CLI11 2 CONFIG REQUIRED)
find_package(Catch2 2 CONFIG REQUIRED)
# yaml-cpp 0.7: the target is plain `yaml-cpp` (no namespace), and
# YAML_CPP_INCLUDE_DIR is empty, so link the target.
find_package(yaml-cpp 0.7 CONFIG REQUIRED)
# Commands start through rbk's own spawner and supervisors (posix_spawn,
# clone; interpreter/runtime/spawner.cpp): Boost.Process is no longer used.
find_package(PkgConfig REQUIRED)
# RE2 ships a pkg-config file on Debian, not a CMake package.
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
# Nettle for SHA-256 (interpreter/base/sha256.hpp says why not OpenSSL), from nettle-dev.
pkg_check_modules(NETTLE REQUIRED IMPORTED_TARGET nettle)
find_package(Threads REQUIRED)
# Boost.Beast (HTTP for `rbk serve`, interpreter/serve/http.cpp), header-only:
# Boost.System is header-only since 1.69, so nothing of Boost is linked.
find_package(Boost 1.81 CONFIG REQUIRED)
add_library(rbk_re2 INTERFACE)
add_library(rbk_crypto INTERFACE)

# Start-up: the kernel mapping each shared library and the loader resolving
# its symbols were half of `rbk --version`. What Debian also ships as a
# static archive is linked in: fmt header-only, RE2, yaml-cpp and Nettle here, and
# libstdc++ and libgcc into the executable (rbk_static_runtime below); libc
# stays shared. Off, or where an archive is missing, the shared libraries.
option(RBK_STATIC_DEPS "Link fmt, RE2, yaml-cpp and libstdc++ into rbk" ON)
add_library(rbk_fmt INTERFACE)
add_library(rbk_yaml INTERFACE)
if(RBK_STATIC_DEPS)
  find_library(RBK_RE2_ARCHIVE NAMES libre2.a)
  find_library(RBK_YAML_ARCHIVE NAMES libyaml-cpp.a)
  find_library(RBK_NETTLE_ARCHIVE NAMES libnettle.a)
endif()
if(RBK_STATIC_DEPS AND RBK_NETTLE_ARCHIVE)
  target_link_libraries(rbk_crypto INTERFACE ${RBK_NETTLE_ARCHIVE})
else()
  target_link_libraries(rbk_crypto INTERFACE PkgConfig::NETTLE)
endif()
if(RBK_STATIC_DEPS AND RBK_RE2_ARCHIVE)
  target_link_libraries(rbk_re2 INTERFACE ${RBK_RE2_ARCHIVE} Threads::Threads)
else()
  target_link_libraries(rbk_re2 INTERFACE PkgConfig::RE2)
endif()
if(RBK_STATIC_DEPS AND RBK_YAML_ARCHIVE)
  target_link_libraries(rbk_yaml INTERFACE ${RBK_YAML_ARCHIVE})
else()
  target_link_libraries(rbk_yaml INTERFACE yaml-cpp)
endif()
if(RBK_STATIC_DEPS)
  target_link_libraries(rbk_fmt INTERFACE fmt::fmt-header-only)
else()
  target_link_libraries(rbk_fmt INTERFACE fmt::fmt)
endif()

# libstdc++ and libgcc inside the executable; not under the sanitizers,
# whose runtimes expect the shared ones.
function(rbk_static_runtime target)
  if(RBK_STATIC_DEPS AND NOT RBK_SANITIZE AND NOT RBK_FUZZ AND NOT RBK_TSAN
     AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc)
  endif()
endfunction()
