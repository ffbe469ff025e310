# Warning flags for every target of the project; -Werror when RBK_WERROR is on
# (the test script and CI turn it on).
function(rbk_warnings target)
  # -Wshadow=local is GCC's spelling; clang (the fuzz build) has no such flag.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic
    $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local> -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
    -Wimplicit-fallthrough)
  # Not -Wnull-dereference: with GCC 12 at -O2 it reports false positives
  # inside libstdc++ as instantiated by CLI11.
  if(RBK_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

if(RBK_SANITIZE)
  # -O1 (after the build type's -O0): PEGTL's templates at -O0 under ASan made
  # `rbk check` ~40x slower than the plain build, and one test took 7 minutes.
  add_compile_options(-O1 -fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  # GCC's flow warnings misfire on instrumented, optimised code (std::regex's
  # std::function "may be used uninitialized"); the plain build keeps them as
  # errors, and here the sanitizers check the same things at run time.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    add_compile_options(-Wno-maybe-uninitialized -Wno-stringop-overflow -Wno-array-bounds
                        -Wno-free-nonheap-object)
  endif()
  add_link_options(-fsanitize=address,undefined)
endif()

# The ThreadSanitizer build (clang; scripts/test.sh runs the tests that start
# threads under it): -O1 and line tables, as for the fuzz build.
option(RBK_TSAN "Build with ThreadSanitizer" OFF)
if(RBK_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -O1 -gline-tables-only)
  add_link_options(-fsanitize=thread)
endif()

# The fuzz build: every file gets libFuzzer's coverage instrumentation and the
# sanitizers; only the fuzz targets link libFuzzer itself (fuzz/CMakeLists.txt).
if(RBK_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "RBK_FUZZ needs clang: -DCMAKE_CXX_COMPILER=clang++-16 (see docs/fuzzing.md)")
  endif()
  # -O1 and line tables only: a third less compile time than -O2 -g, and
  # stack traces still name file and line. Use a build type without NDEBUG
  # (Debug), so asserts hold under fuzzing too.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=all -O1 -gline-tables-only)
  add_link_options(-fsanitize=address,undefined)
endif()
