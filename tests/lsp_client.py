#!/usr/bin/env python3
"""`rbk lsp` driven by a real client over stdio, as an editor drives it.

Usage: lsp_client.py RBK

Starts `RBK lsp` in a temporary project (an rbk.yaml with a role, a runbook
with an error on a line with non-ASCII text), and goes through a session:
initialize, initialized, didOpen, the diagnostics it publishes, hover,
definition, completion, formatting, didChange with the error fixed, the
empty diagnostics, documentSymbol, an unknown method, a malformed message,
shutdown and exit. Every answer is checked; a failure says what was
expected and what came. Nothing sleeps: each step waits for its message,
with a generous timeout that names what it waited for.
"""

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

TIMEOUT = 60.0  # seconds for any one message; only a hang gets near it

RBK_YAML = """\
roles:
  db-owner: {name: "Database owner", contact: "dba@example.com"}
lint:
  required_sections: [diagnose, causes, remediate]
"""

# The error: `connz` on a line whose text before it has é (1 UTF-16 unit,
# 2 bytes) and 😀 (2 units, 4 bytes).
BROKEN = """\
runbook db-down {
  title    "Database down"
  severity high
  owner    db-owner
  param host : string = "127.0.0.1"  "The database host"

  diagnose {
    step conns "Connection count" {
      run `psql -h "$host" -XtAc "SELECT count(*) FROM pg_stat_activity"` as conns timeout 30s
    }
  }
  causes {
    cause pool "Pool épuisé 😀" when connz > 90
  }
  remediate {
    step notify_owner "Tell the database owner" when cause.pool and conns.ok {
      page db-owner "Connection pool exhausted on ${host}"
    }
  }
}
"""
FIXED = BROKEN.replace("when connz > 90", "when conns > 90")

# Valid, but laid out badly: formatting must give `rbk fmt`'s text.
MESSY = """\
runbook   messy {
 title "Messy"
      diagnose {
 step a "A" {
run `true`   as   a_out
}
    }
}
"""


class Failure(Exception):
    pass


def check(cond, what, got=None):
    if not cond:
        detail = "" if got is None else "\n  got: " + json.dumps(got, ensure_ascii=False)[:2000]
        raise Failure(what + detail)


def utf16_column(line, index):
    """The LSP character of Python string index `index` in `line`."""
    return len(line[:index].encode("utf-16-le")) // 2


def position_of(text, needle, nth=0, delta=0):
    """The LSP position of the `nth` occurrence of `needle` (plus `delta` characters)."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    at += delta
    line = text.count("\n", 0, at)
    start = text.rfind("\n", 0, at) + 1
    return {"line": line, "character": utf16_column(text[start:], at - start)}


def offset_of(text, pos):
    lines = text.split("\n")
    before = sum(len(line) + 1 for line in lines[: pos["line"]])
    line = lines[pos["line"]] if pos["line"] < len(lines) else ""
    units = 0
    for i, ch in enumerate(line):
        if units >= pos["character"]:
            return before + i
        units += len(ch.encode("utf-16-le")) // 2
    return before + len(line)


def apply_edits(text, edits):
    for e in sorted(edits, key=lambda e: (e["range"]["start"]["line"], e["range"]["start"]["character"]),
                    reverse=True):
        b, end = offset_of(text, e["range"]["start"]), offset_of(text, e["range"]["end"])
        text = text[:b] + e["newText"] + text[end:]
    return text


class Server:
    """`rbk lsp` as a child process, its messages read on a thread."""

    def __init__(self, rbk, cwd):
        self.proc = subprocess.Popen([rbk, "lsp"], cwd=cwd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.inbox = queue.Queue()
        self.backlog = []
        self.stderr = []
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        self.stderr_reader = threading.Thread(target=self._drain_stderr, daemon=True)
        self.stderr_reader.start()

    def _drain_stderr(self):
        for line in self.proc.stderr:
            self.stderr.append(line.decode("utf-8", "replace"))

    def _read(self):
        out = self.proc.stdout
        try:
            while True:
                length = None
                while True:
                    line = out.readline()
                    if not line:
                        self.inbox.put(("end", None))
                        return
                    line = line.rstrip(b"\r\n")
                    if not line:
                        break
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                if length is None:
                    self.inbox.put(("bad", "a message without Content-Length"))
                    return
                body = out.read(length)
                try:
                    self.inbox.put(("msg", json.loads(body)))
                except ValueError as e:
                    # Anything on stdout that is not a protocol message is a bug.
                    self.inbox.put(("bad", "not JSON on stdout: %r (%s)" % (body[:200], e)))
                    return
        except Exception as e:  # noqa: BLE001 - reported by the waiting side
            self.inbox.put(("bad", repr(e)))

    def send_raw(self, body):
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def send(self, message):
        message = dict(message, jsonrpc="2.0")
        self.send_raw(json.dumps(message).encode("utf-8"))

    def notify(self, method, params):
        self.send({"method": method, "params": params})

    def request(self, method, params=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return self.next_id

    def wait_for(self, what, match):
        """The first message `match` accepts (earlier ones kept for later waits)."""
        for i, m in enumerate(self.backlog):
            if match(m):
                return self.backlog.pop(i)
        deadline = time.monotonic() + TIMEOUT
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("timed out after %.0f s waiting for %s" % (TIMEOUT, what))
            try:
                kind, m = self.inbox.get(timeout=left)
            except queue.Empty:
                continue
            if kind == "end":
                raise Failure("the server closed stdout while we waited for " + what)
            if kind == "bad":
                raise Failure("bad output from the server while waiting for %s: %s" % (what, m))
            if match(m):
                return m
            self.backlog.append(m)

    def response(self, rid, what):
        m = self.wait_for("the response to " + what,
                          lambda m: m.get("id") == rid and "method" not in m)
        check("error" not in m, what + " failed", m)
        return m["result"]

    def error(self, rid, what):
        m = self.wait_for("the error answering " + what,
                          lambda m: m.get("id") == rid and "method" not in m)
        check("error" in m, what + " should fail", m)
        return m["error"]

    def exit(self, want):
        """Sends `exit`; the server must end with exit code `want`."""
        self.notify("exit", None)
        try:
            code = self.proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise Failure("the server did not exit within %.0f s of 'exit'" % TIMEOUT)
        check(code == want, "exit code %d" % want, code)

    def failed(self):
        """After a failure: stops the server and shows what it logged."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.stderr_reader.join(timeout=TIMEOUT)
        sys.stderr.write("server stderr:\n" + "".join(self.stderr) + "\n")

    def diagnostics(self, uri, version, what):
        m = self.wait_for(what, lambda m: m.get("method") == "textDocument/publishDiagnostics"
                          and m["params"]["uri"] == uri and m["params"].get("version") == version)
        return m["params"]["diagnostics"]


def session(rbk, root):
    path = os.path.join(root, "db-down.rbk")
    messy_path = os.path.join(root, "messy.rbk")
    with open(os.path.join(root, "rbk.yaml"), "w") as f:
        f.write(RBK_YAML)
    with open(path, "w") as f:
        f.write(BROKEN)
    uri = "file://" + urllib.parse.quote(path)
    messy_uri = "file://" + urllib.parse.quote(messy_path)
    doc = {"uri": uri}

    s = Server(rbk, root)
    try:
        caps = s.response(s.request("initialize", {
            "processId": os.getpid(), "rootUri": "file://" + urllib.parse.quote(root),
            "capabilities": {"textDocument": {
                "publishDiagnostics": {"relatedInformation": True},
                "documentSymbol": {"hierarchicalDocumentSymbolSupport": True}}}}),
            "initialize")["capabilities"]
        check(caps.get("textDocumentSync", {}).get("change") == 1, "full document sync", caps)
        for cap in ("hoverProvider", "definitionProvider", "documentFormattingProvider",
                    "documentSymbolProvider"):
            check(caps.get(cap) is True, "capability " + cap, caps)
        check(caps.get("completionProvider", {}).get("triggerCharacters") == [".", "\""],
              "completion triggered by '.' and '\"'", caps)
        s.notify("initialized", {})

        # didOpen: the error comes back at its place, in UTF-16 columns.
        started = time.monotonic()
        s.notify("textDocument/didOpen", {"textDocument": dict(doc, languageId="rbk", version=1,
                                                               text=BROKEN)})
        diags = s.diagnostics(uri, 1, "the diagnostics of the opened file")
        took = time.monotonic() - started
        errors = [d for d in diags if d.get("severity") == 1]
        check(len(errors) == 1, "one error in the opened file", diags)
        err = errors[0]
        want = {"start": position_of(BROKEN, "connz"), "end": position_of(BROKEN, "connz", delta=5)}
        check(want["start"]["character"] == 37, "the test's own column (36 characters, 37 units)")
        check(err["range"] == want, "the error's range is the name, in UTF-16 units", err)
        check("unknown name 'connz'" in err["message"], "the error's message", err)
        related = err.get("relatedInformation", [])
        check(any("did you mean 'conns'" in r["message"] for r in related),
              "the help as related information", err)
        check(all(d.get("source") == "rbk" for d in diags), "every diagnostic from rbk", diags)
        print("diagnostics after didOpen: %.0f ms" % (took * 1000))

        # Hover on a parameter's use: its type, default and help.
        h = s.response(s.request("textDocument/hover", {
            "textDocument": doc, "position": position_of(BROKEN, "${host}", delta=3)}),
            "hover on ${host}")
        check(h is not None, "a hover for a parameter", h)
        value = h["contents"]["value"]
        for part in ("param host", "string", "\"127.0.0.1\"", "The database host"):
            check(part in value, "the hover names " + part, h)

        # Definition of a capture's use: where `as conns` makes it.
        d = s.response(s.request("textDocument/definition", {
            "textDocument": doc, "position": position_of(BROKEN, "conns.ok", delta=2)}),
            "definition of conns")
        check(d is not None and d["uri"] == uri, "the capture is declared in this file", d)
        check(d["range"]["start"] == position_of(BROKEN, "as conns", delta=3),
              "the definition is the capture's name in `as conns`", d)

        # Completion after `conns.`: the capture's fields.
        c = s.response(s.request("textDocument/completion", {
            "textDocument": doc, "position": position_of(BROKEN, "conns.ok", delta=6),
            "context": {"triggerKind": 2, "triggerCharacter": "."}}), "completion after conns.")
        labels = {i["label"] for i in (c["items"] if isinstance(c, dict) else c)}
        for field in ("stdout", "stderr", "exit", "ok", "timed_out", "duration", "lines", "json"):
            check(field in labels, "the capture field ." + field + " is offered", sorted(labels))
        check("host" not in labels, "no plain names after a '.'", sorted(labels))

        # Completion at a statement's place: the statement keywords.
        line = BROKEN.split("\n").index("      page db-owner \"Connection pool exhausted on ${host}\"")
        c = s.response(s.request("textDocument/completion", {
            "textDocument": doc, "position": {"line": line, "character": 6}}),
            "completion at a statement")
        labels = {i["label"] for i in (c["items"] if isinstance(c, dict) else c)}
        for kw in ("run", "confirm", "destructive", "page", "use"):
            check(kw in labels, "the keyword " + kw + " is offered", sorted(labels))
        check("cause" not in labels and "step" not in labels, "no section item in a step",
              sorted(labels))

        # Formatting a badly laid-out file gives rbk fmt's text.
        s.notify("textDocument/didOpen", {"textDocument": {
            "uri": messy_uri, "languageId": "rbk", "version": 1, "text": MESSY}})
        edits = s.response(s.request("textDocument/formatting", {
            "textDocument": {"uri": messy_uri}, "options": {"tabSize": 2, "insertSpaces": True}}),
            "formatting")
        check(isinstance(edits, list) and edits, "edits for a badly laid-out file", edits)
        with open(messy_path, "w") as f:
            f.write(MESSY)
        fmt = subprocess.run([rbk, "fmt", messy_path], capture_output=True, timeout=TIMEOUT)
        check(fmt.returncode == 0, "rbk fmt formats the same file", fmt.stderr.decode())
        with open(messy_path) as f:
            canonical = f.read()
        check(apply_edits(MESSY, edits) == canonical, "the edits give rbk fmt's text",
              {"edits": edits, "rbk fmt": canonical})

        # didChange with the error fixed: no diagnostics at all.
        s.notify("textDocument/didChange", {"textDocument": dict(doc, version=2),
                                            "contentChanges": [{"text": FIXED}]})
        diags = s.diagnostics(uri, 2, "the diagnostics after the fix")
        check(diags == [], "no diagnostics once fixed", diags)

        # The outline: the runbook, its parameter, its sections and steps.
        symbols = s.response(s.request("textDocument/documentSymbol", {"textDocument": doc}),
                             "documentSymbol")
        check(len(symbols) == 1 and symbols[0]["name"] == "db-down", "one runbook", symbols)
        children = [c["name"] for c in symbols[0].get("children", [])]
        check(children == ["host", "diagnose", "causes", "remediate"],
              "its parameter and sections, in order", children)
        steps = [c["name"] for sec in symbols[0]["children"] for c in sec.get("children", [])]
        check(steps == ["conns", "pool", "notify_owner"], "the sections' steps and causes", steps)

        # An unknown method: MethodNotFound; the server goes on.
        e = s.error(s.request("rbk/noSuchMethod", {}), "an unknown method")
        check(e["code"] == -32601, "MethodNotFound", e)

        # A malformed message: ParseError with a null id, and the server still answers.
        s.send_raw(b'{"jsonrpc": "2.0", "id": 77, "method": ')
        m = s.wait_for("the ParseError", lambda m: m.get("error", {}).get("code") == -32700)
        check(m.get("id") is None, "a ParseError has a null id", m)
        h = s.response(s.request("textDocument/hover", {
            "textDocument": doc, "position": position_of(FIXED, "$host", delta=1)}),
            "hover after the malformed message")
        check(h is not None and "param host" in h["contents"]["value"],
              "the server still answers", h)

        # shutdown, then exit: exit code 0.
        check(s.response(s.request("shutdown"), "shutdown") is None, "shutdown answers null")
        s.exit(0)
    except Failure:
        s.failed()
        raise


def hostile(rbk, root):
    """Bad input of every kind: the server answers what it can, ignores the
    rest, and is still there at the end."""
    s = Server(rbk, root)
    try:
        e = s.error(s.request("textDocument/hover", {}), "a request before initialize")
        check(e["code"] == -32002, "ServerNotInitialized before initialize", e)
        e = s.error(s.request("initialize", "not an object"), "initialize with bad params")
        check(e["code"] == -32602, "InvalidParams for initialize's bad params", e)
        # Capabilities nested 100000 deep: read, never copied or walked far.
        s.next_id += 1
        s.send_raw(b'{"jsonrpc": "2.0", "id": %d, "method": "initialize", "params": '
                   b'{"capabilities": {"textDocument": ' % s.next_id +
                   b"[" * 100000 + b"]" * 100000 + b"}}}")
        s.response(s.next_id, "initialize")
        s.notify("initialized", {})

        # Broken framing: skipped up to the next message.
        s.proc.stdin.write(b"Content-Type: x\r\n\r\n")  # no Content-Length
        s.proc.stdin.write(b"Content-Length: many\r\n\r\n")
        s.proc.stdin.write(b"no colon here\r\n\r\n")
        s.proc.stdin.flush()
        for body, code, what in (
                (b"[1, 2]", -32600, "a JSON array"),
                (b'"just a string"', -32600, "a JSON string"),
                (b'{"jsonrpc": "2.0", "id": {"x": 1}, "method": "x"}', -32600, "an object id"),
                (b'{"jsonrpc": "2.0", "id": 5}', -32600, "a request without a method"),
                (b'{"id": 6, "method": "textDocument/hover", "params": {"x": 1}}', -32602,
                 "hover without its params"),
                (b'{"id": 7, "method": "textDocument/hover", "params": {"textDocument": '
                 b'{"uri": "file:///not/open.rbk"}, "position": {"line": 0, "character": 0}}}',
                 -32602, "hover on a document that is not open"),
                (b'{"id": 8, "method": "textDocument/hover", "params": {"textDocument": '
                 b'{"uri": 3}, "position": {"line": 0, "character": 0}}}', -32602, "a number as uri"),
                (b'{"text": "\\ud800"}', -32700, "a lone surrogate"),
                (b"\xff\xfe{}", -32700, "bytes that are not UTF-8"),
                (b'{"id": 9, "method": "rbk/deep", "params": ' + b"[" * 200000 + b"]" * 200000 + b"}",
                 -32601, "params nested 200000 deep"),
                (b'{"id": ' + b"[" * 200000 + b"]" * 200000 + b', "method": "x"}', -32600,
                 "an id nested 200000 deep"),
        ):
            s.send_raw(body)
            m = s.wait_for("the error for " + what,
                           lambda m, code=code: m.get("error", {}).get("code") == code)
            check("error" in m, what, m)

        # Documents the server must survive: empty, NUL bytes, no runbook,
        # deep nesting, an incremental change past the end.
        texts = {
            "empty.rbk": "",
            "nul.rbk": "runbook x {\u0000}",
            "junk.rbk": "}}}{{{ \"\"\" ``` ${ # \u00e9\U0001F600",
            "deep.rbk": "runbook d {\n causes {\n cause c \"C\" when " + "(" * 5000 + "\n",
        }
        for name, text in texts.items():
            uri = "file://" + urllib.parse.quote(os.path.join(root, name))
            s.notify("textDocument/didOpen", {"textDocument": {
                "uri": uri, "languageId": "rbk", "version": 1, "text": text}})
            s.diagnostics(uri, 1, "the diagnostics of " + name)
            for pos in ({"line": 0, "character": 0}, {"line": -3, "character": 10 ** 12},
                        {"line": 1e300, "character": -1e300}, {"line": 2 ** 64, "character": 1},
                        {"line": 10 ** 9, "character": 2}, {"line": 0, "character": 3}):
                for method in ("textDocument/hover", "textDocument/definition",
                               "textDocument/completion"):
                    s.response(s.request(method, {"textDocument": {"uri": uri}, "position": pos}),
                               "%s at %s in %s" % (method, pos, name))
            s.response(s.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}}),
                       "symbols of " + name)
            f = s.response(s.request("textDocument/formatting", {
                "textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": True}}),
                "formatting " + name)
            if name != "empty.rbk":
                check(f is None, "no formatting for a file with syntax errors: " + name, f)
            s.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": 2},
                "contentChanges": [{"range": {"start": {"line": 99, "character": 0},
                                              "end": {"line": 0, "character": 0}}, "text": "x"}]})
            s.diagnostics(uri, 2, "the diagnostics after an odd change to " + name)
            s.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
            cleared = s.wait_for("the diagnostics cleared on close of " + name,
                                 lambda m, uri=uri: m.get("method") == "textDocument/publishDiagnostics"
                                 and m["params"]["uri"] == uri and "version" not in m["params"])
            check(cleared["params"]["diagnostics"] == [], "closing clears diagnostics", cleared)
        s.notify("textDocument/didChange", {"textDocument": {"uri": "file:///nowhere.rbk"},
                                            "contentChanges": []})
        s.notify("no/such/notification", {"x": [1, 2]})

        # Still answering; then exit without shutdown: exit code 1.
        e = s.error(s.request("textDocument/documentSymbol", {
            "textDocument": {"uri": "file:///nowhere.rbk"}}), "symbols of a closed document")
        check(e["code"] == -32602, "InvalidParams for a document that is not open", e)
        check(s.proc.poll() is None, "the server is still running after the bad input")
        s.exit(1)  # exit without shutdown
    except Failure:
        s.failed()
        raise


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: lsp_client.py RBK")
    rbk = os.path.abspath(sys.argv[1])
    # A space and a non-ASCII letter in the folder: the URI is percent-encoded.
    root = tempfile.mkdtemp(prefix="rbk lsp é ")
    try:
        session(rbk, root)
        hostile(rbk, root)
    except Failure as e:
        print("FAIL: %s" % e)
        return 1
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("ok: rbk lsp answered a whole session")
    return 0


if __name__ == "__main__":
    sys.exit(main())
