// `rbk version [--format text|json]`: the version, and in JSON how this rbk
// was built and with which libraries, for a bug report or an inventory of
// installed tools. Library versions come from their own version macros where
// they have them (so they are the headers rbk was compiled against), else
// from CMake at configure time (generated/build_info.hpp).
#include <gnu/libc-version.h>
#include <nettle/version.h>

#include <fmt/core.h>
#include <CLI/Version.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <tao/pegtl/version.hpp>

#include "build_info.hpp"
#include "cli/commands.hpp"
#include "cli/terminal.hpp"
#include "interpreter/base/json_text.hpp"

namespace rbk::cli {

namespace {

/// The compiler that built rbk, as its own macros name it.
std::string compiler() {
#if defined(__clang__)
  std::string v = "clang " __clang_version__;
#elif defined(__GNUC__)
  std::string v = "gcc " __VERSION__;
#else
  std::string v = "unknown";
#endif
  while (!v.empty() && v.back() == ' ') v.pop_back();  // clang's ends in a space
  return v;
}

/// MAJOR.MINOR.PATCH of the numbers a library's macros give.
std::string dotted(int major, int minor, int patch) {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

}  // namespace

int run_version(const VersionOptions& opts) {
  if (opts.format != "json") {
    write(stdout, std::string("rbk ") + RBK_VERSION + "\n");
    return kExitOk;
  }
  const nlohmann::json libraries = {
      {"cli11", CLI11_VERSION},
      {"fmt", dotted(FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100)},
      // libc is always a shared object: the version rbk runs with, not built with.
      {"glibc", gnu_get_libc_version()},
      {"nettle", std::to_string(NETTLE_VERSION_MAJOR) + "." + std::to_string(NETTLE_VERSION_MINOR)},
      {"nlohmann_json", dotted(NLOHMANN_JSON_VERSION_MAJOR, NLOHMANN_JSON_VERSION_MINOR,
                               NLOHMANN_JSON_VERSION_PATCH)},
      {"pegtl", TAO_PEGTL_VERSION},
      {"re2", RBK_RE2_VERSION},
      {"yaml-cpp", RBK_YAML_CPP_VERSION},
  };
  write(stdout, json_text({{"version", RBK_VERSION},
                           {"git_describe", RBK_GIT_DESCRIBE},
                           {"build_type", RBK_BUILD_TYPE},
                           {"compiler", compiler()},
                           {"libraries", libraries}},
                          2) +
                    "\n");
  return kExitOk;
}

}  // namespace rbk::cli
