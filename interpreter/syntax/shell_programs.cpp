// The shell analysis, continued: programs that run shell code written in
// their own arguments — sed's `e`, script -c, tar --to-command, dc's `!`,
// make --eval — and start-stop-daemon, which starts the program it names.
// Literal code is analysed like `sh -c 'literal'`; what rbk cannot read is
// reported, so the command is gated like a destructive one. The clients
// (psql, ssh, git, gdb, vim) are in shell_clients.cpp.
#include <algorithm>
#include <cctype>
#include <cstring>

#include "interpreter/syntax/shell_options.hpp"
#include "interpreter/syntax/shell_parser.hpp"

namespace rbk::shell_detail {

namespace {

// ---------------------------------------------------------------- sed

/// What a sed script runs: `e COMMAND` (a shell command), `e` alone or the
/// `e` flag of `s` (the pattern space as a command), or a script rbk could
/// not read.
struct SedRuns {
  std::vector<std::pair<size_t, size_t>> commands;  // offset, length of each `e COMMAND`
  bool pattern_space = false;
  bool unreadable = false;
};

/// Steps over a delimited part (`/re/` or the parts of `s` and `y`) from
/// just after its opening delimiter; npos when it does not end.
size_t sed_delimited(const std::string& t, size_t i, char delim) {
  for (; i < t.size(); ++i) {
    if (t[i] == '\\') {
      ++i;
      continue;
    }
    if (t[i] == delim) return i + 1;
  }
  return std::string::npos;
}

/// The end of a shell expansion written in a sed address — `$NAME`, `$1`,
/// `${…}`, `$((…))` — from its `$`; `i` when there is none. Its value is
/// read as a line number, as `s/$OLD/$NEW/` reads the values as text.
size_t sed_expansion(const std::string& t, size_t i) {
  if (i + 1 >= t.size() || t[i] != '$') return i;
  const char d = t[i + 1];
  if (d == '{' || (d == '(' && i + 2 < t.size() && t[i + 2] == '(')) {
    const char open = d, close = d == '{' ? '}' : ')';
    int level = 0;
    for (size_t j = i + 1; j < t.size(); ++j) {
      if (t[j] == open) ++level;
      if (t[j] == close && --level == 0) return j + 1;
    }
    return std::string::npos;
  }
  if (std::isdigit(static_cast<unsigned char>(d))) return i + 2;
  if (!std::isalpha(static_cast<unsigned char>(d)) && d != '_') return i;
  size_t e = i + 1;
  while (e < t.size() && (std::isalnum(static_cast<unsigned char>(t[e])) || t[e] == '_')) ++e;
  return e;
}

/// Whether a sed command may start at `i` (after an address and its `!`).
bool sed_command_follows(const std::string& t, size_t i) {
  while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '!')) ++i;
  return i < t.size() && (t[i] == ',' || std::strchr("{}=dDgGhHnNpPxzFqQlLaicrRwW:btTves", t[i]));
}

/// Steps over one address (`12`, `$`, `/re/I`, `\%re%`, `first~step`); in
/// a word that expands, also a shell expansion (`${first}`, `$((n+1))`).
size_t sed_address(const std::string& t, size_t i, bool expands) {
  if (expands && i < t.size() && t[i] == '$') {
    size_t e = sed_expansion(t, i);
    // `"\$p"` reads `$p` too: when no command follows the name, it is `$`
    // (the last line) and a one-letter command.
    const bool literal = e != std::string::npos && e == i + 2 && !sed_command_follows(t, e) &&
                         std::strchr("=dDgGhHnNpPxzF", t[i + 1]);
    if (e != i && !literal) return e;
  }
  if (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) {
    while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '~')) ++i;
    return i;
  }
  if (i < t.size() && t[i] == '$') return i + 1;
  if (i < t.size() && (t[i] == '/' || t[i] == '\\')) {
    char delim = t[i] == '/' ? '/' : (i + 1 < t.size() ? t[i + 1] : '\0');
    i = sed_delimited(t, i + (t[i] == '/' ? 1 : 2), delim);
    while (i != std::string::npos && i < t.size() && (t[i] == 'I' || t[i] == 'M')) ++i;
  }
  return i;
}

/// The end of a text argument (a, i, c): to the end of the line, and on
/// while a line ends with a backslash.
size_t sed_text_end(const std::string& t, size_t i) {
  while (true) {
    size_t e = line_end(t, i);
    if (e == t.size() || e == 0 || t[e - 1] != '\\') return e;
    i = e + 1;
  }
}

/// The flags of `s///` from `i`: `e` runs the result; `w FILE` ends the command.
size_t sed_s_flags(const std::string& t, size_t i, SedRuns& runs) {
  for (; i < t.size(); ++i) {
    char f = t[i];
    if (f == 'e') runs.pattern_space = true;
    if (f == 'w') return line_end(t, i);
    if (f == ';' || f == '\n' || f == '}' || f == '#' || f == ' ' || f == '\t') return i;
    if (!std::strchr("gpiImMe0123456789", f)) {
      runs.unreadable = true;
      return t.size();
    }
  }
  return i;
}

/// Reads one command from `i` (its address already read); returns where the next may start.
size_t sed_command(const std::string& t, size_t i, SedRuns& runs) {
  char c = t[i++];
  if (std::strchr("{}=dDgGhHnNpPxzF", c)) return i;
  if (std::strchr("qQlL", c)) {
    i = skip_blanks_in(t, i);
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
    return i;
  }
  if (std::strchr("aic", c)) return sed_text_end(t, i);
  if (std::strchr("rRwW", c)) return line_end(t, i);
  if (std::strchr(":btTv", c)) {
    while (i < t.size() && t[i] != ';' && t[i] != '\n') ++i;
    return i;
  }
  if (c == 'e') {
    size_t from = skip_blanks_in(t, i), end = line_end(t, i);
    if (from == end)
      runs.pattern_space = true;
    else
      runs.commands.emplace_back(from, end - from);
    return end;
  }
  if (c == 's' || c == 'y') {
    char delim = i < t.size() ? t[i] : '\0';
    if (delim == '\0' || delim == '\n' || delim == '\\') {
      runs.unreadable = true;
      return t.size();
    }
    i = sed_delimited(t, i + 1, delim);
    if (i != std::string::npos) i = sed_delimited(t, i, delim);
    if (i == std::string::npos) {
      runs.unreadable = true;
      return t.size();
    }
    return c == 's' ? sed_s_flags(t, i, runs) : i;
  }
  runs.unreadable = true;
  return t.size();
}

/// Reads a GNU sed script for the commands that run a shell; `expands`
/// when the word holds shell expansions.
SedRuns sed_script(const std::string& t, bool expands) {
  SedRuns runs;
  size_t i = 0;
  while (i < t.size()) {
    char c = t[i];
    if (std::isspace(static_cast<unsigned char>(c)) || c == ';') {
      ++i;
      continue;
    }
    if (c == '#') {
      i = line_end(t, i);
      continue;
    }
    const size_t at = i;
    i = sed_address(t, i, expands);
    if (i != std::string::npos && i < t.size() && t[i] == ',') {
      i = skip_blanks_in(t, i + 1);
      if (i < t.size() && (t[i] == '+' || t[i] == '~')) ++i;  // addr1,+N addr1,~N
      i = sed_address(t, i, expands);
    }
    while (i != std::string::npos && i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '!'))
      ++i;
    if (i == std::string::npos || i >= t.size()) {
      // `sed "$SCRIPT"`: an expansion with no command after it is the script.
      const bool whole = expands && t[at] == '$' && i > at + 1;
      runs.unreadable = runs.unreadable || i == std::string::npos || whole;
      break;
    }
    i = sed_command(t, i, runs);
  }
  return runs;
}

}  // namespace

// ------------------------------------------------------------ the analyser

void Analyser::code_in(const ShellWord& w, size_t offset, size_t length, const std::string& who,
                       int depth) {
  if (w.expands) {
    unknown(w.at, who + " runs shell code made at run time (" + w.text + ")");
    return;
  }
  Origin o = Origin::of(w);
  if (o.exact) o.base += offset;
  text(w.text.substr(offset, length), o, depth);
}

void Analyser::sed(const std::vector<ShellWord>& w, size_t k, int depth) {
  // All of GNU sed's long options, so that an abbreviation reads as sed reads it.
  static const OptionSyntax syntax{"efl",
                                   "i",
                                   {{"expression"},
                                    {"file"},
                                    {"line-length"},
                                    {"in-place", true},
                                    {"sandbox", false, true},
                                    {"quiet", false, true},
                                    {"silent", false, true},
                                    {"debug", false, true},
                                    {"posix", false, true},
                                    {"follow-symlinks", false, true},
                                    {"regexp-extended", false, true},
                                    {"separate", false, true},
                                    {"unbuffered", false, true},
                                    {"null-data", false, true},
                                    {"zero-terminated", false, true},
                                    {"help", false, true},
                                    {"version", false, true}}};
  Parsed p = parse_options(w, k + 1, syntax);
  // sed refuses `e` in its sandbox; after `--`, `--sandbox` is a file name.
  if (std::find(p.flags.begin(), p.flags.end(), "sandbox") != p.flags.end()) return;
  for (const auto& f : values_of(p, {"f", "file"}))
    unknown(f.word->at,
            "sed runs a script file, which rbk cannot read (it may run commands with e)");
  std::vector<OptionValue> scripts = values_of(p, {"e", "expression"});
  if (scripts.empty() && values_of(p, {"f", "file"}).empty() && !p.operands.empty())
    scripts.push_back({"", &w[p.operands[0]], 0});
  for (const auto& s : scripts) {
    const ShellWord& word = *s.word;
    SedRuns runs = sed_script(word.text.substr(s.offset), word.expands);
    if (runs.pattern_space || runs.unreadable)
      unknown(word.at, runs.pattern_space
                           ? "sed's e runs the text it edits as a shell command"
                           : "sed script rbk cannot read (it may run commands with e)");
    for (const auto& [off, len] : runs.commands)
      code_in(word, s.offset + off, len, "sed's e", depth);
  }
}

void Analyser::tar(const std::vector<ShellWord>& w, size_t k, int depth) {
  // GNU tar runs these with /bin/sh -c: the compressor (-I), the per-file
  // command (--to-command), the checkpoint action exec=…, the volume script (-F).
  static const OptionSyntax syntax{"bCfFgHIKLNTVX",
                                   "",
                                   {{"to-command"},
                                    {"use-compress-program"},
                                    {"checkpoint-action"},
                                    {"info-script"},
                                    {"new-volume-script"},
                                    {"rsh-command"},
                                    {"rmt-command"},
                                    {"checkpoint", true},
                                    {"file"},
                                    {"directory"},
                                    {"blocking-factor"},
                                    {"exclude"},
                                    {"files-from"},
                                    {"listed-incremental"},
                                    {"label"},
                                    {"newer"},
                                    {"after-date"},
                                    {"newer-mtime"},
                                    {"owner"},
                                    {"group"},
                                    {"mode"},
                                    {"mtime"},
                                    {"format"},
                                    {"transform"},
                                    {"xform"},
                                    {"exclude-from"},
                                    {"starting-file"},
                                    {"tape-length"},
                                    {"record-size"},
                                    {"volno-file"},
                                    {"strip-components"},
                                    {"suffix"},
                                    {"backup", true},
                                    {"sort", true},
                                    {"index-file"}}};
  size_t from = k + 1;
  Parsed old_style;
  if (from < w.size() && !w[from].expands && !w[from].text.empty() && w[from].text[0] != '-' &&
      std::all_of(w[from].text.begin(), w[from].text.end(),
                  [](char c) { return std::isalpha(static_cast<unsigned char>(c)); })) {
    // `tar xIf PROG FILE`: each letter with a value takes the next word, in order.
    size_t next = from + 1;
    for (char c : w[from].text)
      if (std::strchr(syntax.short_value, c) && next < w.size())
        old_style.values.push_back({std::string(1, c), &w[next++], 0});
    from = next;
  }
  Parsed p = parse_options(w, from, syntax);
  p.values.insert(p.values.begin(), old_style.values.begin(), old_style.values.end());
  for (const auto& v : values_of(p, {"I", "use-compress-program", "to-command", "F", "info-script",
                                     "new-volume-script", "rsh-command", "rmt-command"}))
    code_in(*v.word, v.offset, std::string::npos, "tar", depth);
  for (const auto& v : values_of(p, {"checkpoint-action"})) {
    std::string_view action = std::string_view(v.word->text).substr(v.offset);
    if (starts_with(action, "exec="))
      code_in(*v.word, v.offset + 5, std::string::npos, "tar's checkpoint action", depth);
    else if (v.word->expands)
      unknown(v.word->at, "tar's checkpoint action is made at run time (" + v.word->text + ")");
  }
}

void Analyser::dc(const std::vector<ShellWord>& w, size_t k, const RawCommand& c) {
  // dc runs the rest of the line after `!` (not `!<`, `!>`, `!=`) with a shell.
  static const OptionSyntax syntax{"ef", "", {{"expression"}, {"file"}}};
  Parsed p = parse_options(w, k + 1, syntax);
  auto runs = [](const std::string& t, size_t from) {
    for (size_t i = t.find('!', from); i != std::string::npos; i = t.find('!', i + 1))
      if (i + 1 >= t.size() || !std::strchr("<>=", t[i + 1])) return true;
    return false;
  };
  for (const auto& v : values_of(p, {"e", "expression"}))
    if (v.word->expands || runs(v.word->text, v.offset))
      unknown(v.word->at, "dc runs a shell command with !");
  for (const auto& in : c.input)
    if (in.expands || runs(in.text, 0)) unknown(in.at, "dc runs a shell command with !");
  const bool reads_pipe =
      c.input.empty() && p.values.empty() && p.operands.empty() &&
      (c.piped || std::any_of(c.redirects.begin(), c.redirects.end(),
                              [](const ShellRedirect& r) { return r.op == "<"; }));
  if (reads_pipe) unknown(w[k].at, "dc runs what it reads from a pipe or a file, which may hold !");
}

void Analyser::make(const std::vector<ShellWord>& w, size_t k) {
  // --eval and a variable given on the command line are makefile text, in
  // which $(shell …) runs a shell.
  static const OptionSyntax syntax{"CfIoWE",
                                   "O",
                                   {{"eval"},
                                    {"directory"},
                                    {"file"},
                                    {"makefile"},
                                    {"include-dir"},
                                    {"old-file"},
                                    {"assume-old"},
                                    {"new-file"},
                                    {"assume-new"},
                                    {"what-if"},
                                    {"jobs", true},
                                    {"load-average", true},
                                    {"output-sync", true}}};
  Parsed p = parse_options(w, k + 1, syntax);
  for (const auto& v : values_of(p, {"E", "eval"}))
    unknown(v.word->at, "make --eval runs makefile text, which rbk cannot read");
  for (size_t j : p.operands) {
    const std::string& t = w[j].text;
    for (const char* call : {"$(shell", "${shell", "$(eval", "${eval", "$(file", "${file"})
      if (!w[j].expands && t.find('=') != std::string::npos && t.find(call) != std::string::npos) {
        unknown(w[j].at, "make runs the $(shell …) of a variable given on its command line");
        break;
      }
  }
}

void Analyser::embedded(const std::vector<ShellWord>& w, size_t k, const std::string& base_text,
                        const RawCommand& c, int depth) {
  const std::string_view base = base_text;  // a view: see Analyser::command()
  if (base == "sed" || base == "gsed")
    sed(w, k, depth);
  else if (base == "script")
    script(w, k, depth);
  else if (base == "tar" || base == "gtar")
    tar(w, k, depth);
  else if (base == "psql" || base == "mysql" || base == "mariadb")
    database(w, k, base_text, c, depth);
  else if (base == "sqlite3" || base == "sqlite")
    sqlite(w, k, c, depth);
  else if (base == "ssh" || base == "scp" || base == "sftp")
    ssh_options(w, k, base_text, depth);
  else if (base == "git")
    git(w, k, depth);
  else if (base == "vi" || base == "vim" || base == "nvim" || base == "ex" || base == "view" ||
           base == "vimdiff" || base == "gvim" || base == "rvim" || base == "rview")
    vim(w, k, base_text, c);
  else if (base == "gdb")
    gdb(w, k, c, depth);
  else if (base == "dc")
    dc(w, k, c);
  else if (base == "make" || base == "gmake")
    make(w, k);
}

void Analyser::script(const std::vector<ShellWord>& w, size_t k, int depth) {
  // script -c COMMAND runs COMMAND with the user's shell.
  static const OptionSyntax syntax{"cEIOBTmo",
                                   "t",
                                   {{"command"},
                                    {"echo"},
                                    {"log-in"},
                                    {"log-out"},
                                    {"log-io"},
                                    {"log-timing"},
                                    {"logging-format"},
                                    {"output-limit"},
                                    {"timing", true}}};
  for (const auto& v : values_of(parse_options(w, k + 1, syntax), {"c", "command"}))
    code_in(*v.word, v.offset, std::string::npos, "script -c", depth);
}

bool Analyser::daemon(const std::vector<ShellWord>& w, size_t k, const RawCommand& c, int depth) {
  // start-stop-daemon --start --exec PATH [--startas PATH] -- ARGS: starts
  // PATH (the --startas one when given) with ARGS.
  static const OptionSyntax syntax{"xapnucgrdNPkRsIO",
                                   "",
                                   {{"start", false, true},
                                    {"exec"},
                                    {"startas"},
                                    {"pidfile"},
                                    {"name"},
                                    {"user"},
                                    {"chuid"},
                                    {"group"},
                                    {"chroot"},
                                    {"chdir"},
                                    {"nicelevel"},
                                    {"procsched"},
                                    {"iosched"},
                                    {"umask"},
                                    {"retry"},
                                    {"signal"},
                                    {"ppid"},
                                    {"output"},
                                    {"notify-timeout"}}};
  // The `--` that ends the options is the one getopt reads, not the first
  // written: `--name -- -x /bin/rm -- -rf /srv/cache`.
  Parsed p = parse_options(w, k + 1, syntax);
  const size_t dashes = std::min(p.dashes, w.size());
  bool start = std::find(p.flags.begin(), p.flags.end(), "start") != p.flags.end();
  for (size_t j = k + 1; j < dashes; ++j) {
    const std::string& t = w[j].text;
    start =
        start || (t.size() > 1 && t[0] == '-' && t[1] != '-' && t.find('S') != std::string::npos);
  }
  std::vector<OptionValue> program = values_of(p, {"a", "startas"});
  if (program.empty()) program = values_of(p, {"x", "exec"});
  if (!start || program.empty()) return false;
  push(
      {w.begin() + static_cast<std::ptrdiff_t>(k), w.begin() + static_cast<std::ptrdiff_t>(dashes)},
      c);
  const OptionValue& v = program.back();
  RawCommand run;
  ShellWord name = *v.word;
  if (v.offset > 0) {
    name.text = name.text.substr(v.offset);
    if (name.verbatim != std::string::npos) name.verbatim += v.offset;
  }
  run.words.push_back(std::move(name));
  if (dashes < w.size())
    run.words.insert(run.words.end(), w.begin() + static_cast<std::ptrdiff_t>(dashes) + 1, w.end());
  if (depth > kMaxDepth) throw TooDeep{};
  command(std::move(run), depth + 1);
  return true;
}

}  // namespace rbk::shell_detail
