// Error recovery for the grammar: `recover<Item>` tries Item; on a syntax
// error inside it (already reported by the control), it skips ahead to the
// next line that starts a sibling item — or to the enclosing '}' — and lets
// parsing go on, so one run reports several independent errors.
#pragma once

#include <tao/pegtl.hpp>
#include <tao/pegtl/contrib/analyze_traits.hpp>

#include "grammar/parse_context.hpp"

namespace rbk::grammar {

/// Where to resume after an error at `error` inside an item that began at
/// `item_begin`, given the innermost open block. Returns an offset > item_begin.
uint32_t resume_offset(const ParseContext& ctx, uint32_t item_begin, uint32_t error);

/// Whether `word` starts an item of the innermost open block (the level a
/// recover<> at this point resumes in).
bool belongs_here(const ParseContext& ctx, const std::string& word);

struct TreeState;
/// How many nodes the parse tree being built holds unattached (parse.cpp).
std::size_t tree_mark(const TreeState& tree);
/// Drops the unattached nodes past `mark`: what an item that failed added.
void cut_tree(TreeState& tree, std::size_t mark);

/// Finds the state of type T among PEGTL's state arguments.
template <typename T, typename... States>
T& state_of(States&... st) {
  T* found = nullptr;
  (
      [&](auto& s) {
        if constexpr (std::is_same_v<std::decay_t<decltype(s)>, T>) found = &s;
      }(st),
      ...);
  return *found;
}

/// Finds the ParseContext among PEGTL's state arguments.
template <typename... States>
ParseContext& context_of(States&... st) {
  return state_of<ParseContext>(st...);
}

template <typename Item>
struct recover {
  using rule_t = recover;
  using subs_t = tao::pegtl::type_list<Item>;

  template <tao::pegtl::apply_mode A, tao::pegtl::rewind_mode M,
            template <typename...> class Action, template <typename...> class Control,
            typename ParseInput, typename... States>
  [[nodiscard]] static bool match(ParseInput& in, States&&... st) {
    ParseContext& ctx = context_of(st...);
    const auto saved = in.iterator();
    const size_t depth = ctx.blocks.size();
    const uint32_t nesting = ctx.depth;
    const auto item_begin = static_cast<uint32_t>(in.current() - in.begin());
    TreeState& tree = state_of<TreeState>(st...);
    const std::size_t mark = tree_mark(tree);
    try {
      return Control<Item>::template match<A, tao::pegtl::rewind_mode::required, Action, Control>(
          in, st...);
    } catch (const tao::pegtl::parse_error&) {
      cut_tree(tree, mark);
      ctx.blocks.resize(depth);
      ctx.depth = nesting;
      // A missing '}' found by an outer keyword is handled where that keyword belongs.
      if (!ctx.outer_word.empty() && !belongs_here(ctx, ctx.outer_word)) throw;
      ctx.outer_word.clear();
      const uint32_t resume = resume_offset(ctx, item_begin, ctx.last_error);
      in.iterator() = saved;
      in.bump(resume - item_begin);
      return true;
    }
  }
};

}  // namespace rbk::grammar

template <typename Name, typename Item>
struct tao::pegtl::analyze_traits<Name, rbk::grammar::recover<Item>>
    : analyze_traits<Name, typename seq<Item>::rule_t> {};
