// An existing Ansible inventory read into Targets, so a team that already
// keeps its hosts there does not keep a second list in rbk.yaml. Both of
// Ansible's formats are read: INI and YAML. Only what ssh needs is taken
// (ansible_host, ansible_port, ansible_user; the last two from groups too,
// merged in Ansible's order); every other variable is listed in
// Targets::ignored rather than dropped silently, and every problem is a
// diagnostic at file:line:col.
//
// The format: YAML when the file name ends in .yml or .yaml, INI when it ends
// in .ini; otherwise (an inventory called `hosts`) the first line that is
// neither blank nor a comment decides: YAML when it starts with `---` or `{`
// or its first word ends in ':' (`all:`), INI otherwise (`[web]`, `web1 …`).
#pragma once

#include <memory>

#include "interpreter/base/diagnostic.hpp"
#include "interpreter/base/source.hpp"
#include "interpreter/project/targets.hpp"

namespace rbk {

/// Adds the hosts and groups of the inventory `file` to `into` (a host or
/// group already there with the same name is replaced) and lists the
/// variables it ignores; every problem goes to `errors`, nothing is thrown.
void read_inventory(std::shared_ptr<const SourceFile> file, Targets& into, Diagnostics& errors);

}  // namespace rbk
