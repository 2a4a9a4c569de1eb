#!/bin/bash
# Installs code-server (VS Code's own server, web workbench and Node extension host) for the e2e
# tests, from the npm registry only: @vscode/test-electron downloads VS Code from a CDN, which
# machines that reach only npm and Debian cannot do.
#
# usage: scripts/install-code-server.sh [DEST]      (default DEST: <project>/.cache/code-server)
# env:   CODE_SERVER_VERSION (default 4.100.3: the last release that runs on Node 20 = VS Code 1.100.3)
# prints the installed package folder (what test/e2e/harness.mjs looks for) on its last line.
#
# Debian packages it needs (as root):
#   apt-get install -y chromium ripgrep libkrb5-dev build-essential python3
#   build-essential python3: node-gyp builds of the native modules; libkrb5-dev: `kerberos`;
#   ripgrep: copied in, because @vscode/ripgrep's postinstall downloads rg from GitHub;
#   chromium: not needed here, but the tests drive the workbench with it.
set -euo pipefail

V=${CODE_SERVER_VERSION:-4.100.3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=${1:-$ROOT/.cache/code-server}
FINAL="$DEST/$V"
MARK="$FINAL/.installed"

# Native modules are tied to the Node ABI (one per major), not to the exact Node version.
STAMP="$V node-abi-$(node -p process.versions.modules)"
if [ -f "$MARK" ] && [ "$(cat "$MARK")" = "$STAMP" ] \
   && node "$FINAL/package/out/node/entry.js" --version --config /dev/null >/dev/null 2>&1; then
  echo "code-server $V already installed" >&2
  echo "$FINAL/package"
  exit 0
fi

for tool in node npm rg make g++ python3; do
  command -v "$tool" >/dev/null || { echo "missing: $tool (see the apt-get line at the top of $0)" >&2; exit 1; }
done
[ -f /usr/include/krb5.h ] || [ -f /usr/include/krb5/krb5.h ] || { echo "missing: libkrb5-dev" >&2; exit 1; }

# Native modules must be built against the node that will run code-server, not a cached header set.
export npm_config_nodedir=${npm_config_nodedir:-$(dirname "$(dirname "$(command -v node)")")}
export npm_config_yes=true   # node-pty's install script runs `npx node-gyp` (from the npm registry)
NPM="npm --no-audit --no-fund --omit=dev --ignore-scripts"

# Build in a scratch folder and move it in place at the end, so an interrupted run never looks installed.
mkdir -p "$DEST"
WORK=$(mktemp -d "$DEST/.tmp-$V-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack "code-server@$V" >/dev/null
tar xzf "code-server-$V.tgz" && rm "code-server-$V.tgz"
cd package
# --ignore-scripts everywhere: the packages' own postinstall steps download binaries from GitHub and
# need --unsafe-perm as root; the native parts are rebuilt explicitly below instead.
$NPM install >&2
node -e 'require("argon2")' 2>/dev/null || npm rebuild argon2 --build-from-source --foreground-scripts >&2
cd lib/vscode
$NPM install >&2
native=""
for p in @vscode/spdlog @vscode/deviceid native-watchdog @vscode/native-watchdog node-pty kerberos \
         @vscode/sqlite3 @vscode/fs-copyfile @parcel/watcher ssh2 koffi; do
  [ -d "node_modules/$p" ] && native="$native $p"
done
# --foreground-scripts also serialises the builds: parallel node-gyp runs of one package race.
# shellcheck disable=SC2086
npm rebuild $native --foreground-scripts >&2
if [ -d node_modules/@vscode/ripgrep ] && [ ! -x node_modules/@vscode/ripgrep/bin/rg ]; then
  mkdir -p node_modules/@vscode/ripgrep/bin && cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
fi
# code-server's own postinstall.sh would create these links; we skipped it.
if grep -q symlink_asar ../../postinstall.sh; then ln -sfn node_modules node_modules.asar; fi
ln -sfn code-linux.sh bin/remote-cli/code-server
ln -sfn browser-linux.sh bin/helpers/browser.sh
(cd extensions && $NPM install >&2 && node ./postinstall.mjs >/dev/null)
cd ../..
node out/node/entry.js --version --config /dev/null >&2

cd "$DEST"
rm -rf "$FINAL"
mv "$WORK" "$FINAL"
trap - EXIT
echo "$STAMP" > "$MARK"
echo "$FINAL/package"
