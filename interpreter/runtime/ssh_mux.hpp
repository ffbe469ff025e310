// Ending an OpenSSH master connection without starting a process: the
// client side of one request of OpenSSH's multiplexing protocol (its
// PROTOCOL.mux, version 4), spoken over the master's control socket. rbk
// closes every master of a run this way; `ssh -O exit` (a process, its
// configuration read, per host) is what it falls back on.
#pragma once

#include <chrono>
#include <string>

namespace rbk {

/// Asks the master listening on the Unix socket `path` to end: the hello
/// exchange, then MUX_C_TERMINATE. True when the master answered MUX_S_OK or
/// closed the connection at once (it ended); false when the socket cannot
/// be reached, speaks something else, refuses, or has not answered when
/// `timeout` (one deadline for the whole exchange) has passed. Never throws.
bool terminate_master(const std::string& path, std::chrono::milliseconds timeout);

}  // namespace rbk
