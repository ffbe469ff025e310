// Parse tree → AST: expressions (operators, names, members, literals in them).
#include "grammar/builder.hpp"

namespace rbk::grammar::build_detail {

ExprPtr Builder::make(ExprKind k, const Node& n) {
  auto e = std::make_unique<Expr>();
  e->kind = k;
  e->span = span(n);
  return e;
}

ExprPtr Builder::binary(BinOp op, ExprPtr lhs, ExprPtr rhs) {
  auto e = std::make_unique<Expr>();
  e->kind = ExprKind::Binary;
  e->op = op;
  e->span = Span::of(*file_, lhs->span.begin, rhs ? rhs->span.end : lhs->span.end);
  e->items.push_back(std::move(lhs));
  if (rhs) e->items.push_back(std::move(rhs));
  return e;
}

BinOp Builder::op_of(const Node& n) {
  if (n.is_type<op_eq>()) return BinOp::Eq;
  if (n.is_type<op_ne>()) return BinOp::Ne;
  if (n.is_type<op_le>()) return BinOp::Le;
  if (n.is_type<op_ge>()) return BinOp::Ge;
  if (n.is_type<op_lt>()) return BinOp::Lt;
  if (n.is_type<op_gt>()) return BinOp::Gt;
  if (n.is_type<op_contains>()) return BinOp::Contains;
  if (n.is_type<op_not_in>()) return BinOp::NotIn;
  if (n.is_type<op_in>()) return BinOp::In;
  return BinOp::Matches;
}

ExprPtr Builder::to_expr(const Node& n) {
  if (n.is_type<expr>() || n.is_type<when_cond>() || n.is_type<typed_value>() ||
      n.is_type<arg_value>() || n.is_type<and_expr>() || n.is_type<or_operand>()) {
    bool is_or = !(n.is_type<and_expr>() || n.is_type<or_operand>());
    // Each operand adds a level to the tree that later passes recurse over.
    if (n.children.size() > kMaxOperands) {
      diags_.push_back(error_at(span(*n.children[kMaxOperands]),
                                "condition too long (more than 100 operands joined by 'and'/'or')",
                                "split it into several causes or steps"));
      return make(ExprKind::Bool, n);
    }
    ExprPtr acc;
    for (const auto& c : n.children) {
      ExprPtr e = to_expr(*c);
      acc =
          acc ? binary(is_or ? BinOp::Or : BinOp::And, std::move(acc), std::move(e)) : std::move(e);
    }
    return acc;
  }
  if (n.is_type<comparison>()) {
    ExprPtr lhs = to_expr(*n.children.at(0));
    if (n.children.size() < 3) return lhs;
    BinOp op = op_of(*n.children[1]);
    const Node& rhs = *n.children[2];
    if (op == BinOp::Matches) {
      auto e = binary(op, std::move(lhs), nullptr);
      Regex r;
      r.span = span(rhs);
      if (const Node* b = find<regex_body>(rhs)) r.pattern = b->string();
      if (const Node* f = find<regex_flags>(rhs)) r.flags = f->string();
      e->span = Span::of(*file_, e->span.begin, r.span.end);
      e->regex = std::move(r);
      return e;
    }
    return binary(op, std::move(lhs), to_expr(rhs));
  }
  if (n.is_type<postfix>() || n.is_type<operand>() || n.is_type<on_targets>()) {
    ExprPtr acc = to_expr(*n.children.at(0));
    for (size_t i = 1; i < n.children.size(); ++i) {
      const Node& c = *n.children[i];
      auto e = std::make_unique<Expr>();
      e->span = Span::of(*file_, acc->span.begin, c.to);
      if (c.is_type<member>()) {
        e->kind = ExprKind::Member;
        e->name = c.children.empty() ? std::string() : c.children[0]->string();
      } else {
        e->kind = ExprKind::Index;
      }
      e->items.push_back(std::move(acc));
      if (c.is_type<index>() && !c.children.empty()) e->items.push_back(to_expr(*c.children[0]));
      acc = std::move(e);
    }
    return acc;
  }
  if (n.is_type<negation>()) {
    auto e = make(ExprKind::Not, n);
    e->items.push_back(to_expr(*n.children.at(0)));
    return e;
  }
  if (n.is_type<paren>()) {
    // The span takes the parentheses in, so an expression's text (shown
    // by plan, quoted in messages) is the whole of what was written.
    auto e = to_expr(*n.children.at(0));
    e->span = span(n);
    e->parenthesized = true;
    return e;
  }
  if (is_string_node(n)) {
    auto e = make(ExprKind::String, n);
    e->string = to_string_lit(n);
    return e;
  }
  if (n.is_type<duration>() || n.is_type<dur_value>()) {
    auto e = make(ExprKind::Duration, n);
    Duration d = duration_of(n);
    e->ms = d.ms;
    e->text = d.text;
    return e;
  }
  if (n.is_type<number>()) {
    auto e = make(ExprKind::Number, n);
    e->text = n.string();
    e->number = std::strtod(e->text.c_str(), nullptr);
    return e;
  }
  if (n.is_type<true_lit>() || n.is_type<false_lit>()) {
    auto e = make(ExprKind::Bool, n);
    e->boolean = n.is_type<true_lit>();
    return e;
  }
  if (n.is_type<list_lit>()) {
    auto e = make(ExprKind::List, n);
    for (const auto& c : n.children) e->items.push_back(to_expr(*c));
    return e;
  }
  // name_ref, default_word, and anything unexpected: a name.
  auto e = make(ExprKind::Name, n);
  e->name = n.string();
  return e;
}

}  // namespace rbk::grammar::build_detail
