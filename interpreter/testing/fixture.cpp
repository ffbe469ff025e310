#include "interpreter/testing/fixture.hpp"

#include <algorithm>
#include <filesystem>

#include <re2/re2.h>

#include "interpreter/base/names.hpp"
#include "interpreter/base/suggest.hpp"
#include "interpreter/engine/engine.hpp"
#include "interpreter/project/yaml_reader.hpp"

namespace rbk {

namespace {

namespace fs = std::filesystem;

/// Every outcome the engine can end with, by the name events give it.
const std::vector<std::string>& outcome_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (Outcome o : {Outcome::Resolved, Outcome::NotFiring, Outcome::Failed, Outcome::NotRestored,
                      Outcome::Refused, Outcome::Interrupted, Outcome::Error})
      v.push_back(outcome_name(o));
    return v;
  }();
  return names;
}

FixturePos pos_of(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  FixturePos p{m.line + 1, m.column + 1, m.pos < 0 ? 0u : static_cast<uint32_t>(m.pos), 1};
  if (n.IsScalar()) p.length = static_cast<uint32_t>(std::max<size_t>(1, n.Scalar().size()));
  return p;
}

/// Reads the YAML tree of one fixture into the model.
class FixtureReader : YamlReader {
 public:
  FixtureReader(const SourceFile& file, Diagnostics& errors, std::vector<FixtureRef>& refs)
      : YamlReader(file, errors), refs_(refs) {}

  void read(const YAML::Node& root, Fixture& f) {
    if (!root.IsMap()) return error(root, "a fixture must be a mapping with 'runbook' and 'cases'");
    keys(root, {"runbook", "config", "params", "secrets", "targets", "commands", "clock", "cases"},
         "fixture key");
    if (auto n = root["runbook"]) {
      f.runbook = text(n, "runbook");
      f.runbook_pos = pos_of(n);
    } else {
      error(root, "the fixture does not name its runbook", "add: runbook: NAME");
    }
    if (auto n = root["config"]) f.config = text(n, "config");
    std::map<std::string, std::string> params;
    if (auto n = root["params"]) params = string_map(n, "params", FixtureRef::Kind::Param);
    if (auto n = root["secrets"]) f.secrets = string_map(n, "secrets", FixtureRef::Kind::Secret);
    if (auto n = root["clock"]; n && map_of(n, "clock")) {
      keys(n, {"command", "answer"}, "clock setting");
      if (auto x = n["command"])
        if (auto d = duration(x, "clock.command")) f.command_time = *d;
      if (auto x = n["answer"])
        if (auto d = duration(x, "clock.answer")) f.answer_time = *d;
    }
    if (auto n = root["targets"]) f.targets = targets(n);
    std::vector<CommandEntry> shared;
    if (auto n = root["commands"]) shared = commands(n);
    auto cases = root["cases"];
    if (!cases) return error(root, "the fixture has no cases", "add: cases: [ … ]");
    std::set<std::string> names;
    for (const auto& c : list_nodes(cases, "cases")) {
      FixtureCase fc = one_case(c, params, shared);
      if (!fc.name.empty() && !names.insert(fc.name).second)
        error(c["name"], "two cases are named '" + fc.name + "'", "give each case its own name");
      f.cases.push_back(std::move(fc));
    }
  }

 private:
  std::vector<FixtureRef>& refs_;

  /// Notes that `name`, written at `n`, must exist in the runbook.
  void ref(FixtureRef::Kind kind, const YAML::Node& n, const std::string& name) {
    if (!name.empty()) refs_.push_back({kind, name, pos_of(n)});
  }

  std::map<std::string, std::string> string_map(const YAML::Node& n, const std::string& what,
                                                FixtureRef::Kind kind) {
    std::map<std::string, std::string> out;
    if (!map_of(n, what)) return out;
    for (const auto& kv : n) {
      std::string k = text(kv.first, what + " name");
      ref(kind, kv.first, k);
      std::string v;
      if (kv.second.IsSequence()) {
        // A list parameter: written as a YAML list, passed as `-p` would.
        for (const auto& item : list_of(kv.second, what + "." + k))
          v += (v.empty() ? "" : ",") + item;
      } else {
        v = text(kv.second, what + "." + k);
      }
      out[k] = v;
    }
    return out;
  }

  /// `targets: {GROUP: [HOST, …]}`: each member a host (address: its name).
  Targets targets(const YAML::Node& n) {
    Targets t;
    if (!map_of(n, "targets")) return t;
    for (const auto& kv : n) {
      std::string group = text(kv.first, "targets group name");
      std::vector<std::string> members;
      for (const auto& m : list_nodes(kv.second, "targets." + group)) {
        std::string id = text(m, "a host of targets." + group);
        if (id.empty()) continue;
        if (!t.host(id)) t.add_host(Host{.id = id, .address = id});
        if (std::find(members.begin(), members.end(), id) == members.end()) members.push_back(id);
      }
      if (t.host(group))
        error(kv.first, "'" + group + "' is already a host",
              "give groups and hosts their own names");
      t.groups[group] = std::move(members);
    }
    return t;
  }

  /// One result's fields from `n` (an entry of `results`, or the commands
  /// entry itself, whose keys were checked with the entry's).
  ScriptedResult result(const YAML::Node& n, const std::string& what, bool check_keys = true) {
    ScriptedResult r;
    if (!map_of(n, what)) return r;
    if (check_keys) keys(n, {"stdout", "stderr", "exit", "timed_out", "duration"}, "result key");
    if (auto x = n["stdout"]) r.out = text(x, "stdout");
    if (auto x = n["stderr"]) r.err = text(x, "stderr");
    if (auto x = n["exit"]) {
      auto v = integer(x, "exit");
      if (v && (*v < 0 || *v > 255))
        error(x, "an exit status is 0 to 255");
      else if (v)
        r.exit = static_cast<int>(*v);
    }
    if (auto x = n["timed_out"]) r.timed_out = boolean(x, "timed_out").value_or(false);
    if (auto x = n["duration"]) r.duration = duration(x, "duration");
    return r;
  }

  std::vector<CommandEntry> commands(const YAML::Node& n) {
    std::vector<CommandEntry> out;
    for (const auto& e : list_nodes(n, "commands")) {
      if (!map_of(e, "commands entry")) continue;
      keys(e,
           {"step", "target", "command", "match", "stdout", "stderr", "exit", "timed_out",
            "duration", "results"},
           "command key");
      CommandEntry c;
      c.pos = pos_of(e);
      if (auto x = e["step"]) {
        c.step = text(x, "step");
        ref(FixtureRef::Kind::Step, x, c.step);
      }
      if (auto x = e["target"]) {
        c.target = text(x, "target");
        ref(FixtureRef::Kind::Target, x, c.target);
      }
      if (auto x = e["command"]) c.command = std::string(trim(text(x, "command")));
      if (auto x = e["match"]) {
        c.regex = text(x, "match");
        RE2::Options opts;
        opts.set_log_errors(false);
        auto re = std::make_shared<RE2>(c.regex, opts);
        if (!re->ok())
          error(x, "invalid regex: " + re->error(), "patterns use RE2 syntax");
        else
          c.re = std::move(re);
      }
      if (c.step.empty() && !c.command && c.regex.empty() && c.target.empty())
        error(e, "a commands entry must say what it matches",
              "give step: ID, target: HOST, command: TEXT or match: REGEX");
      const bool inline_result =
          e["stdout"] || e["stderr"] || e["exit"] || e["timed_out"] || e["duration"];
      if (auto x = e["results"]) {
        if (inline_result)
          error(x, "give either 'results' or one result's fields, not both",
                "results: [{stdout: …}, {exit: 1}]");
        for (const auto& r : list_nodes(x, "results")) c.results.push_back(result(r, "result"));
        if (x.IsSequence() && c.results.empty()) error(x, "'results' is empty");
      } else {
        c.results.push_back(result(e, "commands entry", false));
      }
      out.push_back(std::move(c));
    }
    return out;
  }

  std::vector<Answer> answers(const YAML::Node& n) {
    std::vector<Answer> out;
    for (const auto& e : list_nodes(n, "answers")) {
      if (!map_of(e, "answers entry")) continue;
      keys(e, {"step", "confirm", "typed", "manual", "ask", "after"}, "answer key");
      Answer a;
      a.pos = pos_of(e);
      if (auto x = e["step"]) {
        a.step = text(x, "step");
        ref(FixtureRef::Kind::Step, x, a.step);
      } else
        error(e, "an answer must name its step", "e.g. {step: restart, confirm: yes}");
      int kinds = 0;
      if (auto x = e["confirm"]) {
        ++kinds;
        a.kind = Answer::Kind::Confirm;
        a.yes = boolean(x, "confirm").value_or(false);
      }
      if (auto x = e["typed"]) {
        ++kinds;
        a.kind = Answer::Kind::Typed;
        a.typed = text(x, "typed");
      }
      if (auto x = e["ask"]) {
        ++kinds;
        a.kind = Answer::Kind::Ask;
        a.typed = text(x, "ask");
      }
      if (auto x = e["manual"]) {
        ++kinds;
        a.kind = Answer::Kind::Manual;
        std::string v = text(x, "manual");
        if (v == "done")
          a.manual = ManualAnswer::Done;
        else if (v == "skip")
          a.manual = ManualAnswer::Skip;
        else if (v == "fail")
          a.manual = ManualAnswer::Fail;
        else if (x.IsScalar())
          error(x, "unknown manual answer '" + v + "'", "manual answers are done, skip and fail");
      }
      if (kinds != 1)
        error(e,
              "an answer is exactly one of confirm: yes|no, typed: TEXT, manual: done|skip|fail, "
              "ask: TEXT");
      if (auto x = e["after"])
        if (auto d = duration(x, "after")) a.after = *d;
      out.push_back(std::move(a));
    }
    return out;
  }

  /// A list of names of `kind`; for `steps`, entries are "ID STATUS".
  std::optional<std::vector<std::string>> list(const YAML::Node& n, const char* key,
                                               FixtureRef::Kind kind = FixtureRef::Kind::Step) {
    auto x = n[key];
    if (!x) return std::nullopt;
    std::vector<std::string> out;
    for (const auto& item : list_nodes(x, std::string("expect.") + key)) {
      std::string v = text(item, std::string("expect.") + key + " entry");
      std::string name = v.substr(0, v.find(' '));
      if (std::string(key) == "targets") {
        // "STEP HOST STATUS": the step and the host are both names to check.
        const size_t a = v.find(' '), b = a == std::string::npos ? a : v.find(' ', a + 1);
        const std::string status = b == std::string::npos ? "" : v.substr(b + 1);
        if (item.IsScalar() && status != "ok" && status != "failed")
          error(item, "a targets entry is 'STEP HOST STATUS'", "statuses: ok, failed");
        else if (item.IsScalar())
          ref(FixtureRef::Kind::Target, item, v.substr(a + 1, b - a - 1));
      }
      if (std::string(key) == "steps") {
        static const std::set<std::string> statuses = {"ok", "failed", "skipped", "refused",
                                                       "interrupted"};
        size_t sp = v.find(' ');
        if (item.IsScalar() && (sp == std::string::npos || !statuses.count(v.substr(sp + 1))))
          error(item, "a steps entry is 'ID STATUS'",
                "statuses: ok, failed, skipped, refused, interrupted");
      }
      ref(kind, item, name);
      out.push_back(std::move(v));
    }
    return out;
  }

  Expectation expectation(const YAML::Node& n) {
    Expectation x;
    if (!map_of(n, "expect")) return x;
    keys(n,
         {"outcome", "exit", "severity", "causes", "steps", "ran", "skipped", "refused", "failed",
          "gates", "undo", "rollback", "targets", "escalations", "output", "not_output"},
         "expectation");
    if (auto o = n["outcome"]) {
      std::string v = text(o, "outcome");
      const auto& names = outcome_names();
      if (std::find(names.begin(), names.end(), v) == names.end()) {
        if (o.IsScalar()) {
          std::string hint = did_you_mean(v, names);
          std::string all;
          for (const auto& name : names) all += (all.empty() ? "" : ", ") + name;
          error(o, "unknown outcome '" + v + "'", hint.empty() ? "outcomes: " + all : hint);
        }
      } else {
        x.outcome = v;
      }
    }
    if (auto e = n["exit"])
      if (auto v = integer(e, "exit")) x.exit = static_cast<int>(*v);
    if (auto sv = n["severity"]) x.severity = text(sv, "severity");
    x.causes = list(n, "causes", FixtureRef::Kind::Cause);
    x.steps = list(n, "steps");
    x.ran = list(n, "ran");
    x.skipped = list(n, "skipped");
    x.refused = list(n, "refused");
    x.failed = list(n, "failed");
    x.gates = list(n, "gates");
    x.undo = list(n, "undo");
    x.rollback = list(n, "rollback");
    x.targets = list(n, "targets");
    if (auto o = n["output"]) x.output = list_of(o, "expect.output");
    if (auto o = n["not_output"]) x.not_output = list_of(o, "expect.not_output");
    if (auto es = n["escalations"]) {
      x.escalations.emplace();
      for (const auto& e : list_nodes(es, "expect.escalations")) {
        if (!map_of(e, "escalation")) continue;
        keys(e, {"role", "rule", "kind", "at"}, "escalation key");
        ExpectedEscalation ee;
        if (auto r = e["role"])
          ee.role = text(r, "role");
        else
          error(e, "an expected escalation must name its role",
                "e.g. {role: secondary-oncall, rule: after 10m, at: 10m}");
        if (auto r = e["rule"]) ee.rule = text(r, "rule");
        if (auto k = e["kind"]) {
          ee.kind = text(k, "kind");
          if (*ee.kind != "page" && *ee.kind != "notify" && k.IsScalar())
            error(k, "kind is page or notify");
        }
        if (auto a = e["at"]) ee.at = duration(a, "at");
        x.escalations->push_back(std::move(ee));
      }
    }
    return x;
  }

  /// `resume: {after: DURATION, in_flight: run_again|done|failed|stop,
  /// terminal: BOOL}`.
  void resume(const YAML::Node& n, FixtureInterrupt& i) {
    if (!map_of(n, "resume")) return;
    keys(n, {"after", "in_flight", "terminal"}, "resume key");
    if (auto x = n["terminal"]) i.terminal = boolean(x, "resume.terminal");
    if (auto x = n["after"])
      if (auto d = duration(x, "resume.after")) i.down = *d;
    if (auto x = n["in_flight"]) {
      const std::string v = text(x, "resume.in_flight");
      if (v == "run_again")
        i.in_flight = std::optional<InFlightAnswer>(InFlightAnswer::RunAgain);
      else if (v == "done")
        i.in_flight = std::optional<InFlightAnswer>(InFlightAnswer::Done);
      else if (v == "failed")
        i.in_flight = std::optional<InFlightAnswer>(InFlightAnswer::Failed);
      else if (v == "stop")
        i.in_flight = std::optional<InFlightAnswer>();
      else if (x.IsScalar())
        error(x, "unknown in_flight answer '" + v + "'",
              "in_flight answers are run_again, done, failed and stop");
    }
  }

  FixtureCase one_case(const YAML::Node& n, const std::map<std::string, std::string>& params,
                       const std::vector<CommandEntry>& shared) {
    FixtureCase c;
    c.pos = pos_of(n);
    c.params = params;
    if (!map_of(n, "case")) return c;
    keys(n,
         {"name", "params", "commands", "answers", "answer", "terminal", "approve", "target", "yes",
          "force", "interrupt", "resume", "expect"},
         "case key");
    if (auto x = n["name"])
      c.name = text(x, "name");
    else
      error(n, "a case needs a name", "name: what this case shows");
    if (auto x = n["params"])
      for (auto& [k, v] : string_map(x, "params", FixtureRef::Kind::Param)) c.params[k] = v;
    if (auto x = n["commands"]) c.commands = commands(x);
    c.commands.insert(c.commands.end(), shared.begin(), shared.end());
    if (auto x = n["answers"]) c.answers = answers(x);
    if (auto x = n["terminal"]) c.terminal = boolean(x, "terminal").value_or(true);
    if (auto x = n["answer"]) {
      // `answer: {NAME: VALUE}`, as --answer NAME=VALUE.
      if (map_of(x, "answer"))
        for (const auto& kv : x) {
          const std::string name = text(kv.first, "answer name");
          ref(FixtureRef::Kind::Question, kv.first, name);
          c.answer_flags[name] = text(kv.second, "answer");
        }
    }
    if (auto x = n["approve"])
      for (const auto& item : list_nodes(x, "approve")) {
        std::string s = text(item, "approve entry");
        // STEP@HOST approves one target, as --approve does.
        const size_t at = s.find('@');
        ref(FixtureRef::Kind::Step, item, s.substr(0, at));
        if (at != std::string::npos) ref(FixtureRef::Kind::Target, item, s.substr(at + 1));
        c.approve.insert(s);
      }
    if (auto x = n["target"])
      for (const auto& item : list_nodes(x, "target")) {
        std::string s = text(item, "target entry");
        ref(FixtureRef::Kind::Target, item, s);
        c.target_filter.push_back(s);
      }
    if (auto x = n["yes"]) c.yes = boolean(x, "yes").value_or(false);
    if (auto x = n["force"]) c.force = boolean(x, "force").value_or(false);
    if (auto x = n["interrupt"]) {
      FixtureInterrupt i;
      i.step = text(x, "interrupt");
      i.pos = pos_of(x);
      ref(FixtureRef::Kind::Step, x, i.step);
      if (auto r = n["resume"]) resume(r, i);
      c.interrupt = std::move(i);
    } else if (auto r = n["resume"]) {
      error(r, "'resume' needs 'interrupt'", "interrupt: STEP says where the run dies");
    }
    if (auto x = n["expect"])
      c.expect = expectation(x);
    else
      error(n,
            c.name.empty() ? "the case expects nothing" : "case '" + c.name + "' expects nothing",
            "add expect: {outcome: …}");
    return c;
  }
};

}  // namespace

std::string CommandEntry::describe() const {
  std::string out;
  auto add = [&](const std::string& s) { out += (out.empty() ? "" : ", ") + s; };
  if (!step.empty()) add("step " + step);
  if (command) add("command `" + *command + "`");
  if (!regex.empty()) add("match /" + regex + "/");
  if (!target.empty()) add("target " + target);
  return out + " (line " + std::to_string(pos.line) + ")";
}

Fixture parse_fixture(std::shared_ptr<const SourceFile> file, Diagnostics& errors) {
  Fixture f;
  f.file = file;
  std::optional<YAML::Node> root = load_yaml(*file, errors);
  if (!root) return f;
  read_guarded(
      *file, errors, [&] { FixtureReader(*file, errors, f.refs).read(*root, f); },
      "the fixture has a structure rbk cannot read", "see docs/testing.md for the format");
  return f;
}

bool is_fixture_file(const std::string& path) {
  auto ends = [&](const char* s) {
    std::string_view suffix(s);
    return path.size() > suffix.size() &&
           path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends(".test.yaml") || ends(".test.yml");
}

std::vector<std::string> fixtures_for(const std::string& runbook_file) {
  fs::path p(runbook_file);
  const std::string stem = p.stem().string();
  std::vector<std::string> out;
  std::error_code ec;
  for (const fs::path& candidate :
       {p.parent_path() / (stem + ".test.yaml"), p.parent_path() / "tests" / (stem + ".test.yaml")})
    if (fs::is_regular_file(candidate, ec)) out.push_back(candidate.string());
  return out;
}

}  // namespace rbk
