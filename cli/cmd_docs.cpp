// `rbk completion bash|zsh|fish` prints a completion script; `rbk __man DIR`
// (internal: the build runs it) writes the man pages into DIR. Both come
// from the parser's own definition (cli_model.hpp).
#include "cli/cli_model.hpp"
#include "cli/commands.hpp"
#include "cli/terminal.hpp"
#include "interpreter/base/fd.hpp"

namespace rbk::cli {

int run_completion(const CliSpec& spec, const std::string& shell) {
  write(stdout, completion_script(spec, shell));
  return kExitOk;
}

int run_man(const CliSpec& spec, const std::string& dir) {
  for (const auto& [name, text] : man_pages(spec)) {
    auto written = write_atomically(dir + "/" + name, text);
    if (!written) {
      write(stderr, "rbk: error: " + dir + "/" + name + ": " + written.error() + "\n");
      return kExitUsage;
    }
  }
  return kExitOk;
}

}  // namespace rbk::cli
