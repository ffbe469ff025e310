// The head of a .rbk file, read with the grammar's own rules and no tree:
// what `runbook NAME` a file declares, for lookups that must not parse
// every file on the runbook path.
#include <tao/pegtl.hpp>

#include "grammar/parse.hpp"
#include "grammar/rules.hpp"

namespace rbk {

namespace {

namespace pegtl = tao::pegtl;
using namespace grammar;

// What a document starts with, up to its runbook's name (rules.hpp: document).
struct head : pegtl::seq<sk, pegtl::star<import_decl, sk>, kw_runbook, sk, runbook_name> {};

template <typename Rule>
struct head_action : pegtl::nothing<Rule> {};
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
    pegtl::memory_input<> in(text.data(), text.size(), "");
    if (!pegtl::parse<head, head_action>(in, name)) return "";
  } catch (const pegtl::parse_error&) {  // a malformed import: not simply readable
    return "";
  }
  return name;
}

}  // namespace rbk
