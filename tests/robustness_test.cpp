// Every example and test input, truncated after each line and with each
// single line deleted, must give `rbk check` exit 0 or 1: never a crash, a
// hang (the runner kills after a time limit) or an uncaught exception.
// The variants are written to one folder per source file and checked by one
// rbk process per batch of files, so a crash anywhere shows as a signal or
// exit code.
#include <catch2/catch.hpp>

#include <filesystem>

#include "test_support.hpp"

namespace fs = std::filesystem;

namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t e = text.find('\n', pos);
    if (e == std::string::npos) e = text.size() - 1;
    lines.push_back(text.substr(pos, e - pos + 1));
    pos = e + 1;
  }
  return lines;
}

std::vector<std::string> inputs() {
  std::vector<std::string> out;
  const std::string root = rbk::test::source_dir();
  for (const char* dir : {"examples", "runbooks", "stdlib", "tests/cases/ok", "tests/cases/fail"}) {
    std::error_code ec;
    if (!fs::is_directory(root + "/" + dir, ec)) continue;
    for (const auto& e : fs::recursive_directory_iterator(root + "/" + dir, ec)) {
      if (e.path().extension() == ".rbk") out.push_back(e.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("truncated and line-deleted inputs never crash rbk check", "[robustness]") {
  auto files = inputs();
  REQUIRE(files.size() >= 20);
  fs::path tmp = fs::temp_directory_path() / ("rbk-robust-" + std::to_string(::getpid()));
  size_t variants = 0;
  const size_t sample = rbk::test::variant_sample();
  // The variants of a batch of source files (one folder each) are checked by
  // one rbk process: under sanitizers a process start costs more than the
  // check of a file's variants (one process per file took 69 s of 200).
  const size_t batch = 16;
  for (size_t start = 0; start < files.size(); start += batch) {
    fs::remove_all(tmp);
    std::string names;
    for (size_t file_index = start; file_index < std::min(files.size(), start + batch);
         ++file_index) {
      const auto& f = files[file_index];
      auto lines = split_lines(rbk::test::read_file(f));
      if (lines.empty()) continue;  // an empty file has no variants
      fs::path dir = tmp / ("f" + std::to_string(file_index));
      fs::create_directories(dir);
      names += f + "\n";
      // Under sanitizers, one line in `sample`, from an offset that moves with
      // the file (a file shorter than the offset still gets its first line).
      size_t first = file_index % sample;
      if (first >= lines.size()) first = 0;
      for (size_t i = first; i < lines.size(); i += sample) {
        std::string truncated, deleted;
        for (size_t j = 0; j <= i; ++j) truncated += lines[j];
        for (size_t j = 0; j < lines.size(); ++j)
          if (j != i) deleted += lines[j];
        rbk::test::write_file((dir / ("t" + std::to_string(i) + ".rbk")).string(), truncated);
        rbk::test::write_file((dir / ("d" + std::to_string(i) + ".rbk")).string(), deleted);
        variants += 2;
      }
    }
    if (names.empty()) continue;
    auto r = rbk::test::run_rbk("check --format json '" + tmp.string() + "'");
    INFO("variants of:\n" << names << r.err.substr(0, 2000));
    CHECK(r.signal == 0);
    CHECK((r.exit_code == 0 || r.exit_code == 1));
    CHECK(r.err.find("internal error") == std::string::npos);
  }
  fs::remove_all(tmp);
  WARN(variants << " variants of " << files.size() << " files checked");
}
