// The head of a .rbk file, read with the grammar's own rules and no tree:
// what `runbook NAME` a file declares, for lookups that must not parse
// every file on the runbook path.
#include <tao/pegtl.hpp>

#include "grammar/parse.hpp"
#include "grammar/rules.hpp"

namespace rbk {

namespace {

namespace pt = tao::pegtl;
using namespace grammar;

// What a document starts with, up to its runbook's name (rules.hpp: document).
struct head : pt::seq<sk, pt::star<import_decl, sk>, kw_runbook, sk, runbook_name> {};

template <typename Rule>
struct head_action : pt::nothing<Rule> {};
template <>
struct head_action<runbook_name> {
  template <typename Input>
  static void apply(const Input& in, std::string& name) {
    name = in.string();
  }
};

}  // namespace

std::string declared_runbook_name(std::string_view text) {
  std::string name;
  try {
    pt::memory_input<> in(text.data(), text.size(), "");
    if (!pt::parse<head, head_action>(in, name)) return "";
  } catch (const pt::parse_error&) {  // a malformed import: not simply readable
    return "";
  }
  return name;
}

}  // namespace rbk
