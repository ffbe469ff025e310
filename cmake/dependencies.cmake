# All dependencies come from Debian 12 packages (scripts/install-deps.sh).
find_package(pegtl 3 CONFIG REQUIRED)
find_package(fmt 9 CONFIG REQUIRED)
find_package(nlohmann_json 3 CONFIG REQUIRED)
find_package(CLI11 2 CONFIG REQUIRED)
find_package(Catch2 2 CONFIG REQUIRED)
find_package(PkgConfig REQUIRED)
# RE2 ships a pkg-config file on Debian, not a CMake package.
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
add_library(rbk_re2 INTERFACE)
target_link_libraries(rbk_re2 INTERFACE PkgConfig::RE2)
