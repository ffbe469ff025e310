// One diagnostic format for the whole tool: parse errors, check errors and,
// later, lint findings all become a Diagnostic and render the same way.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "interpreter/base/source.hpp"

namespace rbk {

/// How serious a diagnostic is; only errors make `rbk check` fail.
enum class Severity { Error, Warning, Note };

/// A message about a place in a source file, with an optional fix hint.
struct Diagnostic {
  Severity severity = Severity::Error;
  Span span;            // where; the caret goes under span.begin, '~' under the rest
  std::string message;  // one line, no trailing period
  std::string help;     // optional: printed as "help: …"
  std::string code;     // optional rule id (lint), e.g. "RBK101"
  std::string path;     // used when span has no file (e.g. an unreadable file)
  /// Keeps span.file alive as long as the diagnostic (set by error_at when
  /// the file is owned by a shared_ptr): a diagnostic can outlive the parse.
  std::shared_ptr<const SourceFile> file_owner;
};

/// Collects diagnostics in the order they were found.
using Diagnostics = std::vector<Diagnostic>;

/// Convenience constructor for an error at a span.
Diagnostic error_at(const Span& span, std::string message, std::string help = {});

/// The error for the byte at `at` that first_bad_text_byte() found in
/// `file` (a NUL, or invalid UTF-8), its help naming `kind` ("runbooks").
Diagnostic bad_text_error(const SourceFile& file, size_t at, std::string_view kind);

/// "error", "warning" or "note".
const char* severity_name(Severity s);

/// Renders `path:line:col: error: message`, the source line, a caret line
/// (`^` then `~` under the rest of the span on that line) and `help: …`.
/// Colour codes are added only when `color` is set (the CLI decides).
std::string render(const Diagnostic& d, bool color = false);

/// The JSON form used by `--format json`.
nlohmann::json to_json(const Diagnostic& d);

/// Loads a source file (a regular file of at most `max_bytes`); when it
/// cannot be read, appends a diagnostic naming the path and returns nullptr.
std::shared_ptr<SourceFile> load_source(const std::string& path, Diagnostics& errors,
                                        size_t max_bytes = kMaxRunbookBytes);

/// True when any diagnostic is an error.
bool has_errors(const Diagnostics& ds);

}  // namespace rbk
