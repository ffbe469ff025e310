// What the fuzz targets share: how a broken promise becomes a crash libFuzzer
// keeps (and the replay driver reports), and the promise every diagnostic
// keeps: it points into a file and renders as `file:line:col: error: …`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "interpreter/base/diagnostic.hpp"

namespace rbk::fuzz {

/// Reports a broken invariant on stderr and aborts, so the input is kept.
[[noreturn]] void fail(const std::string& what, const std::string& detail = {});

/// Every diagnostic of `phase` has a span inside its file and renders.
void expect_clear(const Diagnostics& ds, const char* phase);

/// A file of the source tree (the fuzz targets' fixed inputs); aborts when
/// it cannot be read, since every run would then test nothing.
std::string read_source(const std::string& relative_path);

}  // namespace rbk::fuzz

/// The entry point libFuzzer calls; the replay driver calls it too.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
