#!/usr/bin/env bash
# Builds the .deb from a build directory (CPack), checks what it holds and
# what it depends on, extracts it into a throwaway root (nothing is
# installed into the machine), and runs the extracted rbk from an unrelated
# directory on the runbooks it ships: list, lint, test, plan, check, a man
# page, the bash completion and a language-server session. The extracted binary has no source tree,
# stdlib folder or build directory to lean on: this is the relocatable rbk.
#   scripts/package-test.sh [BUILD_DIR=build]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

log="$build/package.log"
(cd "$build" && cpack -G DEB -B package) >"$log" 2>&1 || { cat "$log"; exit 1; }
deb=$(ls "$build"/package/rbk_*_amd64.deb)
echo "package: $deb ($(du -k "$deb" | cut -f1) KiB)"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
# Computed by dpkg-shlibdeps, which always writes a version: the C library at least.
[[ $depends == *'libc6 (>= '* ]] || { echo "package-test: Depends lacks libc6: $depends" >&2; exit 1; }

root=$(mktemp -d /tmp/rbk-package-root-XXXXXX)
work=$(mktemp -d /tmp/rbk-package-work-XXXXXX)
trap 'rm -rf "$root" "$work"' EXIT
dpkg-deb -x "$deb" "$root"
rbk="$root/usr/bin/rbk"
for f in usr/share/man/man1/rbk.1 usr/share/man/man1/rbk-run.1 \
  usr/share/bash-completion/completions/rbk usr/share/zsh/vendor-completions/_rbk \
  usr/share/fish/vendor_completions.d/rbk.fish usr/share/rbk/schemas/rbk-yaml.schema.json \
  usr/share/rbk/stdlib/postgres.rbk usr/share/rbk/rbk.yaml usr/share/doc/rbk/cli.md; do
  [ -f "$root/$f" ] || { echo "package-test: the package lacks /$f" >&2; exit 1; }
done

# The shipped runbooks and their rbk.yaml, as a team would start a project:
# no stdlib/ beside them, so every import resolves inside the binary.
cp -r "$root/usr/share/rbk/runbooks" "$root/usr/share/rbk/rbk.yaml" "$work/"
src=$PWD
cd "$work"
"$rbk" --version
"$rbk" list | grep -q '^db-down ' || { echo "package-test: rbk list lacks db-down" >&2; exit 1; }
"$rbk" check runbooks/ >/dev/null
"$rbk" lint --max-warnings 0 runbooks/ >/dev/null
"$rbk" test runbooks/ | tail -n 1
"$rbk" plan db-down --format json >/dev/null
"$rbk" plan deploy-failed --target web-1 >/dev/null
man -l "$root/usr/share/man/man1/rbk-run.1" 2>/dev/null | grep -q -- '--approve' ||
  { echo "package-test: rbk-run(1) does not render --approve" >&2; exit 1; }
completions=$(PATH="$root/usr/bin:$PATH" bash -c \
  'source "$1"; COMP_WORDS=(rbk run db); COMP_CWORD=2; _rbk; printf "%s\n" "${COMPREPLY[@]}"' \
  sh "$root/usr/share/bash-completion/completions/rbk")
[ "$completions" = db-down ] || { echo "package-test: bash completion gave '$completions'" >&2; exit 1; }
# The language server of the extracted binary, through a real client's session.
python3 "$src/tests/lsp_client.py" "$rbk" >/dev/null
echo "package-test: the extracted rbk ran list, check, lint, test, plan and lsp from $work"
