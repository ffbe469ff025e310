# What `rbk version --format json` says about the build that no header
# macro knows, written to generated/build_info.hpp at configure time: the git
# describe of the source (a new commit shows after the next configure, which
# rebuilds only cli/cmd_version.cpp), the build type, and the versions of the
# libraries that have no version macro (yaml-cpp, RE2).

set(RBK_GIT_DESCRIBE "unknown")
find_package(Git QUIET)
if(GIT_FOUND)
  # Only when the source is a checkout of its own: a tarball unpacked inside
  # another repository must not take that repository's describe.
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --show-toplevel
    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
    OUTPUT_VARIABLE rbk_git_top OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE rbk_git_failed ERROR_QUIET)
  file(REAL_PATH "${CMAKE_CURRENT_SOURCE_DIR}" rbk_source_real)
  if(NOT rbk_git_failed AND rbk_git_top)
    file(REAL_PATH "${rbk_git_top}" rbk_git_top)
  endif()
  if(NOT rbk_git_failed AND rbk_git_top STREQUAL rbk_source_real)
    execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --dirty --tags
      WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
      OUTPUT_VARIABLE rbk_describe OUTPUT_STRIP_TRAILING_WHITESPACE
      RESULT_VARIABLE rbk_git_failed ERROR_QUIET)
    if(NOT rbk_git_failed AND rbk_describe)
      set(RBK_GIT_DESCRIBE "${rbk_describe}")
    endif()
  endif()
endif()

set(RBK_BUILD_TYPE "${CMAKE_BUILD_TYPE}")
if(NOT RBK_BUILD_TYPE)
  set(RBK_BUILD_TYPE "none")
endif()

set(RBK_YAML_CPP_VERSION "${yaml-cpp_VERSION}")
if(NOT RBK_YAML_CPP_VERSION)
  set(RBK_YAML_CPP_VERSION "unknown")
endif()

# Debian's re2.pc says 0.0.0: then the version of the package that ships
# re2.h says which release it is (RE2 names releases by date, 20220601).
set(RBK_RE2_VERSION "${RE2_VERSION}")
if(NOT RBK_RE2_VERSION OR RBK_RE2_VERSION STREQUAL "0.0.0")
  set(RBK_RE2_VERSION "unknown")
  find_program(RBK_DPKG_QUERY dpkg-query)
  if(RBK_DPKG_QUERY)
    execute_process(COMMAND ${RBK_DPKG_QUERY} -W -f=\${Version} libre2-dev
      OUTPUT_VARIABLE rbk_re2_package RESULT_VARIABLE rbk_dpkg_failed ERROR_QUIET)
    # 20220601+dfsg-1+b1: the upstream part, without epoch or Debian revision.
    if(NOT rbk_dpkg_failed AND rbk_re2_package MATCHES "^([0-9]+:)?([0-9][0-9.]*)")
      set(RBK_RE2_VERSION "${CMAKE_MATCH_2}")
    endif()
  endif()
endif()

configure_file(${CMAKE_CURRENT_LIST_DIR}/build_info.hpp.in
  ${CMAKE_CURRENT_BINARY_DIR}/generated/build_info.hpp @ONLY)
