#!/usr/bin/env bash
# Tests the VS Code extension's TextMate grammar (editors/vscode/syntaxes/):
# installs the tokenizer VS Code uses, vscode-textmate with vscode-oniguruma,
# from npm into $RBK_NPM_DIR (default build/editors-npm, outside the tracked
# files; skipped when the pinned versions are already there), then runs
# tests/editors/tokenize.js. RBK_UPDATE_GOLDEN=1 rewrites the goldens.
set -euo pipefail
cd "$(dirname "$0")/../.."

# Pinned: the goldens record what these versions make of the grammar. Both
# are plain JavaScript and wasm that run on Debian 12's Node 18.
textmate=9.3.2
oniguruma=2.0.1

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "tests/editors: node and npm are needed (bash scripts/install-deps.sh nodejs npm)" >&2
  exit 1
fi

dir="${RBK_NPM_DIR:-build/editors-npm}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

# The version an installed package declares, or nothing.
installed() {
  node -e 'try { console.log(require(process.argv[1]).version) } catch (e) {}' \
    "$dir/node_modules/$1/package.json"
}
if [ "$(installed vscode-textmate)" != "$textmate" ] || [ "$(installed vscode-oniguruma)" != "$oniguruma" ]; then
  echo "tests/editors: installing vscode-textmate@$textmate vscode-oniguruma@$oniguruma into $dir"
  # npm's own output only when it fails.
  if ! out=$(npm install --no-audit --no-fund --prefix "$dir" \
    "vscode-textmate@$textmate" "vscode-oniguruma@$oniguruma" 2>&1); then
    echo "$out" >&2
    exit 1
  fi
fi

RBK_NPM_DIR="$dir" node tests/editors/tokenize.js
