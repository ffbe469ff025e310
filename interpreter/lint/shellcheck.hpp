// ShellCheck inside runbooks: every shell literal (one-line or fenced) is
// checked with `shellcheck --format=json1 --shell=sh`, one process for all
// the literals of a call, and each finding is mapped back to its exact line
// and column in the .rbk file.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "interpreter/base/diagnostic.hpp"
#include "interpreter/base/expected.hpp"
#include "interpreter/runtime/command.hpp"
#include "interpreter/syntax/ast.hpp"

namespace rbk {

/// One shell literal to check, with the names it may use unassigned.
struct ShellSnippet {
  const ast::Shell* shell = nullptr;
  std::set<std::string> known;  // parameters, secrets, captures, RBK_*, template params…
};

/// Checks every snippet, with one ShellCheck process. Findings are
/// Diagnostics with code "RBK401" and the ShellCheck code in the message
/// ("SC2086: Double quote to prevent globbing…"), severities mapped (error →
/// Error, warning → Warning, info/style → Note), in the snippets' order.
/// Uses `runner` to start ShellCheck (so tests can fake it). When ShellCheck
/// cannot be run, there are no findings, only one line saying why. The
/// snippets reach ShellCheck as files in a private temporary directory whose
/// path is in the environment (never a snippet in the script);
/// `known` names are declared after it (see shellcheck.cpp), so SC2154 is
/// reported only for names neither rbk nor the snippet defines.
Expected<Diagnostics, std::string> shellcheck_snippets(const std::vector<ShellSnippet>& snippets,
                                                       CommandRunner& runner);

/// As shellcheck_snippets, with each snippet's findings apart (out[i] for
/// snippets[i]): one process for the literals of many documents.
Expected<std::vector<Diagnostics>, std::string> shellcheck_each(
    const std::vector<ShellSnippet>& snippets, CommandRunner& runner);

/// Maps a ShellCheck (line, column), 1-based in the snippet's text, to the
/// position in the .rbk source (fenced blocks are dedented: add the indent;
/// one-line literals start after the backtick). Exposed for tests.
Span map_shell_position(const ast::Shell& shell, uint32_t line, uint32_t col, uint32_t end_line,
                        uint32_t end_col);

}  // namespace rbk
