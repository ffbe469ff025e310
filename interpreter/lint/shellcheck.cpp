// ShellCheck on shell literals.
//
// How the snippets reach ShellCheck: one ShellCheck process per call (a
// runbook's literals together, not one process each). Each snippet is written
// to a file named by its index in a private temporary directory (mkdtemp,
// mode 0700), whose path goes through the environment (RBK_SNIPPETS), never
// into shell source; the script is fixed:
//   cd "$RBK_SNIPPETS" && exec shellcheck --format=json1 --shell=sh -- *.sh
// and each finding names its file ("3.sh"), so it goes back to its snippet.
//
// Known names (parameters, secrets, captures…) are exported by rbk, so
// ShellCheck must not call them "referenced but not assigned" (SC2154). They
// are declared in an epilogue appended after the snippet:
//   <snippet>
//   <blank line: ends a trailing backslash continuation>
//   # shellcheck disable=SC2317
//   export a='' b=''
// SC2154 looks for an assignment anywhere in the script, so an epilogue
// suffices; `export` keeps SC2034 ("appears unused") quiet; the directive
// covers only that one command (no "unreachable" after a final `exit`). An
// epilogue rather than a prologue keeps line numbers as they are and keeps a
// directive on the snippet's first line applying to the whole snippet.
// Unknown names are still reported by ShellCheck as SC2154 (it knows what the
// snippet assigns itself). Findings inside the epilogue are dropped, except
// parse errors (SC1xxx), which are moved to the snippet's end.
//
// Positions: json1 reports 1-based lines and columns in code points, a tab
// counting as one (unlike --format=json, which expands tabs to 8), with an
// exclusive end column, the same units as a Span. See map_shell_position.
#include "interpreter/lint/shellcheck.hpp"
#include "interpreter/base/utf8.hpp"

#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string_view>
#include <system_error>

#include <nlohmann/json.hpp>

namespace rbk {
namespace {

constexpr const char* kNotFound =
    "shellcheck not found; install the 'shellcheck' package or pass --no-shellcheck";

bool valid_name(const std::string& s) {
  if (s.empty()) return false;
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (!alpha(s[0])) return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

/// Lines of `text` (split at '\n'; a text without a final newline still has
/// its last line; an empty text has one empty line).
std::vector<std::string_view> literal_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (true) {
    size_t e = text.find('\n', pos);
    if (e == std::string_view::npos) {
      lines.push_back(text.substr(pos));
      break;
    }
    lines.push_back(text.substr(pos, e - pos));
    pos = e + 1;
  }
  return lines;
}

/// Byte offset in the source of a (line, col) in the shell's text.
uint32_t source_offset(const ast::Shell& shell, const std::vector<std::string_view>& lines,
                       uint32_t line, uint32_t col) {
  const SourceFile& file = *shell.span.file;
  if (line < 1) line = 1, col = 1;
  if (line > lines.size()) {  // past the end: just after the text
    line = static_cast<uint32_t>(lines.size());
    col = UINT32_MAX;
  }
  std::string_view text_line = lines[line - 1];
  size_t in_line = utf8::byte_of_column(text_line, std::max<uint32_t>(col, 1));
  if (!shell.fenced) {
    // One line: the text starts right after the opening backtick.
    return static_cast<uint32_t>(shell.span.begin + 1 + in_line);
  }
  // Fenced: text line k is source line first_line + k - 1 with `indent`
  // blanks removed (fewer on a blank line shorter than the indent).
  uint32_t src_line = shell.first_line + line - 1;
  if (src_line > file.line_count()) return static_cast<uint32_t>(file.text().size());
  std::string_view src = file.line_text(src_line);
  size_t removed = std::min<size_t>(shell.indent, src.size());
  size_t off = std::min(removed + in_line, src.size());
  return file.line_start(src_line) + static_cast<uint32_t>(off);
}

Severity severity_of(const std::string& level) {
  if (level == "error") return Severity::Error;
  if (level == "warning") return Severity::Warning;
  return Severity::Note;  // info, style
}

uint32_t get_u32(const nlohmann::json& j, const char* key, uint32_t fallback) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return fallback;
  auto v = it->get<int64_t>();
  return v < 1 ? 1 : static_cast<uint32_t>(std::min<int64_t>(v, UINT32_MAX));
}

std::string first_line_of(std::string_view s) {
  size_t e = s.find('\n');
  std::string out(s.substr(0, e));
  while (!out.empty() && (out.back() == '\r' || out.back() == ' ')) out.pop_back();
  return out;
}

// A private temporary directory for one batch, removed with everything in it.
struct SnippetDir {
  std::string path;
  std::string error;
  bool create() {
    std::error_code ec;
    std::string pattern =
        (std::filesystem::temp_directory_path(ec) / "rbk-shellcheck-XXXXXX").string();
    if (ec) pattern = "/tmp/rbk-shellcheck-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      error = std::error_code(errno, std::generic_category()).message();
      return false;
    }
    path = pattern;
    return true;
  }
  bool write(const std::string& name, const std::string& text) {
    std::ofstream f(path + "/" + name, std::ios::binary);
    f << text;
    f.close();
    if (!f) error = "write failed";
    return static_cast<bool>(f);
  }
  ~SnippetDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

Span map_shell_position(const ast::Shell& shell, uint32_t line, uint32_t col, uint32_t end_line,
                        uint32_t end_col) {
  if (shell.span.file == nullptr) {
    // No source to measure: the arithmetic on lines and columns alone.
    Span s;
    if (shell.fenced) {
      s.line = shell.first_line + line - 1;
      s.col = col + shell.indent;
      s.end_line = shell.first_line + end_line - 1;
      s.end_col = end_col + shell.indent;
    } else {
      s.line = s.end_line = shell.span.line;
      s.col = shell.span.col + col;
      s.end_col = shell.span.col + end_col;
    }
    return s;
  }
  const auto lines = literal_lines(shell.text);
  uint32_t b = source_offset(shell, lines, line, col);
  uint32_t e = source_offset(shell, lines, end_line, end_col);
  return Span::of(*shell.span.file, b, std::max(b, e));
}

Expected<Diagnostics, std::string> shellcheck_snippets(const std::vector<ShellSnippet>& snippets,
                                                       CommandRunner& runner) {
  auto each = shellcheck_each(snippets, runner);
  if (!each) return fail(std::move(each.error()));
  Diagnostics out;
  for (Diagnostics& found : *each)
    for (Diagnostic& d : found) out.push_back(std::move(d));
  return out;
}

Expected<std::vector<Diagnostics>, std::string> shellcheck_each(
    const std::vector<ShellSnippet>& snippets, CommandRunner& runner) {
  std::vector<Diagnostics> out(snippets.size());
  std::vector<const ShellSnippet*> checked;  // index i is file "i.sh"
  std::vector<size_t> origin;                // checked[i] is snippets[origin[i]]
  for (size_t i = 0; i < snippets.size(); ++i) {
    const ShellSnippet& snip = snippets[i];
    if (snip.shell == nullptr) continue;
    if (snip.shell->text.find_first_not_of(" \t\r\n") == std::string::npos) continue;
    checked.push_back(&snip);
    origin.push_back(i);
  }
  if (checked.empty()) return out;

  SnippetDir dir;
  if (!dir.create()) {
    return fail("shellcheck skipped: cannot create a temporary directory: " + dir.error);
  }
  for (size_t i = 0; i < checked.size(); ++i) {
    std::string names;
    for (const std::string& n : checked[i]->known)
      if (valid_name(n)) names += " " + n + "=''";
    std::string input = checked[i]->shell->text;
    if (!names.empty()) input += "\n\n# shellcheck disable=SC2317\nexport" + names;
    input += "\n";
    if (!dir.write(std::to_string(i) + ".sh", input)) {
      return fail("shellcheck skipped: cannot write a temporary file: " + dir.error);
    }
  }

  CommandSpec spec;
  spec.script =
      "command -v shellcheck >/dev/null 2>&1 || exit 127\n"
      "cd \"$RBK_SNIPPETS\" && exec shellcheck --format=json1 --shell=sh -- *.sh";
  spec.env.emplace_back("RBK_SNIPPETS", dir.path);
  // A hang guard: ShellCheck takes milliseconds per literal.
  spec.timeout = std::chrono::seconds(30) + std::chrono::seconds(2) * checked.size();
  spec.grace = std::chrono::seconds(2);
  spec.capture_limit = size_t{64} << 20;
  CommandResult r = runner.run(spec, nullptr);

  if (r.spawn_failed || r.exit_code == 127) {
    return fail(std::string(kNotFound));
  }
  std::set<std::string> paths;
  for (const ShellSnippet* snip : checked)
    if (snip->shell->span.file != nullptr) paths.insert(snip->shell->span.file->path());
  std::string where;
  if (!paths.empty()) where = " in " + *paths.begin();
  if (paths.size() > 1) where += " and " + std::to_string(paths.size() - 1) + " other files";
  if (r.cancelled) {
    return fail("shellcheck was cancelled");
  }
  if (r.timed_out) {
    return fail("shellcheck timed out on the shell literals" + where);
  }
  nlohmann::json doc = nlohmann::json::parse(r.out.text, nullptr, false);
  if ((r.exit_code != 0 && r.exit_code != 1) || doc.is_discarded() || !doc.is_object() ||
      !doc.contains("comments") || !doc["comments"].is_array()) {
    std::string why = first_line_of(r.err.text);
    if (why.empty()) why = "exit status " + std::to_string(r.exit_code);
    return fail("shellcheck failed on the shell literals" + where + ": " + why);
  }

  for (const nlohmann::json& c : doc["comments"]) {
    if (!c.is_object()) continue;
    // "3.sh" is checked[3]; anything else is not ours.
    const std::string file = c.value("file", std::string());
    size_t index = 0;
    auto [end, ec] = std::from_chars(file.data(), file.data() + file.size(), index);
    if (ec != std::errc() || std::string_view(end, file.data() + file.size() - end) != ".sh" ||
        index >= checked.size())
      continue;
    const ast::Shell& shell = *checked[index]->shell;
    const auto n_lines = static_cast<uint32_t>(literal_lines(shell.text).size());
    int64_t code = c.value("code", int64_t{0});
    uint32_t line = get_u32(c, "line", 1);
    uint32_t col = get_u32(c, "column", 1);
    uint32_t end_line = get_u32(c, "endLine", line);
    uint32_t end_col = get_u32(c, "endColumn", col);
    if (line > n_lines) {
      if (code >= 2000) continue;  // about the epilogue, not the snippet
      // A parse error found only at the end (an unclosed quote…).
      line = end_line = n_lines;
      col = end_col = UINT32_MAX;
    } else if (end_line > n_lines) {
      end_line = n_lines;
      end_col = UINT32_MAX;
    }
    Diagnostic d;
    d.severity = severity_of(c.value("level", std::string("warning")));
    d.span = map_shell_position(shell, line, col, end_line, end_col);
    d.code = "RBK401";
    std::string sc = "SC" + std::to_string(code);
    d.message = sc + ": " + first_line_of(c.value("message", std::string()));
    d.help = "see https://www.shellcheck.net/wiki/" + sc;
    if (shell.span.file != nullptr) {
      d.file_owner = shell.span.file->weak_from_this().lock();
      d.path = shell.span.file->path();
    }
    // Each literal's findings in ShellCheck's order; the literals in theirs
    // (ShellCheck takes the files in the glob's order, "10.sh" before "2.sh").
    out[origin[index]].push_back(std::move(d));
  }
  return out;
}

}  // namespace rbk
