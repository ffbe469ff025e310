// Fuzz target: rbk.yaml read by the configuration loader. Bad input may only
// give diagnostics.
#include <memory>
#include <string>

#include "fuzz_support.hpp"
#include "interpreter/project/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rbk;
  auto file = std::make_shared<SourceFile>("rbk.yaml",
                                           std::string(reinterpret_cast<const char*>(data), size));
  Diagnostics errors;
  (void)parse_config(file, "/project", errors);
  fuzz::expect_clear(errors, "parse_config");
  return 0;
}
