// What a shell command runs, as far as rbk can tell without running it. A
// small POSIX sh lexer and parser (the forms /bin/sh and runbooks use, a few
// bash ones included) finds every simple command — in pipelines and lists,
// compound commands, function bodies, $(…), backticks, `sh -c 'literal'` and
// behind wrappers such as sudo, env, timeout or xargs — with its words
// unquoted, its redirections and the data fed to it, and everything it cannot
// see through: a command name held in a variable, eval or `sh -c` of a value,
// a shell reading code from a pipe. When in doubt it says "cannot analyse".
// The destructive-command patterns (destructive.hpp) match what it finds.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace rbk {

/// A byte range [begin, end) of the analysed text.
struct ShellRange {
  size_t begin = 0;
  size_t end = 0;
};

/// One word with quotes and backslashes removed; expansions stay as written
/// (`"$dir/x"` reads `$dir/x`).
struct ShellWord {
  std::string text;
  ShellRange at;         // where it is in the analysed text
  bool expands = false;  // holds $…, ${…}, $(…) or `…`: its value is known only at run time
  bool globs = false;    // holds an unquoted * ? or [
  /// Offset in the analysed text of text[0] when the text is a verbatim copy
  /// of the source (a plain or single-quoted word), else npos.
  size_t verbatim = std::string::npos;
};

/// A redirection to or from a file (descriptor duplications are left out).
struct ShellRedirect {
  std::string op;  // ">", ">|", ">>", "&>", "&>>", "<", "<>"
  ShellWord target;
  ShellRange op_at;  // where the operator is (with its descriptor number: `2>`)
};

/// One simple command as it runs: wrappers (sudo, env, timeout, xargs, …)
/// and variable assignments removed, the command name reduced to its
/// basename (`/usr/bin/rm` reads `rm`).
struct ShellCommand {
  std::vector<ShellWord> words;  // empty for a command of redirections only (`> file`)
  std::vector<ShellRedirect> redirects;
  std::vector<ShellWord> input;  // here-document bodies and here-strings it reads
};

/// Something whose effect rbk cannot know without running it.
struct ShellUnknown {
  ShellRange at;
  std::string why;  // e.g. "the command name is a variable ($cmd)"
};

/// Everything found in one command text, each list in text order.
struct ShellAnalysis {
  std::vector<ShellCommand> commands;
  std::vector<ShellUnknown> unknowns;
  /// With values: how many readings (choices 0…readings-1) cover every
  /// combination of the candidates of the names the command assigns itself.
  size_t readings = 1;
};

/// The values a command's variables will hold when it runs (its
/// environment: parameters, captures, answers), by name.
using ShellValues = std::map<std::string, std::string, std::less<>>;

/// True when shell text mentions `$name` or `${name…}` anywhere (quoted or
/// not): a cheap look, not a parse, on the side of "it may read it".
bool mentions_variable(std::string_view script, std::string_view name);

/// How the readings of a command pick among its candidates: one digit per
/// name (and one per scope's ways, whose places stay aligned), the
/// reading's number written in mixed radix, so that every combination is
/// read (`x` and `y` of nested loops, a loop over "$@" in each way a
/// function is called) while there are at most 256; past that the widest
/// names go in step with each other (reading N takes the Nth of each),
/// crossed with the others.
class ShellCrossing {
 public:
  /// Which of `size` candidates of `key` reading `reading` takes (modulo
  /// `size`); notes a key not seen before, or seen with fewer (grown()).
  size_t digit(const std::string& key, size_t size, size_t reading);
  /// How many readings cover every combination (or every candidate, in step).
  size_t readings() const { return readings_; }
  /// A digit appeared or widened since the last clear(): the readings
  /// read before it were numbered in another radix.
  bool grown() const { return grown_; }
  void clear_grown() { grown_ = false; }

 private:
  /// Readings of one command, at most.
  static constexpr size_t kMostReadings = 256;
  void renumber();                                   // below_ and readings_ from radix_
  std::map<std::string, size_t, std::less<>> slot_;  // key → its digit, in the order first read
  std::vector<size_t> radix_;                        // by digit
  std::vector<size_t> below_;  // by digit: what a reading's number is divided by for it
  size_t readings_ = 1;
  bool grown_ = false;
};

/// What the positional parameters ($1, $@, …) of each scope of a command
/// may hold — a function's body (its calls' words), `sh -c` code (the words
/// after it), the top level (`set --`) — found by a first pass over the
/// text. analyse_shell() builds it on the first reading of a text and the
/// next readings of the same text and values reuse it (judge() keeps it).
struct ShellArguments {
  bool built = false;
  /// Shared by every reading of the text (see ShellCrossing).
  ShellCrossing crossing;
  /// Scopes called in more ways than the readings cover: reading one of
  /// their parameters makes the command one rbk cannot analyse.
  std::set<std::string, std::less<>> crowded;
  /// Names a scope assigns one of its places (`local v=$1`): by scope,
  /// '\x1f' and name, the place.
  std::map<std::string, char, std::less<>> aliases;
  /// By scope, then '\x1f' and '@' (for $@ and $*) or '1'…'9'.
  std::map<std::string, std::vector<std::string>, std::less<>> by_scope;
  /// An assignment of a name, as the readings so far found it, with where
  /// it was made: the scope it is `local` in ("" when it is not), the
  /// loops (`do` … `done`) around it, by where their `do` is, and where.
  struct Later {
    std::string words;
    std::string local_in;
    std::vector<size_t> loops;
    size_t at = 0;  // where in the text (Analyser::at())
    bool operator==(const Later&) const = default;
  };
  /// Every assignment the readings found, by name: a function's body, read
  /// where it is defined, reads a name its calls may find assigned anywhere
  /// (`f(){ kubectl "$v" …; }; v=delete; f`), and a loop's next turn what
  /// its last turn assigned after the read.
  std::map<std::string, std::vector<Later>, std::less<>> assigned;
  /// Assignments kept of one name, at most (a loop of them is bounded).
  static constexpr size_t kMostAssigned = 256;
  std::set<std::string, std::less<>> open;
  /// The last reading read a name before some of what the text assigns
  /// it: the readings start over with all of it.
  bool assigned_later = false;
};

/// Analyses a shell command text (what a `run` or `until` runs). Linear in
/// the text's length; never throws on any input.
///
/// With `values`, each `$NAME` and `${NAME…}` of a known name reads as the
/// shell would see it: its value, split into words where it is unquoted. A
/// value can choose a command's verb or option (`find . "$action"` with
/// action=-delete), which the text alone never shows. A name the command
/// assigns itself (`NAME=…`, `for NAME`, `read NAME`, `set --`) may hold one
/// of several candidates: reading `choice` takes one combination of them
/// (ShellCrossing), and the result's `readings` says how many readings
/// cover them all. The
/// positional parameters ($1, $@, …) may hold the words the command passes
/// its own functions, `set --` and `sh -c CODE NAME`, each in its scope
/// (`arguments`: built once for all readings when given). A name with more
/// candidates than the readings cover is reported as unknown.
ShellAnalysis analyse_shell(std::string_view text, const ShellValues* values = nullptr,
                            size_t choice = 0, ShellArguments* arguments = nullptr);

}  // namespace rbk
