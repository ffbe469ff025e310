// `rbk lsp`: the language server, over stdin and stdout (JSON-RPC 2.0 with
// LSP's Content-Length framing, cli/lsp_transport). What it answers comes
// from the library (interpreter/ide/); this file is the protocol: the
// messages, the open documents, and the thread that computes diagnostics.
//
// Threads: the main thread reads messages and answers requests at once
// (hover, definition, completion, symbols and formatting need the check
// pass only, a few milliseconds); one worker runs check + lint + ShellCheck
// for diagnostics, ~300 ms after the last change to a document, so typing
// never waits for a lint and a burst of keystrokes costs one. Nothing but
// protocol messages goes to stdout; logs go to stderr.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "cli/commands.hpp"
#include "cli/lsp_json.hpp"
#include "cli/lsp_transport.hpp"
#include "cli/terminal.hpp"
#include "interpreter/base/json_text.hpp"
#include "interpreter/ide/uri.hpp"
#include "interpreter/sema/workspace.hpp"

namespace rbk::cli {

namespace {

using lsp::json;
using Clock = std::chrono::steady_clock;
using AnalysisPtr = std::shared_ptr<const ide::Analysis>;

/// How long after the last change diagnostics are computed.
constexpr std::chrono::milliseconds kDebounce{300};

/// A request's params were not what the method needs.
struct BadParams : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// One document the client has open.
struct Document {
  std::string uri;
  std::string path;  // from a file: URI; "" for another scheme
  std::string text;
  int64_t version = 0;
  uint64_t generation = 0;  // counts changes, so a late analysis is known
  AnalysisPtr analysis;     // of `text`; null until one is made
  AnalysisPtr last_good;    // the newest analysis that parsed (names for completion)
  bool pending = false;     // diagnostics to compute at `due`
  Clock::time_point due;
};

void log(const std::string& line) {
  write(stderr, "rbk lsp: " + printable(line) + "\n");
}

class Server {
 public:
  Server() : reader_(STDIN_FILENO), writer_(STDOUT_FILENO) {}

  int run() {
    auto patterns = load_patterns();
    if (patterns)
      patterns_ = std::move(*patterns);
    else
      log("the destructive-command patterns cannot be loaded; lint rules are off");
    lint_ = patterns.has_value();
    std::thread worker([this] { diagnose_loop(); });
    for (;;) {
      std::string body, problem;
      const auto status = reader_.next(body, problem);
      if (status == MessageReader::Status::End) break;
      if (status != MessageReader::Status::Message) {
        log("skipped " + problem);
        if (status == MessageReader::Status::TooLarge)
          send(lsp::error(nullptr, lsp::kInvalidRequest, "message too large: " + problem));
        continue;
      }
      handle(body);
      if (exit_) break;
    }
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      wake_.notify_all();
    }
    worker.join();
    // LSP: exit code 0 only when `shutdown` came before `exit` (or before
    // the input ended).
    return shutdown_ ? kExitOk : kExitFindings;
  }

 private:
  MessageReader reader_;
  MessageWriter writer_;
  DestructivePatterns patterns_;
  bool lint_ = false;
  bool initialized_ = false, shutdown_ = false, exit_ = false;
  // Set by initialize on the main thread, read by the worker too.
  std::atomic<bool> related_info_{false};  // the client shows relatedInformation
  std::atomic<bool> hierarchical_{false};  // the client takes DocumentSymbol[]
  std::set<std::string> notes_seen_;

  std::mutex mu_;  // guards docs_ and stopping_
  std::condition_variable wake_;
  std::map<std::string, Document> docs_;
  bool stopping_ = false;

  void send(const json& j) { writer_.send(json_text(j)); }

  // ---------------------------------------------------------------- dispatch

  void handle(const std::string& body) {
    json msg = json::parse(body, nullptr, false);
    if (msg.is_discarded()) {
      send(lsp::error(nullptr, lsp::kParseError, "the message is not valid JSON"));
      return;
    }
    if (!msg.is_object()) {
      send(lsp::error(nullptr, lsp::kInvalidRequest, "a message must be a JSON object"));
      return;
    }
    json id = nullptr;
    const bool request = msg.contains("id");
    if (request) {
      // Checked before it is copied: copying a deeply nested value recurses.
      const json& given = msg["id"];
      if (!given.is_string() && !given.is_number_integer()) {
        send(lsp::error(nullptr, lsp::kInvalidRequest, "the id must be a number or a string"));
        return;
      }
      id = given;
    }
    auto m = msg.find("method");
    if (m == msg.end() || !m->is_string()) {
      // A response to a request of ours (we send none) carries no method.
      if (request && !msg.contains("result") && !msg.contains("error"))
        send(lsp::error(id, lsp::kInvalidRequest, "a request needs a method"));
      return;
    }
    const std::string method = *m;
    // A reference, not a copy (see the id above).
    static const json kNoParams = json::object();
    const json& params = msg.contains("params") ? msg["params"] : kNoParams;
    try {
      if (request)
        answer(id, method, params);
      else
        notice(method, params);
    } catch (const BadParams& e) {
      if (request)
        send(lsp::error(id, lsp::kInvalidParams, e.what()));
      else
        log(method + ": " + e.what());
    } catch (const json::exception& e) {
      if (request)
        send(lsp::error(id, lsp::kInvalidParams, std::string("bad params: ") + e.what()));
      else
        log(method + ": bad params: " + e.what());
    } catch (const std::exception& e) {
      if (request) send(lsp::error(id, lsp::kInternalError, e.what()));
      log(method + ": internal error: " + e.what());
    }
  }

  void answer(const json& id, const std::string& method, const json& params) {
    if (shutdown_) {
      send(lsp::error(id, lsp::kInvalidRequest, "the server is shutting down"));
      return;
    }
    if (method == "initialize") return send(lsp::response(id, initialize(params)));
    if (!initialized_) {
      send(lsp::error(id, lsp::kServerNotInitialized, "initialize first"));
      return;
    }
    if (method == "shutdown") {
      shutdown_ = true;
      return send(lsp::response(id, nullptr));
    }
    if (method == "textDocument/hover") return send(lsp::response(id, hover(params)));
    if (method == "textDocument/definition") return send(lsp::response(id, definition(params)));
    if (method == "textDocument/completion") return send(lsp::response(id, completion(params)));
    if (method == "textDocument/documentSymbol")
      return send(lsp::response(id, document_symbols(params)));
    if (method == "textDocument/formatting") return send(lsp::response(id, formatting(params)));
    send(lsp::error(id, lsp::kMethodNotFound, "unknown method: " + method));
  }

  void notice(const std::string& method, const json& params) {
    if (method == "exit") {
      exit_ = true;
      return;
    }
    if (!initialized_ || shutdown_) return;  // before initialize, notifications are dropped
    if (method == "textDocument/didOpen") return did_open(params);
    if (method == "textDocument/didChange") return did_change(params);
    if (method == "textDocument/didClose") return did_close(params);
    if (method == "textDocument/didSave") return refresh(params);
    // rbk.yaml, a module or a called runbook changed on disk: check again.
    if (method == "workspace/didChangeWatchedFiles") return refresh_all();
    // initialized, $/cancelRequest, $/setTrace and the rest: nothing to do.
  }

  json initialize(const json& params) {
    if (!params.is_object()) throw BadParams("initialize needs params");
    // Walked by pointer, never copied (a client's JSON may nest deeply).
    auto flag = [&](std::initializer_list<const char*> path) {
      const json* j = &params;
      for (const char* key : path) {
        if (!j->is_object() || !j->contains(key)) return false;
        j = &(*j)[key];
      }
      return j->is_boolean() && j->get<bool>();
    };
    related_info_ =
        flag({"capabilities", "textDocument", "publishDiagnostics", "relatedInformation"});
    hierarchical_ = flag(
        {"capabilities", "textDocument", "documentSymbol", "hierarchicalDocumentSymbolSupport"});
    initialized_ = true;
    return {{"capabilities",
             {{"positionEncoding", "utf-16"},
              {"textDocumentSync",
               {{"openClose", true}, {"change", 1}, {"save", {{"includeText", false}}}}},
              {"hoverProvider", true},
              {"definitionProvider", true},
              {"completionProvider", {{"triggerCharacters", {".", "\""}}}},
              {"documentFormattingProvider", true},
              {"documentSymbolProvider", true}}},
            {"serverInfo", {{"name", "rbk"}, {"version", RBK_VERSION}}}};
  }

  // ---------------------------------------------------------------- documents

  static std::string uri_of(const json& params) {
    return params.at("textDocument").at("uri").get<std::string>();
  }

  /// Diagnostics for `d` at `when` (a later change moves it on).
  void schedule(Document& d, Clock::time_point when) {
    d.pending = true;
    d.due = when;
    wake_.notify_all();
  }

  void did_open(const json& params) {
    const json& td = params.at("textDocument");
    Document d;
    d.uri = td.at("uri").get<std::string>();
    d.path = ide::path_of_uri(d.uri).value_or("");
    d.text = td.at("text").get<std::string>();
    d.version = td.value("version", int64_t{0});
    std::lock_guard lock(mu_);
    // Opened again without a close: a newer generation, so an analysis of
    // the old text still running is not published for the new one.
    if (auto old = docs_.find(d.uri); old != docs_.end()) d.generation = old->second.generation + 1;
    auto it = docs_.insert_or_assign(d.uri, std::move(d)).first;
    schedule(it->second, Clock::now());
  }

  void did_change(const json& params) {
    const std::string uri = uri_of(params);
    const json& changes = params.at("contentChanges");
    std::lock_guard lock(mu_);
    auto it = docs_.find(uri);
    if (it == docs_.end()) throw BadParams("didChange for a document that is not open: " + uri);
    Document& d = it->second;
    std::string text = d.text;
    for (const json& c : changes) {
      if (c.contains("range")) {
        // Incremental, though we asked for whole documents: apply it anyway.
        ide::LineMap lines(text);
        const size_t begin = lines.offset(lsp::position_of(c.at("range").at("start")));
        const size_t end = lines.offset(lsp::position_of(c.at("range").at("end")));
        text.replace(begin, std::max(begin, end) - begin, c.at("text").get<std::string>());
      } else {
        text = c.at("text").get<std::string>();
      }
    }
    d.text = std::move(text);
    d.version = params.at("textDocument").value("version", d.version + 1);
    ++d.generation;
    d.analysis = nullptr;
    schedule(d, Clock::now() + kDebounce);
  }

  void did_close(const json& params) {
    const std::string uri = uri_of(params);
    // Under the writer's lock, so the worker cannot publish for the
    // document after its diagnostics were cleared.
    writer_.send_if([&]() -> std::optional<std::string> {
      std::lock_guard lock(mu_);
      if (!docs_.erase(uri)) return std::nullopt;
      return json_text(lsp::notification("textDocument/publishDiagnostics",
                                         {{"uri", uri}, {"diagnostics", json::array()}}));
    });
  }

  void refresh(const json& params) {
    std::lock_guard lock(mu_);
    auto it = docs_.find(uri_of(params));
    if (it == docs_.end()) return;
    it->second.analysis = nullptr;
    ++it->second.generation;
    schedule(it->second, Clock::now());
  }

  void refresh_all() {
    std::lock_guard lock(mu_);
    for (auto& [uri, d] : docs_) {
      d.analysis = nullptr;
      ++d.generation;
      schedule(d, Clock::now() + kDebounce);
    }
  }

  /// The analysis of an open document's current text, made now (check pass
  /// only) when the worker has not made one yet; and the last that parsed.
  std::pair<AnalysisPtr, AnalysisPtr> current(const std::string& uri) {
    std::string path, text;
    uint64_t generation = 0;
    {
      std::lock_guard lock(mu_);
      auto it = docs_.find(uri);
      if (it == docs_.end()) throw BadParams("the document is not open: " + uri);
      if (it->second.analysis) return {it->second.analysis, it->second.last_good};
      path = it->second.path;
      text = it->second.text;
      generation = it->second.generation;
    }
    AnalysisPtr a = ide::analyze(path, std::move(text), ide::AnalyzeOptions{});
    std::lock_guard lock(mu_);
    auto it = docs_.find(uri);
    if (it == docs_.end()) return {a, nullptr};
    if (it->second.generation == generation) {
      it->second.analysis = a;
      if (a->document()) it->second.last_good = a;
    }
    return {a, it->second.last_good};
  }

  // ---------------------------------------------------------------- diagnostics

  /// The worker: waits for a document whose diagnostics are due, analyses
  /// it with lint, publishes unless the document changed meanwhile.
  void diagnose_loop() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      Document* next = nullptr;
      for (auto& [uri, d] : docs_)
        if (d.pending && (!next || d.due < next->due)) next = &d;
      if (!next) {
        wake_.wait(lock);
        continue;
      }
      if (next->due > Clock::now()) {
        wake_.wait_until(lock, next->due);
        continue;  // something may have changed: look again
      }
      next->pending = false;
      const std::string uri = next->uri, path = next->path, text = next->text;
      const uint64_t generation = next->generation;
      const int64_t version = next->version;
      lock.unlock();
      AnalysisPtr a;
      try {
        ide::AnalyzeOptions opts;
        opts.lint = lint_;
        opts.shellcheck = lint_;
        opts.patterns = &patterns_;
        a = ide::analyze(path, text, opts);
      } catch (const std::exception& e) {
        log("analysing " + uri + ": internal error: " + e.what());
      }
      if (a) publish(uri, generation, version, a);
      lock.lock();
    }
  }

  void publish(const std::string& uri, uint64_t generation, int64_t version, const AnalysisPtr& a) {
    for (const auto& n : a->notes)
      if (notes_seen_.insert(n).second) log(n);
    writer_.send_if([&]() -> std::optional<std::string> {
      std::lock_guard lock(mu_);
      auto it = docs_.find(uri);
      if (it == docs_.end() || it->second.generation != generation) return std::nullopt;
      it->second.analysis = a;
      if (a->document()) it->second.last_good = a;
      json diags = json::array();
      for (const auto& f : a->findings) diags.push_back(lsp::diagnostic(f, uri, related_info_));
      return json_text(lsp::notification(
          "textDocument/publishDiagnostics",
          {{"uri", uri}, {"version", version}, {"diagnostics", std::move(diags)}}));
    });
  }

  // ---------------------------------------------------------------- requests

  json hover(const json& params) {
    auto [a, good] = current(uri_of(params));
    auto h = ide::hover(*a, lsp::position_of(params.at("position")));
    return h ? lsp::hover(*h) : json(nullptr);
  }

  json definition(const json& params) {
    const std::string uri = uri_of(params);
    auto [a, good] = current(uri);
    auto at = ide::definition(*a, lsp::position_of(params.at("position")));
    if (!at) return nullptr;
    std::error_code ec;
    const bool here =
        !a->path.empty() &&
        std::filesystem::absolute(a->path, ec).lexically_normal().string() == at->path;
    return lsp::location(here ? uri : ide::uri_of_path(at->path), at->range);
  }

  json completion(const json& params) {
    auto [a, good] = current(uri_of(params));
    const ide::Position at = lsp::position_of(params.at("position"));
    ide::Completions c = ide::complete(*a, at, good.get());
    const ide::Range replace{a->lines.position(c.replace_from),
                             a->lines.position(a->lines.offset(at))};
    return lsp::completion(c, replace);
  }

  json document_symbols(const json& params) {
    const std::string uri = uri_of(params);
    auto [a, good] = current(uri);
    return lsp::symbols(ide::outline(*a), uri, hierarchical_);
  }

  json formatting(const json& params) {
    auto [a, good] = current(uri_of(params));
    auto e = ide::formatting_edits(*a);
    if (!e) return nullptr;  // syntax errors: nothing to format
    return lsp::edits(*e);
  }
};

}  // namespace

int run_lsp() {
  // A client that goes away must not kill the server in the middle of a
  // write: the write fails instead, and the input's end stops the loop.
  ::signal(SIGPIPE, SIG_IGN);
  Server server;
  return server.run();
}

}  // namespace rbk::cli
