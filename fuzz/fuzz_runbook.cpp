// Fuzz target: a runbook through parse, check and the formatter. Bad input
// may only give diagnostics; a runbook that parses must format to text that
// parses to the same AST (the guard `rbk fmt` applies), and formatting that
// text again must change nothing.
#include <memory>
#include <string>

#include "fuzz_support.hpp"
#include "grammar/parse.hpp"
#include "interpreter/base/diff.hpp"
#include "interpreter/sema/check.hpp"
#include "interpreter/sema/file_modules.hpp"
#include "interpreter/sema/module_loader.hpp"
#include "interpreter/syntax/format.hpp"

namespace {

std::string rendered(const rbk::Diagnostics& ds) {
  std::string out;
  for (const auto& d : ds) out += rbk::render(d);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rbk;
  const std::string text(reinterpret_cast<const char*>(data), size);
  ParseResult r = parse(std::make_shared<SourceFile>("fuzz.rbk", text));
  fuzz::expect_clear(r.diagnostics, "parse");
  if (!r.document || has_errors(r.diagnostics)) return 0;

  // Imports resolve as `rbk check` resolves them (stdlib/… from the source
  // tree); a fresh loader per input, so no input depends on an earlier one.
  FileModuleLoader modules;
  fuzz::expect_clear(check(*r.document, &modules), "check");

  const std::string formatted = format_document(*r.document);
  ParseResult again = parse(std::make_shared<SourceFile>("fuzz.rbk", formatted));
  if (!again.document || has_errors(again.diagnostics))
    fuzz::fail("the formatted runbook does not parse",
               "--- formatted\n" + formatted + "--- diagnostics\n" + rendered(again.diagnostics));
  if (!same_meaning(*r.document, *again.document))
    fuzz::fail("formatting changed the runbook's meaning", "--- formatted\n" + formatted);
  const std::string twice = format_document(*again.document);
  if (twice != formatted)
    fuzz::fail("formatting is not idempotent", unified_diff(formatted, twice, "fuzz.rbk"));
  return 0;
}
