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

/// The first word of a gdb command line from `i` (a name ends at `/`:
/// `x/8xg`), and where the rest starts.
std::string gdb_word(std::string_view cmd, size_t& i) {
  while (i < cmd.size() && std::isspace(static_cast<unsigned char>(cmd[i]))) ++i;
  const size_t b = i;
  while (i < cmd.size() && !std::isspace(static_cast<unsigned char>(cmd[i])) && cmd[i] != '/') ++i;
  return std::string(cmd.substr(b, i - b));
}

/// Whether an expression may call the program's functions or change its
/// memory: a call or a cast `(`, an assignment, `++`, `--`.
bool gdb_changes(std::string_view e) {
  if (e.find('(') != e.npos || e.find("++") != e.npos || e.find("--") != e.npos) return true;
  for (size_t i = e.find('='); i != e.npos; i = e.find('=', i + 2)) {
    const bool compares =
        (i > 0 && std::strchr("=!<>", e[i - 1])) || (i + 1 < e.size() && e[i + 1] == '=');
    if (!compares) return true;
  }
  return false;
}

bool gdb_reads(std::string_view cmd);

/// `thread apply all|IDS [FLAGS] COMMAND` (and `frame apply`): whether the
/// command applied only reads.
bool gdb_apply_reads(std::string_view cmd, size_t i) {
  while (true) {
    size_t at = i;
    std::string w = gdb_word(cmd, i);
    const bool ids =
        w == "all" || w == "level" || (!w.empty() && std::all_of(w.begin(), w.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '*';
        }));
    if (w.empty()) return true;
    if (!ids && !(w.size() > 1 && w[0] == '-')) return gdb_reads(cmd.substr(at));
  }
}

/// Whether a gdb command only reads: gdb takes any unambiguous prefix of a
/// command (`she` is `shell`, `pip` is `pipe`), so a name rbk does not know
/// as read-only may run anything.
bool gdb_reads(std::string_view cmd) {
  static const char* const kReads[] = {
      "bt",   "backtrace",   "where", "info",   "i",       "inf",    "list",   "l",     "up",
      "down", "disassemble", "ptype", "whatis", "show",    "echo",   "detach", "quit",  "q",
      "x",    "print",       "p",     "output", "inspect", "printf", "thread", "frame", "f"};
  size_t i = 0;
  const std::string name = gdb_word(cmd, i);
  if (name.empty() || name[0] == '#') return true;
  if (name == "set") {
    const std::string what = gdb_word(cmd, i);
    return what == "pagination" || what == "confirm" || what == "width" || what == "height" ||
           what == "print" || what == "style";
  }
  if (std::find(std::begin(kReads), std::end(kReads), name) == std::end(kReads)) return false;
  if (name == "thread" || name == "frame" || name == "f") {
    size_t j = i;
    if (gdb_word(cmd, j) == "apply") return gdb_apply_reads(cmd, j);
  }
  const bool evaluates = name == "x" || name == "print" || name == "p" || name == "output" ||
                         name == "inspect" || name == "printf";
  return !evaluates || !gdb_changes(cmd.substr(i));
}

/// Whether psql interpolates a variable (`:var`, `:'var'`, `:"var"`) in t[from, end).
bool psql_interpolates(const std::string& t, size_t from, size_t end) {
  for (size_t i = t.find(':', from); i != std::string::npos && i + 1 < end;
       i = t.find(':', i + 1)) {
    const char c = t[i + 1];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '\'' || c == '"' ||
        c == '{')
      return true;
  }
  return false;
}

/// Whether vim's short options in w[j] run commands rbk cannot read; reads
/// Ex mode (-e, -E) on the way and steps j over a value in the next word.
bool vim_runs(const std::vector<ShellWord>& w, size_t& j, bool& ex_mode) {
  const std::string& t = w[j].text;
  if (t.size() < 2 || t[0] != '-' || t[1] == '-') return false;
  for (size_t p = 1; p < t.size(); ++p) {
    const char f = t[p];
    if (f == 'e' || f == 'E') ex_mode = true;
    if (f == 'c' || f == 'S' || (f == 's' && !ex_mode)) return true;  // -c{cmd}: value attached
    if (f == 'u' || f == 'U') {
      // vim's own names for "no vimrc" / "the defaults" run nothing of the user's.
      const std::string v = j + 1 < w.size() ? w[j + 1].text : "";
      if (w[j + 1 < w.size() ? j + 1 : j].expands ||
          (v != "NONE" && v != "NORC" && v != "DEFAULTS"))
        return true;
      ++j;
      return false;
    }
    if (std::strchr("TitW", f)) {  // a value in the next word
      ++j;
      return false;
    }
  }
  return false;
}

}  // namespace

void Analyser::meta_commands(const ShellWord& w, size_t offset, const std::string& base,
                             int depth) {
  // psql and mysql run `\! COMMAND` (mysql also `system COMMAND` at the start
  // of a statement) with a shell, to the end of the line; psql pipes output
  // to a command with `\o |COMMAND`, `\g |COMMAND`, `\w |COMMAND`, and runs
  // the backquoted text of any meta-command's arguments.
  const std::string& t = w.text;
  const bool mysql = base != "psql";
  size_t end = 0, scanned = 0;  // the current line's end; where backquotes were read to
  for (size_t i = t.find('\\', offset); i != std::string::npos; i = t.find('\\', i + 1)) {
    if (i >= end) end = line_end(t, i);  // once a line: a line of backslashes stays linear
    size_t name_end = i + 1;
    while (name_end < t.size() && std::isalpha(static_cast<unsigned char>(t[name_end]))) ++name_end;
    const std::string name = t.substr(i + 1, name_end - i - 1);
    if (name.empty() && name_end < t.size() && t[name_end] == '!') {
      if (!mysql && psql_interpolates(t, i + 2, end))
        unknown(w.at, "psql's \\! runs a command made of psql variables");
      else
        code_in(w, i + 2, end - i - 2, base + "'s \\!", depth);
      i = end;  // the command runs to the end of the line
      continue;
    }
    if (mysql || name.empty()) continue;
    if (scanned < end) {
      psql_backquotes(w, name_end, end, depth);
      scanned = end;
    }
    if (name == "o" || name == "out" || name == "g" || name == "gx" || name == "w" ||
        name == "write") {
      size_t arg = skip_blanks_in(t, name_end);
      if (arg < end && t[arg] == '|') {
        code_in(w, arg + 1, end - arg - 1, "psql's \\" + name + " |", depth);
        i = end;
      }
    } else if (name == "copy") {
      if (lower(t.substr(i, end - i)).find("program") != std::string::npos)
        unknown(w.at, "psql's \\copy … program runs a shell command");
      i = end;  // \copy takes the rest of the line
    }
  }
  if (mysql) mysql_system(w, offset, base, depth);
}

void Analyser::psql_backquotes(const ShellWord& w, size_t from, size_t end, int depth) {
  const std::string& t = w.text;
  for (size_t a = t.find('`', from); a < end; a = t.find('`', a + 1)) {
    const size_t b = t.find('`', a + 1);
    if (b >= end) {
      unknown(w.at, "psql runs backquoted text rbk cannot read");
      return;
    }
    code_in(w, a + 1, b - a - 1, "psql's backquote", depth);
    a = b;
  }
}

void Analyser::mysql_system(const ShellWord& w, size_t offset, const std::string& base, int depth) {
  const std::string& t = w.text;
  for (size_t i = offset; i < t.size();) {
    while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i]))) ++i;
    if (lower(t.substr(i, 7)) == "system " || lower(t.substr(i, 7)) == "system\t")
      code_in(w, i + 7, line_end(t, i) - i - 7, base + "'s system", depth);
    const size_t next = t.find_first_of(";\n", i);
    if (next == std::string::npos) break;
    i = next + 1;
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
  // Ex commands (-c, --cmd, +CMD, -S FILE), typed keys (-s FILE, outside Ex
  // mode) and a vimrc (-u, -U) can run a shell, write files or run any
  // script: rbk does not read them. In Ex mode, neither what it reads.
  bool ex_mode = base == "ex";
  for (size_t j = k + 1; j < w.size(); ++j) {
    const std::string& t = w[j].text;
    if (t == "--") break;
    const bool plus = t.size() > 1 && t[0] == '+' &&
                      !std::isdigit(static_cast<unsigned char>(t[1])) && t[1] != '/' && t[1] != '?';
    if (plus || t == "--cmd" || starts_with(t, "--cmd=") || vim_runs(w, j, ex_mode)) {
      unknown(w[j].at, base + " runs editor commands, which rbk cannot read");
      return;
    }
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
  } else if (!gdb_reads(cmd)) {
    unknown(w.at, "gdb runs code rbk cannot read (" + cmd + ")");
  }
}

}  // namespace rbk::shell_detail
