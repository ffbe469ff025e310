// The YAML form of an Ansible inventory (inventory.hpp): groups, each a
// mapping of `hosts:`, `children:` and `vars:`, nested; what it declares goes
// to an Inventory (inventory_reader.hpp), which checks the whole.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "interpreter/project/inventory_reader.hpp"
#include "interpreter/project/yaml_reader.hpp"

namespace rbk::inventory_detail {

// Its own namespace: a unity build puts other files' local names beside these.
namespace yaml_format {
namespace {

/// Reads the YAML format: groups (usually just `all`), each a mapping of `hosts:`
/// (host → variables or nothing), `children:` (group → the same) and `vars:` (read_yaml).
class YamlInventory : YamlReader {
 public:
  YamlInventory(const SourceFile& file, Diagnostics& errors, Inventory& inv)
      : YamlReader(file, errors), inv_(inv) {}

  void read(const YAML::Node& root) {
    if (root.IsMap()) return groups(root, nullptr);
    if (!root.IsNull())  // an empty file: an empty inventory
      error(root, "an inventory must be a mapping of groups", "e.g. all: {hosts: {web1: }}");
  }

 private:
  Inventory& inv_;

  Span at(const YAML::Node& n) const {
    const auto b = static_cast<uint32_t>(std::max(0, n.Mark().pos));
    return inv_.span(b, b + static_cast<uint32_t>(n.IsScalar() ? n.Scalar().size() : 1));
  }

  /// The groups of `n` (the top level, or `parent`'s children), defined where
  /// they have a mapping; a child with nothing names a group defined elsewhere.
  void groups(const YAML::Node& n, const std::string* parent) {
    for (const auto& kv : n) {
      if (!kv.first.IsScalar()) {
        error(kv.first, "group names must be plain words");
        continue;
      }
      const std::string name = kv.first.Scalar();
      if (!inv_.group_name(name, at(kv.first))) continue;
      if (parent) inv_.child(*parent, name, at(kv.first));
      if (!parent || !kv.second.IsNull()) inv_.define(name, at(kv.first));
      group(name, kv.second);
    }
  }

  /// True when `n` (`group`'s `what`) is a mapping; nothing is empty, else an error.
  bool entries(const YAML::Node& n, const std::string& what, const std::string& group,
               const std::string& example) {
    if (!n.IsMap() && !n.IsNull())
      error(n,
            "'" + what + "' of group '" + group + "' must be a mapping, not " +
                (n.IsSequence() ? "a list" : "text"),
            "e.g. " + what + ": " + example);
    return n.IsMap();
  }

  void group(const std::string& name, const YAML::Node& n) {
    if (n.IsNull()) return;
    if (!n.IsMap())
      return error(n, "group '" + name + "' must be a mapping",
                   "with hosts:, children: and vars:, e.g. " + name + ": {hosts: {web1: }}");
    keys(n, {"hosts", "children", "vars"}, "group key");
    for (const auto& kv : n) {  // in file order: hosts are declared in it
      const YAML::Node& v = kv.second;
      const std::string k = kv.first.IsScalar() ? kv.first.Scalar() : "";
      if (k == "hosts" && entries(v, k, name, "{web1: , web2: {ansible_port: 2222}}"))
        for (const auto& h : v) host(name, h.first, h.second);
      else if (k == "children" && entries(v, k, name, "{web: {hosts: {web1: }}}"))
        groups(v, &name);
      else if (k == "vars" && entries(v, k, name, "{ansible_user: deploy}"))
        for (const auto& x : v)
          if (auto var = variable(x.first, x.second)) inv_.group_var(name, *var);
    }
  }

  /// The variable `k: v` of a host or a group; nullopt after an error.
  std::optional<Var> variable(const YAML::Node& k, const YAML::Node& v) {
    if (!k.IsScalar()) {
      error(k, "variable names must be plain words");
      return std::nullopt;
    }
    const bool text = v.IsScalar();
    return Var{k.Scalar(), text ? v.Scalar() : "", at(k), at(v), text};
  }

  void host(const std::string& group, const YAML::Node& k, const YAML::Node& v) {
    if (!k.IsScalar()) return error(k, "host names must be plain words");
    std::vector<Var> vars;
    if (v.IsMap()) {
      for (const auto& kv : v)
        if (auto var = variable(kv.first, kv.second)) vars.push_back(std::move(*var));
    } else if (!v.IsNull()) {
      error(v, "a host takes a mapping of variables, or nothing",
            "e.g. web1: {ansible_host: 10.0.0.5}");
    }
    inv_.hosts(group, k.Scalar(), at(k), inv_.host_vars(vars));
  }
};

}  // namespace
}  // namespace yaml_format

void read_yaml(const SourceFile& file, Diagnostics& errors, Inventory& inv,
               const YAML::Node& root) {
  yaml_format::YamlInventory(file, errors, inv).read(root);
}

}  // namespace rbk::inventory_detail
