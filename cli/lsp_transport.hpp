// The Language Server Protocol's framing over a pair of file descriptors:
// each message is `Content-Length: N` (and possibly other headers), an
// empty line, then N bytes of JSON. A broken header is skipped to the next
// one rather than ending the server: a language server must outlive
// whatever a client sends.
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace rbk::cli {

/// The largest message body read (a 1 MiB runbook, JSON-escaped, with room).
inline constexpr size_t kMaxMessageBytes = size_t{64} << 20;

/// Reads framed messages from a file descriptor (stdin).
class MessageReader {
 public:
  /// What next() found.
  enum class Status {
    Message,    // `body` holds one message's bytes
    End,        // end of input (or a read error): no more messages
    BadHeader,  // a header block without a usable Content-Length; skipped
    TooLarge,   // a body over kMaxMessageBytes; read and dropped
  };

  /// Reads from `fd`, which it does not own.
  explicit MessageReader(int fd) : fd_(fd) {}

  /// The next message; `problem` says what was wrong with a skipped one.
  Status next(std::string& body, std::string& problem);

 private:
  /// Refills the buffer; false at the end of input.
  bool fill();
  /// One header line (without its line break); nullopt at the end of input.
  std::optional<std::string> line();

  int fd_;
  std::string buf_;
  size_t pos_ = 0;
};

/// Writes framed messages to a file descriptor (stdout), one whole message
/// at a time, from any thread.
class MessageWriter {
 public:
  /// Writes to `fd`, which it does not own.
  explicit MessageWriter(int fd) : fd_(fd) {}

  /// Sends `body`; false once the other end has gone.
  bool send(const std::string& body);
  /// Calls `make` while no other message is being written, and sends what it
  /// returns (nothing for nullopt): a check and the message it decides on
  /// cannot be overtaken by another thread's message.
  bool send_if(const std::function<std::optional<std::string>()>& make);

 private:
  bool write_all(const std::string& bytes);

  int fd_;
  std::mutex mu_;
  bool broken_ = false;
};

}  // namespace rbk::cli
