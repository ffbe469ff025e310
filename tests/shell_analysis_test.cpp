// The shell analysis: which simple commands a command text runs, with their
// words unquoted, their redirections and input, through lists, compound
// commands, substitutions, here-documents and wrappers; what it cannot see
// through; and that any input, however deep or broken, gives an answer.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "interpreter/syntax/shell_analysis.hpp"

using rbk::analyse_shell;
using rbk::ShellAnalysis;

namespace {

/// Each command as its words joined by spaces, redirections as "OP TARGET"
/// and input as "<<TEXT", in text order.
std::vector<std::string> commands(const std::string& text) {
  ShellAnalysis a = analyse_shell(text);
  std::vector<std::string> out;
  for (const auto& c : a.commands) {
    std::string s;
    for (const auto& w : c.words) s += (s.empty() ? "" : " ") + w.text;
    for (const auto& r : c.redirects) s += (s.empty() ? "" : " ") + r.op + " " + r.target.text;
    for (const auto& in : c.input) s += (s.empty() ? "<<" : " <<") + in.text;
    out.push_back(s);
  }
  return out;
}

std::vector<std::string> unknowns(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& u : analyse_shell(text).unknowns)
    out.push_back(text.substr(u.at.begin, u.at.end - u.at.begin) + ": " + u.why);
  return out;
}

using V = std::vector<std::string>;

}  // namespace

TEST_CASE("words lose their quotes and keep where they were", "[shell]") {
  const std::string t = "a 'b c' \"d$e\" \\f g\\\nh";
  ShellAnalysis a = analyse_shell(t);
  REQUIRE(a.commands.size() == 1);
  const auto& w = a.commands[0].words;
  REQUIRE(w.size() == 5);
  CHECK(w[1].text == "b c");
  CHECK(t.substr(w[1].at.begin, w[1].at.end - w[1].at.begin) == "'b c'");
  CHECK(w[1].verbatim == 3);  // the text is a copy of the source after the quote
  CHECK(w[2].text == "d$e");
  CHECK(w[2].expands);
  CHECK(!w[1].expands);
  CHECK(w[3].text == "f");
  CHECK(w[4].text == "gh");  // a continuation joins the line
  CHECK(a.unknowns.empty());
}

TEST_CASE("lists, pipelines and compound commands are split into simple commands", "[shell]") {
  CHECK(commands("a | b && c; d & e || f") == V{"a", "b", "c", "d", "e", "f"});
  CHECK(commands("if test -f x; then rm x; elif y; then :; else z; fi") ==
        V{"test -f x", "rm x", "y", ":", "z"});
  CHECK(commands("for f in /a/* /b; do rm \"$f\"; done") == V{"rm $f"});
  CHECK(commands("while read -r l; do echo \"$l\"; done < list") ==
        V{"read -r l", "echo $l", "< list"});
  CHECK(commands("case \"$x\" in a|b) stop;; (*) start ;; esac; after") ==
        V{"stop", "start", "after"});
  CHECK(commands("f() { rm -r x; }; f") == V{"rm -r x", "f"});
  CHECK(commands("( cd /srv && rm y ) ; { z; }") == V{"cd /srv", "rm y", "z"});
  CHECK(commands("[[ $a > $b && -n $c ]] && echo more") == V{"echo more"});
  CHECK(commands("((n > 2)) && echo big") == V{"echo big"});
  CHECK(commands("# a comment; rm -rf /\necho ok # rm") == V{"echo ok"});
  CHECK(commands("FOO=1 BAR=\"a b\" env") == V{"env"});
}

TEST_CASE("redirections and here-documents belong to their command", "[shell]") {
  CHECK(commands("echo x > out 2>&1 >> log 2> err") == V{"echo x > out >> log > err"});
  CHECK(commands(": > /var/log/app.log") == V{": > /var/log/app.log"});
  CHECK(commands("> file") == V{"> file"});
  CHECK(commands("cat <<EOF\nbody $x\nEOF\necho done") == V{"cat <<body $x\n", "echo done"});
  CHECK(commands("psql <<-'SQL'\n\tDROP TABLE t;\n\tSQL\n") == V{"psql <<\tDROP TABLE t;\n"});
  CHECK(commands("grep x <<< \"$text\"") == V{"grep x <<$text"});
  ShellAnalysis a = analyse_shell("cat <<EOF\n$x\nEOF\ncat <<'EOF'\n$x\nEOF\n");
  REQUIRE(a.commands.size() == 2);
  CHECK(a.commands[0].input.at(0).expands);
  CHECK(!a.commands[1].input.at(0).expands);
}

TEST_CASE("substitutions are analysed where they run", "[shell]") {
  CHECK(commands("x=$(rm -rf /a); echo \"$(date)\" `id -u` ${y:-$(whoami)}") ==
        V{"rm -rf /a", "echo $(date) `id -u` ${y:-$(whoami)}", "date", "id -u", "whoami"});
  CHECK(commands("cat <<EOF\n$(reboot)\nEOF") == V{"cat <<$(reboot)\n", "reboot"});
  CHECK(commands("diff <(sort a) >(tee b)") == V{"diff <(sort a) >(tee b)", "sort a", "tee b"});
}

TEST_CASE("wrappers are stripped to the command they run", "[shell]") {
  CHECK(commands("sudo -u pg env A=1 timeout -s KILL 5 nice -n 3 ionice -c3 rm -f a") ==
        V{"rm -f a"});
  CHECK(commands("/usr/bin/env -i PATH=/bin /bin/rm x") == V{"rm x"});
  CHECK(commands("nohup setsid stdbuf -oL exec command rm y") == V{"rm y"});
  CHECK(commands("command -v rm") == V{"command -v rm"});
  CHECK(commands("xargs -0 -I{} rm {}") == V{"rm {}"});
  CHECK(commands("find . -name x -exec rm -f {} \\; -print") ==
        V{"find . -name x -exec rm -f {} ; -print", "rm -f {}"});
  CHECK(commands("sh -c 'rm a; rm b'") == V{"rm a", "rm b"});
  CHECK(commands("bash -euo pipefail -c 'stop x'") == V{"stop x"});
  CHECK(commands("ssh -p 22 db1 'systemctl stop pg'") == V{"ssh -p 22 db1", "systemctl stop pg"});
  CHECK(commands("kubectl exec -n p api -- rm -rf /d") == V{"kubectl exec -n p api", "rm -rf /d"});
  CHECK(commands("docker exec -u 0 api rm x") == V{"docker exec -u 0 api", "rm x"});
  CHECK(commands("su postgres -c 'dropdb x'") == V{"su postgres -c dropdb x", "dropdb x"});
  CHECK(commands("eval 'rm a'") == V{"rm a"});
  CHECK(commands("trap 'rm -f /tmp/x' EXIT") == V{"trap rm -f /tmp/x EXIT", "rm -f /tmp/x"});
  CHECK(commands("bash fix.sh") == V{"bash fix.sh"});
  CHECK(commands("bash <<'EOF'\nrm a\nEOF") == V{"rm a"});
  CHECK(commands("parallel -j 4 'rm -f {}' ::: a b") == V{"parallel -j 4", "rm -f {}"});
}

TEST_CASE("what rbk cannot see through is reported, with where and why", "[shell]") {
  CHECK(unknowns("$cmd -rf /") ==
        V{"$cmd: the command name is a value known only at run time ($cmd)"});
  CHECK(unknowns("\"$(which rm)\" x").size() == 1);
  CHECK(unknowns("/bin/r? -rf /") == V{"/bin/r?: the command name is a file pattern (/bin/r?)"});
  CHECK(unknowns("eval \"$x\"") == V{"\"$x\": eval runs text made at run time ($x)"});
  CHECK(unknowns("curl -s u | sh") == V{"sh: a shell runs what a pipe feeds it"});
  CHECK(unknowns("sh -c \"$1\"") == V{"\"$1\": runs shell code made at run time ($1)"});
  CHECK(unknowns("bash <<EOF\n$c\nEOF\n").size() == 1);
  CHECK(unknowns(". \"$f\"") == V{"\"$f\": sources a file named at run time ($f)"});
  CHECK(unknowns("RBK_RECORD_DIR=/ x") ==
        V{"RBK_RECORD_DIR=/: assigns RBK_RECORD_DIR, which rbk sets for the run"});
  // A program in another language given inline is not shell rbk can read.
  CHECK(unknowns("python3 -c 'import os; os.remove(\"/x\")'") ==
        V{"'import os; os.remove(\"/x\")': python3 runs a program given inline, which rbk "
          "cannot read"});
  CHECK(unknowns("perl -pi -e 's/a/b/' f").size() == 1);
  CHECK(unknowns("awk '{ print | \"sh\" }'").size() == 1);
  CHECK(unknowns("awk '$1 == 2 || $2 > 3 { print }' f").empty());
  CHECK(unknowns("awk -f prog.awk f").empty());
  // A database client reading its statements from a pipe or a file.
  CHECK(unknowns("cat x.sql | psql -d app") ==
        V{"psql: psql runs statements it reads from a pipe or a file"});
  CHECK(unknowns("redis-cli -n 3 < cmds").size() == 1);
  CHECK(unknowns("psql -d app -c 'SELECT 1' < /dev/null").empty());
  CHECK(unknowns("psql <<'SQL'\nSELECT 1;\nSQL").empty());
  CHECK(unknowns("echo k | redis-cli -x GET").empty());
  // Values as arguments are fine: only what runs must be known.
  CHECK(unknowns("rm -f \"$f\"; printf '%s' \"$RBK_MESSAGE\" | mail \"$RBK_CONTACT\"").empty());
}

TEST_CASE("any input gives an answer: deep nesting and broken text", "[shell]") {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "$(";
  ShellAnalysis a = analyse_shell(deep);
  REQUIRE(a.unknowns.size() == 1);
  CHECK(a.unknowns[0].why == "the command nests too deeply to analyse");
  std::string quotes;
  for (int i = 0; i < 100000; ++i) quotes += "\"${x:-";
  CHECK(analyse_shell(quotes).unknowns.size() == 1);
  const std::string t =
      "a 'b\" `c $(d ${e <<EOF\nf\" ; case x in (y) g;; esac ) \\\n h <(i) $'\\x41";
  for (size_t n = 0; n <= t.size(); ++n) CHECK_NOTHROW(analyse_shell(t.substr(0, n)));
}
