// Internal to supervisor.cpp and spawner.cpp: what the two ways of starting a
// supervisor share. rbk prepares a command's descriptors (prepare_command),
// then either forks the supervisor itself (start_supervisor) or asks its
// spawner to (Spawner); either way the child runs supervise_command().
#pragma once

#include <spawn.h>
#include <sys/types.h>

#include <chrono>
#include <string>

#include "interpreter/runtime/supervisor.hpp"

namespace rbk::supervisor_detail {

/// Where the child's descriptors are moved before the shell starts: the
/// spawn objects are built once for these numbers, so a child never has to
/// build them (that allocates).
inline constexpr int kChildIn = 3;  // the shell's stdin: /dev/null or a pipe's read end
inline constexpr int kChildOut = 4;
inline constexpr int kChildErr = 5;
inline constexpr int kChildDir = 6;
inline constexpr int kChildChannel = 7;

/// posix_spawn attributes and file actions for the shell, built once.
struct SpawnObjects {
  posix_spawnattr_t attr;
  /// Runs in the supervisor's directory.
  posix_spawn_file_actions_t here;
  /// Runs in the directory open at kChildDir.
  posix_spawn_file_actions_t in_dir;
  /// Nonzero (an errno) when they could not be built.
  int error = 0;
};

/// The spawn objects; the first call (by rbk, before any fork) builds them.
const SpawnObjects& spawn_objects();

/// The descriptors of one command, as rbk prepares them.
struct CommandFds {
  UniqueFd ours, theirs;         // the channel: rbk's end, the supervisor's end
  UniqueFd in_read;              // the shell's stdin: /dev/null, or the read end of a pipe
  UniqueFd in_write;             // that pipe's write end (rbk's), or none
  UniqueFd out_read, out_write;  // stdout pipe
  UniqueFd err_read, err_write;  // stderr pipe
  UniqueFd dir;                  // the working directory (O_PATH), or none
};

/// Creates the pipes, the channel (unless `new_channel` is false: an idle
/// supervisor keeps its own), the stdin pipe or /dev/null and opens the
/// working directory; or says why it cannot.
Expected<void, std::string> prepare_command(const SupervisorSpec& spec, CommandFds& fds,
                                            bool new_channel = true);

/// One command as a supervisor runs it, besides its descriptors: plain
/// values and pointers, so that a child needs no allocation.
struct CommandPlan {
  const char* script = nullptr;  // run as `/bin/sh -c script`
  char* const* envp = nullptr;   // the complete environment, null-terminated
  long grace_ms = 0, kill_window_ms = 0;
  long backstop_ms = 0;  // SupervisorSpec::backstop; 0: none
  bool scan_for_children = false;
};

/// What a new supervisor starts from.
struct ChildStart {
  int channel;  // its end of the channel to rbk
  int fds[4];   // the shell's stdin, stdout, stderr, and the directory (or -1)
  CommandPlan command;
  /// The signal dispositions are already those of a supervisor (a child of
  /// the spawner inherits them).
  bool signals_set;
  /// Once clean after a command, the supervisor reports kReportIdle and
  /// waits on its channel for another request (only the spawner's children:
  /// rbk's Spawner hands them further commands).
  bool reusable;
};

/// A request as the spawner or an idle supervisor receives it: the
/// descriptors, and the script and environment in mmap'd memory.
struct Received {
  int fds[4] = {-1, -1, -1, -1};  // stdin, stdout, stderr, the directory (or -1)
  int channel = -1;               // the new supervisor's channel, if one came
  CommandPlan command;            // points into `memory`
  void* memory = nullptr;
  size_t length = 0;  // the part of `memory` this request uses
  size_t mapped = 0;  // the size of the mapping at `memory`
};

/// Receives one whole request on `sock`, with a channel attached when
/// `with_channel` (the spawner), without (an idle supervisor). False when
/// the socket ended or broke or the request was malformed; nothing is left
/// open then (the memory is kept for the next request). Async-signal-safe.
bool receive_request(int sock, bool with_channel, Received& out) noexcept;

/// Clears a request's memory and keeps it for the next request (or unmaps
/// it), and closes whatever descriptors it still holds.
void release(Received& r) noexcept;

/// Closes whatever descriptors a request still holds; its memory stays.
void close_received(Received& r) noexcept;

/// Moves `fds` (stdin, stdout, stderr, directory; -1 for none) and
/// `channel` (-1: it is already at kChildChannel) to the fixed numbers and
/// closes the originals. False, with everything as it was, when a copy
/// could not be made. Async-signal-safe.
bool move_to_fixed(const int (&fds)[4], int channel) noexcept;

/// The ChildStart for `spec` and its prepared descriptors.
ChildStart child_start(const SupervisorSpec& spec, const CommandFds& fds);

/// fork() with every signal blocked across it (restored in the parent; the
/// child keeps them blocked until it has its own dispositions). -1 with
/// errno on failure.
pid_t fork_with_signals_blocked();

/// A duration for the wire and the child: milliseconds in [0, INT_MAX].
long to_ms(std::chrono::milliseconds d);

/// Ignores every signal that could end a supervisor and lose its command.
/// Async-signal-safe.
void ignore_signals() noexcept;

/// The child's side: moves the descriptors to the fixed numbers, starts the
/// shell and supervises it. Async-signal-safe; never returns.
[[noreturn]] void supervise_command(const ChildStart& start) noexcept;

/// rbk's ends of a started command, as its handle.
SupervisorHandle hand_over(CommandFds& fds, pid_t pid);

}  // namespace rbk::supervisor_detail
