#!/usr/bin/env bash
# R1KernelsC's AArch64 kernels (NEON, dotprod, i8mm) built for aarch64 with Debian's cross toolchain and tested under
# qemu-aarch64 against plain C references (scripts/tests/neon_kernels.c), one emulated CPU per level so every dispatch
# path runs: cortex-a53 (NEON only: level 1), cortex-a76 (dotprod: 2), max (dotprod and i8mm: 3); each run also checks
# that the run-time detection (getauxval) reports that level. Built twice: with aarch64-linux-gnu-gcc, and with the
# Swift toolchain's clang (the compiler SwiftPM uses for R1KernelsC) when it is on PATH; plus a compile at -O0 (debug
# builds). Installs gcc-aarch64-linux-gnu and qemu-user with apt-get when they are missing (as root); fails loudly
# when it cannot. qemu's timings say nothing about ARM speed: this checks results only.
set -euo pipefail
cd "$(dirname "$0")/../.."

need() { command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64 >/dev/null && [ -d /usr/aarch64-linux-gnu/lib ]; }
if ! need; then
  echo "neon_qemu: installing gcc-aarch64-linux-gnu and qemu-user" >&2
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "neon_qemu: FAIL: aarch64-linux-gnu-gcc or qemu-aarch64 is missing and this is not root with apt-get;" \
         "install gcc-aarch64-linux-gnu and qemu-user (Debian/Ubuntu) to run the ARM kernel tests" >&2
    exit 1
  fi
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
         DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc-aarch64-linux-gnu qemu-user; } >&2 || ! need; then
    echo "neon_qemu: FAIL: could not install gcc-aarch64-linux-gnu and qemu-user with apt-get" >&2
    exit 1
  fi
fi

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
SRC=(Sources/R1KernelsC/*.c scripts/tests/neon_kernels.c)
FLAGS=(-std=gnu11 -Wall -Wextra -ISources/R1KernelsC/include)
QEMU=(qemu-aarch64 -L /usr/aarch64-linux-gnu)

for f in Sources/R1KernelsC/*.c; do aarch64-linux-gnu-gcc -O0 "${FLAGS[@]}" -c "$f" -o "$OUT/o0.o"; done
aarch64-linux-gnu-gcc -O2 "${FLAGS[@]}" "${SRC[@]}" -lm -lpthread -o "$OUT/neon_gcc"
BINS=("$OUT/neon_gcc")
CLANG=(clang --target=aarch64-linux-gnu -fuse-ld=lld)
if command -v clang >/dev/null && echo 'int main(void){return 0;}' | "${CLANG[@]}" -x c - -o "$OUT/probe" 2>/dev/null; then
  "${CLANG[@]}" -O2 "${FLAGS[@]}" "${SRC[@]}" -lm -lpthread -o "$OUT/neon_clang"
  BINS+=("$OUT/neon_clang")
else
  echo "neon_qemu: NOTE: no clang that links for aarch64 (with lld) on PATH: the gcc build only" >&2
fi

for bin in "${BINS[@]}"; do
  for run in cortex-a53:1 cortex-a76:2 max:3; do
    cpu=${run%%:*} level=${run##*:}
    echo "neon_qemu: $(basename "$bin") on -cpu $cpu (level $level)"
    if ! "${QEMU[@]}" -cpu "$cpu" "$bin" "$level"; then
      echo "neon_qemu: FAIL: $(basename "$bin") on -cpu $cpu" >&2
      exit 1
    fi
  done
done
echo "neon_qemu: all NEON kernel tests passed"
