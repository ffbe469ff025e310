// `rbk note`: the scribe's timeline. A note goes into the run's own record,
// masked by the project's redaction patterns, under the lock the running rbk
// writes with, and that rbk shows it on its terminal (cli/note_watch.hpp).
#include <filesystem>

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
  std::string dir;
  if (opts.args.size() == 2) {
    dir = named_run_dir(config, opts.args.front());
    if (dir.empty()) return kExitUsage;
  } else {
    // The run going now; a finished run is named, never guessed.
    dir = newest_live_run(config.records_dir);
    if (dir.empty()) {
      write(stderr, "rbk: error: no run is going in " + display_path(config.records_dir) +
                        "; name the run: rbk note RUN_ID TEXT (see rbk history)\n");
      return kExitUsage;
    }
  }
  const std::string run_id = std::filesystem::path(dir).filename().string();
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
