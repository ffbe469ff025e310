// What `rbk serve` hands to each run it starts or resumes: runs are
// separate rbk processes (`rbk __serve-run SPEC`), so a run that crashes or
// hangs takes no other run and not the server with it, and each has the
// signal handling, process groups and record of an interactive run. The
// spec is a small JSON file in the server's private directory.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "interpreter/base/expected.hpp"
#include "interpreter/engine/engine.hpp"
#include "interpreter/record/events.hpp"

namespace rbk {

/// One run for rbk serve: a new run of a runbook, or a parked one resumed.
struct ServeRunSpec {
  bool resume = false;                  // resume `run_id` (else start it)
  std::string run_id;                   // chosen by the server, so it knows the record at once
  std::string runbook;                  // a new run: the runbook's name or file
  std::vector<std::string> params;      // a new run: NAME=VALUE, as -p gives them
  std::optional<ev::AlertStart> alert;  // a new run: the alert, recorded after run_start
  bool shadow = false;                  // the route's shadow mode: remediation only recorded
  /// A resumed run: the decision about the gate it is parked at.
  std::optional<std::pair<std::string, GateDecision>> decision;
};

/// The spec as JSON text.
std::string serve_run_spec_json(const ServeRunSpec& spec);
/// Reads a spec back; an error names the field.
Expected<ServeRunSpec, std::string> parse_serve_run_spec(const std::string& text);

}  // namespace rbk
