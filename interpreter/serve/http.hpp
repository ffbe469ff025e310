// A small HTTP/1.1 server and client for `rbk serve`: the server receives
// Alertmanager's webhook on TCP and approvals on a private Unix socket; the
// client is how `rbk approve` (and the tests) talk to it. Every request is
// bounded before the handler sees it: body and header sizes, one deadline
// from reading it to the last byte of the answer written (a slow client
// cannot hold a connection), connections at once, and requests per peer
// address.
// Boost.Beast does the HTTP, all of it inside http.cpp: this header names
// no Boost type, so only that one file pays Beast's compile time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "interpreter/base/expected.hpp"

namespace rbk {

/// One request as the handler sees it: complete, within HttpLimits.
struct HttpRequest {
  std::string method{};                          // "GET", "POST", as sent
  std::string target{};                          // "/alertmanager?x=1", as sent
  std::map<std::string, std::string> headers{};  // names lower-cased; repeats joined by ", "
  std::string body{};
  std::string peer{};                  // "127.0.0.1:40312" (TCP), "uid 1000 pid 4242" (Unix)
  std::optional<uint32_t> peer_uid{};  // Unix socket only, from SO_PEERCRED
};

/// What the handler answers; the client's answer has the same shape.
struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Extra headers (Retry-After, WWW-Authenticate). In a response the client
  // received: every header but Content-Type, names lower-cased.
  std::map<std::string, std::string> headers;
};

/// What the server accepts before any handler runs.
struct HttpLimits {
  size_t max_body = 1 << 20;      // larger: 413 and the connection closed
  size_t max_header = 16 * 1024;  // request line and headers; larger: 431
  // One deadline per request, from when the server starts to read it (on a
  // kept-alive connection: the wait for it too) through handling to the
  // last byte of the answer written; a client sending slowly ends there. At
  // expiry the connection is closed, unanswered.
  std::chrono::milliseconds deadline{10'000};
  // Per listener (each TCP address, each Unix socket): one more open at
  // once is accepted and closed at once, and never keeps out another
  // listener's clients.
  int max_connections = 64;
  double rate_per_second = 20;  // requests per peer (TCP address, socket uid), refilled; 0: none
  int burst = 40;               // requests a peer may send at once; more: 429
};

/// Answers one request. Runs on the server's one io thread: while it runs no
/// other connection is served, so it must not block for long.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

/// An HTTP/1.1 server on any number of TCP addresses and Unix sockets, one io
/// thread serving every connection. Never writes to the terminal; what goes
/// wrong with a connection closes it, a throwing handler is a 500.
class HttpServer {
 public:
  /// A server that answers every request within `limits` with `handler`.
  HttpServer(HttpLimits limits, HttpHandler handler);
  /// Stops it (stop()).
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;  // the io thread holds its address
  HttpServer& operator=(const HttpServer&) = delete;

  /// Listens on `address` ("127.0.0.1", "::1") and `port` (0: any free one);
  /// or why not, naming the address ("127.0.0.1:80: Permission denied").
  /// Before start() only.
  Expected<void, std::string> listen_tcp(const std::string& address, uint16_t port);
  /// The port the latest listen_tcp() bound (what port 0 became); 0 if none.
  uint16_t tcp_port() const;
  /// Listens on a Unix socket at `path`, mode 0600 from its creation (the
  /// caller makes its directory 0700); with `group` (a gid), then given to
  /// that group and made 0660, so that its members connect as themselves.
  /// A socket file nobody listens on is replaced; a live one, or any other
  /// kind of file, is an error and left alone. Sets the process's umask for
  /// the moment of bind(2): call it at start-up, before other threads create
  /// files. Before start() only.
  Expected<void, std::string> listen_unix(const std::string& path,
                                          std::optional<unsigned> group = std::nullopt);
  /// Starts accepting on every listener, on the io thread. Once.
  void start();
  /// Stops accepting, closes every connection (waiting for a handler that
  /// is running), joins the io thread and removes the Unix socket files it
  /// made. Idempotent; not from inside the handler.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// One request to the server on the Unix socket at `path` (`rbk approve`):
/// the response, or why there is none. `deadline` bounds all of it.
Expected<HttpResponse, std::string> http_request_unix(
    const std::string& path, const std::string& method, const std::string& target,
    const std::string& body, std::chrono::milliseconds deadline,
    const std::map<std::string, std::string>& headers = {});

/// One request to `host` (an IP address or a name) on `port`, as
/// http_request_unix.
Expected<HttpResponse, std::string> http_request_tcp(
    const std::string& host, uint16_t port, const std::string& method, const std::string& target,
    const std::string& body, std::chrono::milliseconds deadline,
    const std::map<std::string, std::string>& headers = {});

}  // namespace rbk
