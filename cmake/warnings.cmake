# Warning flags for every target of the project; -Werror when RBK_WERROR is on
# (the test script and CI turn it on).
function(rbk_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
    -Wimplicit-fallthrough)
  # Not -Wnull-dereference: with GCC 12 at -O2 it reports false positives
  # inside libstdc++ as instantiated by CLI11.
  if(RBK_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

if(RBK_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
