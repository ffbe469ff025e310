// The HTTP server and client of http.hpp over Boost.Beast and Asio, after
// Beast's example http_server_async.cpp: one session template serves TCP
// and Unix connections alike, reads each request through a parser that
// holds HttpLimits' sizes, under one deadline (beast::basic_stream's timer,
// set once per request and never pushed back while it is read, handled and
// answered). Everything runs on one io thread, so the server's state needs
// no lock. Compiled on its own, outside the unity batches (CMakeLists.txt):
// Beast is the heaviest set of headers in the project. Longer than most
// files here for the same reason: server and client share this one file so
// that no other pays Beast's compile time.
#include "interpreter/serve/http.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <cmath>
#include <deque>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "interpreter/base/fd.hpp"

namespace rbk {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using unix_socket = asio::local::stream_protocol;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;
using Clock = std::chrono::steady_clock;

/// What a client reads of an answer at most: the server is rbk's own, but a
/// client must not grow without bound whatever answers it.
constexpr uint64_t kClientBodyLimit = 64u << 20;

/// rbk runs commands: a socket must not leak into them (Asio opens and
/// accepts without SOCK_CLOEXEC; the spawner closes what leaks anyway).
void close_on_exec(int fd) {
  ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) | FD_CLOEXEC);
}

/// A header name or method: RFC 9110's token.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum &&
        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) == std::string_view::npos)
      return false;
  }
  return true;
}

/// A header value or target that cannot end the line it is on (no response
/// or request splitting through it).
bool is_one_line(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// "127.0.0.1:8080", "[::1]:8080": an address or host name with a port.
std::string host_port(const std::string& host, uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

/// Whether `path` fits a Unix socket address (sun_path, with its NUL).
bool fits_socket_address(const std::string& path) {
  return !path.empty() && path.size() < sizeof(sockaddr_un::sun_path);
}

/// A message's headers by lower-cased name, repeated ones joined by ", "
/// (what HTTP says they mean); `skip` left out.
std::map<std::string, std::string> header_map(const http::fields& fields,
                                              std::string_view skip = {}) {
  std::map<std::string, std::string> out;
  for (const auto& f : fields) {
    std::string name = lower(f.name_string());
    if (name == skip) continue;
    auto [it, fresh] = out.try_emplace(name, f.value());
    if (!fresh) it->second += ", " + std::string(f.value());
  }
  return out;
}

/// A short plain-text answer of the server's own (limits, errors).
HttpResponse plain(int status, std::string text) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(text) + "\n";
  return r;
}

/// `answer` as Beast writes it; throws std::invalid_argument when it cannot
/// be sent as it is (a status out of range, a header that is no header).
Response to_beast(const HttpResponse& answer, unsigned version, bool keep_alive) {
  if (answer.status < 100 || answer.status > 599)
    throw std::invalid_argument("status " + std::to_string(answer.status));
  Response res;
  res.version(version);
  res.result(static_cast<unsigned>(answer.status));
  for (const auto& [name, value] : answer.headers) {
    if (!is_token(name) || !is_one_line(value)) throw std::invalid_argument("header " + name);
    res.set(name, value);
  }
  if (!is_one_line(answer.content_type)) throw std::invalid_argument("content type");
  if (!answer.content_type.empty()) res.set(http::field::content_type, answer.content_type);
  res.body() = answer.body;
  res.keep_alive(keep_alive);  // after the handler's headers: its Connection loses
  res.prepare_payload();       // throws for a body where none may be (204, 304)
  return res;
}

/// Who is at the other end of a connection.
struct Peer {
  std::string text;             // HttpRequest::peer
  std::string address;          // what the rate is counted by; "" not counted
  std::optional<uint32_t> uid;  // Unix sockets
};

Peer describe(tcp::socket& socket) {
  beast::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  if (ec) return {"unknown", "unknown", std::nullopt};
  std::string address = ep.address().to_string();
  return {host_port(address, ep.port()), address, std::nullopt};
}

// A local peer is counted by its uid: with the socket open to a group
// (rbk serve --socket-group), one member must not keep the others out.
Peer describe(unix_socket::socket& socket) {
  ucred cred{};
  socklen_t size = sizeof cred;
  if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &size) != 0)
    return {"unknown", "unknown uid", std::nullopt};
  return {"uid " + std::to_string(cred.uid) + " pid " + std::to_string(cred.pid),
          "uid " + std::to_string(cred.uid), cred.uid};
}

/// An open connection, as the server closes it at stop().
class Connection {
 public:
  virtual ~Connection() = default;
  virtual void close() = 0;
};

/// A listening socket, as the server starts and stops it.
class Listener {
 public:
  virtual ~Listener() = default;
  virtual void accept() = 0;
  virtual void close() = 0;
};

/// A Unix socket file the server made, removed at stop() only if it is
/// still that file.
struct SocketFile {
  std::string path;
  dev_t dev = 0;
  ino_t ino = 0;
};

/// A token bucket: what one peer address may still send at once.
struct Bucket {
  double tokens = 0;
  Clock::time_point at;
};

/// Everything behind an HttpServer. After start(), touched only on the io
/// thread (and by stop() once that thread has ended). Sessions see it, so
/// it is not HttpServer::Impl itself, a private name.
struct Server {
  Server(HttpLimits l, HttpHandler h) : limits(l), handler(std::move(h)) {}

  /// Takes a connection accepted by a listener that has `open` connections,
  /// or closes it when that listener has its limit open.
  template <class Protocol>
  void admit(typename Protocol::socket socket, int& open);

  /// Counts a request from `address`: nothing when it may go on, or the
  /// seconds after which it may (Retry-After).
  std::optional<long long> over_rate(const std::string& address);

  // Declared before io: handlers that io's destructor drops may hold the
  // last reference to a session, which then leaves connections.
  HttpLimits limits;
  HttpHandler handler;
  std::set<Connection*> connections;
  // Open connections per listener (a deque: a counter never moves). Each
  // listener has its own limit, so idle clients on the TCP port cannot keep
  // `rbk approve` off the Unix socket.
  std::deque<int> open_on;
  std::map<std::string, Bucket> buckets;
  asio::io_context io{1};
  // After io, so they go before it.
  std::vector<std::unique_ptr<Listener>> listeners;
  std::vector<SocketFile> files;
  uint16_t port = 0;
  std::thread thread;
  bool started = false, stopped = false;
  std::mutex stopping;
};

std::optional<long long> Server::over_rate(const std::string& address) {
  const double rate = limits.rate_per_second;
  if (rate <= 0 || address.empty()) return std::nullopt;
  const double burst = std::max(1, limits.burst);
  const auto now = Clock::now();
  auto refilled = [&](const Bucket& b) {
    return std::min(burst, b.tokens + std::chrono::duration<double>(now - b.at).count() * rate);
  };
  // A bucket that has refilled is as good as none: forgotten once there are
  // many, so addresses that came and went hold no memory.
  if (buckets.size() > 4096)
    std::erase_if(buckets, [&](const auto& kv) { return refilled(kv.second) >= burst; });
  auto [it, fresh] = buckets.try_emplace(address, Bucket{burst, now});
  Bucket& b = it->second;
  b.tokens = refilled(b);
  b.at = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return std::nullopt;
  }
  return std::max(1LL, static_cast<long long>(std::ceil((1 - b.tokens) / rate)));
}

/// One connection, TCP or Unix: requests read, answered and written in
/// turn, each under its own deadline; closed on any error.
template <class Protocol>
class Session : public Connection, public std::enable_shared_from_this<Session<Protocol>> {
 public:
  Session(Server& server, typename Protocol::socket socket, Peer peer, int& open)
      : server_(server), stream_(std::move(socket)), peer_(std::move(peer)), open_(open) {
    ++open_;  // counted for as long as it exists: the destructor uncounts it
  }
  ~Session() override {
    server_.connections.erase(this);
    --open_;
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() {
    server_.connections.insert(this);
    read();
  }

  void close() override { stream_.close(); }

 private:
  void read() {
    const HttpLimits& limits = server_.limits;
    parser_.emplace();
    parser_->body_limit(uint64_t{limits.max_body});
    parser_->header_limit(static_cast<uint32_t>(std::min<size_t>(limits.max_header, UINT32_MAX)));
    // The one deadline of this request: reading, handling and answering.
    stream_.expires_after(limits.deadline);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    const HttpLimits& limits = server_.limits;
    if (ec == http::error::body_limit)
      return refuse(413, "the body is over " + std::to_string(limits.max_body) + " bytes");
    if (ec == http::error::header_limit)
      return refuse(431, "the headers are over " + std::to_string(limits.max_header) + " bytes");
    // The client closed, between requests or in one: nobody to answer.
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) return close();
    if (ec && ec.category() == http::make_error_code(http::error::bad_method).category())
      return refuse(400, "malformed request: " + ec.message());
    if (ec) return close();  // the deadline, a reset, stop()

    Request& req = parser_->get();
    if (auto wait = server_.over_rate(peer_.address)) {
      HttpResponse r = plain(429, "too many requests");
      r.headers["Retry-After"] = std::to_string(*wait);
      return write(to_beast(r, req.version(), false));
    }
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.headers = header_map(req);
    request.body = std::move(req.body());
    request.peer = peer_.text;
    request.peer_uid = peer_.uid;
    Response res;
    try {
      res = to_beast(server_.handler(request), req.version(), req.keep_alive());
    } catch (...) {
      // The handler's failure is its own: this request fails, not the server.
      res = to_beast(plain(500, "internal error"), req.version(), false);
    }
    write(std::move(res));
  }

  /// Answers what could not be read, and closes.
  void refuse(int status, std::string why) {
    write(to_beast(plain(status, std::move(why)), 11, false));
  }

  void write(Response res) {
    res_ = std::move(res);
    http::async_write(stream_, res_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->close();
                        if (!self->res_.keep_alive()) return self->linger();
                        self->read();
                      });
  }

  // Closing with unread input makes the kernel send a reset, and a reset
  // can discard the answer before the client reads it (a 413 to a client
  // still sending its body). So: no more from us, then read and drop what
  // the client still sends until it closes, or the deadline does.
  void linger() {
    beast::error_code ec;
    stream_.socket().shutdown(Protocol::socket::shutdown_send, ec);
    if (ec) return close();
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(drained_),
                            [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->close();
                              self->drain();
                            });
  }

  Server& server_;
  beast::basic_stream<Protocol> stream_;
  Peer peer_;
  int& open_;  // its listener's count of open connections
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Response res_;
  char drained_[4096];
};

template <class Protocol>
void Server::admit(typename Protocol::socket socket, int& open) {
  close_on_exec(socket.native_handle());
  if (open >= std::max(0, limits.max_connections)) {
    beast::error_code ec;
    socket.close(ec);
    return;
  }
  Peer peer = describe(socket);
  std::make_shared<Session<Protocol>>(*this, std::move(socket), std::move(peer), open)->start();
}

/// A listening socket of either protocol, accepting until closed.
template <class Protocol>
class Acceptor : public Listener {
 public:
  explicit Acceptor(Server& server)
      : server_(server),
        open_(server.open_on.emplace_back(0)),
        acceptor_(server.io),
        pause_(server.io) {}

  typename Protocol::acceptor& socket() { return acceptor_; }

  void accept() override {
    acceptor_.async_accept([this](beast::error_code ec, typename Protocol::socket socket) {
      if (!acceptor_.is_open()) return;
      if (ec) {
        // Out of descriptors, say: the connection stays in the backlog, and
        // accepting again at once would spin. Try again a little later.
        pause_.expires_after(std::chrono::milliseconds(100));
        pause_.async_wait([this](beast::error_code e) {
          if (!e && acceptor_.is_open()) accept();
        });
        return;
      }
      server_.admit<Protocol>(std::move(socket), open_);
      accept();
    });
  }

  void close() override {
    beast::error_code ec;
    acceptor_.close(ec);
    pause_.cancel();
  }

 private:
  Server& server_;
  int& open_;  // its connections open now
  typename Protocol::acceptor acceptor_;
  asio::steady_timer pause_;
};

/// Opens, binds (via `bind`) and listens; or why not, after `where`.
template <class Protocol, class Bind>
Expected<void, std::string> open_listener(Acceptor<Protocol>& a,
                                          const typename Protocol::endpoint& ep,
                                          const std::string& where, Bind bind) {
  auto& s = a.socket();
  beast::error_code ec;
  s.open(ep.protocol(), ec);
  if (!ec) {
    close_on_exec(s.native_handle());
    bind(s, ec);
  }
  if (!ec) s.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(where + ": " + ec.message());
  return {};
}

/// Makes way for a Unix socket at `path`: nothing there, or a socket file
/// nobody listens on (removed); anything else is kept and an error.
Expected<void, std::string> clear_socket_path(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return fail(path + ": " + errno_text(errno));
  }
  if (!S_ISSOCK(st.st_mode)) return fail(path + ": exists and is not a socket; left as it is");
  // Non-blocking: a live server with a full backlog answers EAGAIN instead
  // of holding the connect().
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail(path + ": " + errno_text(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof addr.sun_path - 1);
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int err = errno;
  ::close(fd);
  if (rc == 0 || err == EAGAIN || err == EINPROGRESS)
    return fail("another server is listening on " + path);
  if (err != ECONNREFUSED)
    return fail(path + ": cannot tell whether a server listens on it: " + errno_text(err));
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return fail(path + ": cannot remove the stale socket: " + errno_text(errno));
  return {};
}

}  // namespace

struct HttpServer::Impl : Server {
  using Server::Server;
};

HttpServer::HttpServer(HttpLimits limits, HttpHandler handler)
    : impl_(std::make_unique<Impl>(limits, std::move(handler))) {}

HttpServer::~HttpServer() {
  stop();
}

Expected<void, std::string> HttpServer::listen_tcp(const std::string& address, uint16_t port) {
  Impl& s = *impl_;
  const std::string where = host_port(address, port);
  if (s.started || s.stopped) return fail(where + ": the server has already started");
  beast::error_code ec;
  auto ip = asio::ip::make_address(address, ec);
  if (ec) return fail(where + ": not an IP address");
  auto a = std::make_unique<Acceptor<tcp>>(s);
  const tcp::endpoint ep(ip, port);
  auto bound = open_listener(*a, ep, where, [&ep](tcp::acceptor& acc, beast::error_code& e) {
    // A restart binds again while the old connections wait in TIME_WAIT.
    acc.set_option(tcp::acceptor::reuse_address(true), e);
    if (!e) acc.bind(ep, e);
  });
  if (!bound) return bound;
  s.port = a->socket().local_endpoint(ec).port();
  s.listeners.push_back(std::move(a));
  return {};
}

uint16_t HttpServer::tcp_port() const {
  return impl_->port;
}

Expected<void, std::string> HttpServer::listen_unix(const std::string& path,
                                                    std::optional<unsigned> group) {
  Impl& s = *impl_;
  constexpr size_t kMax = sizeof(sockaddr_un::sun_path);
  if (!fits_socket_address(path))
    return fail(path + ": a Unix socket's path must be shorter than " + std::to_string(kMax) +
                " bytes (this one has " + std::to_string(path.size()) + ")");
  if (s.started || s.stopped) return fail(path + ": the server has already started");
  if (auto cleared = clear_socket_path(path); !cleared) return cleared;
  auto a = std::make_unique<Acceptor<unix_socket>>(s);
  bool made = false;
  auto bound = open_listener(
      *a, unix_socket::endpoint(path), path, [&](unix_socket::acceptor& acc, beast::error_code& e) {
        // 0600 from the moment it exists: no other user
        // can connect between bind() and chmod(). The
        // umask is the process's, hence start-up only.
        mode_t old = ::umask(0177);
        acc.bind(unix_socket::endpoint(path), e);
        ::umask(old);
        made = !e;
        // And 0600 whatever the umask was made of;
        // the group's, and open to it, only once
        // it is that group's.
        if (made && ::chmod(path.c_str(), 0600) != 0)
          e.assign(errno, boost::system::system_category());
        if (made && !e && group &&
            (::chown(path.c_str(), static_cast<uid_t>(-1), static_cast<gid_t>(*group)) != 0 ||
             ::chmod(path.c_str(), 0660) != 0))
          e.assign(errno, boost::system::system_category());
      });
  struct stat st {};
  if (bound && ::lstat(path.c_str(), &st) != 0) bound = fail(path + ": " + errno_text(errno));
  if (!bound) {
    if (made) ::unlink(path.c_str());
    return bound;
  }
  s.files.push_back({path, st.st_dev, st.st_ino});
  s.listeners.push_back(std::move(a));
  return {};
}

void HttpServer::start() {
  Impl& s = *impl_;
  if (s.started || s.stopped) return;
  s.started = true;
  for (auto& l : s.listeners) l->accept();
  s.thread = std::thread([&s] {
    // A handler of Asio's own that throws (out of memory) loses the
    // connection it served; the others go on.
    for (;;) {
      try {
        s.io.run();
        return;
      } catch (...) {
      }
    }
  });
}

void HttpServer::stop() {
  Impl& s = *impl_;
  std::lock_guard lock(s.stopping);
  if (s.stopped) return;
  s.stopped = true;
  auto close_all = [&s] {
    for (auto& l : s.listeners) l->close();
    for (Connection* c : s.connections) c->close();
  };
  if (s.thread.joinable()) {
    // On the io thread, after whatever handler is running: with nothing
    // left open, run() returns.
    asio::post(s.io, close_all);
    s.thread.join();
  }
  close_all();
  for (const SocketFile& f : s.files) {
    struct stat st {};
    if (::lstat(f.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == f.dev &&
        st.st_ino == f.ino)
      ::unlink(f.path.c_str());
  }
  s.files.clear();
}

namespace {

/// One request and its answer on a fresh connection, under one deadline.
template <class Protocol>
class Exchange {
 public:
  Exchange(std::string where, Request req) : where_(std::move(where)), req_(std::move(req)) {}

  asio::io_context& io() { return io_; }
  beast::basic_stream<Protocol>& stream() { return stream_; }

  /// Runs until the answer is read, something fails or the deadline passes.
  Expected<HttpResponse, std::string> run(std::chrono::milliseconds deadline) {
    io_.run_for(deadline);
    if (!done_)
      return fail(error_.empty()
                      ? where_ + ": no answer within " + std::to_string(deadline.count()) + " ms"
                      : error_);
    auto& res = parser_.get();
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    out.content_type = std::string(res[http::field::content_type]);
    out.headers = header_map(res, "content-type");
    out.body = std::move(res.body());
    return out;
  }

  /// What to call once connected: sends the request and reads the answer.
  void connected(beast::error_code ec) {
    if (ec) return failed("cannot connect", ec);
    http::async_write(stream_, req_, [this](beast::error_code e, size_t) {
      if (e) return failed("cannot send the request", e);
      parser_.body_limit(kClientBodyLimit);
      http::async_read(stream_, buffer_, parser_, [this](beast::error_code e2, size_t) {
        if (e2) return failed("no answer", e2);
        done_ = true;
      });
    });
  }

  void failed(const char* what, beast::error_code ec) {
    error_ = where_ + ": " + what + ": " + ec.message();
  }

 private:
  std::string where_;
  Request req_;
  asio::io_context io_{1};  // before the stream, which needs it to the end
  beast::basic_stream<Protocol> stream_{io_};
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  std::string error_;
  bool done_ = false;
};

/// The request to send, or why it cannot be sent as asked.
Expected<Request, std::string> make_request(const std::string& method, const std::string& target,
                                            const std::string& body, const std::string& host,
                                            const std::map<std::string, std::string>& headers) {
  if (!is_token(method)) return fail("not an HTTP method: " + method);
  if (target.empty() || !is_one_line(target) || target.find(' ') != std::string::npos)
    return fail("not a request target: " + target);
  Request req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, host);
  for (const auto& [name, value] : headers) {
    if (!is_token(name) || !is_one_line(value)) return fail("not an HTTP header: " + name);
    req.set(name, value);
  }
  req.body() = body;
  req.keep_alive(false);
  req.prepare_payload();
  return req;
}

}  // namespace

Expected<HttpResponse, std::string> http_request_unix(
    const std::string& path, const std::string& method, const std::string& target,
    const std::string& body, std::chrono::milliseconds deadline,
    const std::map<std::string, std::string>& headers) {
  auto req = make_request(method, target, body, "localhost", headers);
  if (!req) return fail(req.error());
  if (!fits_socket_address(path)) return fail(path + ": not a Unix socket's path (too long)");
  Exchange<unix_socket> x(path, std::move(*req));
  x.stream().async_connect(unix_socket::endpoint(path),
                           [&x](beast::error_code ec) { x.connected(ec); });
  return x.run(deadline);
}

Expected<HttpResponse, std::string> http_request_tcp(
    const std::string& host, uint16_t port, const std::string& method, const std::string& target,
    const std::string& body, std::chrono::milliseconds deadline,
    const std::map<std::string, std::string>& headers) {
  const std::string where = host_port(host, port);
  auto req = make_request(method, target, body, where, headers);
  if (!req) return fail(req.error());
  Exchange<tcp> x(where, std::move(*req));
  // Name resolution runs on Asio's resolver thread; the deadline stops the
  // wait for it, though a stuck resolver is joined when `x` goes.
  tcp::resolver resolver(x.io());
  resolver.async_resolve(
      host, std::to_string(port), [&x](beast::error_code ec, tcp::resolver::results_type found) {
        if (ec) return x.failed("cannot resolve the host", ec);
        x.stream().async_connect(
            found, [&x](beast::error_code e, const tcp::endpoint&) { x.connected(e); });
      });
  return x.run(deadline);
}

}  // namespace rbk
