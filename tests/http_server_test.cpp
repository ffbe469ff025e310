// The HTTP server and client of `rbk serve` (interpreter/serve/http.hpp) on
// real sockets: 127.0.0.1 with a free port, and Unix sockets in a private
// temporary directory. Requests reach the handler whole; what is over a
// limit is answered (413, 431, 429), malformed (400) or stalled (closed at
// the deadline) before the handler sees it; a throwing handler is a 500;
// the Unix socket is private, and replaces only a stale socket. Nothing
// here measures time: the waits are hang guards.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <mutex>
#include <stdexcept>

#include "interpreter/serve/http.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using rbk::HttpLimits;
using rbk::HttpRequest;
using rbk::HttpResponse;
using rbk::HttpServer;

namespace {

/// A client's deadline: long enough never to end a test on a slow machine.
constexpr std::chrono::milliseconds kClientDeadline = rbk::test::kHangGuard;

/// The answer of the tests' handler unless a test gives its own.
HttpResponse saw(const HttpRequest& r) {
  HttpResponse res;
  res.body = "saw " + r.method + " " + r.target;
  return res;
}

/// A handler that keeps every request it is given and answers from `reply`.
struct Recorder {
  explicit Recorder(rbk::HttpHandler r = saw) : reply(std::move(r)) {}
  const rbk::HttpHandler reply;  // set before the server starts, never after
  std::mutex mutex;
  std::vector<HttpRequest> seen;

  rbk::HttpHandler handler() {
    return [this](const HttpRequest& r) {
      {
        std::lock_guard lock(mutex);
        seen.push_back(r);
      }
      return reply(r);
    };
  }
  size_t count() {
    std::lock_guard lock(mutex);
    return seen.size();
  }
  HttpRequest last() {
    std::lock_guard lock(mutex);
    return seen.back();
  }
};

/// A server on 127.0.0.1, any free port, started.
struct TcpServer {
  Recorder recorder;
  HttpServer server;
  explicit TcpServer(HttpLimits limits = {}, rbk::HttpHandler reply = saw)
      : recorder(std::move(reply)), server(limits, recorder.handler()) {
    auto listening = server.listen_tcp("127.0.0.1", 0);
    if (!listening) throw std::runtime_error(listening.error());
    server.start();
  }
  uint16_t port() const { return server.tcp_port(); }
  rbk::Expected<HttpResponse, std::string> get(const std::string& target) {
    return rbk::http_request_tcp("127.0.0.1", port(), "GET", target, "", kClientDeadline);
  }
};

/// A plain socket to the server, to send what no well-behaved client would.
class RawClient {
 public:
  explicit RawClient(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("cannot connect to 127.0.0.1");
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  void send(const std::string& bytes) {
    for (size_t at = 0; at < bytes.size();) {
      ssize_t n = ::send(fd_, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      at += static_cast<size_t>(n);
    }
  }

  /// Everything the server sends until it closes the connection (an end of
  /// file or a reset).
  std::string until_closed() {
    std::string got;
    while (read_some(got)) {
    }
    return got;
  }

  /// One answer, on a connection that stays open: its header and its
  /// Content-Length worth of body.
  std::string one_response() {
    std::string got;
    size_t end = std::string::npos;
    while ((end = got.find("\r\n\r\n")) == std::string::npos)
      if (!read_some(got)) return got;
    const std::string header = got.substr(0, end + 4);
    size_t length = 0;
    if (auto at = header.find("Content-Length: "); at != std::string::npos)
      length = std::stoul(header.substr(at + 16));
    while (got.size() < header.size() + length)
      if (!read_some(got)) break;
    return got;
  }

 private:
  /// Appends what arrives next; false once the connection is closed.
  bool read_some(std::string& got) {
    pollfd p{fd_, POLLIN, 0};
    const int guard_ms = static_cast<int>(std::chrono::milliseconds(rbk::test::kHangGuard).count());
    if (::poll(&p, 1, guard_ms) != 1)
      throw rbk::test::Hung("the server neither answered nor closed");
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    got.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_;
};

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

/// A socket file at `path` with nobody listening: what a server that died
/// leaves behind.
void leave_stale_socket(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof addr.sun_path - 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  ::close(fd);
}

}  // namespace

TEST_CASE("a GET and a POST reach the handler whole, and their answers come back", "[http]") {
  TcpServer s({}, [](const HttpRequest& r) {
    HttpResponse res;
    res.status = r.method == "POST" ? 202 : 200;
    res.content_type = "application/json";
    res.body = R"({"got":")" + r.body + "\"}";
    res.headers["X-Run"] = "r-1";
    return res;
  });
  auto got = s.get("/alertmanager?x=1");
  REQUIRE(got);
  CHECK(got->status == 200);
  CHECK(got->content_type == "application/json");
  CHECK(got->body == R"({"got":""})");
  CHECK(got->headers.at("x-run") == "r-1");
  HttpRequest seen = s.recorder.last();
  CHECK(seen.method == "GET");
  CHECK(seen.target == "/alertmanager?x=1");
  CHECK(starts_with(seen.peer, "127.0.0.1:"));
  CHECK_FALSE(seen.peer_uid);

  got = rbk::http_request_tcp("127.0.0.1", s.port(), "POST", "/alertmanager", "payload",
                              kClientDeadline,
                              {{"Content-Type", "application/json"}, {"X-Token", "abc"}});
  REQUIRE(got);
  CHECK(got->status == 202);
  CHECK(got->body == R"({"got":"payload"})");
  seen = s.recorder.last();
  CHECK(seen.method == "POST");
  CHECK(seen.target == "/alertmanager");
  CHECK(seen.body == "payload");
  CHECK(seen.headers.at("content-type") == "application/json");
  CHECK(seen.headers.at("x-token") == "abc");
  CHECK(seen.headers.at("content-length") == "7");
  CHECK(s.recorder.count() == 2);
}

TEST_CASE("one connection carries several requests, each answered", "[http]") {
  TcpServer s;
  RawClient c(s.port());
  for (const char* target : {"/a", "/b"}) {
    c.send(std::string("GET ") + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string answer = c.one_response();
    CHECK(starts_with(answer, "HTTP/1.1 200"));
    CHECK(answer.find(std::string("saw GET ") + target) != std::string::npos);
  }
  CHECK(s.recorder.count() == 2);
}

TEST_CASE("a body over max_body is a 413, and the handler never sees it", "[http]") {
  HttpLimits limits;
  limits.max_body = 1024;
  TcpServer s(limits);
  SECTION("declared by Content-Length") {
    RawClient c(s.port());
    c.send("POST /alertmanager HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n" +
           std::string(2048, 'a'));
    std::string answer = c.until_closed();
    CHECK(starts_with(answer, "HTTP/1.1 413"));
    CHECK(answer.find("Connection: close") != std::string::npos);
  }
  SECTION("sent in chunks") {
    RawClient c(s.port());
    c.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 3; ++i) c.send("200\r\n" + std::string(512, 'a') + "\r\n");
    c.send("0\r\n\r\n");
    CHECK(starts_with(c.until_closed(), "HTTP/1.1 413"));
  }
  CHECK(s.recorder.count() == 0);
  // Exactly max_body is within it.
  auto got = rbk::http_request_tcp("127.0.0.1", s.port(), "POST", "/", std::string(1024, 'b'),
                                   kClientDeadline);
  REQUIRE(got);
  CHECK(got->status == 200);
  CHECK(s.recorder.last().body.size() == 1024);
}

TEST_CASE("headers over max_header are a 431", "[http]") {
  HttpLimits limits;
  limits.max_header = 1024;
  TcpServer s(limits);
  RawClient c(s.port());
  c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2048, 'h') + "\r\n\r\n");
  CHECK(starts_with(c.until_closed(), "HTTP/1.1 431"));
  CHECK(s.recorder.count() == 0);
}

TEST_CASE("a malformed request is a 400 and the connection is closed", "[http]") {
  TcpServer s;
  RawClient c(s.port());
  c.send(GENERATE(std::string("GET\r\n\r\n"), std::string("GET / HTTP/9\r\n\r\n"),
                  std::string("GET / HTTP/1.1\r\nNo colon here\r\n\r\n")));
  std::string answer = c.until_closed();
  CHECK(starts_with(answer, "HTTP/1.1 400"));
  CHECK(answer.find("Connection: close") != std::string::npos);
  CHECK(s.recorder.count() == 0);
}

TEST_CASE("a client that stops halfway through a request is disconnected at the deadline",
          "[http]") {
  HttpLimits limits;
  limits.deadline = 300ms;
  TcpServer s(limits);
  RawClient c(s.port());
  // Half the headers, or the headers and half the body; then nothing.
  c.send(GENERATE(std::string("GET / HTTP/1.1\r\nHost: x\r\nX-Slow:"),
                  std::string("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")));
  // The server closes without an answer (the read ends; no hang guard trips).
  CHECK(c.until_closed().empty());
  CHECK(s.recorder.count() == 0);
}

TEST_CASE("a handler that throws is a 500, and the server goes on serving", "[http]") {
  TcpServer s({}, [](const HttpRequest& r) -> HttpResponse {
    if (r.target == "/throw") throw std::runtime_error("handler bug");
    if (r.target == "/bad-header") {
      HttpResponse res;
      res.headers["X-Split"] = "a\r\nSet-Cookie: b";
      return res;
    }
    return HttpResponse{};
  });
  auto got = s.get("/throw");
  REQUIRE(got);
  CHECK(got->status == 500);
  // A header that would split the response is the handler's bug too.
  got = s.get("/bad-header");
  REQUIRE(got);
  CHECK(got->status == 500);
  CHECK(got->headers.count("set-cookie") == 0);
  got = s.get("/fine");
  REQUIRE(got);
  CHECK(got->status == 200);
}

TEST_CASE("requests from one address over its rate are a 429 with Retry-After", "[http]") {
  HttpLimits limits;
  // One a minute refills the bucket, burst 2: however slow the machine, the
  // third request comes before any refill.
  limits.rate_per_second = 1.0 / 60;
  limits.burst = 2;
  TcpServer s(limits);
  for (int i = 0; i < 2; ++i) {
    auto got = s.get("/");
    REQUIRE(got);
    CHECK(got->status == 200);
  }
  auto got = s.get("/");
  REQUIRE(got);
  CHECK(got->status == 429);
  const int retry = std::stoi(got->headers.at("retry-after"));
  CHECK(retry >= 1);
  CHECK(retry <= 60);
  CHECK(s.recorder.count() == 2);
}

TEST_CASE("connections past max_connections are closed at once", "[http]") {
  HttpLimits limits;
  limits.max_connections = 2;
  TcpServer s(limits);
  // Two connections that have been answered are certainly open on the server.
  RawClient a(s.port()), b(s.port());
  for (RawClient* c : {&a, &b}) {
    c->send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(starts_with(c->one_response(), "HTTP/1.1 200"));
  }
  RawClient extra(s.port());
  CHECK(extra.until_closed().empty());
  // The two are still served.
  for (RawClient* c : {&a, &b}) {
    c->send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(starts_with(c->one_response(), "HTTP/1.1 200"));
  }
  CHECK(s.recorder.count() == 4);
}

TEST_CASE("listen_tcp says which address it cannot listen on", "[http]") {
  TcpServer s;
  HttpServer other({}, [](const HttpRequest&) { return HttpResponse{}; });
  auto listening = other.listen_tcp("127.0.0.1", s.port());
  REQUIRE_FALSE(listening);
  CHECK(starts_with(listening.error(), "127.0.0.1:" + std::to_string(s.port()) + ": "));
  CHECK_FALSE(other.listen_tcp("localhost", 0));
}

TEST_CASE("the Unix socket is 0600 and names the peer's uid", "[http]") {
  rbk::test::TempDir dir;
  const std::string path = (dir.path / "serve.sock").string();
  Recorder recorder;
  HttpServer server({}, recorder.handler());
  REQUIRE(server.listen_unix(path));
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 07777) == 0600);
  server.start();
  auto got = rbk::http_request_unix(path, "POST", "/approve", "yes", kClientDeadline);
  REQUIRE(got);
  CHECK(got->status == 200);
  HttpRequest seen = recorder.last();
  REQUIRE(seen.peer_uid);
  CHECK(*seen.peer_uid == ::getuid());
  CHECK(seen.peer == "uid " + std::to_string(::getuid()) + " pid " + std::to_string(::getpid()));
  CHECK(seen.body == "yes");
}

TEST_CASE("a stale socket file is replaced, a live one refused", "[http]") {
  rbk::test::TempDir dir;
  const std::string path = (dir.path / "serve.sock").string();
  leave_stale_socket(path);
  HttpServer first({}, [](const HttpRequest&) { return HttpResponse{}; });
  REQUIRE(first.listen_unix(path));
  first.start();
  HttpServer second({}, [](const HttpRequest&) { return HttpResponse{}; });
  auto listening = second.listen_unix(path);
  REQUIRE_FALSE(listening);
  CHECK(listening.error() == "another server is listening on " + path);
  // The first still has its socket.
  auto got = rbk::http_request_unix(path, "GET", "/", "", kClientDeadline);
  REQUIRE(got);
  CHECK(got->status == 200);
}

TEST_CASE("a file that is not a socket is never replaced", "[http]") {
  rbk::test::TempDir dir;
  const std::string path = (dir.path / "serve.sock").string();
  rbk::test::write_file(path, "keep me\n");
  HttpServer server({}, [](const HttpRequest&) { return HttpResponse{}; });
  auto listening = server.listen_unix(path);
  REQUIRE_FALSE(listening);
  CHECK(listening.error() == path + ": exists and is not a socket; left as it is");
  CHECK(rbk::test::read_file(path) == "keep me\n");
  server.stop();
  CHECK(rbk::test::read_file(path) == "keep me\n");
}

TEST_CASE("a path too long for a Unix socket is refused, saying so", "[http]") {
  const std::string path = "/tmp/" + std::string(200, 'x') + ".sock";
  HttpServer server({}, [](const HttpRequest&) { return HttpResponse{}; });
  auto listening = server.listen_unix(path);
  REQUIRE_FALSE(listening);
  CHECK(listening.error() == path +
                                 ": a Unix socket's path must be shorter than 108 bytes "
                                 "(this one has 210)");
  auto got = rbk::http_request_unix(path, "GET", "/", "", kClientDeadline);
  REQUIRE_FALSE(got);
  CHECK(starts_with(got.error(), path + ": "));
}

TEST_CASE("stop() removes the socket file, and may be called again", "[http]") {
  rbk::test::TempDir dir;
  const std::string path = (dir.path / "serve.sock").string();
  HttpServer server({}, [](const HttpRequest&) { return HttpResponse{}; });
  REQUIRE(server.listen_unix(path));
  server.start();
  REQUIRE(rbk::http_request_unix(path, "GET", "/", "", kClientDeadline));
  server.stop();
  CHECK_FALSE(std::filesystem::exists(path));
  server.stop();
  auto got = rbk::http_request_unix(path, "GET", "/", "", kClientDeadline);
  REQUIRE_FALSE(got);
  CHECK(starts_with(got.error(), path + ": cannot connect: "));
}

TEST_CASE("stop() closes connections that are open", "[http]") {
  TcpServer s;
  RawClient c(s.port());
  c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(starts_with(c.one_response(), "HTTP/1.1 200"));
  s.server.stop();
  CHECK(c.until_closed().empty());
}

TEST_CASE("connections held open on TCP never keep a client off the Unix socket", "[http]") {
  rbk::test::TempDir dir;
  const std::string path = (dir.path / "serve.sock").string();
  HttpLimits limits;
  limits.max_connections = 2;
  Recorder recorder;
  HttpServer server(limits, recorder.handler());
  REQUIRE(server.listen_tcp("127.0.0.1", 0));
  REQUIRE(server.listen_unix(path));
  server.start();
  // TCP has its limit open (answered once, so certainly open on the server).
  RawClient a(server.tcp_port()), b(server.tcp_port());
  for (RawClient* c : {&a, &b}) {
    c->send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(starts_with(c->one_response(), "HTTP/1.1 200"));
  }
  RawClient extra(server.tcp_port());
  CHECK(extra.until_closed().empty());
  // The socket has a limit of its own: its requests are answered.
  for (int i = 0; i < 3; ++i) {
    auto got = rbk::http_request_unix(path, "POST", "/approve", "yes", kClientDeadline);
    REQUIRE(got);
    CHECK(got->status == 200);
  }
  CHECK(recorder.count() == 5);
}

TEST_CASE("a socket for a group is 0660 and that group's", "[http]") {
  rbk::test::TempDir dir;
  const std::string path = (dir.path / "serve.sock").string();
  Recorder recorder;
  HttpServer server({}, recorder.handler());
  REQUIRE(server.listen_unix(path, static_cast<unsigned>(::getgid())));
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0660);
  CHECK(st.st_gid == ::getgid());
  server.start();
  auto got = rbk::http_request_unix(path, "GET", "/", "", kClientDeadline);
  REQUIRE(got);
  CHECK(got->status == 200);
}

TEST_CASE("requests on the Unix socket are counted by the peer's uid", "[http]") {
  rbk::test::TempDir dir;
  const std::string path = (dir.path / "serve.sock").string();
  HttpLimits limits;
  limits.rate_per_second = 1.0 / 60;  // no refill within the test, however slow
  limits.burst = 2;
  Recorder recorder;
  HttpServer server(limits, recorder.handler());
  REQUIRE(server.listen_unix(path));
  server.start();
  for (int i = 0; i < 2; ++i) {
    auto got = rbk::http_request_unix(path, "GET", "/", "", kClientDeadline);
    REQUIRE(got);
    CHECK(got->status == 200);
  }
  auto got = rbk::http_request_unix(path, "GET", "/", "", kClientDeadline);
  REQUIRE(got);
  CHECK(got->status == 429);
  CHECK(recorder.count() == 2);
}
