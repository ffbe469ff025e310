// The shell completions, written from the command-line model
// (cli_model.hpp) for bash, zsh and fish. Commands, options and fixed
// choices are spelled out in the script; what depends on the project —
// runbook names, the chosen runbook's parameters and steps, hosts and
// groups, run ids — is asked of `rbk __complete KIND [RUNBOOK]` as the user
// types (cmd_complete.cpp), in the directory they type in.
#include <set>
#include <string>

#include "cli/cli_model.hpp"
#include "interpreter/base/names.hpp"

namespace rbk::cli {

namespace {

/// The kind's name as `rbk __complete` takes it, for the kinds it answers.
const char* query_of(ValueKind k) {
  switch (k) {
    case ValueKind::Runbook:
      return "runbooks";
    case ValueKind::Param:
      return "params";
    case ValueKind::Step:
      return "steps";
    case ValueKind::Target:
      return "targets";
    case ValueKind::Run:
      return "runs";
    default:
      return "";
  }
}

/// Items joined by spaces, as shell word lists are.
std::string words(const std::vector<std::string>& items) {
  return rbk::join(items, " ");
}

/// Every spelling of an option: "-p", "--param".
std::vector<std::string> spellings(const OptionSpec& o) {
  std::vector<std::string> out;
  if (!o.short_name.empty()) out.push_back("-" + o.short_name);
  if (!o.long_name.empty()) out.push_back("--" + o.long_name);
  return out;
}

/// Every spelling of every option that takes a value, sorted, space-separated:
/// what the zsh and fish scripts skip over to find a command's runbook.
std::string valued_spellings(const CliSpec& spec) {
  std::set<std::string> valued;
  for (const auto& c : spec.commands)
    for (const auto& o : c.options)
      if (!o.positional && !o.flag)
        for (const auto& s : spellings(o)) valued.insert(s);
  return words({valued.begin(), valued.end()});
}

/// The first positional of a command, or nullptr.
const OptionSpec* first_positional(const CommandSpec& c) {
  for (const auto& o : c.options)
    if (o.positional) return &o;
  return nullptr;
}

/// The bash words that complete a value of `kind`: a shell snippet filling
/// COMPREPLY from $cur (and $runbook, the command's first positional).
std::string bash_value(const OptionSpec& o) {
  switch (o.kind) {
    case ValueKind::Choice:
      return "_rbk_words \"" + words(o.choices) + "\"";
    case ValueKind::Runbook:
      return "_rbk_words \"$(_rbk_query runbooks)\"; _rbk_files '*.rbk'";
    case ValueKind::Param:
      // "host=": the value follows the name at once.
      return "_rbk_words \"$(_rbk_query params \"$runbook\" | sed 's/$/=/')\"; "
             "compopt -o nospace 2>/dev/null";
    case ValueKind::Step:
    case ValueKind::Target:
      return std::string("_rbk_words \"$(_rbk_query ") + query_of(o.kind) + " \"$runbook\")\"";
    case ValueKind::Run:
      return "_rbk_words \"$(_rbk_query runs)\"";
    case ValueKind::File:
    case ValueKind::Path:
      return "_rbk_files";
    case ValueKind::Command:
      return "_rbk_words \"$_rbk_commands\"";
    default:
      return ":";
  }
}

std::string bash(const CliSpec& spec) {
  std::vector<std::string> names;
  for (const auto& c : spec.commands) names.push_back(c.name);
  std::string global;
  for (const auto& o : spec.global) global += " " + words(spellings(o));

  std::string options_case, value_case, takes_case, positional_case;
  for (const auto& c : spec.commands) {
    std::string all;
    for (const auto& o : c.options) {
      if (o.positional) continue;
      all += (all.empty() ? "" : " ") + words(spellings(o));
      if (o.flag) continue;
      for (const auto& s : spellings(o)) {
        value_case += "    \"" + c.name + " " + s + "\") " + bash_value(o) + " ;;\n";
        takes_case += (takes_case.empty() ? "    \"" : "|\"") + c.name + " " + s + "\"";
      }
    }
    options_case += "    " + c.name + ") echo \"" + all + "\" ;;\n";
    if (const OptionSpec* p = first_positional(c))
      positional_case += "    " + c.name + ") " + bash_value(*p) + " ;;\n";
  }

  return R"SH(# bash completion for rbk. Generated from rbk's command-line definition
# (`rbk completion bash`); do not edit. Runbooks, parameters, steps, hosts and
# run ids come from `rbk __complete` in the directory being typed in.
_rbk_commands=")SH" +
         words(names) + R"SH("

_rbk_query() { "${_rbk_bin:-rbk}" __complete "$@" 2>/dev/null; }
_rbk_words() { mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -W "$1" -- "$cur"); }
_rbk_files() {
  compopt -o filenames 2>/dev/null
  if [ -n "$1" ]; then
    mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -X "!$1" -- "$cur"; compgen -d -- "$cur")
  else
    mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$cur")
  fi
}

# The options of a command, all spellings.
_rbk_options() {
  case "$1" in
)SH" + options_case +
         R"SH(  esac
}

# Succeeds when option $2 of command $1 takes a value.
_rbk_takes_value() {
  case "$1 $2" in
)SH" + takes_case +
         R"SH() return 0 ;;
  esac
  return 1
}

# Completes the value of option $2 of command $1; fails when $2 takes none.
_rbk_value() {
  case "$1 $2" in
)SH" + value_case +
         R"SH(    *) return 1 ;;
  esac
}

# Completes the first positional of command $1.
_rbk_positional() {
  case "$1" in
)SH" + positional_case +
         R"SH(  esac
}

_rbk() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  local cmd="" runbook="" w i skip=0
  local _rbk_bin=${COMP_WORDS[0]}
  COMPREPLY=()
  # The command, and its first positional (the runbook of run, plan, show):
  # every word before the cursor that is no option and no option's value.
  # '=' is a word of its own to bash: "--format=json" is three.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    if ((skip)); then skip=0; continue; fi
    if [[ $w == "=" ]]; then skip=1; continue; fi
    if [[ -z $cmd ]]; then
      [[ $w != -* ]] && cmd=$w
      continue
    fi
    if [[ $w == -* ]]; then
      _rbk_takes_value "$cmd" "$w" && skip=1
      continue
    fi
    [[ -z $runbook ]] && runbook=$w
  done
  if [[ -z $cmd ]]; then
    _rbk_words "$_rbk_commands)SH" +
         global + R"SH("
    return
  fi
  if [[ $cur == "=" ]]; then
    cur=""
  elif [[ $prev == "=" ]]; then
    prev=${COMP_WORDS[COMP_CWORD - 2]}
    [[ $prev == -* ]] || return
  fi
  if [[ $prev == -* ]] && _rbk_value "$cmd" "$prev"; then return; fi
  if [[ $cur == -* ]]; then
    _rbk_words "$(_rbk_options "$cmd")"
    return
  fi
  [[ -z $runbook ]] && _rbk_positional "$cmd"
}

complete -F _rbk rbk
)SH";
}

/// Text for a zsh _arguments spec or _describe item: brackets, colons and
/// single quotes made literal.
std::string zsh_text(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '[' || c == ']' || c == ':' || c == '\\') out += '\\';
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out;
}

std::string zsh_action(const OptionSpec& o) {
  switch (o.kind) {
    case ValueKind::Choice:
      return "(" + words(o.choices) + ")";
    case ValueKind::Runbook:
      return "_rbk_runbooks";
    case ValueKind::Param:
    case ValueKind::Step:
    case ValueKind::Target:
    case ValueKind::Run:
      return std::string("_rbk_dynamic ") + query_of(o.kind);
    case ValueKind::File:
    case ValueKind::Path:
      return "_files";
    case ValueKind::Command:
      return "_rbk_commands";
    default:
      return " ";
  }
}

std::string zsh(const CliSpec& spec) {
  std::string commands, cases;
  for (const auto& c : spec.commands) {
    commands += "    '" + zsh_text(c.name) + ":" + zsh_text(c.help) + "'\n";
    cases += "      " + c.name + ")\n        _arguments -s \\\n";
    for (const auto& o : c.options) {
      std::string spec_text;
      if (o.positional) {
        spec_text = std::string(o.repeatable ? "*" : "1") + ":" + zsh_text(o.long_name) + ":" +
                    zsh_action(o);
      } else {
        const auto names = spellings(o);
        std::string help = "[" + zsh_text(o.help) + "]";
        std::string value = o.flag ? "" : ":" + zsh_text(o.value_name) + ":" + zsh_action(o);
        std::string star = o.repeatable ? "*" : "";
        if (names.size() == 2)
          spec_text =
              "(" + words(names) + ")" + star + "'{" + rbk::join(names, ",") + "}'" + help + value;
        else
          spec_text = star + names.front() + help + value;
      }
      cases += "          '" + spec_text + "' \\\n";
    }
    cases += "        ;;\n";
  }
  return R"SH(#compdef rbk
# zsh completion for rbk. Generated from rbk's command-line definition
# (`rbk completion zsh`); do not edit. Runbooks, parameters, steps, hosts and
# run ids come from `rbk __complete` in the directory being typed in.

# The command's first positional (the runbook of run, plan, show): the first
# word after the command that is no option and no option's value.
_rbk_runbook_word() {
  local -a valued=()SH" +
         valued_spellings(spec) + R"SH()
  local i skip=0
  for ((i = 2; i < CURRENT; i++)); do
    if ((skip)); then skip=0; continue; fi
    if [[ ${words[i]} == -* ]]; then
      (( ${valued[(Ie)${words[i]%%=*}]} )) && [[ ${words[i]} != *=* ]] && skip=1
      continue
    fi
    print -r -- ${words[i]}
    return
  done
}

_rbk_dynamic() {
  local -a items
  items=(${(f)"$(_call_program rbk-complete rbk __complete $1 "$(_rbk_runbook_word)" 2>/dev/null)"})
  if [[ $1 == params ]]; then
    compadd -S '=' -q -- $items
  else
    compadd -- $items
  fi
}

_rbk_runbooks() {
  local -a items
  items=(${(f)"$(_call_program rbk-complete rbk __complete runbooks 2>/dev/null)"})
  compadd -- $items
  _files -g '*.rbk'
}

_rbk_commands() {
  local -a commands=(
)SH" + commands +
         R"SH(  )
  _describe -t commands 'rbk command' commands
}

_rbk() {
  local curcontext="$curcontext" state line
  typeset -A opt_args
  _arguments -C \
    '(- *)'{-h,--help}'[Print help and exit]' \
    '(- *)--version[Print the version and exit]' \
    '1: :_rbk_commands' \
    '*:: :->args'
  case $state in
    args)
      curcontext="${curcontext%:*}-$words[1]:"
      case $words[1] in
)SH" + cases +
         R"SH(      esac
      ;;
  esac
}

_rbk "$@"
)SH";
}

/// Text in single quotes for fish.
std::string fish_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string fish_values(const OptionSpec& o) {
  switch (o.kind) {
    case ValueKind::Choice:
      return " -x -a " + fish_quote(words(o.choices));
    case ValueKind::Runbook:
      return " -x -a '(__rbk_query runbooks) (__fish_complete_suffix .rbk)'";
    case ValueKind::Param:
      return " -x -a '(__rbk_query params (__rbk_runbook) | string replace -r \"\\$\" \"=\")'";
    case ValueKind::Step:
    case ValueKind::Target:
      return std::string(" -x -a '(__rbk_query ") + query_of(o.kind) + " (__rbk_runbook))'";
    case ValueKind::Run:
      return " -x -a '(__rbk_query runs)'";
    case ValueKind::File:
    case ValueKind::Path:
      return " -r -F";
    default:  // free text; a command name is offered by the caller
      return " -x";
  }
}

std::string fish(const CliSpec& spec) {
  std::vector<std::string> names;
  for (const auto& c : spec.commands) names.push_back(c.name);
  std::string out = R"SH(# fish completion for rbk. Generated from rbk's command-line definition
# (`rbk completion fish`); do not edit. Runbooks, parameters, steps, hosts and
# run ids come from `rbk __complete` in the directory being typed in.

function __rbk_query
    command rbk __complete $argv 2>/dev/null
end

# The command's first positional (the runbook of run, plan, show).
function __rbk_runbook
    set -l valued )SH" +
                    valued_spellings(spec) + R"SH(
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l seen_command 0
    set -l skip 0
    for t in $tokens
        if test $skip -eq 1
            set skip 0
            continue
        end
        if string match -q -- '-*' $t
            if contains -- $t $valued
                set skip 1
            end
            continue
        end
        if test $seen_command -eq 0
            set seen_command 1
            continue
        end
        echo $t
        return
    end
end

complete -c rbk -f
complete -c rbk -n __fish_use_subcommand -s h -l help -d 'Print help and exit'
complete -c rbk -n __fish_use_subcommand -l version -d 'Print the version and exit'
)SH";
  for (const auto& c : spec.commands)
    out += "complete -c rbk -n __fish_use_subcommand -a " + c.name + " -d " + fish_quote(c.help) +
           "\n";
  for (const auto& c : spec.commands) {
    const std::string cond = " -n '__fish_seen_subcommand_from " + c.name + "'";
    for (const auto& o : c.options) {
      if (o.positional) {
        std::string values =
            o.kind == ValueKind::Command ? " -x -a " + fish_quote(words(names)) : fish_values(o);
        // A positional: offered when no option asks for a value.
        out += "complete -c rbk" + cond + values + "\n";
        continue;
      }
      out += "complete -c rbk" + cond;
      if (!o.short_name.empty()) out += " -s " + o.short_name;
      if (!o.long_name.empty()) out += " -l " + o.long_name;
      if (!o.flag) out += fish_values(o);
      out += " -d " + fish_quote(o.help) + "\n";
    }
  }
  return out;
}

}  // namespace

std::string completion_script(const CliSpec& spec, const std::string& shell) {
  if (shell == "bash") return bash(spec);
  if (shell == "zsh") return zsh(spec);
  if (shell == "fish") return fish(spec);
  return "";
}

}  // namespace rbk::cli
