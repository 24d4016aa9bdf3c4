// Prompt processing (pp) and token generation (tg) speed of a GGUF file in llama.cpp (node-llama-cpp's prebuilt CPU
// build), measured the way `jllm bench` measures jllm, so that the two can be put side by side:
//   pp: P random token ids evaluated from an empty context in one batch, timed until the last one's logits are
//       sampled; tg: from a one-token context, N tokens generated greedily one at a time, timed. With --depth D
//       (jllm bench -d, llama-bench -d), both start after D random ids evaluated untimed.
// An untimed warm-up (pp of min(P, 64) tokens, tg of min(N, 8)) runs first, as in jllm; each repetition then runs
// pp and tg once, and the mean and sample standard deviation of tokens/s over the repetitions are printed as JSON.
// Usage: node bench.mjs --model FILE.gguf [--threads 1] [--pp 512] [--tg 128] [--depth 0] [--reps 5] [--seed 42]
//                       [--flash-attention off|on|auto] [--kv-cache F16|F32|Q8_0]
import {readFileSync} from "node:fs";
import {basename} from "node:path";
import {performance} from "node:perf_hooks";
import {getLlama, GgmlType, LlamaLogLevel} from "node-llama-cpp";

const options = parseArguments(process.argv.slice(2), {
    model: null, threads: "1", pp: "512", tg: "128", depth: "0", reps: "5", seed: "42", "flash-attention": "off", "kv-cache": "F16"
});
const threads = positiveInteger("threads", 1);
const promptTokens = positiveInteger("pp", 0);
const generateTokens = positiveInteger("tg", 0);
const depth = positiveInteger("depth", 0);
const repetitions = positiveInteger("reps", 1);
const seed = positiveInteger("seed", 0);
const kvCache = options["kv-cache"];
const flashAttention = {on: true, off: false, auto: "auto"}[options["flash-attention"]];
if (flashAttention === undefined) fail(`--flash-attention: on, off or auto, not ${options["flash-attention"]}`);
if (!(kvCache in GgmlType)) fail(`--kv-cache: unknown ggml type ${kvCache}`);

// llama.cpp's own timers of each llama_decode (llama_perf_context_print, an info-level log) are captured here
const perfLines = [];
const logger = (level, message) => {
    if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) console.error(message);
    else if (/prompt eval time|\beval time/.test(message)) perfLines.push(message);
};
// maxThreads 0: node-llama-cpp's thread splitter then hands the context exactly the threads asked for
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.info, logger, maxThreads: 0});
const loadStart = performance.now();
const model = await llama.loadModel({modelPath: options.model})
    .catch(e => fail(`--model ${options.model}: ${String(e?.message ?? e).split("\n")[0]}`));
const loadMs = performance.now() - loadStart;
const metadata = model.fileInfo.metadata;
const vocabularySize = metadata?.[metadata?.general?.architecture]?.vocab_size ?? metadata?.tokenizer?.ggml?.tokens?.length;
if (!Number.isInteger(vocabularySize) || vocabularySize < 1) fail(`--model ${options.model}: no vocabulary size in its metadata`);

// as llama-bench: the context holds both tests (n_ctx = p + n; node-llama-cpp rounds it up to a multiple of 256).
// node-llama-cpp sets n_ubatch = n_batch, so a batch of max(p, 512) tokens makes pp a single llama_decode of the
// whole prompt, as jllm's one ingest call; 512 is llama-bench's n_ubatch (with a batch of 1 token, llama.cpp counted
// 11 decodes for 8 generated tokens, so small batches are avoided)
const contextSize = depth + Math.max(promptTokens + generateTokens, generateTokens + 1, 2);
const batchSize = Math.max(promptTokens, 512);
const context = await model.createContext({
    contextSize, batchSize, threads, flashAttention, performanceTracking: true,
    experimentalKvCacheKeyType: kvCache, experimentalKvCacheValueType: kvCache
}).catch(e => fail(`cannot create a context of ${contextSize} tokens: ${String(e?.message ?? e).split("\n")[0]}`));
const sequence = context.getSequence();
const random = mulberry32(seed);

if (promptTokens > 0) await prompt(Math.min(promptTokens, 64));
await generate(Math.min(generateTokens, 8));
const pp = [];
const ppNative = [];
const tg = [];
const tgNative = [];
const ttft = [];
for (let r = 0; r < repetitions; r++) {
    if (promptTokens > 0) {
        const {ms, nativeMs} = await prompt(promptTokens);
        pp.push(promptTokens * 1000 / ms);
        ppNative.push(promptTokens * 1000 / nativeMs);
        ttft.push(ms);
    }
    if (generateTokens > 0) {
        const {ms, nativeMs} = await generate(generateTokens);
        tg.push(generateTokens * 1000 / ms);
        tgNative.push(generateTokens * 1000 / nativeMs);
    }
}
if (context.currentThreads !== threads) fail(`llama.cpp ran with ${context.currentThreads} threads, not ${threads}`);

// the package does not export its package.json, so it is read next to its entry point (dist/index.js)
const packageJson = JSON.parse(readFileSync(new URL("../package.json", import.meta.resolve("node-llama-cpp")), "utf8"));
console.log(JSON.stringify({
    model: basename(options.model),
    threads,
    pp: promptTokens,
    tg: generateTokens,
    depth,
    pp_tps: round(mean(pp)),
    pp_sd: round(sd(pp)),
    tg_tps: round(mean(tg)),
    tg_sd: round(sd(tg)),
    // the same runs by llama.cpp's own timer of llama_decode: without node-llama-cpp's per-call overhead
    pp_native_tps: round(mean(ppNative)),
    pp_native_sd: round(sd(ppNative)),
    tg_native_tps: round(mean(tgNative)),
    tg_native_sd: round(sd(tgNative)),
    ttft_ms: round(mean(ttft)),
    load_ms: round(loadMs),
    reps: repetitions,
    seed,
    warmup: {pp: Math.min(promptTokens, 64), tg: Math.min(generateTokens, 8)},
    contextSize: context.contextSize,
    batchSize: context.batchSize,
    kvCacheKeyType: GgmlType[context.kvCacheKeyType],
    kvCacheValueType: GgmlType[context.kvCacheValueType],
    flashAttention: context.flashAttention,
    vocabularySize,
    parameters: model.fileInsights.totalParameters,
    fileBytes: model.fileInsights.modelSize,
    nodeLlamaCpp: packageJson.version,
    llamaCpp: llama.llamaCppRelease.release,
    // the ggml CPU variant's features: which kernels llama.cpp picked for this CPU
    llamaCppSystemInfo: llama.systemInfo.trim()
}));
await context.dispose();
await model.dispose();
await llama.dispose();

/**
 * Evaluates count random ids from an empty context in one batch. Returns the milliseconds until the last one's
 * token is sampled, and those of llama_decode alone by llama.cpp's own timer.
 */
async function prompt(count) {
    const ids = randomIds(count);
    await startAtDepth();
    const items = ids.map((id, i) => i === count - 1 ? [id, {generateNext: {token: true, options: {temperature: 0}}}] : id);
    await nativeTimings();
    const start = performance.now();
    const results = await sequence.controlledEvaluate(items);
    const ms = performance.now() - start;
    const native = await nativeTimings();
    if (results[count - 1]?.next?.token == null) fail(`the prompt of ${count} tokens gave no next token`);
    // llama.cpp counts a batch of one token as a generation run, and reports a count of 0 as 1
    const [counted, nativeMs] = count === 1 ? [native.evalRuns, native.evalMs] : [native.promptTokens, native.promptMs];
    if (counted !== count) fail(`llama.cpp counted ${counted} tokens for a prompt of ${count}`);
    return {ms, nativeMs};
}

/**
 * Generates count tokens greedily, one llama_decode each, after an untimed one-token context. Returns the
 * milliseconds of the count steps, and those of their llama_decode calls alone by llama.cpp's own timer.
 */
async function generate(count) {
    await startAtDepth();
    if (count === 0) return {ms: 0, nativeMs: 0};
    // temperature 0 is llama.cpp's greedy sampler; the generator reuses one sampler across steps
    const steps = sequence.evaluate(randomIds(1), {temperature: 0, yieldEogToken: true});
    // the first step evaluates the context token and samples from it: the one-token context, untimed
    if ((await steps.next()).done) fail("generation stopped at once");
    await nativeTimings();
    const start = performance.now();
    for (let i = 0; i < count; i++) {
        if ((await steps.next()).done) fail(`generation stopped after ${i} of ${count} tokens`);
    }
    const ms = performance.now() - start;
    const native = await nativeTimings();
    await steps.return();
    if (native.evalRuns !== count) fail(`llama.cpp counted ${native.evalRuns} single-token runs for ${count} generated tokens`);
    return {ms, nativeMs: native.evalMs};
}

/** An empty context, then --depth random ids evaluated in one batch (untimed). */
async function startAtDepth() {
    await sequence.clearHistory();
    if (depth > 0) await sequence.controlledEvaluate(randomIds(depth));
}

/** llama.cpp's decode timers since the last call (printing them resets them), read from its log. */
async function nativeTimings() {
    perfLines.length = 0;
    await context.printTimings();
    // the log lines reach JavaScript asynchronously: wait a little for both
    for (let i = 0; i < 100 && perfLines.length < 2; i++) await new Promise(accept => setTimeout(accept, 1));
    const text = perfLines.join("\n");
    const promptMatch = /prompt eval time =\s*([\d.]+) ms \/\s*(\d+) tokens/.exec(text);
    const evalMatch = /\beval time =\s*([\d.]+) ms \/\s*(\d+) runs/.exec(text.replace(/prompt eval time[^\n]*/, ""));
    if (promptMatch == null || evalMatch == null) fail(`could not read llama.cpp's timings from its log: ${JSON.stringify(text)}`);
    return {
        promptMs: Number(promptMatch[1]), promptTokens: Number(promptMatch[2]),
        evalMs: Number(evalMatch[1]), evalRuns: Number(evalMatch[2])
    };
}

function randomIds(count) {
    return Array.from({length: count}, () => Math.floor(random() * vocabularySize));
}

// small seeded generator, so that the same --seed gives the same ids on every run
function mulberry32(a) {
    return () => {
        a = (a + 0x6D2B79F5) | 0;
        let t = Math.imul(a ^ (a >>> 15), 1 | a);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

function mean(values) {
    return values.length === 0 ? 0 : values.reduce((s, v) => s + v, 0) / values.length;
}

// sample standard deviation (n - 1), as llama-bench and jllm bench report
function sd(values) {
    if (values.length < 2) return 0;
    const m = mean(values);
    return Math.sqrt(values.reduce((s, v) => s + (v - m) * (v - m), 0) / (values.length - 1));
}

function round(value) {
    return Math.round(value * 1000) / 1000;
}

function positiveInteger(name, minimum) {
    const value = Number(options[name]);
    if (!Number.isInteger(value) || value < minimum) fail(`--${name}: an integer >= ${minimum}, not ${options[name]}`);
    return value;
}

function parseArguments(args, defaults) {
    const parsed = {...defaults};
    for (let i = 0; i < args.length; i += 2) {
        const name = args[i].replace(/^--/, "");
        if (!args[i].startsWith("--") || !(name in defaults) || i + 1 >= args.length) fail(`bad argument: ${args[i]}`);
        parsed[name] = args[i + 1];
    }
    for (const [name, value] of Object.entries(parsed)) if (value == null) fail(`--${name} is required`);
    return parsed;
}

function fail(message) {
    console.error(`bench.mjs: ${message}`);
    process.exit(2);
}
