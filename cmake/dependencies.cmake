# All dependencies come from Debian 12 packages (scripts/install-deps.sh).
find_package(pegtl 3 CONFIG REQUIRED)
find_package(fmt 9 CONFIG REQUIRED)
find_package(nlohmann_json 3 CONFIG REQUIRED)
find_package(CLI11 2 CONFIG REQUIRED)
find_package(Catch2 2 CONFIG REQUIRED)
# yaml-cpp 0.7: the target is plain `yaml-cpp` (no namespace), and
# YAML_CPP_INCLUDE_DIR is empty, so link the target.
find_package(yaml-cpp 0.7 CONFIG REQUIRED)
# Boost.Process v2 (header-only in 1.81) for the command runner; it needs
# Boost.Filesystem (-DBOOST_PROCESS_USE_STD_FS does not compile with 1.81).
find_package(Boost 1.81 REQUIRED COMPONENTS filesystem)
find_package(PkgConfig REQUIRED)
# RE2 ships a pkg-config file on Debian, not a CMake package.
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
add_library(rbk_re2 INTERFACE)
target_link_libraries(rbk_re2 INTERFACE PkgConfig::RE2)
