// The one place events become JSON and JSON becomes events again: the run
// record, `--json`, history, fixtures and tests all go through here. Fields
// are named once, in each event's `fields` (events.hpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "interpreter/base/expected.hpp"
#include "interpreter/record/events.hpp"

namespace rbk {

/// The event's fields as a JSON object, without `t`, `time` and `type`.
nlohmann::json event_fields(const Event& e);

/// The whole event as one JSON object: its fields, `t`, `time` and `type`.
nlohmann::json event_json(const Event& e);

/// An event of type `type` with every field at its default; nullopt for a
/// type this rbk does not know. (Tests build events from it.)
std::optional<Event> empty_event(std::string_view type);

/// Reads an event back from its JSON object (a line of events.jsonl or of
/// `--json`). Fields it does not know are ignored (docs/record.md,
/// Versioning); a type it does not know is nullopt, for the caller to skip.
/// An error when a field is missing or of the wrong type, saying which.
Expected<std::optional<Event>, std::string> event_from_json(const nlohmann::json& j);

}  // namespace rbk
