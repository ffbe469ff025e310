// `rbk fmt`: golden pairs (tests/fmt/NAME.rbk → NAME.formatted), meaning
// preservation and idempotence over every .rbk file the project ships, the
// unified diff, and the CLI on a temporary directory (text and --format json).
// RBK_UPDATE_GOLDEN=1 rewrites the .formatted files.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "grammar/parse.hpp"
#include "interpreter/base/diff.hpp"
#include "interpreter/syntax/ast_json.hpp"
#include "interpreter/syntax/format.hpp"
#include "processes.hpp"
#include "test_support.hpp"

namespace {

using nlohmann::json;

std::unique_ptr<rbk::ast::Document> parse_text(const std::string& path, const std::string& text,
                                               rbk::ParseResult& keep) {
  keep = rbk::parse(std::make_shared<rbk::SourceFile>(path, text));
  if (rbk::has_errors(keep.diagnostics)) return nullptr;
  return std::move(keep.document);
}

/// The AST JSON without positions.
void strip(json& j) {
  if (j.is_object()) {
    j.erase("span");
    j.erase("first_line");
    for (auto& [k, v] : j.items()) strip(v);
  } else if (j.is_array()) {
    for (auto& v : j) strip(v);
  }
}

/// Every value of `key` in the JSON tree, in order.
void collect(const json& j, const std::string& key, std::vector<json>& out) {
  if (j.is_object()) {
    for (auto& [k, v] : j.items()) {
      if (k == key) out.push_back(v);
      collect(v, key, out);
    }
  } else if (j.is_array()) {
    for (auto& v : j) collect(v, key, out);
  }
}

size_t count_type(const json& j, const std::string& type) {
  size_t n = 0;
  if (j.is_object()) {
    if (j.contains("type") && j["type"] == type) ++n;
    for (auto& [k, v] : j.items()) n += count_type(v, type);
  } else if (j.is_array()) {
    for (auto& v : j) n += count_type(v, type);
  }
  return n;
}

std::vector<std::string> rbk_files_under(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().extension() == ".rbk") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("fmt golden pairs", "[fmt]") {
  using namespace rbk::test;
  auto files = files_in(source_dir() + "/tests/fmt", ".rbk");
  REQUIRE(files.size() >= 8);
  for (const auto& f : files) {
    DYNAMIC_SECTION(f.substr(source_dir().size() + 1)) {
      rbk::ParseResult keep;
      auto doc = parse_text(f, read_file(f), keep);
      REQUIRE(doc);
      const std::string actual = rbk::format_document(*doc);
      const std::string expected_path = f.substr(0, f.size() - 4) + ".formatted";
      if (update_goldens()) write_file(expected_path, actual);
      CHECK(read_file(expected_path) == actual);
    }
  }
}

TEST_CASE("fmt keeps meaning, comments and shell bytes, and is idempotent", "[fmt]") {
  using namespace rbk::test;
  std::vector<std::string> files;
  for (const char* dir : {"examples", "runbooks", "stdlib", "tests/cases/ok", "tests/fmt"}) {
    auto more = rbk_files_under(source_dir() + "/" + dir);
    files.insert(files.end(), more.begin(), more.end());
  }
  REQUIRE(files.size() >= 40);
  for (const auto& f : files) {
    DYNAMIC_SECTION(f.substr(source_dir().size() + 1)) {
      const std::string text = read_file(f);
      rbk::ParseResult k1, k2, k3;
      auto doc = parse_text(f, text, k1);
      REQUIRE(doc);
      const std::string once = rbk::format_document(*doc);
      auto doc2 = parse_text(f, once, k2);
      INFO(once);
      REQUIRE(doc2);
      const std::string twice = rbk::format_document(*doc2);
      CHECK(twice == once);  // idempotent

      json a = rbk::to_json(*doc), b = rbk::to_json(*doc2);
      CHECK(count_type(a, "comment") == count_type(b, "comment"));
      std::vector<json> raw_a, raw_b;
      collect(a, "raw", raw_a);
      collect(b, "raw", raw_b);
      CHECK(raw_a == raw_b);  // shell literals byte for byte
      strip(a);
      strip(b);
      CHECK(a.dump(1) == b.dump(1));  // same AST but for positions
    }
  }
}

TEST_CASE("fmt output has canonical details", "[fmt]") {
  rbk::ParseResult keep;
  // Grouping the author wrote is kept, doubled parentheses become one, and
  // what precedence needs is always there.
  auto doc = parse_text("x.rbk",
                        "runbook x{causes{cause a \"A\" when (x or y) and not (p == 1)\n"
                        "cause b \"B\" when a or (b or c)\n"
                        "cause c \"C\" when ((a)) and (b and c) or d}}",
                        keep);
  REQUIRE(doc);
  CHECK(rbk::format_document(*doc) ==
        "runbook x {\n"
        "  causes {\n"
        "    cause a \"A\" when (x or y) and not (p == 1)\n"
        "    cause b \"B\" when a or (b or c)\n"
        "    cause c \"C\" when (a) and (b and c) or d\n"
        "  }\n"
        "}\n");
}

TEST_CASE("docs/fmt.md's example is what fmt prints", "[fmt]") {
  const std::string doc = rbk::test::read_file(rbk::test::source_dir() + "/docs/fmt.md");
  auto block_after = [&](const std::string& marker) {
    size_t at = doc.find(marker);
    REQUIRE(at != std::string::npos);
    size_t begin = doc.find("```rbk\n", at);
    REQUIRE(begin != std::string::npos);
    begin += 7;
    size_t end = doc.find("\n```\n", begin);
    REQUIRE(end != std::string::npos);
    return doc.substr(begin, end + 1 - begin);
  };
  const std::string before = block_after("Before:"), after = block_after("After `rbk fmt`:");
  rbk::ParseResult keep;
  auto doc_ast = parse_text("example.rbk", before, keep);
  REQUIRE(doc_ast);
  CHECK(rbk::format_document(*doc_ast) == after);
}

TEST_CASE("unified_diff", "[fmt]") {
  CHECK(rbk::unified_diff("a\nb\n", "a\nb\n", "f.rbk").empty());
  CHECK(rbk::unified_diff("a\nb\nc\n", "a\nB\nc\n", "f.rbk") ==
        "--- a/f.rbk\n+++ b/f.rbk\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
  // Context is three lines; changes far apart give two hunks.
  std::string before, after;
  for (int i = 1; i <= 20; ++i) {
    before += std::to_string(i) + "\n";
    after += (i == 2 ? "two" : i == 18 ? "eighteen" : std::to_string(i)) + "\n";
  }
  CHECK(rbk::unified_diff(before, after, "n") ==
        "--- a/n\n+++ b/n\n"
        "@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n"
        "@@ -15,6 +15,6 @@\n 15\n 16\n 17\n-18\n+eighteen\n 19\n 20\n");
  // Insertions and deletions only; an empty side names line 0.
  CHECK(rbk::unified_diff("", "x\n", "e") == "--- a/e\n+++ b/e\n@@ -0,0 +1,1 @@\n+x\n");
  CHECK(rbk::unified_diff("x\ny\n", "y\n", "d") == "--- a/d\n+++ b/d\n@@ -1,2 +1,1 @@\n-x\n y\n");
  CHECK(rbk::unified_diff("a\nb\n", "a\nb\nc\n", "i") ==
        "--- a/i\n+++ b/i\n@@ -1,2 +1,3 @@\n a\n b\n+c\n");
  // A last line without a line break says so.
  CHECK(rbk::unified_diff("a\nb", "a\nb\n", "m") ==
        "--- a/m\n+++ b/m\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
}

TEST_CASE("rbk fmt reports many files in their order, whichever worker took them", "[fmt]") {
  using namespace rbk::test;
  TempDir tmp;
  const std::string dir = tmp.path.string();
  std::string want_check, want_written;
  for (int i = 0; i < 60; ++i) {
    // Every third file is unformatted, every seventh does not parse.
    const std::string name = "f" + std::string(i < 10 ? "0" : "") + std::to_string(i) + ".rbk";
    std::string text = i % 7 == 0   ? "runbook x {\n  diagnose {\n"
                       : i % 3 == 0 ? "runbook x {\n    title   \"X\"\n}\n"
                                    : "runbook x {\n  title \"X\"\n}\n";
    write_file(dir + "/" + name, text);
    if (i % 7 != 0 && i % 3 == 0) {
      want_check += "./" + name + "\n";
      want_written += "formatted ./" + name + "\n";
    }
  }
  Exit check = run_detached(dir, {"fmt", "--check", "."});
  CHECK(check.code == 2);  // the files that do not parse
  CHECK(check.out == want_check);
  Exit rewrite = run_detached(dir, {"fmt", "."});
  CHECK(rewrite.code == 2);
  std::string written;  // the "formatted" lines, without the syntax errors between them
  std::istringstream lines(rewrite.err);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("formatted ", 0) == 0) written += line + "\n";
  CHECK(written == want_written);
  CHECK(read_file(dir + "/f03.rbk") == "runbook x {\n  title \"X\"\n}\n");
}

TEST_CASE("rbk fmt on files", "[fmt]") {
  using namespace rbk::test;
  TempDir tmp;
  const std::string dir = tmp.path.string();
  const std::string messy =
      "runbook x {\n"
      "    title   \"X\"   # the title\n"
      "  diagnose { step a { run `uptime`   as load } }\n"
      "}\n";
  const std::string clean =
      "runbook x {\n"
      "  title \"X\"  # the title\n"
      "\n"
      "  diagnose {\n"
      "    step a {\n"
      "      run `uptime` as load\n"
      "    }\n"
      "  }\n"
      "}\n";
  tmp.dir("sub");
  write_file(dir + "/sub/x.rbk", messy);
  write_file(dir + "/ok.rbk", clean);
  ::chmod((dir + "/sub/x.rbk").c_str(), 0640);

  Exit check = run_detached(dir, {"fmt", "--check", "."});
  CHECK(check.code == 1);
  CHECK(check.out == "./sub/x.rbk\n");
  CHECK(read_file(dir + "/sub/x.rbk") == messy);

  Exit diff = run_detached(dir, {"fmt", "--diff", "sub/x.rbk", "ok.rbk"});
  CHECK(diff.code == 0);
  CHECK(diff.out.rfind("--- a/sub/x.rbk\n+++ b/sub/x.rbk\n@@ -1,4 +1,9 @@\n", 0) == 0);
  CHECK(diff.out.find("+      run `uptime` as load\n") != std::string::npos);
  CHECK(read_file(dir + "/sub/x.rbk") == messy);

  Exit fmt = run_detached(dir, {"fmt", "."});
  CHECK(fmt.code == 0);
  CHECK(fmt.err == "formatted ./sub/x.rbk\n");
  CHECK(read_file(dir + "/sub/x.rbk") == clean);
  struct stat st {};
  REQUIRE(::stat((dir + "/sub/x.rbk").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
  // No temporary file is left behind.
  size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/sub")) {
    (void)e;
    ++entries;
  }
  CHECK(entries == 1);

  Exit again = run_detached(dir, {"fmt", "."});
  CHECK(again.code == 0);
  CHECK(again.err.empty());
  CHECK(run_detached(dir, {"fmt", "--check", "."}).code == 0);

  // A syntax error: reported, the file untouched, exit 2; others still formatted.
  write_file(dir + "/bad.rbk", "runbook bad {\n  title\n}\n");
  write_file(dir + "/sub/x.rbk", messy);
  Exit bad = run_detached(dir, {"fmt", "."});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("bad.rbk:") != std::string::npos);
  CHECK(bad.err.find("formatted ./sub/x.rbk\n") != std::string::npos);
  CHECK(read_file(dir + "/bad.rbk") == "runbook bad {\n  title\n}\n");
  CHECK(read_file(dir + "/sub/x.rbk") == clean);
  CHECK(run_detached(dir, {"fmt", "--check", "bad.rbk"}).code == 2);

  // A trailing comment after a comment line in a step's header cannot stay
  // trailing; it becomes a line of its own and fmt still formats the file.
  write_file(dir + "/header.rbk",
             "runbook h {\n  diagnose {\n    step a\n      # one\n      \"T\" # two\n"
             "    { run `true` }\n  }\n}\n");
  Exit header = run_detached(dir, {"fmt", "header.rbk"});
  CHECK(header.code == 0);
  CHECK(read_file(dir + "/header.rbk") ==
        "runbook h {\n  diagnose {\n    step a \"T\" {\n      run `true`\n    }\n"
        "\n    # one\n    # two\n  }\n}\n");
  CHECK(run_detached(dir, {"fmt", "--check", "header.rbk"}).code == 0);
  CHECK(run_detached(dir, {"fmt", "--check", "missing.rbk"}).code == 2);
}

TEST_CASE("rbk fmt --format json: every file's status, the diff, the diagnostics", "[fmt]") {
  using namespace rbk::test;
  TempDir tmp;
  const std::string dir = tmp.path.string();
  const std::string messy = "runbook x {\n    title   \"X\"\n}\n";
  const std::string clean = "runbook x {\n  title \"X\"\n}\n";
  write_file(dir + "/a-clean.rbk", clean);
  write_file(dir + "/b-messy.rbk", messy);
  write_file(dir + "/c-bad.rbk", "runbook bad {\n  title\n}\n");
  // Each file's status in the files' order, as the JSON gives them.
  auto statuses = [](const json& doc) {
    std::vector<std::string> out;
    for (const auto& r : doc.at("results"))
      out.push_back(r.at("file").get<std::string>() + " " + r.at("status").get<std::string>());
    return out;
  };

  // `rbk fmt --format json ARGS…`: the exit code of text, nothing on stderr, the document.
  auto fmt_json = [&](std::vector<std::string> args, int code) {
    args.insert(args.begin(), {"fmt", "--format", "json"});
    Exit e = run_detached(dir, args);
    CHECK(e.code == code);
    CHECK(e.err.empty());
    return json::parse(e.out);
  };

  // --check: what would change, nothing written.
  json c = fmt_json({"--check", "a-clean.rbk", "b-messy.rbk"}, 1);
  CHECK(c.at("mode") == "check");
  CHECK(statuses(c) ==
        std::vector<std::string>{"a-clean.rbk already_formatted", "b-messy.rbk would_change"});
  CHECK(c.at("files") == 2);
  CHECK(c.at("would_change") == 1);
  CHECK(c.at("results").at(1).count("diff") == 0);
  CHECK(read_file(dir + "/b-messy.rbk") == messy);

  // --diff: the diff text mode prints, in the document; a syntax error as
  // check --format json gives it.
  json d = fmt_json({"--diff", "."}, 2);
  CHECK(d.at("mode") == "diff");
  CHECK(statuses(d) == std::vector<std::string>{"./a-clean.rbk already_formatted",
                                                "./b-messy.rbk would_change", "./c-bad.rbk error"});
  CHECK(d.at("results").at(1).at("diff") ==
        run_detached(dir, {"fmt", "--diff", "./b-messy.rbk"}).out);
  const json bad = d.at("results").at(2).at("diagnostics");
  REQUIRE(bad.size() == 1);
  CHECK(bad.at(0) ==
        json::parse(run_detached(dir, {"check", "--format", "json", "./c-bad.rbk"}).out)
            .at("diagnostics")
            .at(0));
  CHECK(d.at("errors") == 1);

  // Writing: rewritten, counted, and the file is formatted.
  json w = fmt_json({"a-clean.rbk", "b-messy.rbk"}, 0);
  CHECK(w.at("mode") == "write");
  CHECK(statuses(w) ==
        std::vector<std::string>{"a-clean.rbk already_formatted", "b-messy.rbk rewritten"});
  CHECK(w.at("rewritten") == 1);
  CHECK(w.at("already_formatted") == 1);
  CHECK(read_file(dir + "/b-messy.rbk") == clean);

  // A file that cannot be read: an error whose diagnostic names just the file.
  REQUIRE(::mkfifo((dir + "/fifo.rbk").c_str(), 0600) == 0);
  json f = fmt_json({"fifo.rbk"}, 2);
  CHECK(statuses(f) == std::vector<std::string>{"fifo.rbk error"});
  CHECK(f.at("results").at(0).at("diagnostics") ==
        json::parse(R"([{"file": "fifo.rbk", "severity": "error",
                        "message": "not a regular file (a FIFO); rbk reads only files"}])"));
  // A path that does not exist is a usage error before any file: no document.
  Exit gone = run_detached(dir, {"fmt", "--format", "json", "nowhere"});
  CHECK(gone.code == 2);
  CHECK(gone.out.empty());
}
