#include "interpreter/ide/formatting.hpp"

#include <algorithm>
#include <memory>

#include "interpreter/syntax/format.hpp"

namespace rbk::ide {

std::vector<TextEdit> replace_changed_lines(const std::string& before, const std::string& after) {
  if (before == after) return {};
  // The longest common prefix and suffix, cut back to whole lines.
  size_t head = 0;
  const size_t shorter = std::min(before.size(), after.size());
  while (head < shorter && before[head] == after[head]) ++head;
  while (head > 0 && before[head - 1] != '\n') --head;
  size_t tail = 0;
  while (tail < shorter - head &&
         before[before.size() - 1 - tail] == after[after.size() - 1 - tail])
    ++tail;
  while (tail > 0 && before[before.size() - tail] != '\n') --tail;
  // The suffix starts right after a '\n' (or is empty): step past it.
  if (tail > 0) --tail;
  const size_t end = before.size() - tail;
  LineMap lines(before);
  return {TextEdit{lines.range(head, end), after.substr(head, after.size() - tail - head)}};
}

std::optional<std::vector<TextEdit>> formatting_edits(const Analysis& a) {
  const ast::Document* doc = a.document();
  if (!doc) return std::nullopt;
  const std::string formatted = format_document(*doc);
  const std::string& text = a.source->text();
  if (formatted == text) return std::vector<TextEdit>{};
  ParseResult again = parse(std::make_shared<SourceFile>(a.path, formatted));
  if (!again.document || has_errors(again.diagnostics) || !same_meaning(*doc, *again.document))
    return std::nullopt;
  return replace_changed_lines(text, formatted);
}

}  // namespace rbk::ide
