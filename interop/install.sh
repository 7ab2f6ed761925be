#!/usr/bin/env bash
# Installs the interop peer's Node dependencies (Fedify etc.) into
# interop/peer/node_modules with `npm ci`, exactly as pinned by
# interop/peer/package-lock.json.  Idempotent: does nothing when
# node_modules already matches the lockfile.  Needs node >= 20 and npm.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
peer="$here/peer"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "interop/install.sh: node and npm are required (Node.js >= 20)" >&2
  exit 1
fi
major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 20 ]; then
  echo "interop/install.sh: Node.js >= 20 required, found $(node --version)" >&2
  exit 1
fi

stamp="$peer/node_modules/.tocsin-install-stamp"
want="$(cat "$peer/package.json" "$peer/package-lock.json" | sha256sum | cut -d' ' -f1)-$(node --version)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d "$peer/node_modules/@fedify/fedify" ]; then
  echo "interop peer: dependencies up to date"
  exit 0
fi

echo "interop peer: npm ci in $peer"
npm ci --prefix "$peer" --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
echo "interop peer: installed @fedify/fedify $(node -p "require('$peer/node_modules/@fedify/fedify/package.json').version")"
