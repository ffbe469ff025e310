#include "interpreter/destructive.hpp"

#include <set>

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

namespace rbk {

namespace {

// yaml-cpp marks are 0-based; a missing mark (-1) falls back to the file start.
Span span_at(const SourceFile& file, const YAML::Mark& mark, size_t length = 1) {
  if (mark.pos < 0) return Span::of(file, 0, 0);
  auto begin = static_cast<uint32_t>(mark.pos);
  return Span::of(file, begin, begin + static_cast<uint32_t>(length));
}

std::shared_ptr<const re2::RE2> compile(const SourceFile& file, const YAML::Node& node,
                                        const char* what, Diagnostics& errors) {
  RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_shared<const re2::RE2>(node.Scalar(), opts);
  if (!re->ok()) {
    errors.push_back(error_at(span_at(file, node.Mark(), node.Scalar().size()),
                              std::string("invalid ") + what + ": " + re->error(),
                              "patterns use RE2 syntax (no backreferences or lookaround)"));
    return nullptr;
  }
  return re;
}

}  // namespace

std::string DestructivePatterns::default_path() {
  return std::string(RBK_STDLIB_DIR) + "/destructive-patterns.yaml";
}

DestructivePatterns DestructivePatterns::load(const std::string& path, Diagnostics& errors) {
  auto file = load_source(path, errors);
  return file ? parse(file, errors) : DestructivePatterns{};
}

DestructivePatterns DestructivePatterns::parse(std::shared_ptr<const SourceFile> file,
                                               Diagnostics& errors) {
  DestructivePatterns out;
  out.source_ = file;
  const SourceFile& f = *file;
  YAML::Node root;
  try {
    root = YAML::Load(f.text());
  } catch (const YAML::Exception& e) {
    errors.push_back(error_at(span_at(f, e.mark), "invalid YAML: " + e.msg));
    return out;
  }
  if (!root.IsMap() || !root["patterns"] || !root["patterns"].IsSequence()) {
    errors.push_back(error_at(span_at(f, root.Mark()), "expected a 'patterns:' list",
                              "patterns:\n  - id: rm-recursive\n    pattern: '…'\n    why: …"));
    return out;
  }
  for (const auto& kv : root) {
    if (kv.first.Scalar() != "patterns")
      errors.push_back(error_at(span_at(f, kv.first.Mark(), kv.first.Scalar().size()),
                                "unknown key '" + kv.first.Scalar() + "'"));
  }
  std::set<std::string> ids;
  for (const auto& entry : root["patterns"]) {
    if (!entry.IsMap()) {
      errors.push_back(
          error_at(span_at(f, entry.Mark()), "expected an entry with id, pattern and why"));
      continue;
    }
    DestructivePattern p;
    bool ok = true;
    for (const auto& kv : entry) {
      const std::string key = kv.first.Scalar();
      if (!kv.second.IsScalar()) {
        errors.push_back(error_at(span_at(f, kv.second.Mark()), "'" + key + "' must be text"));
        ok = false;
        continue;
      }
      if (key == "id") {
        p.id = kv.second.Scalar();
        if (!ids.insert(p.id).second) {
          errors.push_back(
              error_at(span_at(f, kv.second.Mark(), p.id.size()), "duplicate id '" + p.id + "'"));
          ok = false;
        }
      } else if (key == "pattern") {
        p.pattern = compile(f, kv.second, "pattern", errors);
        ok = ok && p.pattern;
      } else if (key == "unless") {
        p.unless = compile(f, kv.second, "'unless' pattern", errors);
        ok = ok && p.unless;
      } else if (key == "why") {
        p.why = kv.second.Scalar();
      } else {
        errors.push_back(error_at(span_at(f, kv.first.Mark(), key.size()),
                                  "unknown key '" + key + "'",
                                  "entries have id, pattern, unless and why"));
        ok = false;
      }
    }
    for (const char* required : {"id", "pattern", "why"}) {
      if (!entry[required]) {
        errors.push_back(
            error_at(span_at(f, entry.Mark()), std::string("entry has no '") + required + "'"));
        ok = false;
      }
    }
    if (ok) out.patterns_.push_back(std::move(p));
  }
  return out;
}

std::optional<DestructiveMatch> DestructivePatterns::match(std::string_view command) const {
  for (const auto& p : patterns_) {
    re2::StringPiece found;
    if (!p.pattern->Match(command, 0, command.size(), RE2::UNANCHORED, &found, 1)) continue;
    if (p.unless && RE2::PartialMatch(command, *p.unless)) continue;
    return DestructiveMatch{&p, static_cast<size_t>(found.data() - command.data()), found.size()};
  }
  return std::nullopt;
}

}  // namespace rbk
