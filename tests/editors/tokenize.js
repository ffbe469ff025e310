// tests/editors/tokenize.js: tests the TextMate grammar of editors/vscode
// (syntaxes/rbk.tmLanguage.json) with the engine VS Code itself uses
// (vscode-textmate over the Oniguruma regex library, compiled to wasm).
//
//  1. Every shipped valid runbook and module is tokenized, and any character
//     that is not whitespace must carry a scope of the grammar: a character
//     left with only the base scope `source.rbk`, or one the grammar marks
//     `invalid.illegal`, fails the test (FILE:LINE:COL and the text). A file
//     must also end with no rule left open (an unclosed string or shell
//     literal would colour the rest of the file).
//  2. Every keyword of grammar/rules.hpp (the RBK_KEY list) must appear in a
//     rule of the TextMate grammar, so a keyword added to the language and not
//     to the editor fails here.
//  3. A few chosen files are compared token by token with goldens in
//     tests/editors/golden/*.tokens (one line per token: LINE:COL "TEXT" →
//     SCOPES). RBK_UPDATE_GOLDEN=1 rewrites them; review the diff.
//
// Run by tests/editors/run.sh, which installs the two npm packages into
// $RBK_NPM_DIR (outside the tracked files) and points this script at them.
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..', '..');
const npmDir = path.resolve(root, process.env.RBK_NPM_DIR || 'build/editors-npm');
const grammarPath = path.join(root, 'editors/vscode/syntaxes/rbk.tmLanguage.json');
const goldenDir = path.join(__dirname, 'golden');
const update = process.env.RBK_UPDATE_GOLDEN === '1';

const vsctm = require(path.join(npmDir, 'node_modules/vscode-textmate'));
const onig = require(path.join(npmDir, 'node_modules/vscode-oniguruma'));

// The folders of valid .rbk files the project ships (tests/cases/fail holds
// files that are invalid on purpose; only tests/cases/ok's are cases here),
// and tests/editors/constructs.rbk: the corners of the language no shipped
// runbook shows (a reserved word as a step id, a header over several lines,
// interpolation over lines, a keyword as an argument name, ...).
const corpus = ['runbooks', 'stdlib', 'examples', 'tests/stdlib', 'tests/cases/ok', 'tests/editors'];

// Files whose every token is kept as a golden: a runbook, a stdlib module
// (templates, fenced shell), a fan-out over targets, and the files that hold
// every operator and regex, every string and text form, and tricky shell.
const goldens = [
  'runbooks/db-down.rbk',
  'stdlib/postgres.rbk',
  'tests/cases/ok/fanout.rbk',
  'tests/cases/ok/expressions.rbk',
  'tests/cases/ok/strings-and-text.rbk',
  'tests/cases/ok/shell-literals.rbk',
  'tests/editors/constructs.rbk',
];

// A stand-in for `source.shell`, the grammar the shell literals embed. VS
// Code's own (its built-in shellscript extension) is not published on npm,
// and fetching it from VS Code's repository would make the test depend on the
// network and on a grammar that changes under the goldens. Letting the
// include resolve to nothing would hide the one thing that matters here: an
// embedded grammar that leaves a construct open (a quote, a here-document)
// must not carry it past the end of the literal. So the stand-in has the
// constructs of a shell grammar that can run on: quotes that span lines, and
// comments; plus variables, so the goldens show where shell scopes go.
const shellStub = {
  scopeName: 'source.shell',
  patterns: [
    { match: '\\\\.', name: 'constant.character.escape.shell' },
    { match: '(?:^|(?<=[\\s;&|(]))#.*$', name: 'comment.line.number-sign.shell' },
    { begin: "'", end: "'", name: 'string.quoted.single.shell' },
    {
      begin: '"',
      end: '"',
      name: 'string.quoted.double.shell',
      patterns: [{ match: '\\\\.', name: 'constant.character.escape.shell' }, { include: '#variable' }],
    },
    { include: '#variable' },
  ],
  repository: {
    variable: {
      match: '\\$(?:\\{[^}]*\\}|[A-Za-z_]\\w*|[0-9#?$!@*-])',
      name: 'variable.other.shell',
    },
  },
};

function rbkFiles() {
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, e.name);
      if (e.isDirectory() && !(dir === 'tests/cases' && e.name === 'fail')) walk(rel);
      else if (e.isFile() && e.name.endsWith('.rbk')) out.push(rel);
    }
  };
  for (const d of corpus) walk(d);
  return out.sort();
}

async function loadGrammar() {
  const wasm = fs.readFileSync(path.join(npmDir, 'node_modules/vscode-oniguruma/release/onig.wasm'));
  await onig.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources) => new onig.OnigScanner(sources),
      createOnigString: (s) => new onig.OnigString(s),
    }),
    loadGrammar: async (scope) => {
      if (scope === 'source.rbk')
        return vsctm.parseRawGrammar(fs.readFileSync(grammarPath, 'utf8'), grammarPath);
      if (scope === 'source.shell') return shellStub;
      return null;
    },
  });
  return registry.loadGrammar('source.rbk');
}

/// The file's tokens, and the depth of the rule stack after its last line
/// (1: no rule left open).
function tokenize(grammar, text) {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let stack = vsctm.INITIAL;
  const tokens = [];
  lines.forEach((line, i) => {
    const r = grammar.tokenizeLine(line, stack);
    for (const t of r.tokens)
      tokens.push({ line: i + 1, col: t.startIndex + 1, text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes });
    stack = r.ruleStack;
  });
  return { tokens, depth: stack.depth };
}

/// Problems of check 1 in one file.
function unmatched(file, { tokens, depth }) {
  const found = [];
  for (const t of tokens) {
    const lead = t.text.search(/\S/);
    if (lead < 0) continue;
    const bare = t.scopes.length === 1;
    const invalid = t.scopes.find((s) => s.startsWith('invalid.'));
    if (bare || invalid)
      found.push(`${file}:${t.line}:${t.col + lead}: ${bare ? 'unmatched' : invalid} ${JSON.stringify(t.text.trim())}`);
  }
  if (depth !== 1) {
    const last = tokens[tokens.length - 1];
    found.push(`${file}: ends inside a rule that never closed (last token's scopes: ${last ? last.scopes.join(' ') : '-'})`);
  }
  return found;
}

/// Check 2: the RBK_KEY keywords missing from the TextMate grammar's rules.
function missingKeywords() {
  const rules = fs.readFileSync(path.join(root, 'grammar/rules.hpp'), 'utf8');
  const keywords = [...rules.matchAll(/^RBK_KEY\((\w+)\s*\);/gm)].map((m) => m[1]);
  if (keywords.length < 50) return [`grammar/rules.hpp: found only ${keywords.length} RBK_KEY keywords; has the macro changed?`];
  const sources = [];
  const collect = (v) => {
    if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        if (['match', 'begin', 'end', 'while'].includes(k) && typeof x === 'string') sources.push(x);
        else collect(x);
      }
  };
  collect(JSON.parse(fs.readFileSync(grammarPath, 'utf8')));
  const all = sources.join('\n');
  return keywords
    .filter((k) => !new RegExp(`(?<![A-Za-z_])${k}(?![A-Za-z_])`).test(all))
    .map((k) => `editors/vscode/syntaxes/rbk.tmLanguage.json: no rule matches the keyword '${k}' (grammar/rules.hpp)`);
}

function goldenText(file, tokens) {
  const lines = [
    `# ${file}, tokenized by editors/vscode/syntaxes/rbk.tmLanguage.json (tests/editors/tokenize.js).`,
    '# LINE:COL "TEXT" → SCOPES; source.rbk, on every token, and whitespace-only tokens are left out.',
    '# Regenerate with RBK_UPDATE_GOLDEN=1 bash tests/editors/run.sh, then review the diff.',
  ];
  for (const t of tokens) {
    if (!/\S/.test(t.text)) continue;
    lines.push(`${t.line}:${t.col} ${JSON.stringify(t.text)} → ${t.scopes.slice(1).join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

function goldenPath(file) {
  return path.join(goldenDir, file.replace(/\.rbk$/, '').replace(/\//g, '--') + '.tokens');
}

/// Check 3 for one file: '' when it matches, otherwise the diff.
function compareGolden(file, actual) {
  const p = goldenPath(file);
  if (update) {
    fs.writeFileSync(p, actual);
    return '';
  }
  if (!fs.existsSync(p)) return `${path.relative(root, p)}: missing (RBK_UPDATE_GOLDEN=1 writes it)\n`;
  if (fs.readFileSync(p, 'utf8') === actual) return '';
  const d = spawnSync('diff', ['-u', '--label', path.relative(root, p), '--label', `${file} now`, p, '-'], {
    input: actual,
    encoding: 'utf8',
  });
  return d.stdout || `${path.relative(root, p)}: differs\n`;
}

async function main() {
  const grammar = await loadGrammar();
  const files = rbkFiles();
  const problems = [];
  let tokenCount = 0;
  for (const f of files) {
    const r = tokenize(grammar, fs.readFileSync(path.join(root, f), 'utf8'));
    tokenCount += r.tokens.length;
    problems.push(...unmatched(f, r));
  }
  problems.push(...missingKeywords());

  let diffs = '';
  for (const f of goldens) {
    if (!files.includes(f)) {
      diffs += `${f}: chosen for a golden but not a shipped runbook any more\n`;
      continue;
    }
    const { tokens } = tokenize(grammar, fs.readFileSync(path.join(root, f), 'utf8'));
    diffs += compareGolden(f, goldenText(f, tokens));
  }
  // A golden nobody compares against any more is stale, not harmless.
  const expected = new Set(goldens.map((f) => path.basename(goldenPath(f))));
  for (const g of fs.readdirSync(goldenDir))
    if (!expected.has(g)) diffs += `tests/editors/golden/${g}: not the golden of any chosen file; remove it\n`;

  for (const p of problems.slice(0, 200)) console.log(p);
  if (problems.length > 200) console.log(`… and ${problems.length - 200} more`);
  if (diffs) process.stdout.write(diffs);
  if (problems.length || diffs) {
    console.log(`tests/editors: FAILED (${problems.length} unmatched or invalid, goldens ${diffs ? 'differ' : 'match'})`);
    process.exit(1);
  }
  console.log(
    `tests/editors: ${files.length} files, ${tokenCount} tokens, no unmatched text; ` +
      `${goldens.length} goldens ${update ? 'written' : 'match'}`,
  );
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
