#!/usr/bin/env bash
# Prefill (pp) and decode (tg) tokens/s of jllm next to llama.cpp's, on the same randomly initialised GGUF files
# and thread counts, in one run. Makes the models with `./jllm init` (reused when already in the folder), then for
# every file and thread count runs `./jllm bench --json` and tools/llamacpp-check/bench.mjs (llama.cpp through
# node-llama-cpp, measured the same way), alternating which goes first, and prints a markdown table.
# Usage: tools/bench-decode.sh [--quick] [--models "preset:TYPE ..."] [--dir DIR] [--threads "1 2"] [-p N] [-n N] [-r N]
#   --quick    one small model (qwen2.5-0.5b Q4_0), p 32, n 16, 2 repetitions: checks that the script works
#   --models   only these files, e.g. "llama-3.2-1b:Q8_0 qwen2.5-0.5b:Q8_0" (default: the seven of the table)
#   --dir      where the models are made or found (default ${TMPDIR:-/tmp}/jllm-bench-models); the raw JSON lines
#              of the run are written there too
# Needs `npm install --omit=optional node-llama-cpp@3.21.1 @node-llama-cpp/linux-x64@3.21.1` in tools/llamacpp-check.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bench_mjs=$root/tools/llamacpp-check/bench.mjs

quick=false
dir=${TMPDIR:-/tmp}/jllm-bench-models
thread_counts="1 2"
pp=512 tg=128 reps=5
pp_set="" tg_set="" reps_set="" models_set=""
while [[ $# -gt 0 ]]; do
    case $1 in
        --quick) quick=true; shift ;;
        --dir) dir=${2:?--dir needs a folder}; shift 2 ;;
        --models) models_set=${2:?--models needs a list such as \"llama-3.2-1b:Q8_0\"}; shift 2 ;;
        --threads) thread_counts=${2:?--threads needs a list such as \"1 2\"}; shift 2 ;;
        -p) pp_set=${2:?-p needs a number}; shift 2 ;;
        -n) tg_set=${2:?-n needs a number}; shift 2 ;;
        -r) reps_set=${2:?-r needs a number}; shift 2 ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-decode.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

# preset:type pairs; tinyllama is the file of the llama.cpp figure quoted in issue 4
if $quick; then
    models="qwen2.5-0.5b:Q4_0"
    pp=32 tg=16 reps=2
else
    models="tinyllama-1.1b:Q8_0 llama-3.2-1b:Q8_0 llama-3.2-1b:Q4_0 llama-3.2-1b:Q4_K_M"
    models+=" qwen2.5-0.5b:Q8_0 qwen2.5-0.5b:Q4_0 qwen2.5-0.5b:Q4_K_M"
fi
pp=${pp_set:-$pp} tg=${tg_set:-$tg} reps=${reps_set:-$reps} models=${models_set:-$models}

if ! (cd "$root/tools/llamacpp-check" && node -e 'import("node-llama-cpp")' 2>/dev/null); then
    echo "bench-decode.sh: node-llama-cpp is not installed; run tools/llamacpp-check/install.sh" >&2
    exit 1
fi
mkdir -p "$dir"
stamp=$(date -u +%Y%m%d-%H%M%S)
results=$dir/bench-decode-$stamp.jsonl
: >"$results"

# build jllm now, so that no timed run pays for it
(cd "$root" && ./jllm --version >/dev/null)

for entry in $models; do
    preset=${entry%%:*} type=${entry##*:}
    file=$dir/$preset-$type.gguf
    if [[ ! -f $file ]]; then
        echo "making $file" >&2
        (cd "$root" && ./jllm init --preset "$preset" -t "$type" -o "$file") >&2
    fi
done

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
case_index=0
# record ENGINE PRESET TYPE THREADS JSON: one line of the results file
record() {
    node -e 'const [engine, preset, type, threads, json] = process.argv.slice(1);
             let result; try { result = JSON.parse(json); } catch { result = {error: json.slice(0, 300)}; }
             console.log(JSON.stringify({engine, preset, type, threads: Number(threads), ...result}));' \
        "$@" >>"$results"
}
# JSON on stdout when a run succeeds; otherwise the last line of its stderr is recorded as the error
errors=$dir/bench-decode-$stamp.stderr
run_jllm() {
    local out
    out=$(cd "$root" && ./jllm bench -m "$3" -t "$4" -p "$pp" -n "$tg" -r "$reps" --json 2>>"$errors") || true
    record jllm "$1" "$2" "$4" "${out:-$(tail -1 "$errors")}"
}
run_llamacpp() {
    local out
    out=$(node "$bench_mjs" --model "$3" --threads "$4" --pp "$pp" --tg "$tg" --reps "$reps" 2>>"$errors") || true
    record llama.cpp "$1" "$2" "$4" "${out:-$(tail -1 "$errors")}"
}
for entry in $models; do
    preset=${entry%%:*} type=${entry##*:}
    file=$dir/$preset-$type.gguf
    for threads in $thread_counts; do
        echo "bench $preset $type, $threads thread(s)" >&2
        # alternate which engine runs first, so that a slow drift of the machine does not favour one of them
        if (( case_index % 2 == 0 )); then
            run_jllm "$preset" "$type" "$file" "$threads"
            run_llamacpp "$preset" "$type" "$file" "$threads"
        else
            run_llamacpp "$preset" "$type" "$file" "$threads"
            run_jllm "$preset" "$type" "$file" "$threads"
        fi
        case_index=$((case_index + 1))
    done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

echo "## jllm vs llama.cpp: pp$pp / tg$tg, $reps repetitions"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), nproc $(nproc); load average $load_start at start, $load_end at the end"
echo "- jllm: $(cd "$root" && git rev-parse --short HEAD)$(cd "$root" && git diff --quiet HEAD -- . ':!tools' || echo ' (with uncommitted changes)'), KV cache f16 (jllm bench default)"
echo "- raw results: $results"
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const llama = lines.find(l => l.engine === "llama.cpp" && l.llamaCpp);
if (llama) {
    console.log(`- llama.cpp ${llama.llamaCpp} (node-llama-cpp ${llama.nodeLlamaCpp}, prebuilt CPU build; ${llama.llamaCppSystemInfo}); ` +
        `KV cache ${llama.kvCacheKeyType}, flash attention ${llama.flashAttention ? "on" : "off"}, whole prompt in one batch`);
}
console.log("- llama.cpp pp and tg: time of llama_decode by the timers inside llama.cpp (as llama-bench); the last column adds " +
    "the per-call overhead of node-llama-cpp (wall time of the JavaScript calls)");
console.log();
const f = (r, key) => r == null ? "missing" : r.error != null ? "error" : `${r[key + "_tps"].toFixed(2)} ± ${r[key + "_sd"].toFixed(2)}`;
const ratio = (j, l, jKey, lKey) => j?.[jKey] > 0 && l?.[lKey] > 0 ? (j[jKey] / l[lKey]).toFixed(2) : "-";
console.log("| model | type | threads | jllm pp | llama.cpp pp | jllm tg | llama.cpp tg | pp jllm/llama.cpp | tg jllm/llama.cpp | llama.cpp pp, tg with node overhead |");
console.log("|---|---|---|---|---|---|---|---|---|---|");
const keys = [...new Set(lines.map(l => `${l.preset}\t${l.type}\t${l.threads}`))];
for (const key of keys) {
    const [preset, type, threads] = key.split("\t");
    const of = engine => lines.find(l => l.engine === engine && `${l.preset}\t${l.type}\t${l.threads}` === key);
    const j = of("jllm"), l = of("llama.cpp");
    console.log(`| ${preset} | ${type} | ${threads} | ${f(j, "pp")} | ${f(l, "pp_native")} | ${f(j, "tg")} | ${f(l, "tg_native")} | ` +
        `${ratio(j, l, "pp_tps", "pp_native_tps")} | ${ratio(j, l, "tg_tps", "tg_native_tps")} | ${f(l, "pp")}, ${f(l, "tg")} |`);
}
for (const l of lines.filter(l => l.error != null)) console.log(`\n${l.engine} ${l.preset} ${l.type} ${l.threads} thread(s) failed: ${l.error}`);
' "$results"
