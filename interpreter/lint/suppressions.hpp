// Suppressions: `# rbk: ignore RBK101[, RBK102] -- reason` comments, read
// from a document's comments; and the document's comments and fenced shell
// literals they apply to.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "interpreter/syntax/ast.hpp"

namespace rbk::lint_detail {

using namespace ast;

/// One suppression comment, and which of its rules suppressed something.
struct Suppression {
  const Comment* comment;
  uint32_t target_line;
  std::vector<std::string> rules;
  std::vector<std::string> unknown;
  bool has_reason;
  std::set<std::string> used;
};

/// `# rbk: ignore RBK101[, RBK102] -- reason`; nullopt when the comment is not one.
std::optional<Suppression> parse_suppression(const Comment& c);

/// Every comment of the document.
void collect_comments(const Document& doc, std::vector<const Comment*>& out);

/// Every fenced shell literal of the document.
std::vector<const Shell*> fenced_shells(const Document& doc);

}  // namespace rbk::lint_detail
