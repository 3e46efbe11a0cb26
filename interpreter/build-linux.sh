#!/bin/sh
# Applies tls-verify-2v29.patch to an Espruino RELEASE_2V29 source tree and builds the Linux
# interpreter from it (the ESP32 image is built on a machine with ESP-IDF: see README.md in
# this folder).
#
#   interpreter/build-linux.sh <espruino-tree> [--profile esp32|c3|stock] [--out <file>] [--jobs <n>]
#
# The tree must be a git work tree (Espruino's Makefile asks git for the commit). Profiles
# match the test interpreters: esp32 = 16,383 fixed variables and 8-bit strings like the
# board (default), c3 = 4,095 variables, stock = the LINUX board as released (resizable pool,
# Unicode strings). All leave out the TENSORFLOW and GRAPHICS libraries. Applying twice is
# harmless: an already patched tree is built as it is.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
patch_file="$here/tls-verify-2v29.patch"
tree=""
profile=esp32
out=""
jobs=2

while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "build-linux: unknown option $1" >&2; exit 2 ;;
    *) tree=$1; shift ;;
  esac
done
[ -n "$tree" ] || { echo "usage: build-linux.sh <espruino-tree> [--profile esp32|c3|stock] [--out <file>] [--jobs <n>]" >&2; exit 2; }
tree=$(cd "$tree" && pwd)

case "$profile" in
  esp32) board=LINUX_ESP32; variables=16383; unicode=no ;;
  c3) board=LINUX_C3; variables=4095; unicode=no ;;
  stock) board=LINUX_STOCK; variables=0; unicode=yes ;;
  *) echo "build-linux: profile must be esp32, c3 or stock" >&2; exit 2 ;;
esac
[ -n "$out" ] || out="$tree/espruino-$profile-tls-verify"

# The patch is written against 2v29; another release may need it redone.
grep -q '^#define JS_VERSION "2v29"' "$tree/src/jsutils.h" || {
  echo "build-linux: $tree is not Espruino 2v29 (src/jsutils.h)" >&2; exit 1; }
git -C "$tree" rev-parse --git-dir >/dev/null 2>&1 || {
  echo "build-linux: $tree is not a git work tree (git init && git add -A && git commit there first)" >&2; exit 1; }

cd "$tree"
if git apply --reverse --check "$patch_file" 2>/dev/null; then
  echo "build-linux: patch already applied"
else
  git apply --check "$patch_file"
  git apply "$patch_file"
  echo "build-linux: patch applied"
fi

# A board file for the profile, derived from the LINUX board.
python3 - "$board" "$variables" "$unicode" <<'EOF'
import re, sys
board, variables, unicode = sys.argv[1], sys.argv[2], sys.argv[3]
src = open("boards/LINUX.py").read()
src = src.replace("     'TENSORFLOW',\n", "").replace("     'GRAPHICS',\n", "")
src = re.sub(r"'variables' :\s*0,", "'variables' : %s," % variables, src)
if unicode == "no":
    src = src.replace("     'DEFINES+=-DESPR_UNICODE_SUPPORT=1',\n", "")
assert "TENSORFLOW" not in src and "'GRAPHICS'" not in src
open("boards/%s.py" % board, "w").write(src)
EOF

# Objects are shared between boards: start clean when the last build here was another profile.
if [ -f .build-linux-board ] && [ "$(cat .build-linux-board)" != "$board" ]; then
  make BOARD="$board" clean >/dev/null 2>&1 || true
fi
echo "$board" >.build-linux-board
echo "build-linux: make BOARD=$board RELEASE=1 -j$jobs"
make BOARD="$board" RELEASE=1 -j"$jobs" >build-linux.log 2>&1 || {
  tail -30 build-linux.log >&2; echo "build-linux: make failed (full log in $tree/build-linux.log)" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
cp bin/espruino "$out"
strip "$out"
echo "build-linux: built $out"
# The flag the client checks at boot: 1 on this build, undefined on a stock one.
probe_dir=$(mktemp -d)
(cd "$probe_dir" && timeout 10 "$out" -e 'print("tls.VERIFY = " + require("tls").VERIFY)' </dev/null 2>/dev/null | grep '^tls.VERIFY' || true)
rm -rf "$probe_dir"
