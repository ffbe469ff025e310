#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "interpreter/base/fields_walk.hpp"
#include "interpreter/base/json_text.hpp"
#include "interpreter/record/event_json.hpp"
#include "interpreter/record/record.hpp"
#include "interpreter/runtime/clock.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using rbk::Event;
using rbk::RunRecord;
using rbk::Stream;
using rbk::test::read_file;
using rbk::test::write_file;

namespace {

/// These tests write events of their own making (types and fields no run
/// emits): not records for the schema check (test_support.hpp).
struct TempDir : rbk::test::TempDir {
  TempDir() { synthetic_records = true; }
};

// Known modes whatever the environment's umask: the record asks for 0600 and
// 0700, which a umask of 022 leaves as they are.
struct Umask {
  mode_t old = ::umask(022);
  ~Umask() { ::umask(old); }
};

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

/// An event of `type` with the fields in `data` and the rest at their defaults.
Event event(const std::string& type, const nlohmann::json& data, int64_t t) {
  nlohmann::json j = rbk::event_fields(*rbk::empty_event(type));
  j.update(data);
  j["type"] = type;
  auto read = rbk::event_from_json(j);
  REQUIRE(read.has_value());
  REQUIRE(read->has_value());
  Event e = std::move(**read);
  e.elapsed_ms = t;
  e.time = "2026-01-02T03:04:05.678Z";
  return e;
}

const char* const kRunId = "20260102T030405Z-abc123";

/// RunRecord::create, with its error in `error` (and nullptr) when it fails.
std::unique_ptr<RunRecord> create(const std::string& dir, const std::string& id,
                                  std::string& error) {
  auto made = RunRecord::create(dir, id);
  if (!made) {
    error = made.error();
    return nullptr;
  }
  return std::move(*made);
}

}  // namespace

TEST_CASE("a record is a directory with one JSON line per event", "[record]") {
  TempDir tmp;
  std::string error;
  auto rec = create((tmp.path / "runs").string(), kRunId, error);
  REQUIRE(rec);
  CHECK(error.empty());
  const fs::path dir = tmp.path / "runs" / kRunId;
  CHECK(rec->dir() == dir.string());
  CHECK(fs::is_regular_file(dir / "events.jsonl"));
  CHECK_FALSE(fs::exists(dir / "output"));  // made on the first output only

  rec->event(event("run_start", {{"run_id", kRunId}, {"runbook", "db-down"}}, 0));
  rec->event(event("command_start", {{"step", "restart"}, {"seq", 1}, {"command", "echo"}}, 5));
  rec->output(1, Stream::Out, "hello ");
  rec->output(1, Stream::Err, "oops\n");
  rec->output(1, Stream::Out, "world\n");
  rec->output(1, Stream::Out, "");
  rec->event(event("command_end", {{"step", "restart"}, {"seq", 1}, {"exit", 0}}, 17));
  rec->output(2, Stream::Out, "second command\n");
  rec->event(event("note", {{"step", "restart"}, {"text", "two\nlines"}}, 20));
  rec->event(event("not_firing", nlohmann::json::object(), 21));
  rec->event(event("run_end", {{"outcome", "resolved"}, {"exit_code", 0}}, 1234));
  rec->sync();
  CHECK(rec->error().empty());

  std::string text = read_file((dir / "events.jsonl").string());
  REQUIRE(!text.empty());
  CHECK(text.back() == '\n');
  auto lines = lines_of(text);
  REQUIRE(lines.size() == 6);
  // The fixed fields first, in this order, then the event's own.
  CHECK(lines[0] == R"({"t":0,"time":"2026-01-02T03:04:05.678Z","type":"run_start",)"
                    R"("config":null,"file":"","format":1,"params":{},"rbk_version":"",)"
                    R"("run_id":"20260102T030405Z-abc123","runbook":"db-down","secrets":[],)"
                    R"("severity":"","sha256":"","title":"","user":""})");
  CHECK(lines[4] == R"({"t":21,"time":"2026-01-02T03:04:05.678Z","type":"not_firing"})");
  std::vector<std::string> types;
  for (const auto& line : lines) {
    auto j = nlohmann::json::parse(line);  // throws, failing the test, if not JSON
    REQUIRE(j.is_object());
    types.push_back(j.at("type").get<std::string>());
  }
  CHECK(types == std::vector<std::string>{"run_start", "command_start", "command_end", "note",
                                          "not_firing", "run_end"});
  auto note = nlohmann::json::parse(lines[3]);
  CHECK(note["text"] == "two\nlines");
  CHECK(note["t"] == 20);
  CHECK(nlohmann::json::parse(lines[5])["t"] == 1234);

  CHECK(read_file((dir / "output/0001.stdout").string()) == "hello world\n");
  CHECK(read_file((dir / "output/0001.stderr").string()) == "oops\n");
  CHECK(read_file((dir / "output/0002.stdout").string()) == "second command\n");
  CHECK_FALSE(fs::exists(dir / "output/0002.stderr"));
}

TEST_CASE("a record is private: directories 0700, files 0600", "[record]") {
  TempDir tmp;
  Umask umask;
  std::string error;
  const fs::path records = tmp.path / "a" / "b" / "runs";  // parents made as needed
  auto rec = create(records.string(), kRunId, error);
  REQUIRE(rec);
  rec->event(event("run_start", nlohmann::json::object(), 0));
  rec->output(7, Stream::Out, "x");
  rec->output(7, Stream::Err, "y");
  rec->sync();
  CHECK(rec->error().empty());
  CHECK(mode_of(tmp.path / "a") == 0700);
  CHECK(mode_of(records) == 0700);
  CHECK(mode_of(records / kRunId) == 0700);
  CHECK(mode_of(records / kRunId / "output") == 0700);
  CHECK(mode_of(records / kRunId / "events.jsonl") == 0600);
  CHECK(mode_of(records / kRunId / "output/0007.stdout") == 0600);
  CHECK(mode_of(records / kRunId / "output/0007.stderr") == 0600);
}

TEST_CASE("an existing records directory is used as it is", "[record]") {
  TempDir tmp;
  Umask umask;
  fs::permissions(tmp.path, fs::perms(0755));
  std::string error;
  auto first = create(tmp.path.string(), "one", error);
  auto second = create(tmp.path.string() + "/", "two", error);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(mode_of(tmp.path) == 0755);
  CHECK(second->dir() == (tmp.path / "two").string());
}

TEST_CASE("creating a record that exists fails cleanly", "[record]") {
  TempDir tmp;
  std::string error;
  auto first = create(tmp.path.string(), kRunId, error);
  REQUIRE(first);
  first->event(event("run_start", nlohmann::json::object(), 0));
  const std::string before = read_file((tmp.path / kRunId / "events.jsonl").string());

  auto second = create(tmp.path.string(), kRunId, error);
  CHECK_FALSE(second);
  const std::string dir = (tmp.path / kRunId).string();
  CHECK(error == "cannot create run record " + dir + ": File exists");
  // The first record is untouched.
  CHECK(read_file((tmp.path / kRunId / "events.jsonl").string()) == before);
}

TEST_CASE("a records directory that cannot be made fails cleanly", "[record]") {
  TempDir tmp;
  write_file((tmp.path / "file").string(), "not a directory");
  std::string error;
  auto rec = create((tmp.path / "file" / "runs").string(), kRunId, error);
  CHECK_FALSE(rec);
  CHECK(error ==
        "cannot create records directory " + (tmp.path / "file").string() + ": Not a directory");
  CHECK(error.find('\n') == std::string::npos);

  for (const char* bad : {"", ".", "..", "a/b"}) {
    error.clear();
    CHECK_FALSE(create(tmp.path.string(), bad, error));
    CHECK(error.rfind("cannot create a run record: invalid run id", 0) == 0);
  }
  error.clear();
  CHECK_FALSE(create("", kRunId, error));
  CHECK_FALSE(error.empty());
}

TEST_CASE("invalid UTF-8 in an event does not throw", "[record]") {
  TempDir tmp;
  std::string error;
  auto rec = create(tmp.path.string(), kRunId, error);
  REQUIRE(rec);
  const std::string bad = "ok \xff\xfe end";
  CHECK_NOTHROW(rec->event(event("gate", {{"prompt", bad}, {"commands", {bad}}}, 3)));
  CHECK_NOTHROW(rec->output(1, Stream::Out, bad));
  CHECK(rec->error().empty());
  auto lines = lines_of(read_file((tmp.path / kRunId / "events.jsonl").string()));
  REQUIRE(lines.size() == 1);
  auto j = nlohmann::json::parse(lines[0]);
  CHECK(j["prompt"] == "ok \xEF\xBF\xBD\xEF\xBF\xBD end");  // U+FFFD for each bad byte
  CHECK(j["commands"][0] == j["prompt"]);
  // Output files keep the bytes as they came.
  CHECK(read_file((tmp.path / kRunId / "output/0001.stdout").string()) == bad);
}

TEST_CASE("every event type is written and read back in one place", "[record]") {
  // The types docs/record.md documents, each once.
  const std::vector<std::string> types = {
      "run_start", "call_run_start", "run_end",    "call_run_end",  "section",
      "signal",    "not_firing",     "step_start", "command_start", "command_end",
      "gate",      "answer",         "manual",     "note",          "step_end",
      "cause",     "check",          "rollback",   "escalation",    "call_start",
      "call_end",  "warning",        "resume",     "timeline_note", "severity",
      "ask",       "batch_start",    "batch_end",  "alert",         "alert_update",
      "parked",    "approval_void",  "would_run",  "command_group", "leftovers_ended"};
  CHECK(std::variant_size_v<rbk::ev::Body> == types.size());
  for (const auto& type : types) {
    CAPTURE(type);
    std::optional<Event> e = rbk::empty_event(type);
    REQUIRE(e);
    CHECK(e->type() == type);
    e->elapsed_ms = 7;
    e->time = "2026-01-02T03:04:05.678Z";
    const nlohmann::json j = rbk::event_json(*e);
    // No field takes the name of a fixed one (event_line splices them in).
    const nlohmann::json fields = rbk::event_fields(*e);
    for (const char* fixed : {"t", "time", "type"}) CHECK_FALSE(fields.contains(fixed));
    auto back = rbk::event_from_json(j);
    REQUIRE(back.has_value());
    REQUIRE(back->has_value());
    CHECK(rbk::event_json(**back) == j);
  }
  CHECK_FALSE(rbk::empty_event("no_such_type"));
  // A type this rbk does not know is skipped; a known one with a field of
  // the wrong type, or without a field, is an error naming it.
  auto unknown = rbk::event_from_json({{"type", "from_the_future"}, {"x", 1}});
  REQUIRE(unknown.has_value());
  CHECK_FALSE(unknown->has_value());
  auto wrong = rbk::event_from_json({{"type", "note"}, {"step", "a"}, {"text", 3}});
  REQUIRE_FALSE(wrong.has_value());
  CHECK(wrong.error() == "note: 'text' is not a string");
  auto missing = rbk::event_from_json({{"type", "note"}, {"text", "x"}});
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error() == "note: no 'step'");
  auto bad_name = rbk::event_from_json({{"type", "section"}, {"section", "somewhere"}});
  REQUIRE_FALSE(bad_name.has_value());
  CHECK(bad_name.error() == "section: 'section' is not one of its names");
}

namespace {

/// Gives every field of a typed event a value: each optional set, lists of
/// two, maps of two keys, strings that need escaping, non-ASCII and invalid
/// UTF-8, numbers at their limits. `round` varies the choices.
struct Fill {
  unsigned round = 0;
  unsigned n = 0;

  template <class T>
  void operator()(const char*, T& v) {
    fill(v);
  }

  template <class T>
  void fill(T& v) {
    ++n;
    if constexpr (rbk::fields_walk_detail::IsOptional<T>::value) {
      v.emplace();
      fill(*v);
    } else if constexpr (rbk::NamedEnum<T>) {
      v = static_cast<T>((n + round) % enum_names(v).names.size());
    } else if constexpr (requires { T::fields(v, *this); }) {
      T::fields(v, *this);
    } else if constexpr (requires { v.value.has_value(); }) {  // OrNull
      if ((n + round) % 3 != 0) {
        v.value.emplace();
        fill(*v.value);
      }
    } else if constexpr (std::is_same_v<T, nlohmann::json>) {
      v = nlohmann::json{{"b", {1, "x\xff", nullptr, true}}, {"a", 2.5}, {"\xc3\xa9", -3}};
    } else if constexpr (requires { v.value; }) {  // a masked text or value
      fill(v.value);
    } else if constexpr (requires { v.begin()->second; }) {  // a map by name
      fill(v["b\"key"]);
      fill(v["a key"]);
    } else if constexpr (std::is_same_v<T, std::string>) {
      static const char* const kTexts[] = {"plain",
                                           "",
                                           "quote \" back \\ nl \n tab \t",
                                           "\x01\x1f\x7f",
                                           "caf\xc3\xa9",
                                           "bad \xff\xfe byte",
                                           "line\r\n",
                                           "\xe2\x82\xac euro"};
      v = kTexts[(n + round) % std::size(kTexts)];
    } else if constexpr (requires { v.begin(); }) {
      v.resize(2);
      for (auto& x : v) fill(x);
    } else if constexpr (std::is_same_v<T, bool>) {
      v = (n + round) % 2 == 0;
    } else if constexpr (std::is_integral_v<T>) {
      const T kValues[] = {std::numeric_limits<T>::max(), std::numeric_limits<T>::min(), T(0),
                           T(42)};
      v = kValues[(n + round) % 4];
    } else {
      static_assert(std::is_floating_point_v<T>, "a field type Fill does not know");
      v = 0.1 * (n + round);
    }
  }
};

/// What event_line wrote when it built a JSON value first (before the text
/// writer): the fixed fields, then json_text() of the rest.
std::string line_through_json(const Event& e) {
  std::string line = "{\"t\":" + std::to_string(e.elapsed_ms) +
                     ",\"time\":" + rbk::json_text(e.time) +
                     ",\"type\":" + rbk::json_text(std::string(e.type()));
  const std::string rest = rbk::json_text(rbk::event_fields(e));
  line += rest.size() > 2 ? "," + rest.substr(1) : "}";
  return line + "\n";
}

/// Checks event_line against line_through_json for event type I and those after it.
template <size_t I = 0>
void check_every_type_written_as_json_would(unsigned round) {
  if constexpr (I < std::variant_size_v<rbk::ev::Body>) {
    using T = std::variant_alternative_t<I, rbk::ev::Body>;
    CAPTURE(T::kType, round);
    T body{};
    if (round > 0) Fill{round}.fill(body);
    Event e{.body = body, .elapsed_ms = round == 2 ? -5 : 1234, .time = "t\xff"};
    CHECK(rbk::event_line(e) == line_through_json(e));
    check_every_type_written_as_json_would<I + 1>(round);
  }
}

}  // namespace

TEST_CASE("record lines are written byte for byte as from a JSON value", "[record]") {
  // Round 0 leaves every field at its default (optionals empty); the others
  // fill every field, escapes, non-ASCII and invalid UTF-8 included.
  for (unsigned round = 0; round < 4; ++round) check_every_type_written_as_json_would(round);
}

TEST_CASE("event times are UTC with milliseconds, every digit in place", "[record]") {
  rbk::FakeClock fake;  // starts at 2026-01-01T00:00:00Z
  CHECK(fake.wall_time() == "2026-01-01T00:00:00.000Z");
  fake.advance(rbk::Millis(((24 + 1) * 60 + 2) * 60'000 + 3'045));
  CHECK(fake.wall_time() == "2026-01-02T01:02:03.045Z");
  fake.advance(rbk::Millis(31'445'876'953));  // 363 days, 22:57:56.953
  CHECK(fake.wall_time() == "2026-12-31T23:59:59.998Z");
  fake.advance(rbk::Millis(1));
  CHECK(fake.wall_time() == "2026-12-31T23:59:59.999Z");
  fake.advance(rbk::Millis(1));
  CHECK(fake.wall_time() == "2027-01-01T00:00:00.000Z");
  CHECK(std::regex_match(rbk::SystemClock().wall_time(),
                         std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
}

TEST_CASE("a command's output files close at its end and still sync", "[record]") {
  TempDir tmp;
  std::string error;
  auto rec = create(tmp.path.string(), kRunId, error);
  REQUIRE(rec);
  {
    // With few descriptors allowed, many commands one after another still
    // get their output stored: each command's files close at its end.
    struct rlimit old {};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &old) == 0);
    struct rlimit low = old;
    low.rlim_cur = 64;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    for (uint64_t seq = 1; seq <= 200; ++seq) {
      rec->output(seq, Stream::Out, "out\n");
      rec->output(seq, Stream::Err, "err\n");
      rec->event(event("command_end", {{"seq", seq}}, 1));
    }
    rec->sync();
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &old) == 0);
  }
  CHECK(rec->error().empty());
  CHECK(read_file((tmp.path / kRunId / "output/0200.stdout").string()) == "out\n");
  CHECK(read_file((tmp.path / kRunId / "output/0200.stderr").string()) == "err\n");
  // Output after the end (not expected, but harmless) appends.
  rec->output(1, Stream::Out, "late\n");
  rec->sync();
  CHECK(read_file((tmp.path / kRunId / "output/0001.stdout").string()) == "out\nlate\n");
  CHECK(rec->error().empty());
}

TEST_CASE("a write error is kept, not thrown", "[record]") {
  TempDir tmp;
  std::string error;
  auto rec = create(tmp.path.string(), kRunId, error);
  REQUIRE(rec);
  // Where the output directory should go, a file: output cannot be stored.
  write_file((tmp.path / kRunId / "output").string(), "in the way");
  CHECK_NOTHROW(rec->output(3, Stream::Out, "lost"));
  CHECK_NOTHROW(rec->output(3, Stream::Out, "lost too"));
  CHECK(rec->error() ==
        "cannot create " + (tmp.path / kRunId / "output").string() + ": Not a directory");
  // The events still go on.
  rec->event(event("note", {{"text", "still here"}}, 1));
  CHECK_NOTHROW(rec->sync());
  CHECK(read_file((tmp.path / kRunId / "events.jsonl").string()).find("still here") !=
        std::string::npos);
}

TEST_CASE("a record ends where writing failed, even once writing works again", "[record]") {
  // A disk that fills during a line and has room again a moment later (a
  // command's cleanup freed some): the lines after the failure must not
  // follow the cut one, or the record has a broken line in its middle.
  // RLIMIT_FSIZE stands for the full disk; SIGXFSZ ignored, writes past it
  // fail with EFBIG.
  TempDir tmp;
  std::string error;
  auto rec = create(tmp.path.string(), kRunId, error);
  REQUIRE(rec);
  const std::string events = (tmp.path / kRunId / "events.jsonl").string();
  rec->event(event("note", {{"text", "before"}}, 1));
  rec->output(1, Stream::Out, "first chunk\n");
  const std::string out_file = (tmp.path / kRunId / "output" / "0001.stdout").string();
  const auto written =
      static_cast<rlim_t>(std::max(fs::file_size(events), fs::file_size(out_file)));
  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = written + 10;  // room for the start of one more line only
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  rec->event(event("note", {{"text", std::string(200, 'x')}}, 2));
  rec->output(1, Stream::Out, std::string(200, 'y'));
  ::setrlimit(RLIMIT_FSIZE, &old);  // room again
  ::signal(SIGXFSZ, old_handler);
  rec->event(event("note", {{"text", "after"}}, 3));
  rec->output(1, Stream::Out, "after\n");
  // Its end closes the command's files; output after it must not reopen
  // the failed one either.
  rec->event(event("command_end", {{"step", "s"}, {"seq", 1}}, 4));
  rec->output(1, Stream::Out, "late\n");
  CHECK_THAT(rec->error(), Catch::StartsWith("cannot write " + events));
  const std::string text = read_file(events);
  CHECK(text.find("before") != std::string::npos);
  CHECK(text.find("after") == std::string::npos);
  CHECK(text.back() != '\n');  // the cut line is the last
  const std::string out = read_file(out_file);
  CHECK(out.find("after") == std::string::npos);
  CHECK(out.find("late") == std::string::npos);
}

TEST_CASE("run ids are the UTC time and a random suffix", "[record]") {
  const std::regex shape("[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}");
  std::string a = rbk::new_run_id(), b = rbk::new_run_id(), c = rbk::new_run_id();
  CHECK(std::regex_match(a, shape));
  CHECK(std::regex_match(b, shape));
  // 24 random bits each: three equal suffixes would be a broken source.
  CHECK_FALSE((a.substr(17) == b.substr(17) && b.substr(17) == c.substr(17)));
}

namespace {

template <class T>
struct Masking {
  /// "yes" for a masked field, "no" for a string that never is, "–" for a number or boolean.
  static std::string column() {
    if constexpr (std::is_same_v<T, rbk::ev::Text> || std::is_same_v<T, rbk::ev::JsonValue>)
      return "yes";
    else if constexpr (std::is_same_v<T, std::string> || std::is_enum_v<T>)
      return "no";
    else if constexpr (std::is_arithmetic_v<T>)
      return "–";
    else if constexpr (requires(T t) { t.value.has_value(); })  // OrNull
      return Masking<typename decltype(T::value)::value_type>::column();
    else if constexpr (requires(T t) { t.begin()->second; })  // a map by name
      return Masking<typename T::mapped_type>::column();
    else if constexpr (requires(T t) { T::fields(t, [](const char*, const auto&) {}); }) {
      // A nested object: masked when any of its fields is.
      std::string column = "no";
      const T empty{};
      T::fields(empty, [&](const char*, const auto& v) {
        if (Masking<std::decay_t<decltype(v)>>::column() == "yes") column = "yes";
      });
      return column;
    } else
      return Masking<typename T::value_type>::column();  // optional, vector
  }
};

/// field → masked column, for every field of event `type`.
std::map<std::string, std::string> masking_of(const std::string& type) {
  std::map<std::string, std::string> out;
  std::visit(
      [&](const auto& b) {
        using B = std::decay_t<decltype(b)>;
        B::fields(b, [&](const char* key, const auto& v) {
          out[key] = Masking<std::decay_t<decltype(v)>>::column();
        });
      },
      rbk::empty_event(type)->body);
  return out;
}

}  // namespace

TEST_CASE("docs/record.md documents every field of every event and its masking by type",
          "[record]") {
  const std::string doc = read_file(rbk::test::source_dir() + "/docs/record.md");
  // "### `TYPE`" sections, each with a table of "| `field` | … | masked |" rows.
  std::map<std::string, std::map<std::string, std::string>> documented;
  std::set<std::string> headings;
  std::string type;
  std::istringstream in(doc);
  static const std::regex heading(R"(^### `([a-z_]+)`$)");
  static const std::regex row(R"(^\| `([a-z_0-9]+)` \|.*\| (yes|no|–) \|$)");
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, heading)) {
      type = m[1];
      headings.insert(type);
    } else if (!type.empty() && std::regex_match(line, m, row))
      documented[type][m[1]] = m[2];
  }
  REQUIRE(documented.size() >= 20);
  for (const auto& [t, fields] : documented) {
    CAPTURE(t);
    REQUIRE(rbk::empty_event(t));
    const auto actual = masking_of(t);
    for (const auto& [field, masked] : fields) {
      CAPTURE(field);
      REQUIRE(actual.count(field));
      CHECK(actual.at(field) == masked);
    }
    // The two call_ events are documented as "the fields of run_start /
    // run_end, and": only their own rows are in their tables.
    if (t == "call_run_end") continue;
    for (const auto& [field, masked] : actual) {
      CAPTURE(field);
      CHECK(fields.count(field));
    }
  }
  auto run_start = masking_of("run_start");
  run_start.erase("format");
  run_start.erase("targets");  // the run's --target: once, at the top
  CHECK(masking_of("call_run_start") == run_start);
  auto run_end = masking_of("run_end");
  run_end["runbook"] = "no";
  CHECK(masking_of("call_run_end") == run_end);
  // Every event type has its section.
  std::vector<std::string> all;
  [&]<size_t... I>(std::index_sequence<I...>) {
    (all.emplace_back(std::variant_alternative_t<I, rbk::ev::Body>::kType), ...);
  }
  (std::make_index_sequence<std::variant_size_v<rbk::ev::Body>>{});
  for (const auto& t : all) {
    CAPTURE(t);
    CHECK(headings.count(t));
  }
  for (const auto& t : headings) CHECK(rbk::empty_event(t));
}
