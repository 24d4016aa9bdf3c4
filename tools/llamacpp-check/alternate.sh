#!/bin/bash
# jllm bench and llama.cpp alternating on one file (an absolute path), 2 threads, pp 64, tg 64:
# tools/llamacpp-check/alternate.sh /tmp/jllm-bench-models/qwen2.5-0.5b-Q4_0.gguf 2
cd "$(dirname "$0")/../.."
for r in $(seq 1 $2); do
  ./jllm bench -m $1 -p 64 -n 64 -r 2 -t 2 --json 2>&1 | tail -1 | python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print('jllm', d['model'], 'pp', d['pp_tps'], 'tg', d['tg_tps'], '+-', d['tg_sd'], 'read', d['read_gbps'], 'bound', d['tg_bound_tps'])"
  (cd tools/llamacpp-check && timeout 300 node bench.mjs --model $1 --threads 2 --pp 64 --tg 64 --reps 2 2>&1 | tail -1 | python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print('llama.cpp', d['model'], 'pp', d['pp_tps'], 'tg', d['tg_tps'], '+-', d['tg_sd'])")
done
