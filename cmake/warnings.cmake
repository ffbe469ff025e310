# Warning flags for every target of the project; -Werror when RBK_WERROR is on
# (the test script and CI turn it on).
function(rbk_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
    -Wnull-dereference -Wimplicit-fallthrough)
  if(RBK_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

if(RBK_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
