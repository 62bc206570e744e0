#!/usr/bin/env bash
# Builds jirachi_xdp.bpf.o from its C source (clang -target bpf) and records the sources' hash beside it.
# Usage: bash src/kernel/bpf/build.sh [OUT.o]   (default: the committed object beside this script)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/jirachi_xdp.bpf.o}
ARCH_INC=/usr/include/$(uname -m)-linux-gnu
command -v clang >/dev/null || { echo "build.sh: clang not found (apt-get install clang llvm libbpf-dev)" >&2; exit 1; }
# Compiling from here with a relative path keeps the build directory out of the BTF, so the object is the same on every machine.
case $OUT in /*) ;; *) OUT=$PWD/$OUT;; esac
cd "$HERE"
clang -O2 -g -target bpf -mcpu=v3 -Wall -Werror -I"$ARCH_INC" -fdebug-compilation-dir=. \
	-c jirachi_xdp.bpf.c -o "$OUT.tmp"
# Keep BTF (libbpf needs it for the maps), drop DWARF.
llvm-strip --strip-debug "$OUT.tmp" 2>/dev/null || llvm-strip-14 --strip-debug "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
if [ $# -eq 0 ]; then
	(cat jirachi_xdp.bpf.c jirachi_shared.h jirachi_parse.h build.sh | sha256sum | cut -d' ' -f1) > "$HERE/jirachi_xdp.bpf.o.sources.sha256"
fi
echo "built $OUT"
