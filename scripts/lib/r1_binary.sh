# Sourced by the scripts that run r1 (install.sh, server/e2e.sh, server/structured_e2e.sh).
# r1_binary [SWIFT BUILD FLAGS...]: prints the path of the r1 to run: $R1_BIN when set (scripts/test.sh passes the one
# its tests ran on: `swift build --product r1` after `--build-tests` is another build plan, which recompiled
# Hummingbird and swift-argument-parser's tools, ~1 min on 2 cores), else r1 built with those flags (progress on stderr).
r1_binary() {
  if [[ -n "${R1_BIN:-}" ]]; then echo "$R1_BIN"; return; fi
  swift build "$@" --product r1 >&2 || return 1
  echo "$(swift build "$@" --show-bin-path)/r1"
}
