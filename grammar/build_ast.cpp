// Phase 2 of parsing: the PEGTL parse tree (already free of syntax errors)
// becomes the typed AST. Literal values are decoded here (escapes, dedent,
// durations), and comments are woven into the blocks that hold them.
// The Builder is declared in builder.hpp; expressions and statements are
// built in build_expressions.cpp and build_statements.cpp.
#include "grammar/builder.hpp"

#include <cctype>

namespace rbk::grammar::build_detail {

Span Builder::span(const Node& n) const {
  return Span::of(*file_, n.from, n.to);
}

bool Builder::is_string_node(const Node& n) {
  return n.is_type<string_lit>() || n.is_type<title>() || n.is_type<signal_title>() ||
         n.is_type<check_title>() || n.is_type<cause_title>() || n.is_type<import_path>() ||
         n.is_type<secret_env_name>() || n.is_type<text_lit>();
}

const Node* Builder::find_string(const Node& n) {
  for (const auto& c : n.children)
    if (is_string_node(*c)) return c;
  return nullptr;
}

std::optional<int64_t> Builder::parse_int(std::string_view s, const Span& where, const char* what) {
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) {
    diags_.push_back(error_at(where, std::string(what) + " is too large"));
    return std::nullopt;
  }
  return v;
}

Duration Builder::duration_of(const Node& n) {
  Duration d;
  d.span = span(n);
  d.text = n.string();
  if (!d.text.empty() && !std::isdigit(static_cast<unsigned char>(d.text[0]))) {
    // A parameter's name: its value, a duration, is known when the run starts.
    d.param = d.text;
    return d;
  }
  DurationResult r = parse_duration(d.text);
  if (r.error == DurationError::UnitOrder) {
    diags_.push_back(error_at(d.span, "invalid duration '" + d.text + "'",
                              "units go from largest to smallest, each once, e.g. 1h30m or 2m30s"));
  } else if (r.error) {  // the grammar admits only well-formed durations: too large
    diags_.push_back(error_at(d.span, "duration is too large"));
  }
  d.ms = r.error ? 0 : r.ms;
  return d;
}

size_t Builder::common_indent(std::string_view content) {
  size_t indent = std::string::npos;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t e = content.find('\n', pos);
    if (e == std::string_view::npos) e = content.size();
    std::string_view line = content.substr(pos, e - pos);
    size_t nb = line.find_first_not_of(" \t\r");
    if (nb != std::string_view::npos) indent = std::min(indent, nb);
    pos = e + 1;
  }
  return indent == std::string::npos ? 0 : indent;
}

std::string Builder::dedent_lines(std::string_view content, uint32_t& indent_out) {
  const size_t indent = common_indent(content);
  indent_out = static_cast<uint32_t>(indent);
  std::string out;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t e = content.find('\n', pos);
    bool last = e == std::string_view::npos;
    if (last) e = content.size();
    std::string_view line = content.substr(pos, e - pos);
    // A file saved with CRLF line ends runs the same commands as with LF.
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out += line.size() >= indent ? line.substr(indent) : line.substr(line.size());
    if (!last) out += '\n';
    pos = e + 1;
  }
  return out;
}

Shell Builder::shell(const Node& n) {
  Shell s;
  s.span = span(n);
  s.raw = n.string();
  if (n.is_type<fenced_shell>()) {
    s.fenced = true;
    const Node* c = find<fenced_content>(n);
    std::string_view content = c ? c->string_view() : std::string_view();
    s.first_line = c ? span(*c).line : s.span.line + 1;
    s.text = dedent_lines(content, s.indent);
    if (!s.text.empty() && s.text.back() == '\n') s.text.pop_back();
  } else {
    const Node* c = find<inline_content>(n);
    s.text = c ? c->string() : std::string();
    s.first_line = s.span.line;
    s.indent = 0;
  }
  return s;
}

StringLit Builder::to_string_lit(const Node& n) {
  StringLit s;
  s.span = span(n);
  s.text_block = n.is_type<text_lit>();
  auto add_text = [&](const Span& sp, std::string t) {
    if (!s.parts.empty() && !s.parts.back().expr) {
      s.parts.back().text += t;
      s.parts.back().span = Span::of(*file_, s.parts.back().span.begin, sp.end);
    } else {
      s.parts.push_back(StringPart{sp, std::move(t), nullptr});
    }
  };
  for (const auto& c : n.children) {
    if (c->is_type<str_plain>() || c->is_type<text_plain>() || c->is_type<str_dollar>()) {
      add_text(span(*c), c->string());
    } else if (c->is_type<dollar_escape>()) {
      add_text(span(*c), "${");
    } else if (c->is_type<str_escape>()) {
      char e = c->string_view()[1];
      add_text(span(*c), std::string(1, e == 'n' ? '\n' : e == 't' ? '\t' : e));
    } else if (c->is_type<interp>() && !c->children.empty()) {
      s.parts.push_back(StringPart{span(*c), {}, to_expr(*c->children.front())});
    }
  }
  if (s.text_block) {
    for (auto& p : s.parts) {  // CRLF files give the same text as LF files
      if (p.expr || p.text.find('\r') == std::string::npos) continue;
      std::string t;
      for (size_t i = 0; i < p.text.size(); ++i)
        if (!(p.text[i] == '\r' && i + 1 < p.text.size() && p.text[i + 1] == '\n')) t += p.text[i];
      p.text = std::move(t);
    }
    dedent_text(s);
  }
  return s;
}

void Builder::dedent_text(StringLit& s) {
  std::string_view raw = s.span.text();
  raw = raw.substr(3, raw.size() >= 6 ? raw.size() - 6 : 0);
  std::string body(raw);
  bool leading_newline = false;
  size_t first_nl = body.find('\n');
  if (first_nl != std::string::npos && body.find_first_not_of(" \t\r") >= first_nl) {
    leading_newline = true;
    body = body.substr(first_nl + 1);
  }
  if (!leading_newline) return;  // a one-line """text""" stays as written
  const size_t indent = common_indent(body);
  bool at_line_start = true;
  for (size_t p = 0; p < s.parts.size(); ++p) {
    auto& part = s.parts[p];
    if (part.expr) {
      at_line_start = false;
      continue;
    }
    std::string out;
    std::string& t = part.text;
    size_t i = 0;
    if (p == 0) {  // drop the rest of the opening line
      size_t nl = t.find('\n');
      i = nl == std::string::npos ? t.size() : nl + 1;
    }
    while (i < t.size()) {
      if (at_line_start) {
        size_t k = 0;
        while (k < indent && i < t.size() && (t[i] == ' ' || t[i] == '\t')) ++i, ++k;
        at_line_start = false;
        continue;
      }
      // The rest of the line, its line break included, at once.
      const size_t nl = t.find('\n', i);
      const size_t stop = nl == std::string::npos ? t.size() : nl + 1;
      out.append(t, i, stop - i);
      at_line_start = nl != std::string::npos;
      i = stop;
    }
    t = std::move(out);
  }
  // Drop the closing line's indentation and the line break before it.
  if (!s.parts.empty() && !s.parts.back().expr) {
    std::string& t = s.parts.back().text;
    size_t nl = t.find_last_of('\n');
    if (nl != std::string::npos && t.find_first_not_of(" \t\r", nl + 1) == std::string::npos) {
      t.erase(nl);
    }
  }
}

Param Builder::param(const Node& n) {
  Param p;
  p.span = span(n);
  for (const auto& c : n.children) {
    if (c->is_type<param_name>() || c->is_type<ask_name>())
      p.name = ident(*c);
    else if (c->is_type<regex>())
      continue;  // an ask's `matches /re/`, read by its own builder
    else if (c->is_type<param_default>())
      p.default_value = to_expr(*c->children.at(0));
    else if (is_string_node(*c))
      p.help = to_string_lit(*c);
    else {
      p.type.span = span(*c);
      if (c->is_type<type_enum>()) {
        p.type.kind = TypeKind::Enum;
        for (const auto& v : c->children) p.type.values.push_back(ident(*v));
      } else if (c->is_type<type_int>())
        p.type.kind = TypeKind::Int;
      else if (c->is_type<type_bool>())
        p.type.kind = TypeKind::Bool;
      else if (c->is_type<type_duration>())
        p.type.kind = TypeKind::Duration;
      else if (c->is_type<type_list>())
        p.type.kind = TypeKind::List;
      else if (c->is_type<type_targets>())
        p.type.kind = TypeKind::Targets;
      else
        p.type.kind = TypeKind::String;
    }
  }
  return p;
}

RunbookItem Builder::runbook_item(const Node& n) {
  if (auto kind = section_kind(n)) {
    Section s;
    s.span = span(n);
    s.kind = *kind;
    s.keyword =
        Span::of(*file_, s.span.begin,
                 s.span.begin + static_cast<uint32_t>(std::string(section_name(*kind)).size()));
    for (const auto& c : n.children) s.items.push_back(section_item(*c));
    weave(s.items, s.span.begin, s.span.end);
    return s;
  }
  if (n.is_type<param_decl>()) return param(n);
  if (n.is_type<message_decl>()) {
    Message m;
    m.span = span(n);
    m.name = ident(*n.children.at(0));
    m.text = to_string_lit(*n.children.at(1));
    return m;
  }
  if (n.is_type<secret_decl>()) {
    Secret s;
    s.span = span(n);
    s.name = ident(*n.children.at(0));
    const Node& src = *n.children.at(1);
    if (src.is_type<secret_env>()) {
      s.source = SecretSource::Env;
      if (!src.children.empty()) s.env_var = to_string_lit(*src.children[0]);
    } else {
      s.source = SecretSource::Command;
      s.command = shell(*src.children.at(0));
    }
    return s;
  }
  Meta m;
  m.span = span(n);
  if (n.is_type<meta_title>()) {
    m.kind = MetaKind::Title;
    m.text = to_string_lit(*n.children.at(0));
  } else if (n.is_type<meta_summary>()) {
    m.kind = MetaKind::Summary;
    m.text = to_string_lit(*n.children.at(0));
  } else if (n.is_type<meta_severity>()) {
    m.kind = MetaKind::Severity;
    m.word = ident(*n.children.at(0));
  } else if (n.is_type<meta_owner>()) {
    m.kind = MetaKind::Owner;
    m.word = ident(*n.children.at(0));
  } else {
    m.kind = MetaKind::Tags;
    for (const auto& t : n.children.at(0)->children) {
      if (!t->children.empty())
        m.tags.push_back(Ident{span(*t), to_string_lit(*t->children[0]).plain()});
      else
        m.tags.push_back(ident(*t));
    }
  }
  return m;
}

Runbook Builder::runbook_node(const Node& n) {
  Runbook r;
  r.span = span(n);
  r.name = ident(*n.children.at(0));
  for (size_t i = 1; i < n.children.size(); ++i) r.items.push_back(runbook_item(*n.children[i]));
  weave(r.items, r.span.begin, r.span.end);
  return r;
}

Module Builder::module_node(const Node& n) {
  Module m;
  m.span = span(n);
  m.name = ident(*n.children.at(0));
  for (size_t i = 1; i < n.children.size(); ++i) {
    const Node& t = *n.children[i];
    Template tp;
    tp.span = span(t);
    for (const auto& c : t.children) {
      if (c->is_type<template_id>())
        tp.id = ident(*c);
      else if (c->is_type<title>())
        tp.title = to_string_lit(*c);
      else if (c->is_type<template_body>()) {
        for (const auto& p : c->children)
          if (p->is_type<param_decl>()) tp.params.push_back(param(*p));
        tp.body = to_body(*c);
      }
    }
    m.items.emplace_back(std::move(tp));
  }
  weave(m.items, m.span.begin, m.span.end);
  return m;
}

Import Builder::import(const Node& n) {
  Import i;
  i.span = span(n);
  i.path = to_string_lit(*n.children.at(0));
  if (const Node* a = find<import_alias>(n)) i.alias = ident(*a);
  return i;
}

}  // namespace rbk::grammar::build_detail

namespace rbk::grammar {

using namespace build_detail;

std::unique_ptr<ast::Document> build_document(const Node& root,
                                              std::shared_ptr<const SourceFile> file,
                                              const std::map<uint32_t, uint32_t>& comments,
                                              Diagnostics& diagnostics) {
  Builder b(std::move(file), comments, diagnostics);
  return b.document(root);
}

}  // namespace rbk::grammar
