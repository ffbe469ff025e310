// What the INI and YAML readers of an Ansible inventory (inventory.hpp)
// share: both only tell one Inventory what the file declares (groups, hosts,
// children, host and group variables) as they scan it; the Inventory checks
// the whole (undefined groups, cycles, a name used by a host and a group),
// merges the variables as Ansible does and fills Targets, so both formats
// follow one set of rules. Internal to inventory*.cpp.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "interpreter/base/diagnostic.hpp"
#include "interpreter/base/source.hpp"
#include "interpreter/project/targets.hpp"

namespace rbk::inventory_detail {

/// std::string_view::npos, shorter: the readers search text a lot.
inline constexpr auto npos = std::string_view::npos;

/// True when `s` is 1 to `max` decimal digits.
bool all_digits(std::string_view s, size_t max);

/// A variable as written, with where its name and value are.
struct Var {
  std::string name, value;
  Span name_at, value_at;
  bool text = true;  // false: a YAML list, mapping or nothing
};

/// What ssh needs of a host; unset: not said (yet).
struct Settings {
  std::optional<std::string> address, user;
  std::optional<int> port;
};

/// A host or a child group named in a group (`at`), in file order.
struct Member {
  bool group = false;
  std::string name;
  Span at;
};

/// A group as declared so far.
struct GroupEntry {
  bool defined = false;
  Span first;  // where it is first defined
  std::vector<Member> members;
  Settings settings;         // its variables ansible_port and ansible_user
  int priority = 1;          // ansible_group_priority: orders groups of one depth
  std::optional<Span> vars;  // its first [name:vars] section: it must be defined
};

/// A host as declared so far.
struct HostEntry {
  Span first;
  Settings settings;     // its own variables, which win over its groups'
  bool grouped = false;  // a member of a group other than all and ungrouped
};

/// What the file declares, in file order; finish() checks it as a whole.
class Inventory {
 public:
  /// An empty inventory of `file` (YAML or INI, for the wording of help).
  Inventory(const SourceFile& file, Diagnostics& errors, bool yaml);

  /// The span of bytes [begin, end) of the file, kept inside it.
  Span span(uint32_t begin, uint32_t end) const;
  /// The groups every inventory has without declaring them.
  static bool implicit_group(const std::string& g) { return g == "all" || g == "ungrouped"; }
  /// Reports an error at `at`.
  void error(const Span& at, std::string msg, std::string help = {});
  /// Lists a variable rbk does not use ("FILE:LINE:COL: NAME").
  void ignore(const std::string& name, const Span& at);
  /// True when `name` may name a group; otherwise reports it at `at`.
  bool group_name(const std::string& name, const Span& at);
  /// Declares group `name` (a section header, a mapping) at `at`.
  void define(const std::string& name, const Span& at);
  /// Names `child` a child of `parent`, at `at`.
  void child(const std::string& parent, const std::string& child, const Span& at);
  /// The ssh settings among a host line's `vars`, checked once for all its
  /// hosts; the other variables are listed as ignored.
  Settings host_vars(const std::vector<Var>& vars);
  /// Notes a [name:vars] section at `at`: finish() reports it when group
  /// `name` is never defined (Ansible refuses it too).
  void vars_section(const std::string& name, const Span& at);
  /// A variable of group `name`: ansible_port, ansible_user and
  /// ansible_group_priority are kept (a later one wins), the others listed
  /// as ignored, ansible_host too (a group has no address).
  void group_var(const std::string& name, const Var& v);
  /// Adds the hosts `pattern` (at `at`) stands for to group `in`, with `s`.
  void hosts(const std::string& in, const std::string& pattern, const Span& at, const Settings& s);
  /// Checks what was declared as a whole and adds it to `into`.
  void finish(Targets& into);

 private:
  const SourceFile& file_;
  Diagnostics& errors_;
  bool yaml_;
  std::map<std::string, GroupEntry> groups_;
  std::vector<std::string> group_order_;  // in order of first mention
  std::map<std::string, HostEntry> hosts_;
  std::vector<std::string> host_order_;
  std::vector<std::string> ignored_;
  std::map<std::string, std::vector<std::string>> flat_;
  size_t spent_ = 0;

  GroupEntry& group(const std::string& name);
  bool spend(size_t n, const Span& at);
  bool setting(const Var& v, Settings& into);
  void check_defined(const std::string& name, const Span& at,
                     const std::vector<std::string>& defined, bool vars);
  void check_names(const Targets& into);
  const std::vector<std::string>& flatten(const std::string& name, std::vector<std::string>& path);
  std::map<std::string, Settings> merged_settings(const std::vector<std::string>& ungrouped);
};

/// Reads the INI format, line by line, into `inv`.
void read_ini(const SourceFile& file, Inventory& inv);

/// Reads the YAML format (the document `root` of `file`) into `inv`.
void read_yaml(const SourceFile& file, Diagnostics& errors, Inventory& inv, const YAML::Node& root);

}  // namespace rbk::inventory_detail
