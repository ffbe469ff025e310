// Reading YAML files people write (rbk.yaml, test fixtures) with every
// problem reported as a diagnostic at file:line:col: unknown keys with a
// "did you mean", wrong shapes, bad durations. Never the library's message.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "interpreter/base/diagnostic.hpp"
#include "interpreter/base/source.hpp"

namespace rbk {

/// Parses `file` as one YAML document; nullopt after an "invalid YAML"
/// diagnostic at the parser's position.
std::optional<YAML::Node> load_yaml(const SourceFile& file, Diagnostics& errors);

/// Runs `read` (a reader over the file's tree). A shape yaml-cpp refuses to
/// convert that the reader's checks missed becomes one plain diagnostic
/// (`unreadable`, `help`), never the library's text; the diagnostics `read`
/// added are then put in file order, as a reader scans the file.
void read_guarded(const SourceFile& file, Diagnostics& errors, const std::function<void()>& read,
                  const std::string& unreadable, const std::string& help);

/// Shape checks over the nodes of one file, each reporting at the node.
class YamlReader {
 public:
  YamlReader(const SourceFile& file, Diagnostics& errors) : file_(file), errors_(errors) {}

  /// An error at `n`'s position (a scalar's whole text is underlined).
  void error(const YAML::Node& n, std::string msg, std::string help = {});
  /// Reports keys of `n` that are not in `known`, with a suggestion.
  void keys(const YAML::Node& n, const std::vector<std::string>& known, const char* what);
  /// True when `n` is a mapping; otherwise reports it.
  bool map_of(const YAML::Node& n, const std::string& what);
  /// A scalar's text; otherwise reports it and returns "".
  std::string text(const YAML::Node& n, const std::string& what);
  /// The items of a sequence; otherwise reports it and returns none.
  std::vector<YAML::Node> list_nodes(const YAML::Node& n, const std::string& what);
  /// The items of a sequence of scalars.
  std::vector<std::string> list_of(const YAML::Node& n, const std::string& what);
  /// Durations as in runbooks: 500ms, 30s, 10m, 1h30m, 2d.
  std::optional<std::chrono::milliseconds> duration(const YAML::Node& n, const std::string& what);
  /// true / false (also yes / no); otherwise reports it.
  std::optional<bool> boolean(const YAML::Node& n, const std::string& what);
  /// A whole number; otherwise reports it.
  std::optional<long long> integer(const YAML::Node& n, const std::string& what);

 protected:
  const SourceFile& file_;
  Diagnostics& errors_;
};

}  // namespace rbk
