// Reading an Ansible inventory (inventory.hpp): the Inventory that the INI
// reader (inventory_ini.cpp) and the YAML reader (inventory_yaml.cpp) tell
// what the file declares, host ranges, and the entry point that picks the
// format (inventory_reader.hpp says who does what).
#include "interpreter/project/inventory.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "interpreter/base/names.hpp"
#include "interpreter/base/suggest.hpp"
#include "interpreter/project/inventory_reader.hpp"
#include "interpreter/project/yaml_reader.hpp"

namespace rbk {

namespace inventory_detail {

bool all_digits(std::string_view s, size_t max) {
  return !s.empty() && s.size() <= max &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// Its own namespace: a unity build puts other files' local names beside these.
namespace {

// Far more than a fleet: web[1:9999999] is a typo, not a long wait.
constexpr size_t kMaxRangeHosts = 10000;
// Ranges and nested groups multiply: a small file must not exhaust memory.
constexpr size_t kMaxMemberships = 1000000;
// Deeper than inventories nest groups; it bounds the flattening recursion.
constexpr size_t kMaxDepth = 100;
constexpr const char* kRangeForms = "ranges look like web[01:03] or db-[a:c]; [1:9:2] steps by 2";

/// Why `name` cannot name a host or a group, or "" when it can. The name is
/// never quoted back: a YAML escape can put a control character in it.
std::string bad_name(std::string_view name) {
  if (name.empty()) return "it is empty";
  if (name[0] == '-') return "it starts with '-'";  // ssh would read an option
  for (char c : name) {
    if (is_target_char(c)) continue;
    if (c >= ' ' && c < 0x7F) return std::string("'") + c + "' is not allowed";
    return "only ASCII letters, digits, '.', '-' and '_' are allowed";
  }
  return "";
}

/// The hosts a pattern (web[01:03].example.com) stands for, or an error at [at, at+len).
struct Expansion {
  std::vector<std::string> names;
  std::string error, help;
  size_t at = 0, len = 0;
};

/// The values of one range ("01:03", "a:c", "1:9:2") as Ansible reads it (a
/// zero-padded start pads every value, an empty one is 0); false: x.error.
bool range_values(std::string_view body, std::vector<std::string>& out, Expansion& x) {
  auto fail = [&](const char* why, const char* help = kRangeForms) {
    x.error = std::string("this host range ") + why;
    x.help = help;
    return false;
  };
  const size_t c1 = body.find(':'), c2 = c1 == npos ? npos : body.find(':', c1 + 1);
  if (c1 == npos || (c2 != npos && body.find(':', c2 + 1) != npos))
    return fail("is not [start:end] or [start:end:step]");
  const std::string_view beg = c1 ? body.substr(0, c1) : "0";
  const std::string_view end = body.substr(c1 + 1, c2 == npos ? npos : c2 - c1 - 1);
  if (end.empty()) return fail("has no end");
  long step = 1;
  if (c2 != npos && (!all_digits(body.substr(c2 + 1), 9) ||
                     (step = std::stol(std::string(body.substr(c2 + 1)))) < 1))
    return fail("has a step that is not a whole number from 1");
  static constexpr std::string_view kAz = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  auto letter = [](std::string_view s) { return s.size() == 1 ? kAz.find(s[0]) : npos; };
  if (letter(beg) != npos && letter(end) != npos) {
    if (letter(beg) > letter(end))
      return fail("runs backwards", "put the earlier letter first: [a:c]");
    for (size_t i = letter(beg); i <= letter(end); i += static_cast<size_t>(step))
      out.emplace_back(1, kAz[i]);
    return true;
  }
  if (!all_digits(beg, 9) || !all_digits(end, 9))
    return fail("is neither of numbers ([01:03]) nor of single letters ([a:c])");
  const size_t width = beg.size() > 1 && beg[0] == '0' ? beg.size() : 0;
  if (width && end.size() != width)
    return fail("pads its ends to different widths", "pad both ends alike: [01:10], not [01:9]");
  const long b = std::stol(std::string(beg)), e = std::stol(std::string(end));
  if (b > e) return fail("runs backwards", "put the smaller number first: [1:3]");
  if (static_cast<size_t>((e - b) / step) >= kMaxRangeHosts)
    return fail("stands for more than 10000 hosts", "split it, or list the hosts another way");
  for (long i = b; i <= e; i += step) {
    std::string v = std::to_string(i);
    out.push_back(std::string(width > v.size() ? width - v.size() : 0, '0') + v);
  }
  return true;
}

Expansion expand_pattern(std::string_view p) {
  Expansion x{{""}, {}, {}, 0, 0};
  for (size_t i = 0;;) {
    const size_t open = p.find('[', i), close = open == npos ? npos : p.find(']', open);
    for (auto& n : x.names) n += p.substr(i, open == npos ? npos : open - i);
    if (open == npos) return x;
    x.at = open;
    x.len = close == npos ? 1 : close - open + 1;
    std::vector<std::string> values, next;
    if (close == npos) {
      x.error = "a host range without its closing ']'";
      x.help = kRangeForms;
    } else if (range_values(p.substr(open + 1, close - open - 1), values, x) &&
               x.names.size() * values.size() > kMaxRangeHosts) {
      x.error = "the ranges make this pattern stand for more than 10000 hosts";
      x.help = "split it, or list the hosts another way";
    }
    if (!x.error.empty()) return x;
    for (const auto& n : x.names)
      for (const auto& v : values) next.push_back(n + v);
    x.names = std::move(next);
    i = close + 1;
  }
}

/// Why an ansible_host or ansible_user value cannot go to ssh, or "".
std::string bad_ssh_word(const Var& v) {
  if (!v.text) return "must be text";
  if (v.value.empty()) return v.name == "ansible_host" ? "is empty" : "";
  if (v.value[0] == '-') return "starts with '-', which ssh would read as an option";
  for (unsigned char c : v.value)
    if (c <= ' ' || c == 0x7F) return "holds a space or a control character";
  return "";
}

/// YAML or INI, as inventory.hpp says.
bool is_yaml(const SourceFile& f) {
  const std::string_view path = f.path();
  if (path.ends_with(".yml") || path.ends_with(".yaml")) return true;
  if (path.ends_with(".ini")) return false;
  for (uint32_t n = 1; n <= f.line_count(); ++n) {
    const std::string_view t = trim_view(f.line_text(n));
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.rfind("---", 0) == 0 || t[0] == '{') return true;
    if (t[0] == '[') return false;
    return t.substr(0, t.find_first_of(" \t")).back() == ':';
  }
  return false;
}

}  // namespace

Inventory::Inventory(const SourceFile& file, Diagnostics& errors, bool yaml)
    : file_(file), errors_(errors), yaml_(yaml) {
  for (const char* g : {"all", "ungrouped"}) group(g);
}

Span Inventory::span(uint32_t begin, uint32_t end) const {
  const auto size = static_cast<uint32_t>(file_.text().size());
  begin = std::min(begin, size);
  return Span::of(file_, begin, std::clamp(end, begin, size));
}

void Inventory::error(const Span& at, std::string msg, std::string help) {
  errors_.push_back(error_at(at, std::move(msg), std::move(help)));
}

void Inventory::ignore(const std::string& name, const Span& at) {
  if (const std::string why = bad_name(name); !why.empty())
    return error(at, "invalid variable name: " + why);
  ignored_.push_back(file_.path() + ":" + std::to_string(at.line) + ":" + std::to_string(at.col) +
                     ": " + name);
}

bool Inventory::group_name(const std::string& name, const Span& at) {
  const std::string why = bad_name(name);
  if (!why.empty())
    error(at, "invalid group name: " + why,
          "group names are ASCII letters, digits, '.', '-' and '_'");
  return why.empty();
}

void Inventory::define(const std::string& name, const Span& at) {
  if (GroupEntry& g = group(name); !std::exchange(g.defined, true)) g.first = at;
}

void Inventory::child(const std::string& parent, const std::string& child, const Span& at) {
  if (child == "all")
    return error(at, "'all' holds every host; it cannot be a child of '" + parent + "'");
  group(child);
  group(parent).members.push_back({true, child, at});
}

/// Takes `v` into `into` when it is one of ssh's (ansible_host, _port,
/// _user), reporting a value ssh cannot be given; false for any other.
bool Inventory::setting(const Var& v, Settings& into) {
  if (v.name == "ansible_port") {
    const int port = v.text && all_digits(v.value, 5) ? std::stoi(v.value) : 0;
    if (port >= 1 && port <= 65535)
      into.port = port;
    else
      error(v.value_at, "ansible_port must be a whole number from 1 to 65535");
  } else if (v.name != "ansible_host" && v.name != "ansible_user") {
    return false;
  } else if (const std::string why = bad_ssh_word(v); !why.empty()) {
    error(v.value_at, v.name + " " + why);
  } else {
    (v.name == "ansible_host" ? into.address : into.user) = v.value;
  }
  return true;
}

Settings Inventory::host_vars(const std::vector<Var>& vars) {
  Settings s;
  for (const auto& v : vars)
    if (!setting(v, s)) ignore(v.name, v.name_at);
  return s;
}

void Inventory::vars_section(const std::string& name, const Span& at) {
  if (GroupEntry& g = group(name); !g.vars) g.vars = at;
}

void Inventory::group_var(const std::string& name, const Var& v) {
  GroupEntry& g = group(name);
  if (v.name == "ansible_group_priority") {
    const std::string_view digits = std::string_view(v.value).substr(v.value.starts_with('-'));
    if (v.text && all_digits(digits, 9))
      g.priority = std::stoi(v.value);
    else
      error(v.value_at, "ansible_group_priority must be a whole number");
  } else if (v.name == "ansible_host" || !setting(v, g.settings)) {
    // A group has no address of its own: Ansible would give every host of
    // it the same one, which is never what a fleet means.
    ignore(v.name, v.name_at);
  }
}

void Inventory::hosts(const std::string& in, const std::string& pattern, const Span& at,
                      const Settings& s) {
  if (spent_ > kMaxMemberships) return;  // said once, by spend()
  const Expansion x = expand_pattern(pattern);
  const auto b = at.begin + static_cast<uint32_t>(x.at);
  if (!x.error.empty()) return error(span(b, b + static_cast<uint32_t>(x.len)), x.error, x.help);
  for (const auto& name : x.names)
    if (const std::string why = bad_name(name); !why.empty())
      return error(at, "invalid host name: " + why,
                   "host names are ASCII letters, digits, '.', '-' and '_'; an address goes "
                   "in ansible_host");
  if (!spend(x.names.size(), at)) return;
  GroupEntry& g = group(in);
  for (const auto& name : x.names) {
    auto [it, fresh] = hosts_.try_emplace(name, HostEntry{at, {}, false});
    if (fresh) host_order_.push_back(name);
    Settings& h = it->second.settings;  // later variables win
    h = {s.address ? s.address : h.address, s.user ? s.user : h.user, s.port ? s.port : h.port};
    it->second.grouped |= !implicit_group(in);
    g.members.push_back({false, name, at});
  }
}

void Inventory::finish(Targets& into) {
  std::vector<std::string> defined;
  for (const auto& [name, g] : groups_)
    if (g.defined) defined.push_back(name);
  for (const auto& name : group_order_) {
    const GroupEntry& g = groups_.at(name);
    if (g.vars) check_defined(name, *g.vars, defined, true);
    for (const auto& m : g.members)
      if (m.group) check_defined(m.name, m.at, defined, false);
  }
  check_names(into);
  std::vector<std::string> path;
  for (const auto& name : group_order_)
    if (groups_.at(name).defined) into.groups[name] = flatten(name, path);
  std::vector<std::string> ungrouped;
  for (const auto& id : host_order_)
    if (!hosts_.at(id).grouped) ungrouped.push_back(id);
  const std::map<std::string, Settings> settings = merged_settings(ungrouped);
  std::set<std::string> had;  // add_host looks for a host to replace, one by one
  for (const auto& h : into.hosts) had.insert(h.id);
  for (const auto& id : host_order_) {
    const Settings& s = settings.at(id);
    Host h{id, s.address.value_or(id), s.port, s.user.value_or(""), {}};
    had.count(id) ? into.add_host(std::move(h)) : into.hosts.push_back(std::move(h));
  }
  auto& all = into.groups["all"] = {};  // every host, those already there too
  for (const auto& h : into.hosts) all.push_back(h.id);
  into.groups["ungrouped"] = std::move(ungrouped);
  into.ignored.insert(into.ignored.end(), ignored_.begin(), ignored_.end());
}

GroupEntry& Inventory::group(const std::string& name) {
  auto [it, fresh] = groups_.try_emplace(name);
  if (fresh) group_order_.push_back(name);
  it->second.defined |= implicit_group(name);
  return it->second;
}

/// Counts `n` memberships against kMaxMemberships; false past it (said once).
bool Inventory::spend(size_t n, const Span& at) {
  if (spent_ <= kMaxMemberships && (spent_ += n) > kMaxMemberships)
    error(at, "the groups hold more than a million hosts together",
          "ranges and nested groups multiply: nest fewer groups in one another");
  return spent_ <= kMaxMemberships;
}

/// Reports group `name`, named at `at` (as a child, or by a [name:vars]
/// section when `vars`), when it is never defined.
void Inventory::check_defined(const std::string& name, const Span& at,
                              const std::vector<std::string>& defined, bool vars) {
  if (groups_.at(name).defined) return;
  const std::string hint = did_you_mean(name, defined);
  error(at,
        "group '" + name + "' is never defined" +
            (vars ? ", so its [" + name + ":vars] apply to no host" : ""),
        !hint.empty() ? hint
        : yaml_       ? "give it hosts: or children: (" + name + ": {} when empty), or fix the name"
                      : "add a [" + name + "] section, or fix the name");
}

/// A name stands for one host or one group, never both: `on NAME` and
/// `--target NAME` could not tell which. Reported at the later mention.
void Inventory::check_names(const Targets& into) {
  const char* help = "a name stands for a host or a group; rename one of them";
  for (const auto& id : host_order_) {
    const Span& h = hosts_.at(id).first;
    const auto g = groups_.find(id);
    const bool here = g != groups_.end() && g->second.defined;
    if (here && !implicit_group(id) && g->second.first.begin > h.begin)
      error(g->second.first, "group '" + id + "' has the name of a host (at " + h.where() + ")",
            help);
    else if (here || into.groups.count(id))
      error(h, "host '" + id + "' has the name of a group", help);
  }
  for (const auto& name : group_order_)
    if (groups_.at(name).first.valid() && !hosts_.count(name) && into.host(name))
      error(groups_.at(name).first, "group '" + name + "' has the name of a host", help);
}

/// Group `name`'s hosts, children flattened where named, each once. A child
/// on `path` (the groups being flattened) closes a cycle: reported and not
/// followed, as is nesting past kMaxDepth (the thread's stack is no limit).
const std::vector<std::string>& Inventory::flatten(const std::string& name,
                                                   std::vector<std::string>& path) {
  auto [it, fresh] = flat_.try_emplace(name);
  if (!fresh) return it->second;
  path.push_back(name);
  std::set<std::string> seen;
  auto add = [&](const std::string& h, const Span& at) {
    if (seen.insert(h).second && spend(1, at)) it->second.push_back(h);
    return spent_ <= kMaxMemberships;
  };
  for (const Member& m : groups_.at(name).members) {
    if (spent_ > kMaxMemberships) break;            // said once, by spend()
    if (!m.group || !groups_.at(m.name).defined) {  // an undefined one: see check_defined
      if (!m.group) add(m.name, m.at);
    } else if (auto on = std::find(path.begin(), path.end(), m.name); on != path.end()) {
      std::string cycle;
      for (auto p = on; p != path.end(); ++p) cycle += *p + " → ";
      error(m.at, "group '" + m.name + "' contains itself: " + cycle + m.name,
            "a group cannot be its own child; remove one of these children");
    } else if (path.size() >= kMaxDepth) {
      error(m.at, "groups nested more than 100 deep", "nest fewer groups in one another");
    } else {
      for (const auto& h : flatten(m.name, path))
        if (!add(h, m.at)) break;
    }
  }
  path.pop_back();
  return it->second;
}

/// Every host's settings as Ansible merges variables: its groups' from the
/// shallowest to the deepest (`all` first, a child after its parents; in one
/// depth by ansible_group_priority, then by name), each over the ones before,
/// then the host's own over them all. Called after flatten() for every group.
std::map<std::string, Settings> Inventory::merged_settings(
    const std::vector<std::string>& ungrouped) {
  // Ansible's depth: `all` 0, any other group one more than its deepest
  // parent (every group is a child of `all`). Relaxed in rounds, bounded:
  // a cycle (reported by flatten) must not loop.
  std::map<std::string, size_t> depth;
  for (const auto& name : group_order_)
    if (groups_.at(name).defined) depth[name] = name == "all" ? 0 : 1;
  std::vector<std::pair<const size_t*, size_t*>> edges;  // parent's depth → child's
  for (auto& [name, d] : depth)
    for (const Member& m : groups_.at(name).members)
      if (auto c = m.group ? depth.find(m.name) : depth.end(); c != depth.end())
        edges.emplace_back(&d, &c->second);
  for (size_t round = 0, changed = 1; changed && round <= kMaxDepth; ++round) {
    changed = 0;
    for (auto [parent, child] : edges)
      if (*child <= *parent && *parent < kMaxDepth) {
        *child = *parent + 1;
        changed = 1;
      }
  }
  std::vector<std::string> order;
  for (const auto& [name, d] : depth)
    if (const Settings& s = groups_.at(name).settings; s.port || s.user) order.push_back(name);
  std::stable_sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
    return std::pair(depth.at(a), groups_.at(a).priority) <
           std::pair(depth.at(b), groups_.at(b).priority);
  });  // stable: `depth` gave them in name order
  std::map<std::string, Settings> out;
  auto over = [](Settings& s, const Settings& by) {
    if (by.address) s.address = by.address;
    if (by.port) s.port = by.port;
    if (by.user) s.user = by.user;
  };
  for (const auto& name : order) {
    const std::vector<std::string>& members = name == "all"         ? host_order_
                                              : name == "ungrouped" ? ungrouped
                                                                    : flat_.at(name);
    for (const auto& id : members) over(out[id], groups_.at(name).settings);
  }
  for (const auto& id : host_order_) over(out[id], hosts_.at(id).settings);
  return out;
}

}  // namespace inventory_detail

void read_inventory(std::shared_ptr<const SourceFile> file, Targets& into, Diagnostics& errors) {
  using namespace inventory_detail;
  if (!file) return;
  const bool yaml = is_yaml(*file);
  std::optional<YAML::Node> root;
  if (yaml && !(root = load_yaml(*file, errors))) return;
  // Names and values are checked one by one for control characters; here
  // only what is not text at all (NUL, invalid UTF-8), as for YAML.
  if (size_t bad = first_bad_text_byte(file->text()); !yaml && bad != npos)
    return errors.push_back(bad_text_error(*file, bad, "inventories"));
  read_guarded(
      *file, errors,
      [&] {
        Inventory inv(*file, errors, yaml);
        if (yaml)
          read_yaml(*file, errors, inv, *root);
        else
          read_ini(*file, inv);
        inv.finish(into);
      },
      "the inventory has a structure rbk cannot read",
      "see Ansible's inventory formats: [group] sections, or all: {hosts, children, vars}");
}

}  // namespace rbk
