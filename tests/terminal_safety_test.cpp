// What rbk shows an operator on a terminal: control characters from command
// output and captured values are escaped (they cannot rewrite a question),
// a gate shows every line of the commands it lets run, a question is drawn
// again below a line printed while it waits, comes after everything shown
// before it, --color never holds for prompts, and a manual step's
// instruction is shown even without a terminal.
#include <catch2/catch.hpp>

#include <filesystem>

#include "processes.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using rbk::test::Exit;
using rbk::test::PtySession;
using rbk::test::run_detached;
using rbk::test::write_file;

namespace {

/// A scratch folder with one runbook, `t.rbk`, and an optional rbk.yaml.
struct OneRunbook : rbk::test::TempDir {
  explicit OneRunbook(const std::string& text, const std::string& config = "") {
    write_file((path / "t.rbk").string(), text);
    if (!config.empty()) write_file((path / "rbk.yaml").string(), config);
  }
};

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("escape sequences in output and captures cannot rewrite a question", "[run][pty]") {
  OneRunbook rb(R"(
runbook t {
  diagnose {
    step look "Look" { run `printf 'db-1\r\033[2K\033[1ADELETE NOTHING'` as target }
  }
  remediate {
    step wipe "Wipe" {
      destructive
      confirm "Wipe ${target}?"
      run `true`
    }
  }
}
)");
  PtySession s(rb.path.string(), {"run", "t.rbk"});
  REQUIRE(s.expect("Wipe db-1\\x0d\\x1b[2K\\x1b[1ADELETE NOTHING? [y/N]"));
  s.send("n\n");
  Exit e = s.wait();
  CHECK(e.code == 4);
  CHECK(e.out.find("\033[2K") == std::string::npos);  // no raw sequence reached the terminal
  CHECK(e.out.find("\033[1A") == std::string::npos);
  CHECK(e.out.find("│ db-1\\x0d\\x1b[2K") != std::string::npos);  // the output line, escaped
}

TEST_CASE("a gate shows every line of the commands it lets run", "[run][pty]") {
  OneRunbook rb(R"(
runbook t {
  remediate {
    step wipe "Wipe" {
      destructive
      run ```
        echo first line
        echo second line
      ```
    }
  }
}
)");
  PtySession s(rb.path.string(), {"run", "t.rbk"});
  REQUIRE(s.expect("it will run:"));
  REQUIRE(s.expect("$ echo first line"));
  REQUIRE(s.expect("echo second line"));
  REQUIRE(s.expect("[y/N]"));
  s.send("n\n");
  CHECK(s.wait().code == 4);
}

TEST_CASE("a question is drawn again below a page printed while it waits", "[run][pty]") {
  OneRunbook rb(R"(
runbook t {
  remediate {
    step wipe "Wipe" {
      destructive
      confirm "Wipe it?"
      run `true`
    }
  }
  escalate { after 3s page second "still waiting" }
}
)",
                "roles:\n  second: {name: Second, contact: second@example.com}\n");
  PtySession s(rb.path.string(), {"run", "t.rbk"});
  // The page comes 3 s into the run: long after the question, however
  // loaded the machine (a page before the question would not be redrawn).
  REQUIRE(s.expect("Wipe it? [y/N]"));
  REQUIRE(s.expect("PAGE second"));
  REQUIRE(s.expect("Wipe it? [y/N]"));  // drawn again, after the page
  s.send("n\n");
  Exit e = s.wait();
  CHECK(e.code == 4);
}

TEST_CASE("a question comes after everything shown before it", "[run][pty][threads]") {
  // The display writes on a thread of its own (cli/queued_display): a
  // question must still wait for the output and the gate queued before it.
  OneRunbook rb(R"(
runbook t {
  remediate {
    step print "Print" { run `seq 1 900` }
    step wipe "Wipe" {
      destructive
      confirm "Wipe it?"
      run `true`
    }
  }
}
)");
  PtySession s(rb.path.string(), {"run", "t.rbk"});
  REQUIRE(s.expect("Wipe it? [y/N]"));
  const std::string before = s.output();
  const size_t question = before.rfind("Wipe it? [y/N]");
  const size_t last_line = before.find("│ 900");
  const size_t gate = before.find("gate: wipe");
  CHECK(last_line < gate);
  CHECK(gate < question);
  s.send("n\n");
  CHECK(s.wait().code == 4);
}

TEST_CASE("the questions obey --color never too", "[run][pty]") {
  OneRunbook rb(R"(
runbook t {
  remediate {
    step wipe "Wipe" {
      destructive
      run `true`
    }
  }
}
)");
  PtySession s(rb.path.string(), {"run", "t.rbk", "--color", "never"}, {"NO_COLOR="});
  REQUIRE(s.expect("[y/N]"));
  s.send("n\n");
  Exit e = s.wait();
  CHECK(e.out.find("\033[") == std::string::npos);
}

TEST_CASE("without a terminal a manual step is refused with its instruction shown", "[run]") {
  OneRunbook rb(R"(
runbook t {
  remediate {
    step call "Call the vendor" {
      manual "Call the vendor's hotline and open a ticket"
    }
  }
}
)");
  Exit e = run_detached(rb.path.string(), {"run", "t.rbk"});
  CHECK(e.code == 4);
  CHECK(e.out.find("manual: Call the vendor's hotline and open a ticket") != std::string::npos);
  CHECK(count(e.out, "approve it with --approve call") + count(e.out, "--approve call") > 0);
}
