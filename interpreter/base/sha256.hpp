// SHA-256, for the runbook hash in the run record (which exact text ran) and
// SARIF fingerprints: Nettle's (the crypto library under GnuTLS), checked
// against the published FIPS 180-4 test vectors (sha256_test.cpp). Not
// OpenSSL's EVP: linked statically, EVP brings the whole provider framework
// (3.4 MB of code, 22,000 relocations at every start), which made
// `rbk --version` a third slower; Nettle's SHA-256 is 25 KB and has no
// configuration to read.
#pragma once

#include <string>
#include <string_view>

namespace rbk {

/// The SHA-256 of `data`, as 64 lowercase hex digits.
std::string sha256_hex(std::string_view data);

}  // namespace rbk
