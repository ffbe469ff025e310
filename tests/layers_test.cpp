// The library's layers hold: no include runs back up the order that
// interpreter/README.md lists, every source file sits in a layer folder,
// every folder's README names each of its files, docs/ARCHITECTURE.md names
// every layer, and no source file is over about 600 lines unless its first
// comment says why. The checker is tried on a small tree with known
// violations (tests/layers/bad) so it can fail.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>

#include "test_support.hpp"

namespace fs = std::filesystem;

namespace {

/// Where a layer's files live, relative to the root: grammar/ and cli/ at
/// the top level, the others under interpreter/.
std::string layer_dir(const std::string& layer) {
  return layer == "grammar" || layer == "cli" ? layer : "interpreter/" + layer;
}

/// The layer order from `root`/interpreter/README.md, lowest first.
std::vector<std::string> layer_order(const std::string& root) {
  std::vector<std::string> order;
  std::istringstream lines(rbk::test::read_file(root + "/interpreter/README.md"));
  const std::regex item(R"(^\d+\. `([a-z]+)/`)");
  std::smatch m;
  for (std::string line; std::getline(lines, line);)
    if (std::regex_search(line, m, item)) order.push_back(m[1]);
  return order;
}

/// The layer a project path ("interpreter/base/source.hpp") belongs to, or
/// "" when it is in none.
std::string layer_of(const std::string& path, const std::vector<std::string>& order) {
  for (const auto& l : order)
    if (path.rfind(layer_dir(l) + "/", 0) == 0) return l;
  return "";
}

/// The comment lines at the top of a file.
std::string first_comment(const std::string& text) {
  std::string out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line) && line.rfind("//", 0) == 0;) out += line + "\n";
  return out;
}

/// Every broken rule under `root`, one line each ("file: what"). A source
/// file of the library over `max_lines` must say why in its first comment
/// ("Longer than …"); docs/ARCHITECTURE.md must name every layer folder.
std::vector<std::string> layer_violations(const std::string& root, size_t max_lines) {
  std::vector<std::string> found;
  const auto order = layer_order(root);
  if (order.empty()) return {"interpreter/README.md: lists no layers"};
  std::map<std::string, size_t> rank;
  for (size_t i = 0; i < order.size(); ++i) rank[order[i]] = i;

  // Every source file under interpreter/ is in a layer folder.
  for (const auto& e : fs::recursive_directory_iterator(root + "/interpreter")) {
    const std::string rel = fs::relative(e.path(), root).generic_string();
    const auto ext = e.path().extension();
    if ((ext == ".hpp" || ext == ".cpp") && layer_of(rel, order).empty())
      found.push_back(rel + ": not in a layer folder");
  }

  const std::string architecture = rbk::test::read_file(root + "/docs/ARCHITECTURE.md");
  for (const auto& layer : order)
    if (architecture.find(layer + "/") == std::string::npos)
      found.push_back("docs/ARCHITECTURE.md: does not name " + layer_dir(layer));

  const std::regex include(R"(^\s*#\s*include\s+"([^"]+)\")");
  for (const auto& layer : order) {
    const std::string dir = root + "/" + layer_dir(layer);
    if (!fs::is_directory(dir)) {
      found.push_back(layer_dir(layer) + ": layer folder missing");
      continue;
    }
    const std::string readme = rbk::test::read_file(dir + "/README.md");
    if (readme.empty()) found.push_back(layer_dir(layer) + ": no README.md");
    for (const auto& e : fs::directory_iterator(dir)) {
      const auto ext = e.path().extension();
      if (ext != ".hpp" && ext != ".cpp") continue;
      const std::string rel = fs::relative(e.path(), root).generic_string();
      // Folder READMEs under interpreter/ name each file by its stem.
      const std::string stem = e.path().stem().string();
      if (layer_dir(layer).rfind("interpreter/", 0) == 0 &&
          readme.find("`" + stem) == std::string::npos)
        found.push_back(rel + ": not named in " + layer_dir(layer) + "/README.md");
      const std::string text = rbk::test::read_file(e.path().string());
      const size_t line_count = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
      if (line_count > max_lines && first_comment(text).find("Longer than") == std::string::npos)
        found.push_back(rel + ": " + std::to_string(line_count) +
                        " lines, and its first comment does not say why (\"Longer than …\")");
      std::istringstream lines(text);
      std::smatch m;
      for (std::string line; std::getline(lines, line);) {
        if (!std::regex_search(line, m, include)) continue;
        const std::string target = m[1];
        const std::string to = layer_of(target, order);
        if (to.empty()) {
          // A header beside the file (tests, fuzz) or outside the library.
          if (target.rfind("interpreter/", 0) == 0)
            found.push_back(rel + ": includes " + target + ", which is in no layer");
          continue;
        }
        if (rank[to] > rank[layer])
          found.push_back(rel + ": includes " + target + " (" + to + " is above " + layer + ")");
      }
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

}  // namespace

TEST_CASE("no include runs back up a layer of the library", "[layers]") {
  // A scan of the source text: the sanitizers have nothing to look at here,
  // and it took 11 s under them (the gcc build runs it).
  if (rbk::test::sanitized_build()) return;
  // "About 600 lines": a file may grow past 600 before it is split.
  const auto found = layer_violations(rbk::test::source_dir(), 640);
  INFO(joined(found));
  CHECK(found.empty());
  CHECK(layer_order(rbk::test::source_dir()).size() >= 10);
}

TEST_CASE("the layer check finds includes that run back up", "[layers]") {
  const std::string bad = rbk::test::source_dir() + "/tests/layers/bad";
  CHECK(joined(layer_violations(bad, 3)) == rbk::test::read_file(bad + "/expected.txt"));
}
