#!/usr/bin/env bash
# Makes jllm's bundled default model: a small Llama trained by jllm on the King James Bible (public domain),
# taken from Debian's bible-kjv packages (no root needed). Usage: models/recipe.sh [--steps N] [--work DIR]
#   --steps N   training steps (default 1200; the test runs it with a handful)
#   --work DIR  where the corpus, tokenizer, shards and run go (default /tmp/jllm-kjv)
# Writes models/jllm-kjv-q8_0.gguf (only when the run finishes) and prints the final validation loss.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STEPS=1200 WORK=/tmp/jllm-kjv OUT="$ROOT/models/jllm-kjv-q8_0.gguf"
while [[ $# -gt 0 ]]; do
    case $1 in
        --steps) STEPS=$2; shift 2 ;;
        --work) WORK=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        *) echo "recipe.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
mkdir -p "$WORK"
cd "$WORK"
if [[ ! -s kjv.txt ]]; then
    # package lists may be empty on a fresh machine: refresh them once if the download finds nothing
    apt-get download bible-kjv bible-kjv-text >/dev/null 2>&1 || { apt-get update -qq && apt-get download bible-kjv bible-kjv-text >/dev/null; }
    mkdir -p pkg && for deb in bible-kjv_*.deb bible-kjv-text_*.deb; do dpkg -x "$deb" pkg; done
    # the whole Bible as plain text: drop the book/chapter headings and verse numbers, join the lines of a verse
    pkg/usr/bin/bible -p pkg/usr/lib "Gen1:1-Rev22:21" 2>/dev/null \
        | awk '/^[A-Z0-9][A-Za-z0-9 ]* [0-9]+$/ {next} /^$/ {next}
               /^ *[0-9]+ / {if (v != "") print v; sub(/^ *[0-9]+ /, ""); v = $0; next}
               {v = v " " $0} END {if (v != "") print v}' > kjv.txt.tmp
    mv kjv.txt.tmp kjv.txt
fi
J="${JLLM:-$ROOT/jllm}"   # tests point JLLM at the jllm under test
"$J" tokenizer train --vocab 4096 --input kjv.txt -o tokenizer.json --special "<|endoftext|>"
"$J" data --tokenizer tokenizer.json --input kjv.txt -o shards --whole-files --val-fraction 0.02
"$J" init --arch llama --dims 256,6,8,4,768 --vocab-from tokenizer.json --seed 1 -o start.gguf
rm -rf run
"$J" train --init start.gguf --data shards --out run --steps "$STEPS" --batch 16 --seq 128 --lr 2e-3 \
    --min-lr 2e-4 --warmup $(( STEPS < 100 ? 1 : 50 )) --eval-every $(( STEPS < 100 ? STEPS : 100 )) \
    --eval-batches 8 --checkpoint-every 100 --seed 1
"$J" export run -o model-f32.gguf
"$J" quantize model-f32.gguf "$OUT" --type Q8_0
echo "final validation loss: $(awk -F, 'NF>=3 && $3!="" {v=$3} END {print v}' run/metrics.csv)"
