// Shell variables in a command's text, for lint's correctness rules: which
// `$NAME`s it reads, which names it assigns itself, and the variables every
// environment has. A simple scan, not a shell parser.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace rbk::lint_detail {

/// A `$NAME` or `${NAME…}` in shell text.
struct VarRef {
  std::string name;
  size_t offset;  // of the '$'
  size_t length;
};

/// Variable references outside single quotes, bare names inside `$((…))`
/// included (here-documents, nested quoting in $(…) and `eval` are plain text).
std::vector<VarRef> shell_vars(const std::string& t);

/// Names a shell literal assigns itself: `name=`, `for name in`, `read [-r] name…`,
/// `local`/`export`/`readonly name`.
std::set<std::string> assigned_in(const std::string& t);

/// Variables every command's environment has (PATH, HOME, …).
const std::set<std::string>& common_env();

}  // namespace rbk::lint_detail
