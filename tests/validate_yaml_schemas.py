#!/usr/bin/env python3
"""Checks the JSON Schemas of rbk.yaml and of fixture files (docs/schemas/).

Usage: validate_yaml_schemas.py [REPO]   (default: the folder above tests/)

1. Both schemas are valid draft 2020-12 schemas, and their keys (and the
   lint rule ids) are the ones the C++ readers know: the key lists of every
   `keys(…)` call in config.cpp, targets.cpp and fixture.cpp, and the rule
   table of lint_rules.cpp. A key the code gains or loses fails here. Every
   property has a title and a description (editors show them on hover).
2. Every rbk.yaml and *.test.yaml the project ships validates.
3. The inputs of rbk's own error tests (tests/config/, tests/fixtures/bad/)
   get from the schema the verdict rbk gives them: one whose .expected has
   no error validates; one with an error is rejected, unless its errors are
   ones no schema can see (SCHEMA_BLIND, each with the reason).
4. Every sample in tests/schemas/bad/ is rejected by the schema its first
   line names, with an error at the place it names.
5. The ```yaml blocks of docs/config.md and docs/lint.md validate as
   rbk.yaml, those of docs/testing.md as fixtures (a fragment completed with
   the runbook and cases it leaves out).
6. .pre-commit-hooks.yaml and action.yml parse and have the keys pre-commit
   and GitHub need.

Every problem is printed as FILE: /json/pointer: reason; the exit status is 1
when there is any.
"""
import json
import os
import re
import sys

import jsonschema
import yaml

SCHEMAS = {"rbk-yaml": "docs/schemas/rbk-yaml.schema.json",
           "fixture": "docs/schemas/fixture.schema.json"}

# Folders the sweep (2) skips, each for a reason:
SKIP = (
    # rbk's own error tests: inputs that must fail. Check 3 holds the schema
    # to rbk's verdict on each instead.
    "tests/config",
    "tests/fixtures/bad",
    # The fuzzers' crash inputs: damaged bytes (NUL, invalid UTF-8, endless
    # documents) kept to replay crashes, not files anyone writes.
    "fuzz/regressions",
    # This test's own bad samples (check 4).
    "tests/schemas/bad",
)

# Inputs of rbk's error tests whose errors no JSON Schema can express: they
# need the runbook, another file, or a judgement over the whole file.
SCHEMA_BLIND = {
    "tests/config/notify-commands.yaml":
        "a destructive or unanalysable notification command: rbk's shell analysis",
    "tests/fixtures/bad/bad-params.test.yaml":
        "parameter values checked against the runbook's declared types",
    "tests/fixtures/bad/duplicate-names.test.yaml":
        "two cases with one name: uniqueness of a field across list items",
    "tests/fixtures/bad/unknown-cause.test.yaml":
        "causes, parameters and secrets the runbook does not have",
    "tests/fixtures/bad/unknown-question.test.yaml": "questions the runbook does not ask",
    "tests/fixtures/bad/unknown-step.test.yaml": "step ids the runbook does not have",
    "tests/fixtures/bad/unknown-target.test.yaml":
        "hosts the fixture's targets do not have: a reference within the file",
}


# -- YAML as rbk and editors see it ------------------------------------------

class Yaml12Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when there
    """YAML 1.2 core schema, as YAML language servers read files by default:
    `yes`, `no`, `on`, `off` are text (PyYAML's YAML 1.1 would make them
    booleans), there are no sexagesimal numbers, dates or merge keys, and
    010 is ten. Like rbk's reader (yaml-cpp), a key is its text as written,
    a key written twice is an error, and so is a key that is not a scalar.
    Differences remain where rbk reads a scalar's text and a schema its
    type: `True` and `0x10` are a boolean and a number here, words rbk
    refuses in their places; `"22"` is text here, a port to rbk."""


Yaml12Loader.yaml_implicit_resolvers = {}
for tag, pattern, first in [
        ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
        ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
        ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                  r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789."),
        ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""])]:
    Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:" + tag, re.compile(pattern),
                                       list(first))


def _int12(loader, node):
    v = loader.construct_scalar(node)
    if v.startswith("0o"):
        return int(v[2:], 8)
    return int(v, 16) if v.startswith("0x") else int(v, 10)


def _map12(loader, node):
    out = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.MarkedYAMLError(None, None, "a key that is not plain text",
                                       key_node.start_mark)
        if key_node.value in out:
            raise yaml.MarkedYAMLError(None, None, f"duplicate key '{key_node.value}'",
                                       key_node.start_mark)
        out[key_node.value] = loader.construct_object(value_node, deep=True)
    return out


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _int12)
Yaml12Loader.add_constructor("tag:yaml.org,2002:map", _map12)


def load_yaml(path):
    """The document, or raises yaml.YAMLError (also for a second document)."""
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=Yaml12Loader)


# -- checking -----------------------------------------------------------------

def pointer(path):
    return "/" + "/".join(str(p) for p in path)


def schema_errors(validator, doc):
    """(JSON pointer, message) for every error, in document order."""
    out = []
    for e in sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.path]):
        message = e.message
        if e.context:  # anyOf/oneOf: say why the closest alternative failed
            best = jsonschema.exceptions.best_match(e.context)
            where = f"at {pointer(best.path)}: " if best.path else ""
            message += f" ({where}{best.message})"
        out.append((pointer(e.path), message))
    return out


def verdict(validator, path):
    """Errors of one file: [(pointer, message)], empty when it is valid."""
    try:
        doc = load_yaml(path)
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        return [("/", f"not YAML rbk reads: {' '.join(str(e).split())}")]
    return schema_errors(validator, doc)


def kind_of(path):
    name = os.path.basename(path)
    if name == "rbk.yaml":
        return "rbk-yaml"
    if name.endswith((".test.yaml", ".test.yml")):
        return "fixture"
    return None


def shipped_files(repo):
    """Every rbk.yaml and fixture under the repository, minus SKIP, build
    trees (a folder with a CMakeCache.txt) and hidden folders."""
    found = []
    for top, dirs, files in os.walk(repo):
        rel = os.path.relpath(top, repo)
        dirs[:] = sorted(d for d in dirs
                         if not d.startswith(".") and d != "node_modules"
                         and os.path.normpath(os.path.join(rel, d)) not in SKIP
                         and not os.path.exists(os.path.join(top, d, "CMakeCache.txt")))
        for f in sorted(files):
            if kind_of(f):
                found.append(os.path.normpath(os.path.join(rel, f)))
    return found


def code_key_lists(repo):
    """{what: set of keys} from the readers' `keys(node, {…}, "what")` calls
    and `named_entries(n, "role", …, {…}` calls."""
    lists = {}
    for src in ("interpreter/project/config.cpp", "interpreter/project/targets.cpp",
                "interpreter/project/routes.cpp", "interpreter/testing/fixture.cpp"):
        with open(os.path.join(repo, src), encoding="utf-8") as fh:
            text = fh.read()
        for m in re.finditer(r'\bkeys\(\s*[\w.]+,\s*\{([^}]*)\},\s*"([^"]+)"\)', text):
            lists[m.group(2)] = set(re.findall(r'"(\w+)"', m.group(1)))
        for m in re.finditer(r'named_entries\(\s*n,\s*"(\w+)",[^{]*\{([^}]*)\}', text):
            lists[m.group(1) + " setting"] = set(re.findall(r'"(\w+)"', m.group(2)))
    return lists


# Where each key list of the code is in the schemas: (schema, JSON path).
KEY_LISTS = {
    "top-level setting": ("rbk-yaml", []),
    "notify setting": ("rbk-yaml", ["properties", "notify"]),
    "ssh setting": ("rbk-yaml", ["properties", "ssh"]),
    "report setting": ("rbk-yaml", ["properties", "report"]),
    "lint setting": ("rbk-yaml", ["properties", "lint"]),
    "policy setting": ("rbk-yaml", ["properties", "policy"]),
    "role setting": ("rbk-yaml", ["$defs", "role"]),
    "severity setting": ("rbk-yaml", ["$defs", "severity"]),
    "targets setting": ("rbk-yaml", ["properties", "targets"]),
    "host setting": ("rbk-yaml", ["$defs", "host"]),
    "route setting": ("rbk-yaml", ["$defs", "route"]),
    "parameter source": ("rbk-yaml", ["$defs", "paramSource"]),
    "limit": ("rbk-yaml", ["$defs", "route", "properties", "limits"]),
    "fixture key": ("fixture", []),
    "clock setting": ("fixture", ["properties", "clock"]),
    "result key": ("fixture", ["$defs", "result"]),
    "command key": ("fixture", ["$defs", "command"]),
    "answer key": ("fixture", ["$defs", "answer"]),
    "expectation": ("fixture", ["$defs", "expect"]),
    "escalation key": ("fixture", ["$defs", "escalation"]),
    "resume key": ("fixture", ["$defs", "resume"]),
    "case key": ("fixture", ["$defs", "case"]),
}


def check_descriptions(rel, node, path, problems):
    """Every property has a title and a description: editors show them."""
    if isinstance(node, list):
        for i, x in enumerate(node):
            check_descriptions(rel, x, path + [str(i)], problems)
    if not isinstance(node, dict):
        return
    for key, sub in node.items():
        if key == "properties" and "dependentSchemas" not in path:
            for name, prop in sub.items():
                missing = [k for k in ("title", "description")
                           if not isinstance(prop, dict) or not prop.get(k)]
                if missing:
                    problems.append(f"{rel}: /{'/'.join(path + [key, name])}: no "
                                    + " and no ".join(missing))
        if key not in ("examples", "enum"):
            check_descriptions(rel, sub, path + [key], problems)


def check_schemas_match_code(repo, schemas, problems):
    for kind, schema in schemas.items():
        check_descriptions(SCHEMAS[kind], schema, [], problems)
    code = code_key_lists(repo)
    for what in sorted(set(code) | set(KEY_LISTS)):
        if what not in KEY_LISTS:
            problems.append(f"tests/validate_yaml_schemas.py: the code checks '{what}' keys; "
                            "add where they are in the schema to KEY_LISTS")
            continue
        name, path = KEY_LISTS[what]
        node = schemas[name]
        for p in path:
            node = node[p]
        if node.get("additionalProperties") is not False:
            problems.append(f"{SCHEMAS[name]}: /{'/'.join(path)}: unknown keys are errors "
                            f"in rbk ({what}), so additionalProperties must be false")
        if what not in code:
            problems.append(f"tests/validate_yaml_schemas.py: no '{what}' key list in the "
                            "code any more; update KEY_LISTS")
            continue
        have = set(node.get("properties", {}))
        for k in sorted(code[what] - have):
            problems.append(f"{SCHEMAS[name]}: /{'/'.join(path)}: rbk knows the {what} "
                            f"'{k}', the schema does not")
        for k in sorted(have - code[what]):
            problems.append(f"{SCHEMAS[name]}: /{'/'.join(path)}: the schema has a {what} "
                            f"'{k}' rbk does not know")
    with open(os.path.join(repo, "interpreter/project/lint_rules.cpp"), encoding="utf-8") as fh:
        rules = set(re.findall(r'\{"(RBK\d+)",', fh.read()))
    have = set(schemas["rbk-yaml"]["properties"]["lint"]["properties"]["rules"]["properties"])
    if not rules:
        problems.append("interpreter/project/lint_rules.cpp: no rule ids found")
    for r in sorted(rules ^ have):
        problems.append(f"{SCHEMAS['rbk-yaml']}: /properties/lint/properties/rules: rule {r} "
                        + ("is missing" if r in rules else "does not exist in lint_rules.cpp"))


def check_rbk_error_tests(repo, validators, problems):
    """Check 3: the schema's verdict on each of rbk's error-test inputs is rbk's."""
    inputs = []
    for folder, suffix, kind in [("tests/config", ".yaml", "rbk-yaml"),
                                 ("tests/fixtures/bad", ".test.yaml", "fixture")]:
        for f in sorted(os.listdir(os.path.join(repo, folder))):
            if f.endswith(suffix):
                inputs.append((f"{folder}/{f}", f"{folder}/{f[:-len(suffix)]}.expected", kind))
    if len(inputs) < 10:
        problems.append(f"only {len(inputs)} inputs of rbk's error tests found")
    for rel, expected, kind in inputs:
        with open(os.path.join(repo, expected), encoding="utf-8", errors="replace") as fh:
            rbk_rejects = ": error: " in fh.read()
        errors = verdict(validators[kind], os.path.join(repo, rel))
        if rel in SCHEMA_BLIND:
            if not rbk_rejects or errors:
                problems.append(f"{rel}: listed in SCHEMA_BLIND, but "
                                + ("rbk accepts it" if not rbk_rejects else
                                   f"the schema rejects it ({errors[0][0]}: {errors[0][1]})"))
        elif rbk_rejects and not errors:
            problems.append(f"{rel}: rbk rejects it ({expected}), the {kind} schema accepts it")
        elif not rbk_rejects:
            problems.extend(f"{rel}: {where}: {why} (rbk accepts it)" for where, why in errors)
    for rel in sorted(set(SCHEMA_BLIND) - {r for r, _, _ in inputs}):
        problems.append(f"{rel}: listed in SCHEMA_BLIND but not found")
    return len(inputs)


BAD_HEADER = re.compile(r"^# (rbk-yaml|fixture)\.schema\.json at (/\S*): \S")


def check_bad_samples(repo, validators, problems):
    """Check 4: each sample is rejected by its schema, at the place it names."""
    folder = os.path.join(repo, "tests/schemas/bad")
    samples = sorted(f for f in os.listdir(folder) if f.endswith(".yaml"))
    if len(samples) < 8:
        problems.append(f"tests/schemas/bad: {len(samples)} samples; the check wants at least 8")
    for f in samples:
        rel = f"tests/schemas/bad/{f}"
        with open(os.path.join(folder, f), encoding="utf-8") as fh:
            header = BAD_HEADER.match(fh.readline())
        if not header:
            problems.append(f"{rel}: the first line must be '# SCHEMA.schema.json at "
                            "/json/pointer: why it must fail'")
            continue
        kind, at = header.groups()
        errors = verdict(validators[kind], os.path.join(folder, f))
        if not errors:
            problems.append(f"{rel}: the {kind} schema accepts it")
        elif not any(w == at or w.startswith(at.rstrip("/") + "/") for w, _ in errors):
            found = "; ".join(f"{w}: {m}" for w, m in errors)
            problems.append(f"{rel}: rejected, but not at {at} ({found})")
    return len(samples)


# The docs whose YAML examples are rbk.yaml or fixtures (docs/ci.md's are
# workflows and pre-commit configurations: check 6 covers what they use).
DOC_BLOCKS = {"docs/config.md": "rbk-yaml", "docs/lint.md": "rbk-yaml",
              "docs/testing.md": "fixture"}


def check_doc_blocks(repo, validators, problems):
    """Check 5: the docs' examples are what the schemas accept."""
    blocks = 0
    for rel, kind in DOC_BLOCKS.items():
        with open(os.path.join(repo, rel), encoding="utf-8") as fh:
            text = fh.read()
        found = 0
        for m in re.finditer(r"^```yaml\n(.*?)^```", text, re.S | re.M):
            line = text.count("\n", 0, m.start()) + 1
            found += 1
            try:
                doc = yaml.load(m.group(1), Loader=Yaml12Loader)
            except yaml.YAMLError as e:
                problems.append(f"{rel}:{line}: not YAML: {' '.join(str(e).split())}")
                continue
            if kind == "fixture":  # an excerpt: a few keys, or a few cases
                doc = {"cases": doc} if isinstance(doc, list) else doc
                if isinstance(doc, dict):
                    doc = {"runbook": "db-down", "cases": [], **doc}
            for where, why in schema_errors(validators[kind], doc):
                problems.append(f"{rel}:{line} (```yaml block): {where}: {why}")
        if not found:
            problems.append(f"{rel}: no ```yaml block found (DOC_BLOCKS is out of date)")
        blocks += found
    return blocks


def check_ci_files(repo, problems):
    """Check 6: the pre-commit hooks and the GitHub Action."""
    hooks_rel, action_rel = ".pre-commit-hooks.yaml", "action.yml"
    try:
        hooks = load_yaml(os.path.join(repo, hooks_rel))
        action = load_yaml(os.path.join(repo, action_rel))
    except (OSError, yaml.YAMLError) as e:
        problems.append(f"{hooks_rel} / {action_rel}: {' '.join(str(e).split())}")
        return
    if not isinstance(hooks, list):
        problems.append(f"{hooks_rel}: /: a list of hooks expected")
        hooks = []
    ids = []
    for i, h in enumerate(hooks):
        for key in ("id", "name", "entry", "language"):
            if not isinstance(h, dict) or not isinstance(h.get(key), str):
                problems.append(f"{hooks_rel}: /{i}: '{key}' is required (text)")
        if not isinstance(h, dict):
            continue
        ids.append(h.get("id"))
        if not str(h.get("entry", "")).startswith("rbk "):
            problems.append(f"{hooks_rel}: /{i}/entry: runs rbk ('rbk …')")
        try:
            re.compile(h.get("files", ""))
        except re.error as e:
            problems.append(f"{hooks_rel}: /{i}/files: not a regex: {e}")
    # Which files each hook sees: runbooks for lint and fmt; runbooks,
    # fixtures and rbk.yaml (which change what a fixture does) for test.
    sees = {"rbk-lint": (["runbooks/db-down.rbk"], ["runbooks/db-down.test.yaml", "rbk.yaml"]),
            "rbk-fmt": (["runbooks/db-down.rbk"], ["runbooks/db-down.test.yaml", "rbk.yaml"]),
            "rbk-test": (["runbooks/db-down.rbk", "runbooks/db-down.test.yaml", "rbk.yaml",
                          "sub/rbk.yaml"], ["README.md", "notrbk.yaml"])}
    by_id = {h.get("id"): h for h in hooks if isinstance(h, dict)}
    for hook_id, (yes, no) in sees.items():
        h = by_id.get(hook_id)
        if h is None:
            problems.append(f"{hooks_rel}: no hook '{hook_id}'")
            continue
        files = re.compile(h.get("files", ""))
        for name in yes:
            if not files.search(name):
                problems.append(f"{hooks_rel}: {hook_id}: files does not match {name}")
        for name in no:
            if files.search(name):
                problems.append(f"{hooks_rel}: {hook_id}: files matches {name}")
    if "rbk-test" in by_id and by_id["rbk-test"].get("pass_filenames") is not False:
        problems.append(f"{hooks_rel}: rbk-test: pass_filenames must be false (every "
                        "fixture runs: a module given alone has none, exit 2)")
    if not isinstance(action, dict):
        problems.append(f"{action_rel}: /: a mapping expected")
        return
    for key in ("name", "description"):
        if not isinstance(action.get(key), str):
            problems.append(f"{action_rel}: /{key}: required (text)")
    runs = action.get("runs") if isinstance(action.get("runs"), dict) else {}
    if runs.get("using") != "composite":
        problems.append(f"{action_rel}: /runs/using: must be composite")
    steps = runs.get("steps")
    if not isinstance(steps, list) or not steps:
        problems.append(f"{action_rel}: /runs/steps: a non-empty list is required")
        steps = []
    for i, s in enumerate(steps):
        if not isinstance(s, dict) or not ("run" in s or "uses" in s):
            problems.append(f"{action_rel}: /runs/steps/{i}: needs 'run' or 'uses'")
        elif "run" in s and "shell" not in s:
            problems.append(f"{action_rel}: /runs/steps/{i}: a composite 'run' step needs 'shell'")
        # Inputs reach scripts through env, never pasted into their text (a
        # path with a quote in it would otherwise be shell source).
        elif "run" in s and "${{" in s["run"]:
            problems.append(f"{action_rel}: /runs/steps/{i}/run: pass ${{{{ … }}}} through env")
    inputs = action.get("inputs") if isinstance(action.get("inputs"), dict) else {}
    for name, spec in inputs.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("description"), str):
            problems.append(f"{action_rel}: /inputs/{name}: a description is required")
    if not (isinstance(inputs.get("deb"), dict) and inputs["deb"].get("required") is True):
        problems.append(f"{action_rel}: /inputs/deb: the .deb to install is a required input")


def main():
    repo = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), ".."))
    problems = []
    schemas, validators = {}, {}
    for kind, rel in SCHEMAS.items():
        with open(os.path.join(repo, rel), encoding="utf-8") as fh:
            schemas[kind] = json.load(fh)
        try:
            jsonschema.Draft202012Validator.check_schema(schemas[kind])
        except jsonschema.exceptions.SchemaError as e:
            problems.append(f"{rel}: {pointer(e.path)}: not a valid schema: {e.message}")
            continue
        validators[kind] = jsonschema.Draft202012Validator(schemas[kind])
    if len(validators) < len(SCHEMAS):
        print("\n".join(problems))
        return 1
    check_schemas_match_code(repo, schemas, problems)

    shipped = shipped_files(repo)
    counts = {k: sum(1 for f in shipped if kind_of(f) == k) for k in SCHEMAS}
    for kind, n in counts.items():
        if n == 0:
            problems.append(f"no shipped {kind} file found under {repo}")
    for rel in shipped:
        for where, why in verdict(validators[kind_of(rel)], os.path.join(repo, rel)):
            problems.append(f"{rel}: {where}: {why}")

    error_tests = check_rbk_error_tests(repo, validators, problems)
    bad = check_bad_samples(repo, validators, problems)
    doc_blocks = check_doc_blocks(repo, validators, problems)
    check_ci_files(repo, problems)

    for p in problems:
        print(p)
    print(f"{counts['rbk-yaml']} rbk.yaml and {counts['fixture']} fixtures shipped, "
          f"{error_tests} inputs of rbk's error tests, {bad} bad samples, "
          f"{doc_blocks} examples in the docs: "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
