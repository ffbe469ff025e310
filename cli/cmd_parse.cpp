// `rbk parse FILE --ast`
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/terminal.hpp"
#include "grammar/parse.hpp"
#include "interpreter/base/json_text.hpp"
#include "interpreter/syntax/ast_json.hpp"

namespace rbk::cli {

int run_parse(const ParseOptions& opts) {
  auto file = SourceFile::load(opts.path);
  if (!file) {
    write(stderr, "rbk: error: " + opts.path + ": " + file.error() + "\n");
    return kExitUsage;
  }
  ParseResult r = parse(*file);
  if (!r.document) {
    print_diagnostics(r.diagnostics);
    return kExitFindings;
  }
  if (opts.ast) write(stdout, json_text(to_json(*r.document), 2) + "\n");
  return kExitOk;
}

}  // namespace rbk::cli
