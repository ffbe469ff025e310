// SHA-256, for the runbook hash in the run record (which exact text ran) and
// SARIF fingerprints: OpenSSL's EVP digest (libcrypto), checked against the
// published FIPS 180-4 test vectors (sha256_test.cpp).
#pragma once

#include <string>
#include <string_view>

namespace rbk {

/// The SHA-256 of `data`, as 64 lowercase hex digits.
std::string sha256_hex(std::string_view data);

}  // namespace rbk
