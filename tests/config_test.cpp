// rbk.yaml as data: tests/config/NAME.yaml is read as if it were
// /project/rbk.yaml; NAME.expected holds the diagnostics (full text) and a
// dump of the configuration read. RBK_UPDATE_GOLDEN=1 rewrites the goldens.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "interpreter/project/config.hpp"
#include "test_support.hpp"

namespace {

std::string dump(const rbk::Config& c) {
  std::string out;
  for (const auto& p : c.runbook_paths) out += "path " + p + "\n";
  out += "records " + c.records_dir + "\n";
  for (const auto& [id, r] : c.roles)
    out += "role " + id + " name=" + r.name + " contact=" + r.contact + "\n";
  // In rbk.yaml's order (the most severe first): `severity >= "…"` ranks by it.
  REQUIRE(c.severity_order.size() == c.severities.size());
  for (const auto& id : c.severity_order) {
    const rbk::SeverityLevel& s = c.severities.at(id);
    out += "severity " + id;
    if (s.response) out += " response=" + std::to_string(s.response->count()) + "ms";
    if (s.resolution) out += " resolution=" + std::to_string(s.resolution->count()) + "ms";
    out += "\n";
  }
  if (!c.page_command.empty()) out += "page " + c.page_command + "\n";
  if (!c.notify_command.empty()) out += "notify " + c.notify_command + "\n";
  out += "policy timeout=" + std::to_string(c.policy.default_timeout.count()) +
         "ms grace=" + std::to_string(c.policy.grace.count()) +
         "ms approvals=" + (c.policy.allow_non_interactive_approval ? "yes" : "no") +
         " capture=" + std::to_string(c.policy.capture_limit) + " typed=";
  for (const auto& t : c.policy.typed_confirm_for) out += t + ",";
  out += "\n";
  for (const auto& r : c.redact) out += "redact " + r + "\n";
  for (const auto& h : c.targets.hosts) {
    out += "host " + h.id + " address=" + h.address;
    if (h.port) out += " port=" + std::to_string(*h.port);
    if (!h.user.empty()) out += " user=" + h.user;
    for (const auto& [k, v] : h.labels) out += " " + k + "=" + v;
    out += "\n";
  }
  for (const auto& r : c.routes) {
    out += "route " + r.name + " runbook=" + r.runbook + " at " + r.where + "\n";
    for (const auto& m : r.match) out += "  match " + m.name + " " + m.text + "\n";
    static const char* kinds[] = {"constant", "label", "annotation"};
    auto source = [&](const rbk::ParamSource& src) {
      std::string s = std::string(kinds[static_cast<int>(src.kind)]) + "=" + src.value;
      return src.regex ? s + " regex=" + src.regex_text : s;
    };
    for (const auto& [p, src] : r.params) out += "  param " + p + " " + source(src) + "\n";
    if (r.target) out += "  target " + source(*r.target) + "\n";
    for (const auto& s : r.auto_approve) out += "  auto_approve " + s + "\n";
    auto window = [](const char* what, const std::optional<rbk::WindowLimit>& w) {
      return w ? std::string("  ") + what + " " + std::to_string(w->max) + " per " +
                     std::to_string(w->per.count()) + "ms\n"
               : std::string();
    };
    out += window("per_runbook", r.limits.per_runbook) + window("per_target", r.limits.per_target) +
           window("breaker", r.limits.breaker);
    if (r.limits.concurrent) out += "  concurrent " + std::to_string(*r.limits.concurrent) + "\n";
  }
  for (const auto& [name, members] : c.targets.groups) {
    out += "group " + name + ":";
    for (const auto& m : members) out += " " + m;
    out += "\n";
  }
  if (!c.ssh.config.empty() || c.ssh.connect_timeout != rbk::SshSettings{}.connect_timeout)
    out += "ssh config=" + c.ssh.config +
           " connect_timeout=" + std::to_string(c.ssh.connect_timeout.count()) + "ms\n";
  return out;
}

}  // namespace

TEST_CASE("rbk.yaml cases", "[config]") {
  using namespace rbk;
  auto files = test::files_in(test::source_dir() + "/tests/config", ".yaml");
  REQUIRE(files.size() >= 5);
  for (const auto& f : files) {
    std::string name = f.substr(f.find_last_of('/') + 1);
    DYNAMIC_SECTION(name) {
      Diagnostics errors;
      auto file = std::make_shared<SourceFile>("rbk.yaml", test::read_file(f));
      Config c = parse_config(file, "/project", errors);
      std::string actual;
      for (const auto& e : errors) actual += render(e);
      actual += "--- config\n" + dump(c);
      std::string expected_path = f.substr(0, f.size() - 5) + ".expected";
      if (test::update_goldens()) test::write_file(expected_path, actual);
      CHECK(test::read_file(expected_path) == actual);
    }
  }
}

TEST_CASE("without rbk.yaml the defaults apply", "[config]") {
  rbk::Diagnostics errors;
  rbk::Config c = rbk::load_config("/", errors);
  CHECK(errors.empty());
  CHECK(c.path.empty());
  CHECK(c.runbook_paths == std::vector<std::string>{"/runbooks"});
  // Outside any project, records go to the XDG state directory.
  CHECK(c.records_dir == std::string(std::getenv("XDG_STATE_HOME")) + "/rbk/runs");
}

TEST_CASE("outside a project runs are recorded in the XDG state directory", "[config]") {
  // The environment is restored whatever the checks say.
  rbk::test::ScopedEnv xdg("XDG_STATE_HOME", "/srv/state"), home("HOME", "/home/oncall");
  CHECK(rbk::records_outside_project("/work") == "/srv/state/rbk/runs");
  // A relative XDG_STATE_HOME is ignored, as the XDG rules say.
  ::setenv("XDG_STATE_HOME", "state", 1);
  CHECK(rbk::records_outside_project("/work") == "/home/oncall/.local/state/rbk/runs");
  ::unsetenv("XDG_STATE_HOME");
  CHECK(rbk::records_outside_project("/work") == "/home/oncall/.local/state/rbk/runs");
  // Without a home either, the working directory's, as in a project.
  ::unsetenv("HOME");
  CHECK(rbk::records_outside_project("/work") == "/work/.rbk/runs");
}

TEST_CASE("truncated and line-deleted configs never throw", "[config][robustness]") {
  using namespace rbk;
  std::string text = test::read_file(test::source_dir() + "/tests/config/full.yaml") +
                     "? [odd, key]: 1\nroles: {? {a: b}: c}\n";
  std::vector<std::string> lines;
  for (size_t pos = 0, e; pos < text.size(); pos = e + 1) {
    e = text.find('\n', pos);
    if (e == std::string::npos) e = text.size() - 1;
    lines.push_back(text.substr(pos, e - pos + 1));
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string truncated, deleted;
    for (size_t j = 0; j < lines.size(); ++j) {
      if (j <= i) truncated += lines[j];
      if (j != i) deleted += lines[j];
    }
    for (const auto* variant : {&truncated, &deleted}) {
      Diagnostics errors;
      CHECK_NOTHROW(parse_config(std::make_shared<SourceFile>("rbk.yaml", *variant), "/p", errors));
      for (const auto& e : errors) CHECK(e.span.valid());
    }
  }
}
