// The shell analysis: each simple command resolved through the wrappers
// that run another command (sudo, env, timeout, xargs, find -exec, sh -c,
// ssh, …), from a table of how each takes its options.
#include <algorithm>
#include <cctype>
#include <cstring>

#include "interpreter/syntax/shell_options.hpp"
#include "interpreter/syntax/shell_parser.hpp"

namespace rbk::shell_detail {

// ------------------------------------------------------------------ commands

std::string basename_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos || slash + 1 == path.size() ? path : path.substr(slash + 1);
}

bool is_option(const ShellWord& w) {
  return !w.expands && w.text.size() > 1 && w.text[0] == '-';
}

/// A command that runs the command in its operands, and how to find it.
struct WrapperSpec {
  std::string_view name;
  const char* short_args;             // short options that take a value: "u" for -u USER
  std::vector<LongOption> long_args;  // long options that take a value (--user USER), and
                                      // flags one of them could be read as an abbreviation of
  int operands = 0;                   // operands before the command (timeout DURATION)
  bool assignments = false;           // NAME=VALUE words before the command (env, sudo)
  const char* no_command = "";        // options that mean "no command follows" (ionice -p)
};

const std::vector<WrapperSpec>& wrappers() {
  static const std::vector<WrapperSpec> w{
      {"sudo",
       "ugCDhprtTU",
       {"user", "group", "close-from", "chdir", "host", "prompt", "role", "type", "command-timeout",
        "other-user"},
       0,
       true,
       "lvVkK"},
      {"doas", "uC", {}, 0, false, ""},
      {"env", "uC", {"unset", "chdir"}, 0, true, ""},
      {"command", "", {}, 0, false, "vV"},
      {"builtin", "", {}, 0, false, ""},
      {"exec", "a", {}, 0, false, ""},
      {"nohup", "", {}, 0, false, ""},
      {"setsid", "", {}, 0, false, ""},
      {"nice", "n", {"adjustment"}, 0, false, ""},
      {"ionice", "cn", {"class", "classdata"}, 0, false, "pPu"},
      {"timeout", "sk", {"signal", "kill-after"}, 1, false, ""},
      {"stdbuf", "ioe", {"input", "output", "error"}, 0, false, ""},
      {"time", "fo", {"format", "output"}, 0, false, ""},
      {"chroot", "", {"userspec", "groups"}, 1, false, ""},
      {"xargs",
       "dEILnPsa",
       {"delimiter", "eof", "replace", "max-lines", "max-args", "max-procs", "max-chars",
        "arg-file", "process-slot-var"},
       0,
       false,
       ""},
      {"taskset", "", {}, 1, false, "p"},
      {"chrt", "T", {"sched-runtime", "sched-period", "sched-deadline"}, 1, false, "pm"},
      {"nsenter", "tSGT", {"target", "setuid", "setgid"}, 0, false, ""},
      {"unshare", "", {}, 0, false, ""},
      {"setpriv", "", {}, 0, false, ""},
      {"systemd-run",
       "pEuMH",
       {"property", "setenv", "unit", "machine", "host", "description", "slice", "uid", "gid",
        "nice", "working-directory", "service-type", "on-active", "on-boot", "on-startup",
        "on-unit-active", "on-unit-inactive", "on-calendar", "timer-property"},
       0,
       false,
       ""},
      {"strace", "eoOpPsSuUXabI", {}, 0, false, ""},
      {"ltrace", "eoOpsSuUan", {}, 0, false, ""},
      {"unbuffer", "", {}, 0, false, ""},
      {"chronic", "", {}, 0, false, ""},
      {"busybox", "", {}, 0, false, ""},
      {"cgexec", "g", {}, 0, false, ""},
      {"numactl", "CcmNpiP", {}, 0, false, ""},
      {"catchsegv", "", {}, 0, false, ""},
      {"torsocks", "uaP", {}, 0, false, ""},
      {"proxychains", "f", {}, 0, false, ""},
      {"proxychains4", "f", {}, 0, false, ""},
      // prlimit's resource options take only an attached value (-n100,
      // --nofile=100); none of its flags abbreviates to --pid or --output.
      {"prlimit", "po", {"pid", "output"}, 0, false, "p"},
      // fakeroot reads its options with getopt(1): `-l lib: -l faked: -l
      // unknown-is-real -l fd-base: … +l:f:i:s:ub:vh`.
      {"fakeroot", "lfisb", {"lib", "faked", "fd-base"}, 0, false, ""},
      {"eatmydata", "", {}, 0, false, ""},
  };
  return w;
}

/// The options of commands handled apart from the plain wrappers: what
/// follows them is shell source (ssh, watch) or a command (flock, docker exec).
const WrapperSpec& spec_of(std::string_view name) {
  static const std::vector<WrapperSpec> specs{
      {"ssh", "BbcDEeFIiJLlmOoPpQRSWw", {}, 1, false, ""},
      {"watch", "nq", {"interval", "differences", "equexit"}, 0, false, ""},
      {"redis-cli",
       "hpsanuriIdD",
       {"user", "pass", "askpass", "cacert", "cert", "key", "sni"},
       0,
       false,
       ""},
      {"parallel",
       "jSIdEaLnNPC",
       {"jobs", "sshlogin", "arg-file", "delimiter", "max-args", "max-replace-args", "colsep",
        "joblog", "results", "timeout", "halt", "tagstring", "workdir", "delay", "retries"},
       0,
       false,
       ""},
      {"flock", "Ew", {"conflict-exit-code", "timeout", "wait"}, 1, false, ""},
      {"exec", "euw", {"env", "env-file", "user", "workdir", "detach-keys", "index"}, 1, false, ""},
  };
  for (const auto& s : specs)
    if (name == s.name) return s;
  return specs.back();
}

bool is_shell(std::string_view name) {
  static constexpr std::string_view kShells[] = {"sh",  "bash", "dash", "zsh",  "ksh",
                                                 "ash", "mksh", "yash", "posh", "rbash"};
  for (std::string_view s : kShells)
    if (name == s) return true;
  return false;
}

void Analyser::push(std::vector<ShellWord> words, const RawCommand& c) {
  if (words.empty() && c.redirects.empty() && c.input.empty()) return;
  ShellCommand out;
  out.words = std::move(words);
  if (!out.words.empty()) {
    std::string base = basename_of(out.words[0].text);
    if (base != out.words[0].text) {
      out.words[0].text = std::move(base);
      out.words[0].verbatim = std::string::npos;  // no longer a copy of the source
    }
  }
  out.redirects = c.redirects;
  out.input = c.input;
  // `export`, `read` and friends can set RBK_RECORD_DIR too.
  if (!out.words.empty()) {
    static constexpr std::string_view kSetters[] = {"export",  "readonly", "local", "declare",
                                                    "typeset", "read",     "unset", "getopts"};
    const std::string_view n = out.words[0].text;
    for (std::string_view setter : kSetters) {
      if (n != setter) continue;
      for (size_t k = 1; k < out.words.size(); ++k)
        if (out.words[k].text.rfind("RBK_RECORD_DIR", 0) == 0)
          unknown(out.words[k].at, "sets RBK_RECORD_DIR, which rbk sets for the run");
    }
  }
  out_.commands.push_back(std::move(out));
}

void Analyser::text(const std::string& t, Origin origin, int depth) {
  Parser p(*this, t, 0, t.size(), origin, depth + 1);
  p.list(false);
}

void Analyser::joined(const std::vector<ShellWord>& w, size_t from, size_t to, int depth,
                      const char* what) {
  // Words that a program joins with spaces and gives to a shell (ssh, eval,
  // watch): shell source again, whose words are known only when literal.
  if (from >= to) return;
  std::string t;
  for (size_t k = from; k < to; ++k) {
    if (w[k].expands && std::string_view(what) == "eval") {
      unknown({w[from].at.begin, w[to - 1].at.end},
              std::string("eval runs text made at run time (") + w[k].text + ")");
      return;
    }
    t += (k > from ? " " : "") + w[k].text;
  }
  Origin o;
  if (to - from == 1) {
    o = Origin::of(w[from]);
  } else {
    o.exact = false;
    o.whole = {w[from].at.begin, w[to - 1].at.end};
  }
  text(t, o, depth);
}

void Analyser::nested(const std::vector<ShellWord>& w, size_t from, size_t to, int depth) {
  // A command given as separate words (find -exec, kubectl exec --).
  if (from >= to) return;
  if (depth > kMaxDepth) throw TooDeep{};
  RawCommand c;
  c.words.assign(w.begin() + static_cast<std::ptrdiff_t>(from),
                 w.begin() + static_cast<std::ptrdiff_t>(to));
  command(std::move(c), depth + 1);
}

bool Analyser::shell(const std::vector<ShellWord>& w, size_t k, const RawCommand& c, int depth) {
  // sh/bash: -c STRING runs STRING; a script operand runs that file; with
  // neither, the shell runs what it reads on standard input.
  bool dash_c = false, dash_s = false;
  size_t j = k + 1;
  for (; j < w.size(); ++j) {
    const std::string& t = w[j].text;
    if (w[j].expands) break;
    if (t == "--" || t == "-") {
      ++j;
      break;
    }
    if (t.size() < 2 || (t[0] != '-' && t[0] != '+')) break;
    if (t == "-o" || t == "+o" || t == "-O" || t == "+O" || t == "--rcfile" || t == "--init-file") {
      ++j;
      continue;
    }
    if (t.rfind("--", 0) == 0) continue;
    dash_c = dash_c || t.find('c') != std::string::npos;
    dash_s = dash_s || t.find('s') != std::string::npos;
    if (t.back() == 'o' || t.back() == 'O') ++j;  // -euo pipefail: the option's value
  }
  const ShellWord* operand = j < w.size() ? &w[j] : nullptr;
  if (dash_c) {
    if (operand) {
      // CODE's $1, $2, … are the words after its name: a scope of their own.
      std::string scope = "#" + std::to_string(operand->at.begin);
      if (collecting_ && j + 2 < w.size())
        calls_.push_back({scope,
                          std::string(this->scope()),
                          {w.begin() + static_cast<std::ptrdiff_t>(j + 2), w.end()}});
      enter(std::move(scope));
      code(*operand, depth);
      leave();
    }
    return true;
  }
  if (operand && !dash_s) {
    push({w.begin() + static_cast<std::ptrdiff_t>(k), w.end()}, c);  // runs a script file
    return true;
  }
  if (!stdin_code(c, w[k], "a shell", depth))
    push({w.begin() + static_cast<std::ptrdiff_t>(k), w.end()}, c);
  return true;
}

bool Analyser::stdin_code(const RawCommand& c, const ShellWord& who, const std::string& what,
                          int depth) {
  if (!c.input.empty()) {
    for (const auto& in : c.input) {
      if (in.expands)
        unknown(in.at, what + " runs a here-document that expands values");
      else
        text(in.text, Origin::of(in), depth);
    }
    return true;
  }
  bool from_file = std::any_of(c.redirects.begin(), c.redirects.end(),
                               [](const ShellRedirect& r) { return r.op == "<"; });
  if (c.piped && !from_file) {
    unknown(who.at, what + " runs what a pipe feeds it");
    return true;
  }
  return false;
}

/// Skips a wrapper's options (and operands) from w[k+1]; returns the index
/// of the command it runs, or w.size() when it runs none.
size_t skip_options(const std::vector<ShellWord>& w, size_t k, const WrapperSpec& spec,
                    bool* no_command = nullptr) {
  const OptionSyntax syntax{spec.short_args, "", spec.long_args};
  size_t j = k + 1;
  while (j < w.size()) {
    const ShellWord& x = w[j];
    if (x.expands || x.text.size() < 2 || x.text[0] != '-') break;
    const std::string& t = x.text;
    if (t == "--") {
      ++j;
      break;
    }
    if (t.rfind("--", 0) == 0) {
      // getopt_long takes any unambiguous prefix: --out is --output.
      const size_t eq = t.find('=');
      const LongOption* o =
          long_option(syntax, std::string_view(t).substr(2, eq == t.npos ? t.npos : eq - 2));
      const bool takes = eq == std::string::npos && o && !o->flag && !o->attached_only;
      j += takes ? 2 : 1;
      continue;
    }
    bool value_next = false;
    for (size_t p = 1; p < t.size(); ++p) {
      if (no_command && std::strchr(spec.no_command, t[p])) *no_command = true;
      if (std::strchr(spec.short_args, t[p])) {
        value_next = p + 1 == t.size();  // else the value is attached (-u0)
        break;
      }
    }
    j += value_next ? 2 : 1;
  }
  if (spec.assignments)
    while (j < w.size() && !w[j].expands && w[j].text.find('=') != std::string::npos &&
           name_start(w[j].text[0]))
      ++j;
  for (int n = 0; n < spec.operands && j < w.size(); ++n) ++j;
  return std::min(j, w.size());
}

size_t ssh_command_start(const std::vector<ShellWord>& w, size_t k) {
  size_t j = skip_options(w, k, spec_of("ssh"));  // past the options and the host
  if (j < w.size() && is_option(w[j]) && j > 0) {
    WrapperSpec after = spec_of("ssh");
    after.operands = 0;
    j = skip_options(w, j - 1, after);
  }
  return j;
}

size_t Analyser::wrapper(const std::vector<ShellWord>& w, size_t k, std::string_view name,
                         const RawCommand& c, int depth, bool& done) {
  done = false;
  auto all = [&](size_t from) {
    return std::vector<ShellWord>(w.begin() + static_cast<std::ptrdiff_t>(from), w.end());
  };
  if (name == "eval") {
    joined(w, k + 1, w.size(), depth, "eval");
    push({}, c);
    done = true;
    return k;
  }
  if (name == "ssh") {
    // ssh [options] HOST [COMMAND…]: the command words are shell source on the host.
    size_t j = ssh_command_start(w, k);
    push({w.begin() + static_cast<std::ptrdiff_t>(k), w.begin() + static_cast<std::ptrdiff_t>(j)},
         c);
    joined(w, j, w.size(), depth, "ssh");
    done = true;
    return k;
  }
  if (name == "parallel") {
    // parallel [options] COMMAND ::: ARGS: COMMAND is shell source.
    size_t j = skip_options(w, k, spec_of("parallel"));
    size_t e = j;
    while (e < w.size() && w[e].text.rfind(":::", 0) != 0 && w[e].text != "::::") ++e;
    push({w.begin() + static_cast<std::ptrdiff_t>(k), w.begin() + static_cast<std::ptrdiff_t>(j)},
         c);
    joined(w, j, e, depth, "parallel");
    done = true;
    return k;
  }
  if (name == "watch") {
    size_t j = skip_options(w, k, spec_of("watch"));
    bool direct = false;
    for (size_t p = k + 1; p < j; ++p)
      direct = direct || w[p].text == "-x" || w[p].text == "--exec";
    if (direct)
      nested(w, j, w.size(), depth);
    else
      joined(w, j, w.size(), depth, "watch");
    done = true;
    return k;
  }
  if (name == "su" || name == "runuser" || name == "flock") {
    // -c COMMAND runs COMMAND with a shell; runuser -u USER -- CMD and
    // flock FILE CMD run CMD directly.
    size_t j = k + 1;
    for (; j < w.size(); ++j) {
      const std::string& t = w[j].text;
      if ((t == "-c" || t == "--command") && j + 1 < w.size()) {
        code(w[j + 1], depth);
        push(all(k), c);
        done = true;
        return k;
      }
      if (t.rfind("--command=", 0) == 0) {
        text(t.substr(10), Origin{false, 0, w[j].at}, depth);
        push(all(k), c);
        done = true;
        return k;
      }
      if (t == "--") {
        nested(w, j + 1, w.size(), depth);
        done = true;
        return k;
      }
    }
    if (name == "flock") {
      size_t at = skip_options(w, k, spec_of("flock"));
      if (at < w.size()) return at;
    }
    push(all(k), c);
    done = true;
    return k;
  }
  if (name == "env") {
    // env -S STRING splits STRING into the command's words.
    for (size_t j = k + 1; j < w.size() && is_option(w[j]); ++j) {
      const std::string& t = w[j].text;
      if ((t == "-S" || t == "--split-string") && j + 1 < w.size()) {
        joined(w, j + 1, w.size(), depth, "env -S");
        done = true;
        return k;
      }
      if (t.rfind("-S", 0) == 0 || t.rfind("--split-string=", 0) == 0) {
        unknown(w[j].at, "env -S splits a string into a command");
        done = true;
        return k;
      }
    }
  }
  if (name == "kubectl" || name == "oc") {
    // kubectl exec … -- COMMAND: the command runs in the container.
    bool exec = false;
    for (size_t j = k + 1; j < w.size(); ++j) {
      if (w[j].text == "exec" || w[j].text == "debug") exec = true;
      if (w[j].text == "--" && exec) {
        push({w.begin() + static_cast<std::ptrdiff_t>(k),
              w.begin() + static_cast<std::ptrdiff_t>(j)},
             c);
        nested(w, j + 1, w.size(), depth);
        done = true;
        return k;
      }
    }
    return k;
  }
  if (name == "docker" || name == "podman" || name == "nerdctl" || name == "docker-compose") {
    // docker exec [options] CONTAINER COMMAND…, docker compose exec SERVICE COMMAND…
    size_t j = k + 1;
    if (name != "docker-compose" && j < w.size() &&
        (w[j].text == "compose" || w[j].text == "container"))
      ++j;
    if (j >= w.size() || w[j].text != "exec") return k;
    size_t at = skip_options(w, j, spec_of("exec"));
    push({w.begin() + static_cast<std::ptrdiff_t>(k), w.begin() + static_cast<std::ptrdiff_t>(at)},
         c);
    nested(w, at, w.size(), depth);
    done = true;
    return k;
  }
  if (name == "start-stop-daemon") {
    done = daemon(w, k, c, depth);
    return k;
  }
  if (name == "ip") {
    // ip netns exec NAME COMMAND…
    if (k + 3 < w.size() && w[k + 1].text == "netns" && w[k + 2].text == "exec") {
      nested(w, k + 4, w.size(), depth);
      done = true;
    }
    return k;
  }
  for (const auto& spec : wrappers()) {
    if (name != spec.name) continue;
    bool none = false;
    size_t at = skip_options(w, k, spec, &none);
    if (none || at >= w.size()) {
      push(all(k), c);
      done = true;
      return k;
    }
    return at;
  }
  return k;
}

/// An interpreter given its program inline (python -c, perl -e, node -e, an
/// awk program that runs commands): rbk reads shell, not that language, so
/// the word holding the program, else null.
const ShellWord* inline_program(const std::vector<ShellWord>& w, size_t k, std::string_view base) {
  const bool awk = base == "awk" || base == "gawk" || base == "mawk" || base == "nawk";
  const char* flags = base.rfind("python", 0) == 0 || base == "pypy" || base == "pypy3" ? "c"
                      : base == "perl" || base == "ruby" || base == "lua"               ? "eE"
                      : base == "node" || base == "nodejs"                              ? "ep"
                      : base == "php"                                                   ? "r"
                                                                                        : nullptr;
  for (size_t j = k + 1; j < w.size(); ++j) {
    const std::string& t = w[j].text;
    if (t == "--") break;
    if (t.size() < 2 || t[0] != '-') {
      if (!awk) break;
      // awk's program is its first operand; it runs commands with system()
      // or a pipe (`print | "cmd"`, `"cmd" | getline`; `||` is only "or").
      bool runs = t.find("system(") != std::string::npos;
      for (size_t p = t.find('|'); !runs && p != std::string::npos; p = t.find('|', p + 2))
        runs = !(p + 1 < t.size() && t[p + 1] == '|');
      return runs ? &w[j] : nullptr;
    }
    if (awk) {
      if (t == "-f" || t.rfind("--file", 0) == 0) return nullptr;  // the program is a file
      if (t == "-F" || t == "-v") ++j;                             // the option's value
      continue;
    }
    if (!flags || t.rfind("--", 0) == 0) {
      if (flags && (t == "--eval" || t == "--print" || t.rfind("--eval=", 0) == 0)) return &w[j];
      continue;
    }
    if (std::strchr(flags, t.back())) return j + 1 < w.size() ? &w[j + 1] : &w[j];
  }
  return nullptr;
}

/// A database client that reads the statements it runs from a pipe or a
/// file (`cat x.sql | psql`, `redis-cli < cmds`): rbk sees no statement to
/// match. A here-document or here-string is read (it is in the text), and an
/// inline statement (psql -c, mysql -e, a redis-cli command) means the
/// client does not read its input.
bool reads_statements(const std::vector<ShellWord>& w, size_t k, std::string_view base,
                      const RawCommand& c) {
  const bool fed = c.piped || std::any_of(c.redirects.begin(), c.redirects.end(),
                                          [](const ShellRedirect& r) { return r.op == "<"; });
  if (!fed || !c.input.empty()) return false;
  if (base == "redis-cli" || base == "valkey-cli")
    return skip_options(w, k, spec_of("redis-cli")) >= w.size();
  const char* inline_flags = base == "psql"                         ? "cf"
                             : base == "mysql" || base == "mariadb" ? "e"
                             : base == "mongosh" || base == "mongo" ? ""
                                                                    : nullptr;
  if (!inline_flags) return false;
  for (size_t j = k + 1; j < w.size(); ++j) {
    const std::string& t = w[j].text;
    if (t == "--command" || t == "--file" || t == "--execute" || t == "--eval" ||
        t.rfind("--command=", 0) == 0 || t.rfind("--file=", 0) == 0 ||
        t.rfind("--execute=", 0) == 0 || t.rfind("--eval=", 0) == 0)
      return false;
    if (t.size() > 1 && t[0] == '-' && t[1] != '-')
      for (size_t p = 1; p < t.size(); ++p)
        if (std::strchr(inline_flags, t[p])) return false;
  }
  return true;
}

void Analyser::command(RawCommand c, int depth) {
  if (depth > kMaxDepth) throw TooDeep{};
  const std::vector<ShellWord>& w = c.words;
  if (collecting_ && !w.empty() && !w[0].expands) note_call(w);
  size_t k = 0;
  while (true) {
    if (k >= w.size()) {
      push({}, c);
      return;
    }
    const ShellWord& name = w[k];
    if (name.expands) {
      unknown(name.at, "the command name is a value known only at run time (" + name.text + ")");
      push({}, c);
      return;
    }
    if (name.globs) {
      unknown(name.at, "the command name is a file pattern (" + name.text + ")");
      push({}, c);
      return;
    }
    if (k == 0 && c.name_from_value && functions_.count(name.text)) {
      // Its arguments were not read as the function's: what it runs is not known.
      unknown(name.at, "calls a function whose name is a value (" + name.text + ")");
      push({}, c);
      return;
    }
    const std::string base_text = basename_of(name.text);
    const std::string_view base = base_text;  // g++ 12's string == "x" is strlen + memcmp
    if (is_shell(base)) {
      shell(w, k, c, depth);
      return;
    }
    if ((base == "source" || base == ".") && k + 1 < w.size() && w[k + 1].expands) {
      unknown(w[k + 1].at, "sources a file named at run time (" + w[k + 1].text + ")");
      push({}, c);
      return;
    }
    if (const ShellWord* program = inline_program(w, k, base)) {
      unknown(program->at, base_text + " runs a program given inline, which rbk cannot read");
      push({w.begin() + static_cast<std::ptrdiff_t>(k), w.end()}, c);
      return;
    }
    if (base == "at" || base == "batch") {
      // at TIME reads the commands it schedules from its input (or -f FILE,
      // a script that goes by its name).
      push({w.begin() + static_cast<std::ptrdiff_t>(k), w.end()}, c);
      if (!stdin_code(c, name, base_text, depth) &&
          std::any_of(c.redirects.begin(), c.redirects.end(),
                      [](const ShellRedirect& r) { return r.op == "<"; }))
        unknown(name.at, base_text + " schedules commands it reads from a file");
      return;
    }
    if (reads_statements(w, k, base, c)) {
      unknown(name.at, base_text + " runs statements it reads from a pipe or a file");
      push({w.begin() + static_cast<std::ptrdiff_t>(k), w.end()}, c);
      return;
    }
    if (base == "alias" || base == "trap") {
      // The alias value and the trap action are shell source.
      for (size_t j = k + 1; j < w.size(); ++j) {
        const ShellWord& x = w[j];
        std::string code = x.text;
        Origin o = Origin::of(x);
        if (base == "alias") {
          size_t eq = code.find('=');
          if (eq == std::string::npos) continue;
          code = code.substr(eq + 1);
          o.exact = false;
          o.whole = x.at;
        } else if (j > k + 1 || is_option(x)) {
          continue;  // the signals
        }
        if (x.expands)
          unknown(x.at, base_text + " runs shell code made at run time (" + x.text + ")");
        else
          text(code, o, depth);
      }
      push({w.begin() + static_cast<std::ptrdiff_t>(k), w.end()}, c);
      return;
    }
    if (base == "find") {
      // find … -exec CMD {} ; runs CMD on what it finds.
      push({w.begin() + static_cast<std::ptrdiff_t>(k), w.end()}, c);
      for (size_t j = k + 1; j < w.size(); ++j) {
        const std::string& t = w[j].text;
        if (t != "-exec" && t != "-execdir" && t != "-ok" && t != "-okdir") continue;
        size_t e = j + 1;
        while (e < w.size() && w[e].text != ";" && !(w[e].text == "+" && w[e - 1].text == "{}"))
          ++e;
        nested(w, j + 1, e, depth);
        j = e;
      }
      return;
    }
    embedded(w, k, base_text, c, depth);
    bool done = false;
    size_t next = wrapper(w, k, base, c, depth, done);
    if (done) return;
    if (next == k) {
      push({w.begin() + static_cast<std::ptrdiff_t>(k), w.end()}, c);
      return;
    }
    k = next;
  }
}

}  // namespace rbk::shell_detail
