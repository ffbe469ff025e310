// SHA-256 against the FIPS 180-4 / NIST example vectors, and block edges.
#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

#include "interpreter/base/async_sha256.hpp"
#include "interpreter/base/sha256.hpp"

TEST_CASE("sha256 matches the published vectors", "[sha256]") {
  using rbk::sha256_hex;
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // 55, 56 and 64 bytes: the padding's one- and two-block edges.
  CHECK(sha256_hex(std::string(55, 'a')) ==
        "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  CHECK(sha256_hex(std::string(56, 'a')) ==
        "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  CHECK(sha256_hex(std::string(64, 'a')) ==
        "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST_CASE("sha256 fed in pieces equals the digest of the whole", "[sha256]") {
  const std::string whole(100000, 'x');
  rbk::Sha256 h;
  CHECK(h.hex() == rbk::sha256_hex(""));
  size_t at = 0;
  bool midway = false;
  for (size_t piece = 1; at < whole.size(); piece = piece * 3 % 997 + 1) {
    const size_t n = std::min(piece, whole.size() - at);
    h.update(std::string_view(whole).substr(at, n));
    at += n;
    if (at >= 1000 && !midway) {  // a digest midway; more pieces follow
      midway = true;
      CHECK(h.hex() == rbk::sha256_hex(whole.substr(0, at)));
    }
  }
  CHECK(h.hex() == rbk::sha256_hex(whole));
}

TEST_CASE("sha256 hashed on the worker thread equals the digest of the whole",
          "[sha256][threads]") {
  // Small pieces first (hashed at once), then large and small ones mixed
  // (all on the worker, in order), from several threads' digests at a time,
  // with more queued than the worker's bound.
  auto text = [](int seed) {
    std::string t(3 << 20, '\0');
    for (size_t i = 0; i < t.size(); ++i) t[i] = static_cast<char>((i * 31 + seed) % 251);
    return t;
  };
  std::vector<std::string> wholes, digests(4);
  for (int k = 0; k < 4; ++k) wholes.push_back(text(k));
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&, k] {
      const std::string& whole = wholes[static_cast<size_t>(k)];
      rbk::AsyncSha256 h;
      size_t at = 0;
      for (size_t piece = 100; at < whole.size(); piece = piece * 7 % 200003 + 1) {
        const size_t n = std::min(piece, whole.size() - at);
        h.update(std::make_shared<const std::string>(whole.substr(at, n)));
        at += n;
      }
      digests[static_cast<size_t>(k)] = h.hex();
    });
  for (auto& t : threads) t.join();
  for (size_t k = 0; k < 4; ++k) CHECK(digests[k] == rbk::sha256_hex(wholes[k]));
  rbk::AsyncSha256 small;
  small.update(std::make_shared<const std::string>("abc"));
  CHECK(small.hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  rbk::AsyncSha256 empty;
  CHECK(empty.hex() == rbk::sha256_hex(""));
}
