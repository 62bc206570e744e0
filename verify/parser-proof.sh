#!/usr/bin/env bash
# Proves with Frama-C/WP (RTE guards, provers Z3 and CVC4 through Why3) that the XDP packet parser
# src/kernel/bpf/jirachi_parse.h never reads outside [data, end) for any packet length, meets its
# contract and terminates. Exits non-zero on any goal not proved valid.
# Usage: bash verify/parser-proof.sh [PARSER_HEADER]   (default: the header the kernel program uses;
# another path must be named jirachi_parse.h and have jirachi_shared.h beside it)
# Env: WP_TIMEOUT seconds per goal and prover (30); PROOF_SCOPE=mem proves only the memory-access
# guards and the wide-read preconditions (the goals a missing bounds check breaks; the mutant tests
# use it), default: every goal. The parser's 2- and 4-byte loads are modelled in
# verify/parse_harness.c as functions requiring \valid_read of the bytes they load (wide_read).
# Needs: apt-get install frama-c-base why3 z3 cvc4
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
HEADER=${1:-$HERE/../src/kernel/bpf/jirachi_parse.h}
HEADER=$(cd "$(dirname "$HEADER")" && pwd)/$(basename "$HEADER")
for t in frama-c why3 z3 cvc4; do command -v $t >/dev/null || { echo "parser-proof: $t not found (apt-get install frama-c-base why3 z3 cvc4)" >&2; exit 2; }; done
# Why3 must know the provers; detect them once per machine.
why3 config list-provers 2>/dev/null | grep -q '^Z3' || why3 config detect >/dev/null
SCOPE=()
[ "${PROOF_SCOPE:-all}" = mem ] && SCOPE=(-wp-prop=mem_access,wide_read)
WORK=$(mktemp -d /tmp/jirachi-proof.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
# -wp-rte adds a \valid_read guard for every memory access; -report-classify with
# -report-unclassified-* turns any goal that is not proved (unknown, invalid, prover error) into an
# error and a non-zero exit. Untried properties are only listed for review: they are the entry
# function's preconditions (assumptions: nothing calls it) and, in PROOF_SCOPE=mem, the goals left
# out on purpose; a full run must still report every scheduled goal proved (checked below).
frama-c \
	-cpp-extra-args="-I$(dirname "$HEADER")" \
	-wp -wp-rte "${SCOPE[@]}" -wp-prover z3,cvc4 -wp-timeout "${WP_TIMEOUT:-30}" -wp-par 2 -wp-session "$WORK/session" \
	"$HERE/parse_harness.c" \
	-then -report-classify -report-unclassified-unknown ERROR -report-unclassified-untried REVIEW \
	-report-unclassified-invalid ERROR -report-unclassified-error ERROR -report-exit \
	> "$WORK/out.txt" 2>&1 || { grep -E "Goal|Proved|error|Error|ERROR|invalid|Unknown|Timeout" "$WORK/out.txt" | grep -v ": Valid" | tail -40; echo "parser-proof: FAILED (goals not proved or Frama-C error)" >&2; exit 1; }
proved=$(grep -E "Proved goals:" "$WORK/out.txt" | tail -1)
reads=$(grep -c "rte_mem_access.*Valid" "$WORK/out.txt" || true)
wide=$(grep -c "requires_wide_read.*Valid" "$WORK/out.txt" || true)
echo "parser-proof: $proved (including $reads memory-access guards and $wide wide-read preconditions) for $HEADER"
grep -q -E "Proved goals:\s+([0-9]+) / \1\b" "$WORK/out.txt" || { grep -E "Goal" "$WORK/out.txt" | grep -v ": Valid" | tail -40; echo "parser-proof: not every goal proved" >&2; exit 1; }
