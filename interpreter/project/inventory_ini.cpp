// The INI form of an Ansible inventory (inventory.hpp): `[group]`,
// `[group:children]` and `[group:vars]` sections, host lines
// `NAME[:PORT] VAR=VALUE…`, `#` and `;` comments; what it declares goes to an
// Inventory (inventory_reader.hpp), which checks the whole.
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "interpreter/base/names.hpp"
#include "interpreter/project/inventory_reader.hpp"

namespace rbk::inventory_detail {

// Its own namespace: a unity build puts other files' local names beside these.
namespace ini_format {
namespace {

/// Reads the INI format line by line into an Inventory (read_ini).
class IniInventory {
 public:
  IniInventory(const SourceFile& file, Inventory& inv) : file_(file), inv_(inv) {}

  void read() {
    for (uint32_t n = 1; n <= file_.line_count(); ++n) {
      const std::string_view line = file_.line_text(n);
      const size_t i = line.find_first_not_of(" \t\r");
      if (i == npos || line[i] == '#' || line[i] == ';' || (kind_ == Kind::Skip && line[i] != '['))
        continue;
      const auto b = file_.line_start(n) + static_cast<uint32_t>(i);
      const Span rest = inv_.span(b, b + static_cast<uint32_t>(trim_view(line.substr(i)).size()));
      if (line[i] == '[') {
        header(rest);
      } else if (kind_ == Kind::Vars) {
        var_line(rest);
      } else if (auto ws = words(rest); ws && kind_ == Kind::Hosts) {
        host_line(*ws);
      } else if (ws && ws->size() > 1) {
        inv_.error(ws->at(1), "one group name per line in [" + group_ + ":children]");
      } else if (ws && inv_.group_name(std::string(ws->front().text()), ws->front())) {
        inv_.child(group_, std::string(ws->front().text()), ws->front());
      }
    }
  }

 private:
  enum class Kind { Hosts, Children, Vars, Skip };  // Skip: the lines after a bad header
  const SourceFile& file_;
  Inventory& inv_;
  std::string group_ = "ungrouped";  // hosts before any section
  Kind kind_ = Kind::Hosts;

  static bool space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

  /// The words of `line`, quotes keeping spaces inside one; a '#' starting
  /// a later word starts a comment. nullopt after an unclosed quote.
  std::optional<std::vector<Span>> words(const Span& line) {
    std::vector<Span> out;
    const std::string_view t = line.text();
    const auto at = [&](size_t from, size_t to) {
      return inv_.span(line.begin + static_cast<uint32_t>(from),
                       line.begin + static_cast<uint32_t>(to));
    };
    for (size_t i = 0;;) {
      while (i < t.size() && space(t[i])) ++i;
      if (i >= t.size() || (t[i] == '#' && !out.empty())) return out;
      const size_t b = i;
      char quote = 0;
      size_t quote_at = 0;
      for (; i < t.size() && (quote || !space(t[i])); ++i) {
        if (quote ? t[i] == quote : (t[i] == '"' || t[i] == '\'')) {
          quote = quote ? 0 : t[i];
          quote_at = i;
        }
      }
      if (quote) {
        inv_.error(at(quote_at, quote_at + 1), "a quote that is never closed",
                   "close it on the same line");
        return std::nullopt;
      }
      out.push_back(at(b, i));
    }
  }

  static std::string unquote(std::string_view s) {  // without the quotes around it
    const bool quoted = s.size() >= 2 && (s[0] == '"' || s[0] == '\'') && s.back() == s[0];
    return std::string(quoted ? s.substr(1, s.size() - 2) : s);
  }

  /// `[group]`, `[group:children]` or `[group:vars]`, then maybe a comment.
  void header(const Span& line) {
    kind_ = Kind::Skip;
    const std::string_view t = line.text();
    const size_t close = t.find(']');
    const std::string_view after = close == npos ? "" : trim_view(t.substr(close + 1));
    if (close == npos || (!after.empty() && after[0] != '#' && after[0] != ';'))
      return inv_.error(line, "a section header is [group], [group:children] or [group:vars]");
    const size_t colon = std::min(t.find(':'), close);
    const std::string name(t.substr(1, colon - 1)), type(t.substr(colon, close - colon));
    const Span name_at = inv_.span(line.begin + 1, line.begin + static_cast<uint32_t>(colon));
    if (!type.empty() && type != ":children" && type != ":vars")
      return inv_.error(inv_.span(line.begin + static_cast<uint32_t>(colon + 1),
                                  line.begin + static_cast<uint32_t>(close)),
                        "unknown section type",
                        "sections are [group], [group:children] and [group:vars]");
    if (!inv_.group_name(name, name_at)) return;
    group_ = name;
    kind_ = type.empty() ? Kind::Hosts : type == ":vars" ? Kind::Vars : Kind::Children;
    // [name:vars] alone defines nothing (Ansible refuses it for a group
    // never defined, and so does finish()).
    if (kind_ == Kind::Vars)
      inv_.vars_section(name, name_at);
    else
      inv_.define(name, name_at);
  }

  /// `NAME=VALUE` in [group:vars], spaces around '=' allowed; the value is
  /// the rest of the line (Ansible reads no comment there), unquoted.
  void var_line(const Span& line) {
    const std::string_view t = line.text();
    const size_t eq = t.find('=');
    const std::string_view name = trim_view(t.substr(0, eq));
    if (eq == npos || name.empty())
      return inv_.error(line, "expected NAME=VALUE in [" + group_ + ":vars]");
    const size_t vb = std::min(t.find_first_not_of(" \t", eq + 1), t.size());
    const auto at = [&](size_t from, size_t to) {
      return inv_.span(line.begin + static_cast<uint32_t>(from),
                       line.begin + static_cast<uint32_t>(to));
    };
    inv_.group_var(group_, {std::string(name), unquote(t.substr(vb)), at(0, name.size()),
                            at(vb, t.size()), true});
  }

  /// `NAME[:PORT] [VAR=VALUE …]`; NAME may hold ranges.
  void host_line(const std::vector<Span>& ws) {
    const Span host = ws.front();
    std::string pattern(host.text());
    std::vector<Var> vars;
    // Ansible's host:port, the ':' after any range (a later ansible_port wins).
    if (size_t colon = pattern.rfind(':'); colon != npos && pattern.find(']', colon) == npos) {
      const auto c = host.begin + static_cast<uint32_t>(colon);
      vars.push_back({"ansible_port", pattern.substr(colon + 1), inv_.span(host.begin, c),
                      inv_.span(c + 1, host.end), true});
      pattern.resize(colon);
    }
    for (size_t k = 1; k < ws.size(); ++k) {
      const std::string_view text = ws[k].text();
      const size_t eq = text.find('=');
      if (eq == npos || eq == 0)
        return inv_.error(ws[k], "expected NAME=VALUE after the host name",
                          "host variables are written ansible_host=10.0.0.5, with no spaces "
                          "around '='");
      const auto e = ws[k].begin + static_cast<uint32_t>(eq);
      vars.push_back({std::string(text.substr(0, eq)), unquote(text.substr(eq + 1)),
                      inv_.span(ws[k].begin, e), inv_.span(e + 1, ws[k].end), true});
    }
    const auto end = host.begin + static_cast<uint32_t>(pattern.size());
    inv_.hosts(group_, pattern, inv_.span(host.begin, end), inv_.host_vars(vars));
  }
};

}  // namespace
}  // namespace ini_format

void read_ini(const SourceFile& file, Inventory& inv) {
  ini_format::IniInventory(file, inv).read();
}

}  // namespace rbk::inventory_detail
