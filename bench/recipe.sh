#!/usr/bin/env bash
# One measured MNIST training, for the recipe table of docs/recipes.md:
#   bash bench/recipe.sh --recipe best [more train flags]
# prints one line: the flags, accuracy before → after fine-tuning, wall and CPU seconds (the
# process and its worker, from /usr/bin/time), the load average before and after, and the backend.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
timing=$(mktemp)
trap 'rm -f "$out" "$timing"' EXIT
load_before=$(cut -d' ' -f1 /proc/loadavg)
/usr/bin/time -f '%e %U %S' -o "$timing" nice node dist/cli/main.js train --json --quiet "$@" >"$out"
load_after=$(cut -d' ' -f1 /proc/loadavg)
read -r wall user sys <"$timing"
node -e '
const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const [flags, wall, user, sys, l0, l1] = process.argv.slice(2);
const pct = (x) => (100 * x).toFixed(2);
const cpu = (Number(user) + Number(sys)).toFixed(0);
console.log(`| \`${flags}\` | ${pct(s.accuracyBeforeFineTuning)} → ${pct(s.accuracyAfterFineTuning)} % | ${Number(wall).toFixed(0)} | ${cpu} | ${l0}–${l1} | ${s.backend} | recipe ${s.recipe}, seed ${s.seed}, fine-tuning ${s.seconds["fine-tuning"]} s |`);
' "$out" "$*" "$wall" "$user" "$sys" "$load_before" "$load_after"
