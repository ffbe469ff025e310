// The hosts a project's steps can run on over SSH, and their groups: named in
// rbk.yaml (`targets:`) or read from an existing Ansible inventory
// (inventory.hpp), so that a team keeps one host list. Runbooks take them as
// a `targets` parameter and run a step `on` them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "interpreter/base/diagnostic.hpp"

namespace YAML {
class Node;
}

namespace rbk {

/// One host: what `ssh` is given to reach it.
struct Host {
  std::string id;           // the name runbooks, `--target` and the record use
  std::string address;      // what ssh connects to (a name ~/.ssh/config may know); never empty
  std::optional<int> port;  // unset: ssh's own (or ~/.ssh/config's)
  std::string user;         // empty: ssh's own
  std::map<std::string, std::string> labels;  // free-form, shown by plan
};

/// Hosts and groups, as rbk.yaml and the inventory declare them.
struct Targets {
  std::vector<Host> hosts;  // in declaration order; ids are unique
  /// Group name → its hosts' ids, children flattened, in declaration
  /// order, each host once. A group never has a host's name.
  std::map<std::string, std::vector<std::string>> groups;
  /// Inventory variables rbk does not use ("FILE:LINE:COL: NAME"), for
  /// `rbk check --verbose`: they are ignored, never silently.
  std::vector<std::string> ignored;

  /// The host with this id, or null.
  const Host* host(const std::string& id) const;
  /// The hosts a name stands for: a host's id (itself), or a group's
  /// members; nullopt when it is neither.
  std::optional<std::vector<std::string>> resolve(const std::string& name) const;
  /// Every host and group name, for "did you mean".
  std::vector<std::string> names() const;
  /// Adds a host, or replaces the one with its id (a later source wins).
  void add_host(Host h);
};

/// A character a host or group name may hold: ASCII letters, digits, '.',
/// '-' and '_' (the same in rbk.yaml, an inventory and a `targets` value).
bool is_target_char(char c);
/// A non-empty name of such characters only.
bool is_target_name(std::string_view name);

/// Reads rbk.yaml's `targets:` mapping (`inventory: FILE`, read first;
/// `hosts:`; `groups:`, whose members are hosts or groups) into `into`,
/// every problem a diagnostic at its place in `file` (or in the inventory).
/// `dir` anchors the inventory's path.
void read_targets(const SourceFile& file, const YAML::Node& n, const std::string& dir,
                  Targets& into, Diagnostics& errors);

}  // namespace rbk
