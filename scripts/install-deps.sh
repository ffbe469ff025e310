#!/usr/bin/env bash
# Installs the Debian 12 packages rbk needs to build and test.
# Idempotent: asks dpkg what is already there and installs only what is missing,
# so a second run on a prepared machine touches nothing and needs no network.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  tao-pegtl-dev libyaml-cpp-dev libfmt-dev catch2 libcli11-dev
  nlohmann-json3-dev libre2-dev libexpected-dev nettle-dev
  shellcheck
  # Boost.Beast, header-only, for rbk serve's HTTP (interpreter/serve/http.cpp).
  libboost1.81-dev
)
# Extra packages a caller asks for (e.g. the servers the end-to-end tests need).
packages+=("$@")

# Names that installed packages provide, space-separated: a package asked for
# that is only provided counts as there. NodeSource's nodejs provides npm and
# conflicts with Debian's npm package: asking apt for npm would replace it.
provided=" $(dpkg-query -W -f='${Status}|${Provides}\n' 2>/dev/null |
  sed -n 's/^install ok installed|//p' | tr ',' '\n' | sed 's/(.*)//; s/:any//' | tr -s ' \n' ' ') "

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' &&
    [[ "$provided" != *" $p "* ]]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
