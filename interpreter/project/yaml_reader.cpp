#include "interpreter/project/yaml_reader.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <string_view>

#include <yaml-cpp/eventhandler.h>
#include "interpreter/base/format_str.hpp"

#include "interpreter/base/names.hpp"
#include "interpreter/base/suggest.hpp"

namespace rbk {

namespace {

uint32_t offset_of(const YAML::Mark& m) {
  return m.pos < 0 ? 0 : static_cast<uint32_t>(m.pos);
}

// Where each document of a stream starts, and nothing else: the first
// pass of load_yaml, which builds no nodes.
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;
  void OnDocumentStart(const YAML::Mark& m) override { starts.push_back(m); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Every mapping below `n`: a key written twice is an error at the second
// one (yaml-cpp keeps both and lookups see only the first, so the second
// would be silently ignored). Each collection is walked once, by where it
// starts in the file: an alias is the node its anchor names, so nested
// aliases ("billion laughs") would be walked exponentially often, and an
// alias inside its own anchor (`&a [*a]`) forever.
void report_duplicate_keys(const SourceFile& file, const YAML::Node& n, Diagnostics& errors,
                           std::set<int>& walked) {
  if (!n.IsSequence() && !n.IsMap()) return;
  if (!walked.insert(n.Mark().pos).second) return;
  if (n.IsSequence()) {
    for (const auto& item : n) report_duplicate_keys(file, item, errors, walked);
    return;
  }
  std::map<std::string, YAML::Mark> seen;
  for (const auto& kv : n) {
    if (kv.first.IsScalar()) {
      auto [it, fresh] = seen.emplace(kv.first.Scalar(), kv.first.Mark());
      if (!fresh) {
        uint32_t at = offset_of(kv.first.Mark());
        const Span first = Span::of(file, offset_of(it->second), offset_of(it->second));
        errors.push_back(error_at(
            Span::of(file, at, at + static_cast<uint32_t>(std::max<size_t>(1, it->first.size()))),
            "duplicate key '" + it->first + "' (first at " + first.where() + ")",
            "YAML would keep only the first; remove one of them"));
      }
    }
    report_duplicate_keys(file, kv.second, errors, walked);
  }
}

// The first control character YAML does not allow (YAML 1.2, 5.1: none but
// tab, line feed and carriage return), or npos.
size_t first_control_byte(std::string_view t) {
  for (size_t i = 0; i < t.size(); ++i) {
    const auto c = static_cast<unsigned char>(t[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) return i;
  }
  return std::string_view::npos;
}

}  // namespace

std::optional<YAML::Node> load_yaml(const SourceFile& file, Diagnostics& errors) {
  // Bytes YAML does not allow are refused here, at their line and column,
  // rather than left to yaml-cpp, which reads some of them as the end of the
  // text, or passed on into the record or a terminal.
  if (size_t bad = first_bad_text_byte(file.text()); bad != std::string_view::npos) {
    errors.push_back(bad_text_error(file, bad, "YAML files"));
    return std::nullopt;
  }
  if (size_t bad = first_control_byte(file.text()); bad != std::string_view::npos) {
    const auto byte = static_cast<unsigned char>(file.text()[bad]);
    const auto at = static_cast<uint32_t>(bad);
    errors.push_back(error_at(
        Span::of(file, at, at + 1), format_str("a control character (byte 0x{:02X})", byte),
        format_str("YAML allows no control character but tab and line breaks; write it "
                   "as \\x{:02X} in a double-quoted string",
                   byte)));
    return std::nullopt;
  }
  // Documents are counted first, by where each starts, rather than read
  // with YAML::LoadAll: on a token no document can start with (a ',' at the
  // top level) yaml-cpp 0.7 reads an empty document without moving, so
  // LoadAll never ends, and YAML::Load alone would drop the rest of the file
  // without a word. Two starts at one place are that token; two at two
  // places, a second document.
  YAML::Node doc;
  try {
    std::istringstream in(file.text());
    YAML::Parser parser(in);
    DocumentStarts docs;
    while (docs.starts.size() < 3 && parser.HandleNextDocument(docs)) {
      const auto& s = docs.starts;
      if (s.size() >= 2 && s[s.size() - 1].pos == s[s.size() - 2].pos) {
        const uint32_t at = offset_of(s.back());
        const char c = at < file.text().size() ? file.text()[at] : ' ';
        errors.push_back(error_at(Span::of(file, at, at + 1),
                                  format_str("invalid YAML: unexpected '{}'", c),
                                  c == ',' ? "a ',' belongs inside [ ] or { }" : ""));
        return std::nullopt;
      }
    }
    if (docs.starts.empty()) return YAML::Node();  // an empty file: every setting at its default
    if (docs.starts.size() > 1) {
      const uint32_t at = offset_of(docs.starts[1]);
      errors.push_back(error_at(Span::of(file, at, at + 1),
                                "a second YAML document; this file holds exactly one",
                                "remove the '---' line and what follows it, or merge the two"));
      return std::nullopt;
    }
    doc = YAML::Load(file.text());
  } catch (const YAML::Exception& e) {
    uint32_t at = offset_of(e.mark);
    errors.push_back(error_at(Span::of(file, at, at + 1), "invalid YAML: " + e.msg));
    return std::nullopt;
  }
  const size_t before = errors.size();
  std::set<int> walked;
  report_duplicate_keys(file, doc, errors, walked);
  if (errors.size() > before) return std::nullopt;
  return doc;
}

void read_guarded(const SourceFile& file, Diagnostics& errors, const std::function<void()>& read,
                  const std::string& unreadable, const std::string& help) {
  const size_t first = errors.size();
  try {
    read();
  } catch (const std::exception&) {
    errors.push_back(error_at(Span::of(file, 0, 0), unreadable, help));
  }
  std::stable_sort(
      errors.begin() + static_cast<std::ptrdiff_t>(first), errors.end(),
      [](const Diagnostic& a, const Diagnostic& b) { return a.span.begin < b.span.begin; });
}

void YamlReader::error(const YAML::Node& n, std::string msg, std::string help) {
  const YAML::Mark m = n.Mark();
  uint32_t at = m.pos < 0 ? 0 : static_cast<uint32_t>(m.pos);
  uint32_t len = n.IsScalar() ? static_cast<uint32_t>(std::max<size_t>(1, n.Scalar().size())) : 1;
  errors_.push_back(error_at(Span::of(file_, at, at + len), std::move(msg), std::move(help)));
}

void YamlReader::keys(const YAML::Node& n, const std::vector<std::string>& known,
                      const char* what) {
  for (const auto& kv : n) {
    if (!kv.first.IsScalar()) {
      error(kv.first, "setting names must be plain words");
      continue;
    }
    const std::string& k = kv.first.Scalar();
    if (std::find(known.begin(), known.end(), k) != known.end()) continue;
    std::string hint = did_you_mean(k, known);
    std::string all;
    for (const auto& x : known) all += (all.empty() ? "" : ", ") + x;
    error(kv.first, std::string("unknown ") + what + " '" + k + "'",
          hint.empty() ? "known: " + all : hint);
  }
}

bool YamlReader::map_of(const YAML::Node& n, const std::string& what) {
  if (n.IsMap()) return true;
  error(n, "'" + what + "' must be a mapping");
  return false;
}

std::string YamlReader::text(const YAML::Node& n, const std::string& what) {
  if (n.IsScalar()) return n.Scalar();
  error(n, "'" + what + "' must be text");
  return {};
}

std::vector<YAML::Node> YamlReader::list_nodes(const YAML::Node& n, const std::string& what) {
  std::vector<YAML::Node> out;
  if (!n.IsSequence()) {
    error(n, "'" + what + "' must be a list", "e.g. " + what + ": [a, b]");
    return out;
  }
  for (const auto& x : n) out.push_back(x);
  return out;
}

std::vector<std::string> YamlReader::list_of(const YAML::Node& n, const std::string& what) {
  std::vector<std::string> out;
  for (const auto& x : list_nodes(n, what)) out.push_back(text(x, what + " entry"));
  return out;
}

std::optional<std::chrono::milliseconds> YamlReader::duration(const YAML::Node& n,
                                                              const std::string& what) {
  std::string s = text(n, what);
  DurationResult r = parse_duration(s);
  if (r.error) {
    if (!s.empty() || n.IsScalar())
      error(n, "invalid duration '" + s + "' for " + what,
            "durations look like 500ms, 30s, 10m, 1h30m or 2d");
    return std::nullopt;
  }
  return std::chrono::milliseconds(r.ms);
}

std::optional<bool> YamlReader::boolean(const YAML::Node& n, const std::string& what) {
  std::string v = text(n, what);
  if (v == "true" || v == "yes") return true;
  if (v == "false" || v == "no") return false;
  if (n.IsScalar()) error(n, "'" + what + "' must be true or false");
  return std::nullopt;
}

std::optional<long long> YamlReader::integer(const YAML::Node& n, const std::string& what) {
  std::string v = text(n, what);
  size_t i = (!v.empty() && v[0] == '-') ? 1 : 0;
  bool ok = v.size() > i && v.size() < 12 &&
            std::all_of(v.begin() + static_cast<std::ptrdiff_t>(i), v.end(),
                        [](unsigned char c) { return std::isdigit(c); });
  if (ok) return std::stoll(v);
  if (n.IsScalar()) error(n, "'" + what + "' must be a whole number");
  return std::nullopt;
}

}  // namespace rbk
