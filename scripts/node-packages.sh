#!/bin/bash
# Unpacks Debian's JavaScript packages for the database drivers Auth0's sandbox offers (pg,
# mysql, mongodb) and what they and the runtime's `stream` need, into .build/debian-nodejs
# (authsim searches .build/debian-nodejs/usr/share/nodejs after /usr/share/nodejs). apt will not
# install most of them on this machine (they depend on Debian's `nodejs`), so they are fetched
# with `apt-get download` and unpacked with `dpkg -x`: nothing is installed system-wide.
# Idempotent: does nothing when the set is already unpacked.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOTS="node-pg node-mysql node-mongodb node-readable-stream node-string-decoder node-async"
DEST=.build/debian-nodejs
STAMP=$DEST/.unpacked
want="$ROOTS v1"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then exit 0; fi
if ! apt-cache show node-pg >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
fi
# The packages and every node-* package they depend on (nodejs itself and native add-ons aside).
pkgs=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances --no-pre-depends $ROOTS 2>/dev/null | grep '^node-' | sort -u)
rm -rf "$DEST"
mkdir -p "$DEST/debs"
echo "Fetching Debian's JavaScript packages for the database drivers into $DEST"
(cd "$DEST/debs" && apt-get download $pkgs >/dev/null 2>&1 || apt-get download $pkgs)
for f in "$DEST"/debs/*.deb; do dpkg -x "$f" "$DEST"; done
rm -rf "$DEST/debs"
test -f "$DEST/usr/share/nodejs/pg/package.json"
echo "$want" > "$STAMP"
