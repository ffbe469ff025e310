// The shell analysis, continued: clients whose own commands or settings
// run a shell — psql's and mysql's `\!`, sqlite3's `.shell`, ssh -o
// ProxyCommand, git -c core.pager, gdb's `shell`, vim -c. Literal code is
// analysed like `sh -c 'literal'`; what rbk cannot read is reported, so the
// command is gated like a destructive one.
#include <algorithm>
#include <cctype>
#include <cstring>

#include "interpreter/syntax/shell_options.hpp"
#include "interpreter/syntax/shell_parser.hpp"

namespace rbk::shell_detail {

namespace {

// ------------------------------------------------------- database clients

/// Whether `name` is a dot-command of sqlite3 that runs a shell command
/// (sqlite3 takes an unambiguous prefix: `.sys`).
bool sqlite_shell_command(const std::string& name) {
  return name.size() >= 2 && (starts_with("system", name) || starts_with("shell", name));
}

// -------------------------------------------------------------------- git

/// Whether a git setting holds a command git runs (core.pager, core.editor,
/// core.sshCommand, alias.*, credential.helper, filter.*.clean, …): its last
/// part names one, or its section holds commands.
bool git_runs_setting(const std::string& key) {
  static const char* const kLast[] = {
      "pager",       "editor",     "sshcommand",  "askpass",        "textconv",  "clean",
      "smudge",      "process",    "driver",      "external",       "helper",    "difffilter",
      "receivepack", "uploadpack", "gitproxy",    "fsmonitor",      "hookspath", "cmd",
      "command",     "program",    "sendmailcmd", "packobjectshook"};
  const std::string k = lower(key);
  const size_t dot = k.find('.'), last = k.rfind('.');
  const std::string first = k.substr(0, dot), tail = k.substr(last + 1);
  if (first == "alias" || first == "pager" || first == "include" || first == "includeif")
    return true;
  if (tail.size() > 3 && (tail.ends_with("cmd") || tail.ends_with("command"))) return true;
  if (tail == "path" && dot != last &&
      (first == "browser" || first == "man" || first == "mergetool" || first == "difftool"))
    return true;
  for (const char* name : kLast)
    if (tail == name) return true;
  return false;
}

// -------------------------------------------------------------------- gdb

/// The gdb option a word is (`-ex`, `--eval-command=…`): its name without
/// dashes and value, and where the value starts when attached.
std::string gdb_option(const std::string& t, size_t& eq) {
  size_t from = starts_with(t, "--") ? 2 : 1;
  eq = t.find('=');
  return t.substr(from, eq == std::string::npos ? t.npos : eq - from);
}

/// gdb's long options may be abbreviated to any prefix of at least `min` letters.
bool gdb_is(const std::string& name, std::string_view full, size_t min) {
  return name.size() >= min && starts_with(full, name);
}

/// A gdb command that runs something rbk cannot read: a script in another
/// language, the program under test, or a function inside it.
bool gdb_opaque(const std::string& cmd) {
  static const char* const kOpaque[] = {"pipe",
                                        "|",
                                        "python",
                                        "py",
                                        "python-interactive",
                                        "pi",
                                        "guile",
                                        "gu",
                                        "guile-repl",
                                        "gr",
                                        "source",
                                        "eval",
                                        "make",
                                        "run",
                                        "r",
                                        "start",
                                        "starti",
                                        "compile",
                                        "expression",
                                        "call",
                                        "jit-reader-load",
                                        "define",
                                        "kill",
                                        "k",
                                        "signal",
                                        "queue-signal",
                                        "jump",
                                        "return"};
  size_t b = skip_blanks_in(cmd, 0), e = b;
  while (e < cmd.size() && !std::isspace(static_cast<unsigned char>(cmd[e]))) ++e;
  const std::string first = cmd.substr(b, e - b);
  for (const char* name : kOpaque)
    if (first == name) return true;
  const bool prints = first == "print" || first == "p" || first == "output" || first == "inspect";
  return prints && cmd.find('(') != std::string::npos;  // calls a function of the program
}

}  // namespace

void Analyser::meta_commands(const ShellWord& w, size_t offset, const std::string& base,
                             int depth) {
  // psql and mysql run `\! COMMAND` (mysql also `system COMMAND` at the start
  // of a statement) with a shell, to the end of the line; psql pipes output
  // to a command with `\o |COMMAND`, `\g |COMMAND`, `\w |COMMAND`.
  const std::string& t = w.text;
  const bool mysql = base != "psql";
  for (size_t i = t.find('\\', offset); i != std::string::npos; i = t.find('\\', i + 1)) {
    size_t name_end = i + 1;
    while (name_end < t.size() && std::isalpha(static_cast<unsigned char>(t[name_end]))) ++name_end;
    const std::string name = t.substr(i + 1, name_end - i - 1);
    if (name.empty() && name_end < t.size() && t[name_end] == '!') {
      code_in(w, i + 2, line_end(t, i) - i - 2, base + "'s \\!", depth);
    } else if (!mysql && (name == "o" || name == "out" || name == "g" || name == "gx" ||
                          name == "w" || name == "write")) {
      size_t arg = skip_blanks_in(t, name_end);
      if (arg < t.size() && t[arg] == '|')
        code_in(w, arg + 1, line_end(t, arg) - arg - 1, "psql's \\" + name + " |", depth);
    } else if (!mysql && name == "copy" &&
               lower(t.substr(i, line_end(t, i) - i)).find("program") != std::string::npos) {
      unknown(w.at, "psql's \\copy … program runs a shell command");
    }
  }
  if (!mysql) return;
  for (size_t i = offset; i < t.size(); ++i) {
    if (i != offset && t[i - 1] != ';' && t[i - 1] != '\n') continue;
    size_t b = i;
    while (b < t.size() && std::isspace(static_cast<unsigned char>(t[b]))) ++b;
    if (lower(t.substr(b, 7)) == "system " || lower(t.substr(b, 7)) == "system\t")
      code_in(w, b + 7, line_end(t, b) - b - 7, base + "'s system", depth);
  }
}

void Analyser::database(const std::vector<ShellWord>& w, size_t k, const std::string& base,
                        const RawCommand& c, int depth) {
  if (base == "psql") {
    static const OptionSyntax psql{"cdfhpUvLoPTFR",
                                   "",
                                   {{"command"},
                                    {"dbname"},
                                    {"file"},
                                    {"host"},
                                    {"port"},
                                    {"username"},
                                    {"variable"},
                                    {"set"},
                                    {"log-file"},
                                    {"output"},
                                    {"pset"},
                                    {"table-attr"},
                                    {"field-separator"},
                                    {"record-separator"}}};
    Parsed p = parse_options(w, k + 1, psql);
    for (const auto& v : values_of(p, {"c", "command"}))
      meta_commands(*v.word, v.offset, base, depth);
    for (const auto& v : values_of(p, {"o", "output"}))
      if (starts_with(std::string_view(v.word->text).substr(v.offset), "|"))
        code_in(*v.word, v.offset + 1, std::string::npos, "psql -o |", depth);
  } else {
    static const OptionSyntax mysql{
        "eDhuPSOC", "p", {{"execute"}, {"database"}, {"host"}, {"user"}, {"port"}, {"socket"}}};
    Parsed p = parse_options(w, k + 1, mysql);
    for (const auto& v : values_of(p, {"e", "execute"}))
      meta_commands(*v.word, v.offset, base, depth);
  }
  for (const auto& in : c.input) meta_commands(in, 0, base, depth);
}

void Analyser::sqlite_line(const ShellWord& w, size_t at, int depth) {
  const std::string& t = w.text;
  if (at >= t.size() || t[at] != '.') return;
  size_t e = at + 1;
  while (e < t.size() && !std::isspace(static_cast<unsigned char>(t[e]))) ++e;
  const std::string name = t.substr(at + 1, e - at - 1);
  const size_t end = line_end(t, at);
  if (sqlite_shell_command(name)) {
    // sqlite3 splits the arguments itself and quotes them again: a quote or
    // backslash means the shell reads something other than what is written.
    const std::string args = t.substr(e, end - e);
    if (args.find_first_of("'\"\\") != std::string::npos)
      unknown(w.at, "sqlite3's ." + name + " runs a command quoted its own way");
    else
      code_in(w, e, end - e, "sqlite3's ." + name, depth);
  } else if ((name == "output" || name == "once" || name == "read" || name == "import" ||
              name == "o") &&
             t.substr(e, end - e).find('|') != std::string::npos) {
    unknown(w.at, "sqlite3's ." + name + " runs a shell command through a pipe");
  }
}

void Analyser::sqlite(const std::vector<ShellWord>& w, size_t k, const RawCommand& c, int depth) {
  // sqlite3 [OPTIONS] FILE [SQL…]: options anywhere (one dash or two); an
  // argument after the file, a -cmd value, or a line of its input that
  // starts with `.` is a dot-command.
  bool file = false;
  for (size_t j = k + 1; j < w.size(); ++j) {
    const std::string& t = w[j].text;
    if (!w[j].expands && t.size() > 1 && t[0] == '-') {
      std::string name = t.substr(t[1] == '-' ? 2 : 1);
      if ((name == "cmd") && j + 1 < w.size())
        sqlite_line(w[++j], 0, depth);
      else if (name == "init" && j + 1 < w.size())
        unknown(w[++j].at, "sqlite3 -init runs the commands of a file");
      else if (name == "pagecache" || name == "lookaside")
        j += 2;
      else if (name == "separator" || name == "newline" || name == "nullvalue" || name == "vfs" ||
               name == "heap" || name == "mmap" || name == "maxsize" || name == "escape")
        ++j;
      continue;
    }
    if (file) sqlite_line(w[j], 0, depth);
    file = true;
  }
  for (const auto& in : c.input)
    for (size_t at : line_starts(in.text)) sqlite_line(in, at, depth);
}

void Analyser::ssh_options(const std::vector<ShellWord>& w, size_t k, const std::string& base,
                           int depth) {
  // -o ProxyCommand=…, LocalCommand, KnownHostsCommand and RemoteCommand are
  // run by a shell; scp and sftp also take -S PROGRAM.
  static const OptionSyntax ssh{"BbcDEeFIiJLlmOoPpQRSWw", "", {}};
  Parsed p = parse_options(w, k + 1, ssh, base == "ssh" ? ssh_command_start(w, k) : w.size());
  for (const auto& v : values_of(p, {"o"})) {
    const std::string& t = v.word->text;
    size_t e = v.offset;
    while (e < t.size() && t[e] != '=' && !std::isspace(static_cast<unsigned char>(t[e]))) ++e;
    const std::string key = lower(t.substr(v.offset, e - v.offset));
    if (key.find_first_of("$`") != std::string::npos) {
      unknown(v.word->at, base + " -o sets an option named at run time (" + t + ")");
      continue;
    }
    if (key != "proxycommand" && key != "localcommand" && key != "knownhostscommand" &&
        key != "remotecommand")
      continue;
    while (e < t.size() && (t[e] == '=' || std::isspace(static_cast<unsigned char>(t[e])))) ++e;
    code_in(*v.word, e, std::string::npos, base + " -o " + key, depth);
  }
  if (base != "ssh")
    for (const auto& v : values_of(p, {"S"}))
      code_in(*v.word, v.offset, std::string::npos, base + " -S", depth);
}

void Analyser::git(const std::vector<ShellWord>& w, size_t k, int depth) {
  // git's own options, before the subcommand: -c KEY=VALUE sets a setting,
  // some of which are commands git runs with a shell.
  for (size_t j = k + 1; j < w.size() && w[j].text.size() > 1 && w[j].text[0] == '-'; ++j) {
    const std::string& t = w[j].text;
    if (t == "-C" || t == "--git-dir" || t == "--work-tree" || t == "--namespace" ||
        t == "--super-prefix") {
      ++j;
      continue;
    }
    if (starts_with(t, "--exec-path=")) {
      unknown(w[j].at, "git --exec-path runs git's commands from another directory");
      continue;
    }
    const bool env = t == "--config-env" || starts_with(t, "--config-env=");
    if (t != "-c" && !starts_with(t, "-c") && !env) continue;
    const ShellWord* word = &w[j];
    size_t offset = env && t.size() > 12 ? 13 : t == "-c" || t == "--config-env" ? 0 : 2;
    if (offset == 0) {
      if (j + 1 >= w.size()) break;
      word = &w[++j];
    }
    git_setting(*word, offset, env, depth);
  }
}

void Analyser::git_setting(const ShellWord& word, size_t offset, bool from_env, int depth) {
  const std::string& t = word.text;
  size_t eq = t.find('=', offset);
  const std::string key = t.substr(offset, eq == std::string::npos ? t.npos : eq - offset);
  if (key.find_first_of("$`") != std::string::npos) {
    unknown(word.at, "git -c sets a setting named at run time (" + t + ")");
    return;
  }
  if (!git_runs_setting(key) || eq == std::string::npos) return;
  const std::string k = lower(key);
  const std::string why = "git -c " + key;
  const bool no_hooks = k.ends_with("hookspath") && t.substr(eq + 1) == "/dev/null";
  if (no_hooks) return;
  if (from_env || starts_with(k, "include") || k.ends_with("hookspath")) {
    unknown(word.at, why + " runs commands rbk cannot read");
    return;
  }
  size_t value = eq + 1;
  const bool bang = value < t.size() && t[value] == '!';
  if (starts_with(k, "alias.") && !bang) {
    unknown(word.at, why + " makes a git command of its own, which rbk does not match");
    return;
  }
  code_in(word, bang ? value + 1 : value, std::string::npos, why, depth);
}

void Analyser::vim(const std::vector<ShellWord>& w, size_t k, const std::string& base,
                   const RawCommand& c) {
  // Ex commands (-c, --cmd, +CMD, -S FILE) can run a shell, write files or
  // run any script: rbk does not read them. In Ex mode, neither what it reads.
  bool ex_mode = base == "ex";
  for (size_t j = k + 1; j < w.size(); ++j) {
    const std::string& t = w[j].text;
    if (t == "--") break;
    if (t == "-c" || t == "--cmd" || t == "-S" || starts_with(t, "--cmd=")) {
      unknown(w[j].at, base + " runs editor commands, which rbk cannot read");
      return;
    }
    if (t.size() > 1 && t[0] == '+' && !std::isdigit(static_cast<unsigned char>(t[1])) &&
        t[1] != '/' && t[1] != '?') {
      unknown(w[j].at, base + " runs editor commands, which rbk cannot read");
      return;
    }
    if (t.size() > 1 && t[0] == '-' && t[1] != '-' &&
        (t.find('e') != std::string::npos || t.find('E') != std::string::npos))
      ex_mode = true;
  }
  const bool fed = c.piped || !c.input.empty() ||
                   std::any_of(c.redirects.begin(), c.redirects.end(),
                               [](const ShellRedirect& r) { return r.op == "<"; });
  if (ex_mode && fed) unknown(w[k].at, base + " runs the editor commands it reads from its input");
}

void Analyser::gdb(const std::vector<ShellWord>& w, size_t k, const RawCommand& c, int depth) {
  for (size_t j = k + 1; j < w.size(); ++j) {
    const std::string& t = w[j].text;
    if (t.size() < 2 || t[0] != '-') continue;
    size_t eq = 0;
    const std::string name = gdb_option(t, eq);
    if (name == "args") break;  // the program and its arguments follow
    const bool command = name == "ex" || name == "iex" || gdb_is(name, "eval-command", 2) ||
                         gdb_is(name, "init-eval-command", 6);
    const bool script = name == "x" || name == "ix" || gdb_is(name, "command", 3) ||
                        gdb_is(name, "init-command", 6);
    if (!command && !script) continue;
    const ShellWord* word = &w[j];
    size_t offset = eq + 1;
    if (eq == std::string::npos) {
      if (j + 1 >= w.size()) break;
      word = &w[++j];
      offset = 0;
    }
    if (script)
      unknown(word->at, "gdb runs the commands of a file");
    else
      gdb_command(*word, offset, depth);
  }
  for (const auto& in : c.input)
    for (size_t at : line_starts(in.text)) gdb_command(in, at, depth);
}

void Analyser::gdb_command(const ShellWord& w, size_t offset, int depth) {
  const std::string& t = w.text;
  const size_t b = skip_blanks_in(t, offset), end = line_end(t, b);
  const std::string cmd = t.substr(b, end - b);
  if (starts_with(cmd, "!") || starts_with(cmd, "shell ") || starts_with(cmd, "shell\t")) {
    size_t from = cmd[0] == '!' ? b + 1 : b + 6;
    code_in(w, from, end - from, "gdb's shell", depth);
  } else if (w.expands && b < t.size() && t[b] == '$') {
    unknown(w.at, "gdb runs a command made at run time (" + t + ")");
  } else if (gdb_opaque(cmd)) {
    unknown(w.at, "gdb runs code rbk cannot read (" + cmd + ")");
  }
}

}  // namespace rbk::shell_detail
