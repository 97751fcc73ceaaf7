#!/usr/bin/env bash
# Before/after speed of two commits of this repository without building all of `r1`: each commit is cloned into
# WORK/src-{old,new}, and a small release executable (main.swift: what `r1 bench` times, on R1Models alone) is built
# against it by path; then alternated runs (which goes first alternates too) over the GGUF files, medians.
# Usage: scripts/bench/compare_commits/run.sh OLD_COMMIT NEW_COMMIT "MODEL.gguf ..." [ROUNDS P G DEPTH REPS] [WORK]
# (defaults 3 rounds, prompt 128, gen 32, depth 0, 2 repetitions per run; WORK /tmp/kb). Time it with /work/quiet.sh
# from a directory outside /work/wt-*. MAIN_OLD=FILE times the old commit with another harness (main_pre_seam.swift
# for commits before the one-forward-pass model layer, cca5c92 and earlier).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../../.." && pwd)
old=$1 new=$2 models=$3 rounds=${4:-3} p=${5:-128} g=${6:-32} depth=${7:-0} reps=${8:-2} work=${9:-/tmp/kb}
for v in old new; do
    commit=$([ $v = old ] && echo "$old" || echo "$new")
    if [ ! -x "$work/$v/.build/release/kbench" ]; then
        rm -rf "$work/src-$v" "$work/$v"
        git clone -q "$repo" "$work/src-$v" && git -C "$work/src-$v" checkout -q "$commit"
        mkdir -p "$work/$v/Sources/kbench"
        main="$(dirname "$0")/main.swift"; [ $v = old ] && main=${MAIN_OLD:-$main}
        cp "$main" "$work/$v/Sources/kbench/main.swift"
        cat > "$work/$v/Package.swift" <<PKG
// swift-tools-version:6.1
import PackageDescription
let package = Package(name: "kbench", platforms: [.macOS(.v14)],
    dependencies: [.package(path: "$work/src-$v")],
    targets: [.executableTarget(name: "kbench", dependencies: [
        .product(name: "R1Models", package: "src-$v"), .product(name: "R1Kernels", package: "src-$v")])])
PKG
        (cd "$work/$v" && swift build -c release)
    fi
done
for m in $models; do
    for ((r = 0; r < rounds; r++)); do
        order="old new"; [ $((r % 2)) = 1 ] && order="new old"
        for v in $order; do echo "$(basename "$m") depth $depth round $r $v $("$work/$v/.build/release/kbench" "$m" "$p" "$g" "$depth" "$reps")"; done
    done
done | tee "$work/runs.txt"
python3 - "$work/runs.txt" <<'PY'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    head, js = line.split(" {", 1)
    name, _, depth, _, _, which = head.split()
    j = json.loads("{" + js)
    runs.setdefault((name, depth), {}).setdefault(which, []).append(j)
print("| model | depth | old pp | new pp | new/old | old tg | new tg | new/old |\n|---|---|---|---|---|---|---|---|")
for (name, depth), w in runs.items():
    m = {k: [statistics.median(x[f] for x in v) for f in ("prompt_tokens_per_second", "generate_tokens_per_second")] for k, v in w.items()}
    (opp, otg), (npp, ntg) = m["old"], m["new"]
    r = lambda a, b: f"{a / b:.3f}x" if b else "-"
    print(f"| {name} | {depth} | {opp:.2f} | {npp:.2f} | {r(npp, opp)} | {otg:.2f} | {ntg:.2f} | {r(ntg, otg)} |")
PY
