// Myers' O(ND) shortest edit script over lines, printed as a unified diff.
#include "interpreter/base/diff.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

namespace rbk {

namespace {

std::vector<std::string_view> diff_lines(const std::string& text) {
  std::vector<std::string_view> lines;
  std::string_view t(text);
  size_t pos = 0;
  while (pos < t.size()) {
    size_t e = t.find('\n', pos);
    if (e == std::string_view::npos) {
      lines.push_back(t.substr(pos));
      break;
    }
    lines.push_back(t.substr(pos, e + 1 - pos));  // with its line break
    pos = e + 1;
  }
  return lines;
}

struct Op {
  char kind;    // ' ', '-', '+'
  size_t a, b;  // 0-based line in before / after (the one consumed, or the next)
};

/// The shortest edit script from `a` to `b` (Myers' O(ND) algorithm).
std::vector<Op> edit_script(const std::vector<std::string_view>& a,
                            const std::vector<std::string_view>& b) {
  const long n = static_cast<long>(a.size()), m = static_cast<long>(b.size());
  const long max = n + m;
  const long off = max + 1;
  std::vector<long> v(static_cast<size_t>(2 * max + 3), 0);
  std::vector<std::vector<long>> trace;
  auto at = [&](std::vector<long>& vec, long k) -> long& {
    return vec[static_cast<size_t>(k + off)];
  };
  bool done = false;
  for (long d = 0; d <= max && !done; ++d) {
    trace.push_back(v);
    for (long k = -d; k <= d; k += 2) {
      long x =
          (k == -d || (k != d && at(v, k - 1) < at(v, k + 1))) ? at(v, k + 1) : at(v, k - 1) + 1;
      long y = x - k;
      while (x < n && y < m && a[static_cast<size_t>(x)] == b[static_cast<size_t>(y)]) ++x, ++y;
      at(v, k) = x;
      if (x >= n && y >= m) {
        done = true;
        break;
      }
    }
  }
  std::vector<Op> ops;
  long x = n, y = m;
  for (long d = static_cast<long>(trace.size()) - 1; d >= 0; --d) {
    std::vector<long>& tv = trace[static_cast<size_t>(d)];
    const long k = x - y;
    const long pk = (k == -d || (k != d && at(tv, k - 1) < at(tv, k + 1))) ? k + 1 : k - 1;
    const long px = at(tv, pk), py = px - pk;
    while (x > px && y > py) {
      --x, --y;
      ops.push_back(Op{' ', static_cast<size_t>(x), static_cast<size_t>(y)});
    }
    if (d > 0) {
      if (x == px)
        ops.push_back(Op{'+', static_cast<size_t>(x), static_cast<size_t>(y - 1)});
      else
        ops.push_back(Op{'-', static_cast<size_t>(x - 1), static_cast<size_t>(y)});
    }
    x = px;
    y = py;
  }
  std::reverse(ops.begin(), ops.end());
  return ops;
}

void diff_line(std::string& out, char kind, std::string_view line) {
  out += kind;
  out += line;
  if (line.empty() || line.back() != '\n') out += "\n\\ No newline at end of file\n";
}

std::string range(size_t start, size_t count) {
  // A hunk that holds no line of a side names the line before it.
  return std::to_string(count == 0 ? start : start + 1) + "," + std::to_string(count);
}

}  // namespace

std::string unified_diff(const std::string& before, const std::string& after,
                         const std::string& path) {
  if (before == after) return std::string();
  const auto a = diff_lines(before);
  const auto b = diff_lines(after);
  const std::vector<Op> ops = edit_script(a, b);
  constexpr size_t kContext = 3;

  const std::string shown = path.substr(std::min(path.find_first_not_of('/'), path.size()));
  std::string out = "--- a/" + shown + "\n+++ b/" + shown + "\n";
  size_t i = 0;
  while (i < ops.size()) {
    while (i < ops.size() && ops[i].kind == ' ') ++i;
    if (i == ops.size()) break;
    // The hunk: from kContext lines before this change to kContext lines
    // after the last change that is at most 2*kContext unchanged lines away.
    size_t start = i >= kContext ? i - kContext : 0;
    size_t end = i;  // one past the last change
    size_t j = i;
    while (j < ops.size()) {
      if (ops[j].kind != ' ') {
        end = j + 1;
        ++j;
        continue;
      }
      size_t k = j;
      while (k < ops.size() && ops[k].kind == ' ') ++k;
      if (k == ops.size() || k - j > 2 * kContext) break;
      j = k;
    }
    const size_t stop = std::min(ops.size(), end + kContext);
    size_t a_count = 0, b_count = 0;
    for (size_t k = start; k < stop; ++k) {
      if (ops[k].kind != '+') ++a_count;
      if (ops[k].kind != '-') ++b_count;
    }
    out += "@@ -" + range(ops[start].a, a_count) + " +" + range(ops[start].b, b_count) + " @@\n";
    for (size_t k = start; k < stop; ++k) {
      const Op& op = ops[k];
      diff_line(out, op.kind, op.kind == '+' ? b[op.b] : a[op.a]);
    }
    i = stop;
  }
  return out;
}

}  // namespace rbk
