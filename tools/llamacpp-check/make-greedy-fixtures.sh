#!/usr/bin/env bash
# Regenerates jllm-cli/src/test/resources/llamacpp-greedy/*.json: makes each model with ./jllm init (and
# ./jllm quantize) in a temporary folder, runs greedy.mjs on it in llama.cpp, and writes one JSON per model and
# KV cache type that records how the file was made, its sha256 and size, and llama.cpp's greedy tokens.
# Usage: tools/llamacpp-check/make-greedy-fixtures.sh [OUT_DIR]   (needs `npm install` in tools/llamacpp-check)
# ONLY="name ..." remakes just those fixtures.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/jllm-cli/src/test/resources/llamacpp-greedy}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prompt=1,15,30,99,7
count=32
context=128
mkdir -p "$out"

# fixture NAME "INIT ARGS" [QUANTIZE_TYPE]. Each seed was picked among a few (see README) for a wide smallest
# top-1/top-2 logit gap over the 32 steps under both cache types; Q4_0 of seed 10 had a near-tie, hence seed 2.
fixture() {
    local name=$1 init_args=$2 quantize_type=${3:-}
    if [[ -n ${ONLY:-} && " $ONLY " != *" $name "* ]]; then
        return
    fi
    local base="$work/$name-base.gguf" model="$work/$name.gguf"
    # shellcheck disable=SC2086 # init_args is a word list on purpose
    (cd "$root" && ./jllm init $init_args -o "$base") >/dev/null 2>&1
    if [[ -n $quantize_type ]]; then
        (cd "$root" && ./jllm quantize -t "$quantize_type" "$base" "$model") >/dev/null
    else
        mv "$base" "$model"
    fi
    local sha bytes
    sha=$(sha256sum "$model" | cut -d' ' -f1)
    bytes=$(stat -c %s "$model")
    for kv in F16 F32; do
        local json
        json=$(cd "$here" && node greedy.mjs --model "$model" --prompt "$prompt" --count "$count" \
            --context "$context" --kv-cache "$kv" --threads 1 --flash-attention off)
        node -e '
            const [name, initArgs, quantizeType, sha256, bytes, kv, prompt, count, context, json, file] = process.argv.slice(1);
            const greedy = JSON.parse(json);
            const commands = [`jllm init ${initArgs} -o base.gguf`];
            if (quantizeType) commands.push(`jllm quantize -t ${quantizeType} base.gguf model.gguf`);
            commands.push(`node greedy.mjs --model model.gguf --prompt ${prompt} --count ${count} --context ${context} --kv-cache ${kv} --threads 1 --flash-attention off`);
            const fixture = {
                name, initArgs: initArgs.split(" "), quantizeType: quantizeType || null,
                model: {sha256, bytes: Number(bytes)}, commands, ...greedy
            };
            // one key per line and one step per line of topLogProbabilities: small diffs when a fixture changes
            const line = ([key, value]) => key === "topLogProbabilities"
                ? ` "${key}": [\n  ${value.map(row => JSON.stringify(row)).join(",\n  ")}]`
                : ` ${JSON.stringify(key)}: ${JSON.stringify(value)}`;
            require("fs").writeFileSync(file, `{\n${Object.entries(fixture).map(line).join(",\n")}\n}\n`);
        ' "$name" "$init_args" "$quantize_type" "$sha" "$bytes" "$kv" "$prompt" "$count" "$context" "$json" \
            "$out/$name-kv$kv.json"
        echo "$out/$name-kv$kv.json"
    done
}

fixture llama-tiny-F32    "--arch llama --preset tiny --seed 10"
fixture llama-tiny-F16    "--arch llama --preset tiny --seed 10" F16
fixture llama-tiny-Q8_0   "--arch llama --preset tiny --seed 10" Q8_0
fixture llama-tiny-Q4_0   "--arch llama --preset tiny --seed 2" Q4_0
fixture llama-tiny-Q4_K_M "--arch llama --preset tiny --seed 10" Q4_K_M
fixture llama-tiny-Q5_0   "--arch llama --preset tiny --seed 4" Q5_0
fixture llama-tiny-Q4_1   "--arch llama --preset tiny --seed 8" Q4_1
fixture llama-tiny-Q5_1   "--arch llama --preset tiny --seed 22" Q5_1
# rows of 256, so that Q4_K_M's K-quants (and jllm's repacked Q4_K kernel) are used, not its fallback types
fixture llama-wide-Q4_K_M "--arch llama --dims 256,2,4,2,512,512 --seed 20" Q4_K_M
# Q3_K_M: Q3_K in attn_q/k and ffn_gate/up, Q5_K and Q4_K in attn_v, ffn_down and attn_output, Q6_K output
fixture llama-wide-Q3_K_M "--arch llama --dims 256,2,4,2,512,512 --seed 13" Q3_K_M
# Q2_K: Q2_K in attn_q/k and ffn_gate/up, Q3_K in attn_v, attn_output and ffn_down, Q6_K output
fixture llama-wide-Q2_K "--arch llama --dims 256,2,4,2,512,512 --seed 22" Q2_K
fixture mistral-tiny-F32  "--arch mistral --preset tiny --seed 4"
fixture qwen2-tiny-F32    "--arch qwen2 --preset tiny --seed 4"
fixture qwen3-tiny-F32    "--arch qwen3 --preset tiny --seed 2"
fixture gpt2-tiny-F32     "--arch gpt2 --preset tiny --seed 6"
