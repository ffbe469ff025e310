#include "interpreter/project/targets.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>
#include <system_error>

#include "interpreter/base/suggest.hpp"
#include "interpreter/project/inventory.hpp"
#include "interpreter/project/yaml_reader.hpp"

namespace rbk {

const Host* Targets::host(const std::string& id) const {
  for (const auto& h : hosts)
    if (h.id == id) return &h;
  return nullptr;
}

std::optional<std::vector<std::string>> Targets::resolve(const std::string& name) const {
  if (host(name)) return std::vector<std::string>{name};
  if (auto it = groups.find(name); it != groups.end()) return it->second;
  return std::nullopt;
}

std::vector<std::string> Targets::names() const {
  std::vector<std::string> out;
  for (const auto& h : hosts) out.push_back(h.id);
  for (const auto& [g, members] : groups) out.push_back(g);
  return out;
}

bool is_target_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

bool is_target_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), is_target_char);
}

void Targets::add_host(Host h) {
  auto it = std::find_if(hosts.begin(), hosts.end(), [&](const Host& x) { return x.id == h.id; });
  if (it != hosts.end())
    *it = std::move(h);
  else
    hosts.push_back(std::move(h));
}

}  // namespace rbk

namespace rbk {

namespace {

namespace fs = std::filesystem;

/// rbk.yaml's `targets:`, each problem at its node.
class TargetsReader : YamlReader {
 public:
  TargetsReader(const SourceFile& file, Diagnostics& errors) : YamlReader(file, errors) {}

  void read(const YAML::Node& n, const std::string& dir, Targets& t) {
    if (!map_of(n, "targets")) return;
    keys(n, {"inventory", "hosts", "groups"}, "targets setting");
    if (auto x = n["inventory"]) inventory(x, dir, t);
    if (auto x = n["hosts"]; x && map_of(x, "targets.hosts")) {
      for (const auto& kv : x) host(kv.first, kv.second, t);
    }
    if (auto x = n["groups"]; x && map_of(x, "targets.groups")) groups(x, t);
  }

 private:
  void inventory(const YAML::Node& x, const std::string& dir, Targets& t) {
    std::string p = text(x, "targets.inventory");
    if (p.empty()) return;
    fs::path full = fs::path(p).is_absolute() ? fs::path(p) : fs::path(dir) / p;
    // Named from the working directory, as rbk.yaml is (config.cpp): its
    // errors and `rbk check --verbose` show the path a user would type.
    std::error_code ec;
    const fs::path normal = full.lexically_normal();
    const fs::path shown = normal.lexically_proximate(fs::current_path(ec));
    Diagnostics read_errors;
    auto file = load_source((ec ? normal : shown).string(), read_errors, kMaxConfigBytes);
    if (!file) {
      for (const auto& d : read_errors)
        error(x, "inventory '" + p + "': " + d.message, "the path is relative to rbk.yaml");
      return;
    }
    read_inventory(file, t, errors_);
  }

  void host(const YAML::Node& key, const YAML::Node& v, Targets& t) {
    if (!key.IsScalar()) return error(key, "host names must be plain words");
    Host h;
    h.id = key.Scalar();
    if (!is_target_name(h.id))
      return error(key, "invalid host name '" + h.id + "'",
                   "host names hold letters, digits, '.', '-' and '_', e.g. web-1");
    if (t.groups.count(h.id)) error(key, "'" + h.id + "' is already a group");
    h.address = h.id;
    if (!v.IsNull()) {
      if (!map_of(v, "targets.hosts." + h.id)) return;
      keys(v, {"address", "port", "user", "labels"}, "host setting");
      if (auto a = v["address"]) {
        h.address = text(a, "address");
        // ssh would read an address starting with '-' as an option.
        if (h.address.empty() || h.address[0] == '-' ||
            h.address.find_first_of(" \t\r\n") != std::string::npos) {
          error(a, "invalid address '" + h.address + "'", "a host name or an IP address");
          h.address = h.id;
        }
      }
      if (auto p = v["port"]) {
        auto port = integer(p, "port");
        if (port && (*port < 1 || *port > 65535))
          error(p, "port " + std::to_string(*port) + " is not between 1 and 65535");
        else if (port)
          h.port = static_cast<int>(*port);
      }
      if (auto u = v["user"]) {
        std::string user = text(u, "user");
        if (!user.empty() && (user[0] == '-' || !is_target_name(user)))
          error(u, "invalid user name '" + user + "'", "letters, digits, '.', '-' and '_'");
        else
          h.user = std::move(user);
      }
      if (auto l = v["labels"]; l && map_of(l, "labels")) {
        for (const auto& kv : l)
          if (kv.first.IsScalar()) h.labels[kv.first.Scalar()] = text(kv.second, "a label");
      }
    }
    t.add_host(std::move(h));
  }

  void groups(const YAML::Node& x, Targets& t) {
    // Every group name first: a group may name one declared after it.
    std::map<std::string, YAML::Node> declared;
    for (const auto& kv : x) {
      if (!kv.first.IsScalar()) {
        error(kv.first, "group names must be plain words");
        continue;
      }
      const std::string g = kv.first.Scalar();
      if (!is_target_name(g)) error(kv.first, "invalid group name '" + g + "'");
      if (t.host(g)) error(kv.first, "'" + g + "' is already a host");
      declared[g] = kv.second;
    }
    std::set<std::string> resolving;
    for (const auto& [g, members] : declared) flatten(g, declared, resolving, t);
  }

  // Resolves group `g` of rbk.yaml into t.groups (members may be groups of
  // rbk.yaml or of the inventory); a cycle is reported, never followed.
  void flatten(const std::string& g, const std::map<std::string, YAML::Node>& declared,
               std::set<std::string>& resolving, Targets& t) {
    if (done_.count(g)) return;
    resolving.insert(g);
    std::vector<std::string> hosts;
    auto add = [&](const std::string& id) {
      if (std::find(hosts.begin(), hosts.end(), id) == hosts.end()) hosts.push_back(id);
    };
    for (const auto& m : list_nodes(declared.at(g), "group '" + g + "'")) {
      std::string name = text(m, "a group member");
      if (name.empty()) continue;
      if (t.host(name)) {
        add(name);
      } else if (declared.count(name)) {
        if (resolving.count(name)) {
          error(m, "group '" + g + "' contains itself through '" + name + "'");
          continue;
        }
        flatten(name, declared, resolving, t);
        for (const auto& id : t.groups[name]) add(id);
      } else if (auto it = t.groups.find(name); it != t.groups.end()) {
        for (const auto& id : it->second) add(id);  // an inventory group
      } else {
        std::vector<std::string> names = t.names();
        for (const auto& [d, n] : declared) names.push_back(d);
        std::string hint = did_you_mean(name, names);
        error(m, "unknown host or group '" + name + "'",
              hint.empty() ? "declare it under targets.hosts or targets.groups" : hint);
      }
    }
    resolving.erase(g);
    done_.insert(g);
    t.groups[g] = std::move(hosts);
  }

  std::set<std::string> done_;
};

}  // namespace

void read_targets(const SourceFile& file, const YAML::Node& n, const std::string& dir,
                  Targets& into, Diagnostics& errors) {
  TargetsReader(file, errors).read(n, dir, into);
}

}  // namespace rbk
