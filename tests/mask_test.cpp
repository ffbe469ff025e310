#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "interpreter/record/event_json.hpp"
#include "interpreter/record/mask.hpp"

using rbk::Masker;
using rbk::StreamMasker;

namespace {

// The stream cut into pieces at `cuts` (sorted offsets), pushed one by one.
std::string stream(const Masker& m, const std::string& text, const std::vector<size_t>& cuts,
                   size_t max_line = 64 * 1024) {
  StreamMasker s(m, max_line);
  std::string out;
  size_t pos = 0;
  for (size_t cut : cuts) {
    out += s.push(std::string_view(text).substr(pos, cut - pos));
    pos = cut;
  }
  out += s.push(std::string_view(text).substr(pos));
  out += s.finish();
  return out;
}

// Every way of cutting `text` at one or two points gives the same result as
// masking it whole.
void check_every_split(const Masker& m, const std::string& text, size_t max_line = 64 * 1024) {
  const std::string whole = m.mask(text);
  for (size_t i = 0; i <= text.size(); ++i) {
    for (size_t j = i; j <= text.size(); ++j) {
      std::string got = stream(m, text, {i, j}, max_line);
      if (got != whole) {
        INFO("cut at " << i << " and " << j);
        REQUIRE(got == whole);
      }
    }
  }
}

}  // namespace

TEST_CASE("secrets are masked", "[mask]") {
  Masker m({"hunter2"}, {});
  CHECK(m.mask("user=alice pass=hunter2 again hunter2") == "user=alice pass=*** again ***");
  CHECK(m.mask("nothing here") == "nothing here");
  CHECK(m.mask("") == "");
  CHECK(m.mask(std::string("hunter2")) == "***");
  CHECK(m.mask(std::string_view("xhunter2x")) == "x***x");
  CHECK_FALSE(m.empty());
  CHECK(m.longest_secret() == 7);
}

TEST_CASE("empty secrets are ignored", "[mask]") {
  Masker m({"", ""}, {});
  CHECK(m.empty());
  CHECK(m.longest_secret() == 0);
  CHECK(m.mask("abc") == "abc");
  m.add_secret("");
  CHECK(m.empty());
  CHECK(Masker().mask("abc") == "abc");
}

TEST_CASE("the longest secret wins and overlaps leave no fragment", "[mask]") {
  // A secret inside a longer one: the longer is masked whole.
  Masker nested({"abc", "abcdef"}, {});
  CHECK(nested.longest_secret() == 6);
  CHECK(nested.mask("x abcdef y abc z") == "x *** y *** z");
  // Two secrets overlapping: neither leaves a piece.
  Masker overlap({"abcd", "cdef"}, {});
  CHECK(overlap.mask("-abcdef-") == "-***-");
  CHECK(overlap.mask("-abcd-cdef-") == "-***-***-");
  // A secret overlapping itself.
  CHECK(Masker({"aa"}, {}).mask("aaa") == "***");
  CHECK(Masker({"aba"}, {}).mask("xababax") == "x***x");
  // Side by side: one mask, not a count of repetitions.
  CHECK(Masker({"s3cr3t"}, {}).mask("s3cr3ts3cr3t") == "***");
  // The mask itself contains no secret material even if a secret is "*".
  CHECK(Masker({"*"}, {}).mask("a*b") == "a***b");
}

TEST_CASE("secrets learned later are masked", "[mask]") {
  Masker m({"short"}, {});
  m.add_secret("a-much-longer-token");
  m.add_secret("short");  // a repeat changes nothing
  CHECK(m.longest_secret() == 19);
  CHECK(m.mask("short a-much-longer-token") == "*** ***");
}

TEST_CASE("redaction patterns are masked", "[mask]") {
  Masker m({}, {R"((?i)password=\S+)"});
  CHECK_FALSE(m.empty());
  CHECK(m.longest_secret() == 0);
  CHECK(m.mask("login PASSWORD=xyz ok") == "login *** ok");
  CHECK(m.mask("password=a password=b") == "*** ***");
  // Patterns apply within a line: ^ and $ are a line's ends.
  Masker anchored({}, {"^token", "end$"});
  CHECK(anchored.mask("token a\ntoken b end\nno token here") == "*** a\n*** b ***\nno token here");
  // An empty match masks nothing.
  Masker empty_match({}, {"x*"});
  CHECK(empty_match.mask("abc") == "abc");
  CHECK(empty_match.mask("axxb") == "a***b");
  // Secrets and patterns together; their union is masked.
  Masker both({"hunter2"}, {R"(password=\S+)"});
  CHECK(both.mask("password=hunter2 hunter2") == "*** ***");
}

TEST_CASE("an invalid pattern is skipped", "[mask]") {
  Masker m({}, {"(unclosed", "ok"});
  CHECK(m.mask("(unclosed ok") == "(unclosed ***");
  CHECK(Masker({}, {"(unclosed"}).empty());
}

TEST_CASE("JSON values are masked, keys kept", "[mask]") {
  Masker m({"hunter2"}, {});
  nlohmann::json j = {{"command", "echo hunter2"},
                      {"list", {"hunter2", 1, true, nullptr, {{"deep", "x hunter2"}}}},
                      {"hunter2", "key kept"},
                      {"n", 7}};
  nlohmann::json want = {{"command", "echo ***"},
                         {"list", {"***", 1, true, nullptr, {{"deep", "x ***"}}}},
                         {"hunter2", "key kept"},
                         {"n", 7}};
  CHECK(m.mask(j) == want);
  CHECK(m.mask(nlohmann::json("hunter2")) == nlohmann::json("***"));
  CHECK(m.mask(nlohmann::json(3.5)) == nlohmann::json(3.5));
  CHECK(Masker().mask(j) == j);
}

TEST_CASE("a stream masks secrets split at any point", "[mask]") {
  const std::string text = "line one hunter2 end\nsecond hunter2\nhunter2hunter2 last hunter";
  SECTION("secrets only") {
    check_every_split(Masker({"hunter2", "er2\nsec"}, {}), text);
  }
  SECTION("secrets and patterns") {
    check_every_split(Masker({"hunter2"}, {R"(one \w+)", "^sec"}), text);
  }
  SECTION("a secret with a newline in it") {
    check_every_split(Masker({"end\nsecond", "t2"}, {}), text);
    check_every_split(Masker({"end\nsecond"}, {R"(line \w+)", "last"}), text);
  }
  SECTION("no secrets at all") {
    check_every_split(Masker(), text);
  }
}

TEST_CASE("a stream masks a secret split into single bytes", "[mask]") {
  Masker m({"hunter2"}, {R"(token=\w+)"});
  const std::string text = "a hunter2 b\ntoken=abc\nhunter2";
  std::vector<size_t> cuts;
  for (size_t i = 1; i < text.size(); ++i) cuts.push_back(i);
  CHECK(stream(m, text, cuts) == "a *** b\n***\n***");
}

TEST_CASE("a stream releases whole lines at once", "[mask]") {
  SECTION("with patterns, a partial line waits") {
    Masker m({"hunter2"}, {"tok"});
    StreamMasker s(m);
    CHECK(s.push("first hunter2\nsec") == "first ***\n");
    CHECK(s.push("ond") == "");
    CHECK(s.push(" tok\n") == "second ***\n");
    CHECK(s.finish() == "");
  }
  SECTION("with secrets only, all but a possible secret's start goes out") {
    Masker m({"hunter2"}, {});
    StreamMasker s(m);
    CHECK(s.push("Password: ") == "Pass");  // 6 bytes held: could begin "hunter2"
    CHECK(s.push("hunt") == "word");
    CHECK(s.push("er2 ok\n") == ": *** ok\n");
    CHECK(s.finish() == "");
  }
  SECTION("with nothing to mask, everything goes out") {
    Masker m;
    StreamMasker s(m);
    CHECK(s.push("no newline") == "no newline");
    CHECK(s.finish() == "");
  }
  SECTION("with nothing to mask, each chunk goes out as it came, bytes and all") {
    Masker m;
    StreamMasker s(m);
    const std::string nul("a\0b", 3);
    CHECK(s.push("half a li") == "half a li");
    CHECK(s.push(nul) == nul);
    CHECK(s.push("ne\n\n") == "ne\n\n");
    CHECK(s.finish() == "");
  }
  SECTION("a secret learnt between chunks masks from the next chunk on") {
    Masker m;
    StreamMasker s(m);
    CHECK(s.push("before hunter2 ") == "before hunter2 ");
    m.add_secret("hunter2");
    // 6 bytes held back: "d hunt" could begin the secret
    CHECK(s.push("after hunter2 and hunt") == "after *** an");
    CHECK(s.push("er2\n") == "d ***\n");
    CHECK(s.finish() == "");
  }
  SECTION("finish releases the rest") {
    Masker m({}, {"x+"});
    StreamMasker s(m);
    CHECK(s.push("a xx") == "");
    CHECK(s.finish() == "a ***");
    CHECK(s.finish() == "");
  }
}

TEST_CASE("an over-long line is flushed in pieces without leaking", "[mask]") {
  const std::string secret = "0123456789abcdef";  // 16 bytes
  std::string line;
  for (int i = 0; i < 20; ++i) line += std::string(static_cast<size_t>(i % 7), '-') + secret;
  line += "\n";
  const size_t max_line = 24;

  SECTION("secret at every position of a piece") {
    Masker m({secret}, {"zzz"});  // a pattern: the stream works by line
    std::string whole = m.mask(line);
    REQUIRE(whole.find('0') == std::string::npos);
    for (size_t chunk = 1; chunk <= 9; ++chunk) {
      std::vector<size_t> cuts;
      for (size_t c = chunk; c < line.size(); c += chunk) cuts.push_back(c);
      INFO("chunk size " << chunk);
      CHECK(stream(m, line, cuts, max_line) == whole);
    }
  }
  SECTION("every split of a shorter stream") {
    Masker m({"0123456789"}, {"zzz"});
    check_every_split(m, "--0123456789---0123456789-0123456789\nab0123456789", 12);
  }
  SECTION("memory stays bounded: a line with no end is released as it comes") {
    Masker m({secret}, {"zzz"});
    StreamMasker s(m, max_line);
    size_t pushed = 0, released = 0;
    for (int i = 0; i < 1000; ++i) {
      released += s.push("abcdefghij").size();
      pushed += 10;
      // What is held is at most a line's limit plus one chunk.
      CHECK(pushed - released <= max_line + 10);
    }
    released += s.finish().size();
    CHECK(released == pushed);
  }
}

TEST_CASE("an event is masked by the types of its fields, never its names", "[mask]") {
  // A one-letter secret must not turn step 'restart' into '***esta***t', nor
  // a manual step's answer 'done' into 'd***': names and rbk's own words are
  // not Text, so they are never masked; every Text is.
  Masker m({"r", "o"}, {});
  rbk::Event esc{rbk::ev::Escalation{.trigger = rbk::ev::Trigger::Step,
                                     .role = "oncall-r",
                                     .message = "restart r",
                                     .step = "restart",
                                     .how = "notification command"}};
  m.mask(esc);
  nlohmann::json j = rbk::event_fields(esc);
  CHECK(j["step"] == "restart");
  CHECK(j["role"] == "oncall-r");
  CHECK(j["trigger"] == "step");
  CHECK(j["message"] == "***esta***t ***");
  CHECK(j["how"] == "n***tificati***n c***mmand");

  rbk::Event manual{rbk::ev::Manual{
      .step = "restart", .text = "restart it", .by = "root", .answer = {rbk::ManualAnswer::Done}}};
  m.mask(manual);
  j = rbk::event_fields(manual);
  CHECK(j["answer"] == "done");
  CHECK(j["by"] == "root");
  CHECK(j["text"] == "***esta***t it");

  rbk::Event end{rbk::ev::RunEnd{{.outcome = rbk::Outcome::NotRestored,
                                  .exit_code = 3,
                                  .failed_step = "rr",
                                  .causes = std::vector<std::string>{"rr"},
                                  .message = "error"}}};
  m.mask(end);
  j = rbk::event_fields(end);
  CHECK(j["outcome"] == "not_restored");
  CHECK(j["failed_step"] == "rr");
  CHECK(j["causes"][0] == "rr");
  CHECK(j["message"] == "e***");

  // Parameter values are masked inside lists too, their names never.
  rbk::ev::RunStart start;
  start.params["r"] = {nlohmann::json::array({"or", 3})};
  rbk::Event s{start};
  m.mask(s);
  CHECK(rbk::event_fields(s)["params"] == nlohmann::json{{"r", {"***", 3}}});
}

TEST_CASE("each line of a multi-line secret and its trimmed form are masked", "[mask]") {
  Masker m;
  m.add_secret("-----BEGIN KEY-----\nMIIEvQIBADANBg\nkqhkiG9w0BAQEF\n-----END KEY-----\n");
  m.add_secret("  hunter2-token \n");
  // One line printed on its own, with different surroundings.
  CHECK(m.mask("line: kqhkiG9w0BAQEF.") == "line: ***.");
  CHECK(m.mask("MIIEvQIBADANBg") == "***");
  // The secret without the blanks it was stored with.
  CHECK(m.mask("token=hunter2-token;") == "token=***;");
  // The whole value still masks as one.
  CHECK(m.mask("x -----BEGIN KEY-----\nMIIEvQIBADANBg\nkqhkiG9w0BAQEF\n-----END KEY-----\n y") ==
        "x *** y");
  check_every_split(m, "a\nkqhkiG9w0BAQEF\nb hunter2-token c\n");
}

TEST_CASE("lines of a secret shorter than four bytes are not masked on their own", "[mask]") {
  Masker m;
  m.add_secret("{\n  \"key\": \"s3cr3t-v4lue\"\n}");
  CHECK(m.mask("{ } [ ]") == "{ } [ ]");  // every brace in the output would be lost
  CHECK(m.mask("got \"key\": \"s3cr3t-v4lue\"") == "got ***");
}
