// SHA-256, for the runbook hash in the run record (which exact text ran) and
// SARIF fingerprints: Nettle's (the crypto library under GnuTLS), checked
// against the published FIPS 180-4 test vectors (sha256_test.cpp). Not
// OpenSSL's EVP: linked statically, EVP brings the whole provider framework
// (3.4 MB of code, 22,000 relocations at every start), which made
// `rbk --version` a third slower; Nettle's SHA-256 is 25 KB and has no
// configuration to read.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace rbk {

/// The SHA-256 of `data`, as 64 lowercase hex digits.
std::string sha256_hex(std::string_view data);

/// SHA-256 of data fed in pieces (a command's output as it is recorded).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  /// Adds the next piece.
  void update(std::string_view data);
  /// The digest of everything so far, as 64 lowercase hex digits (more
  /// pieces may follow).
  std::string hex() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace rbk
