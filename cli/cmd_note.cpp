// `rbk note`: the scribe's timeline. A note goes into the run's own record,
// masked by the project's redaction patterns, under the lock the running rbk
// writes with, and that rbk shows it on its terminal (cli/note_watch.hpp).
#include <filesystem>
#include <system_error>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "cli/terminal.hpp"
#include "cli/tty_operator.hpp"
#include "interpreter/project/catalog.hpp"
#include "interpreter/record/history.hpp"
#include "interpreter/record/mask.hpp"
#include "interpreter/record/notes.hpp"

namespace rbk::cli {

int run_note(const NoteOptions& opts) {
  auto project = open_workspace();
  if (!project) return kExitUsage;
  const Config& config = project->config();
  const std::string text = opts.args.back();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    write(stderr, "rbk: error: the note is empty\n");
    return kExitUsage;
  }
  std::string run_id, dir;
  if (opts.args.size() == 2) {
    run_id = opts.args.front();
    if (run_id.empty() || run_id.find('/') != std::string::npos || run_id == "." ||
        run_id == "..") {
      write(stderr, "rbk: error: '" + run_id + "' is not a run id (see rbk history)\n");
      return kExitUsage;
    }
    dir = config.records_dir + "/" + run_id;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      write(stderr, "rbk: error: no run " + run_id + " in " + display_path(config.records_dir) +
                        " (see rbk history)\n");
      return kExitUsage;
    }
  } else {
    // The run going now; a finished run is named, never guessed.
    for (const RunSummary& run : list_runs(config.records_dir)) {
      if (!run.live) continue;
      run_id = run.run_id;
      dir = run.dir;
      break;
    }
    if (run_id.empty()) {
      write(stderr, "rbk: error: no run is going in " + display_path(config.records_dir) +
                        "; name the run: rbk note RUN_ID TEXT (see rbk history)\n");
      return kExitUsage;
    }
  }
  const Masker masker({}, config.redact);
  auto written = append_note(dir, current_user(), masker.mask(text));
  if (!written) {
    write(stderr, "rbk: error: cannot add the note to " + run_id + ": " + written.error() + "\n");
    return kExitUsage;
  }
  write(stdout, "note added to run " + run_id + " at " + written->time + "\n");
  return kExitOk;
}

}  // namespace rbk::cli
