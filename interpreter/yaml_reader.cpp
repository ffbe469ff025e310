#include "interpreter/yaml_reader.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "interpreter/names.hpp"
#include "interpreter/suggest.hpp"

namespace rbk {

namespace {

uint32_t offset_of(const YAML::Mark& m) {
  return m.pos < 0 ? 0 : static_cast<uint32_t>(m.pos);
}

// Where the second document starts: the '---' line before its first node
// (or the second such line of the file when the document is empty).
uint32_t second_document_at(const SourceFile& file, const YAML::Node& doc) {
  const std::string& t = file.text();
  auto marker_before = [&](size_t end) -> size_t {
    for (size_t at = t.rfind("---", end); at != std::string::npos;
         at = at == 0 ? std::string::npos : t.rfind("---", at - 1))
      if (at == 0 || t[at - 1] == '\n') return at;
    return std::string::npos;
  };
  if (doc.Mark().pos >= 0) {
    size_t at = marker_before(offset_of(doc.Mark()));
    return at == std::string::npos ? offset_of(doc.Mark()) : static_cast<uint32_t>(at);
  }
  size_t first = t.rfind("---", 0) == 0 ? 0 : t.find("\n---");
  if (first == std::string::npos) return 0;
  size_t second = t.find("\n---", first + 1);
  return second == std::string::npos ? 0 : static_cast<uint32_t>(second + 1);
}

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

}  // namespace

std::optional<YAML::Node> load_yaml(const SourceFile& file, Diagnostics& errors) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(file.text());
  } catch (const YAML::Exception& e) {
    uint32_t at = offset_of(e.mark);
    errors.push_back(error_at(Span::of(file, at, at + 1), "invalid YAML: " + e.msg));
    return std::nullopt;
  }
  if (docs.empty()) return YAML::Node();  // an empty file: every setting at its default
  if (docs.size() > 1) {
    uint32_t at = second_document_at(file, docs[1]);
    errors.push_back(error_at(Span::of(file, at, at + 1),
                              "a second YAML document; this file holds exactly one",
                              "remove the '---' line and what follows it, or merge the two"));
    return std::nullopt;
  }
  const size_t before = errors.size();
  std::set<int> walked;
  report_duplicate_keys(file, docs[0], errors, walked);
  if (errors.size() > before) return std::nullopt;
  return docs[0];
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
