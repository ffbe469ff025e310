#include "cli/lsp_transport.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

#include "interpreter/base/names.hpp"

namespace rbk::cli {

bool MessageReader::fill() {
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n > 0) {
      buf_.append(chunk, static_cast<size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

std::optional<std::string> MessageReader::line() {
  for (;;) {
    const size_t nl = buf_.find('\n', pos_);
    if (nl != std::string::npos) {
      std::string out = buf_.substr(pos_, nl - pos_);
      pos_ = nl + 1;
      if (!out.empty() && out.back() == '\r') out.pop_back();
      return out;
    }
    // A header line is short: a megabyte without a line break is not one.
    if (buf_.size() - pos_ > (size_t{1} << 20)) {
      pos_ = buf_.size();
      return std::string("\x01");  // never a valid header: the block is skipped
    }
    if (!fill()) return std::nullopt;
  }
}

MessageReader::Status MessageReader::next(std::string& body, std::string& problem) {
  std::optional<size_t> length;
  bool bad = false;
  bool any = false;
  for (;;) {
    auto l = line();
    if (!l) return Status::End;
    if (l->empty()) {
      if (!any) continue;  // blank lines between messages
      break;
    }
    any = true;
    const size_t colon = l->find(':');
    std::string name = l->substr(0, colon == std::string::npos ? l->size() : colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (colon == std::string::npos) {
      bad = true;
      problem = "a header line without ':'";
      continue;
    }
    if (name != "content-length") continue;  // Content-Type and others: not needed
    const std::string value = trim(std::string_view(*l).substr(colon + 1), " \t");
    if (value.empty() || value.size() > 18 ||
        value.find_first_not_of("0123456789") != std::string::npos) {
      bad = true;
      problem = "Content-Length is not a number: '" + value.substr(0, 40) + "'";
      continue;
    }
    length = std::stoull(value);
  }
  if (bad || !length) {
    if (!length && !bad) problem = "a message without Content-Length";
    return Status::BadHeader;
  }
  // The body: what is buffered, then reads until it is complete. A body over
  // the limit is read and dropped, so the next message is found.
  const bool keep = *length <= kMaxMessageBytes;
  size_t need = *length;
  body.clear();
  while (need > 0) {
    if (pos_ == buf_.size() && !fill()) return Status::End;
    const size_t take = std::min(need, buf_.size() - pos_);
    if (keep) body.append(buf_, pos_, take);
    pos_ += take;
    need -= take;
  }
  if (!keep) {
    problem = "a message of " + std::to_string(*length) + " bytes (at most " +
              std::to_string(kMaxMessageBytes) + " are read)";
    return Status::TooLarge;
  }
  return Status::Message;
}

bool MessageWriter::write_all(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      broken_ = true;
      return false;
    }
  }
  return true;
}

bool MessageWriter::send(const std::string& body) {
  return send_if([&]() -> std::optional<std::string> { return body; });
}

bool MessageWriter::send_if(const std::function<std::optional<std::string>()>& make) {
  std::lock_guard lock(mu_);
  if (broken_) return false;
  std::optional<std::string> body = make();
  if (!body) return true;
  return write_all("Content-Length: " + std::to_string(body->size()) + "\r\n\r\n" + *body);
}

}  // namespace rbk::cli
