// Masking: secret values and the redaction patterns of rbk.yaml never reach
// the terminal, the run record or a report. The engine masks every event and
// every chunk of output once, before any sink sees it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "interpreter/record/events.hpp"

namespace re2 {
class RE2;
}

namespace rbk {

/// What a masked value is replaced with.
inline constexpr std::string_view kMask = "***";
/// The shortest line or trimmed form of a secret that is masked on its own
/// (the whole value is masked whatever its length).
inline constexpr size_t kMinFragment = 4;

/// Replaces secret values and redaction-pattern matches with kMask.
class Masker {
 public:
  Masker() = default;
  /// `secrets`: literal values (empty ones ignored); `patterns`: RE2 patterns
  /// (already validated by the config reader; an invalid one is skipped).
  Masker(std::vector<std::string> secrets, const std::vector<std::string>& patterns);
  /// Adds a secret value learned later (e.g. a secret read from a command),
  /// with its forms a command may print instead: trimmed of surrounding
  /// blanks, and each line of a multi-line value (see kMinFragment).
  /// Encoded forms (base64, URL, hex, JSON escapes) are not masked.
  void add_secret(std::string value);
  /// `text` with every secret occurrence and pattern match replaced; matches
  /// that overlap or touch become one kMask (no fragment of either survives).
  std::string mask(std::string_view text) const;
  /// The same for a string or a literal: without these two, a call with a
  /// std::string or a literal would be ambiguous (it converts to nlohmann::json too).
  std::string mask(const std::string& text) const { return mask(std::string_view(text)); }
  std::string mask(const char* text) const { return mask(std::string_view(text)); }
  /// Every string inside `j` masked (keys kept).
  nlohmann::json mask(const nlohmann::json& j) const;
  /// Masks every field of `e` whose type can carry a secret (ev::Text,
  /// ev::JsonValue); names from the runbook, enums and numbers are kept.
  void mask(Event& e) const;
  /// The longest secret, in bytes (what a stream masker must hold back).
  size_t longest_secret() const;
  /// True when there is nothing to mask (no secret, no valid pattern).
  bool empty() const;

 private:
  friend class StreamMasker;
  /// Adds one literal to mask, keeping secrets_ longest first.
  void add_literal(std::string value);
  /// Byte ranges [begin, end) of `text` to mask, sorted and merged: every
  /// occurrence of every secret (overlapping ones included) and every pattern
  /// match within a line.
  std::vector<std::pair<size_t, size_t>> ranges(std::string_view text) const;
  /// The longest secret that contains a newline (0 when none does): the only
  /// kind that can straddle a line boundary in a stream.
  size_t longest_multiline_secret() const;

  std::vector<std::string> secrets_;  // longest first, so overlaps mask whole
  std::vector<std::shared_ptr<const re2::RE2>> patterns_;
};

/// Masks a stream that arrives in chunks: a secret split across two chunks is
/// still masked. Works line by line when there are redaction patterns (they
/// apply within a line); a line longer than `max_line` is flushed in pieces,
/// holding back enough bytes (longest_secret() - 1) that a secret cannot
/// straddle two pieces unmasked. With secrets only, everything but those
/// bytes is released at once (a prompt without a newline still shows). A
/// secret containing a newline is held back the same way at line ends.
/// Limit: a redaction-pattern match that straddles the flush point of an
/// over-long line can be cut (its first part masked, the rest not).
/// The masker must outlive the stream masker; secrets it learns meanwhile
/// apply from the next push.
class StreamMasker {
 public:
  StreamMasker(const Masker& masker, size_t max_line = 64 * 1024);
  /// Returns what can be released now, masked.
  std::string push(std::string_view chunk);
  /// Releases the rest at the end of the stream.
  std::string finish();

 private:
  /// Releases pending_[0, upto) masked, looking for matches in pending_[0, scan_end).
  std::string release(size_t upto, size_t scan_end);

  const Masker& masker_;
  size_t max_line_;
  std::string pending_;
  // Bytes at the start of pending_ that belong to a masked range already
  // released as kMask: masked again, but not announced twice.
  size_t masked_prefix_ = 0;
  // What was released ends with a kMask that reaches the cut: a range at the
  // start of pending_ continues it.
  bool mask_open_ = false;
};

}  // namespace rbk
