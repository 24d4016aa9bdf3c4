// Greedy decoding in llama.cpp (node-llama-cpp's prebuilt CPU build): feeds the given prompt token ids to a GGUF
// model and prints, as JSON, the next COUNT token ids llama.cpp picks by argmax, with the top-1/top-2 probability
// margin and runner-up token of every step, so that a Java decoder can be compared token for token.
// Usage: node greedy.mjs --model FILE.gguf --prompt 1,15,30,99,7 [--count 32] [--context 128]
//                        [--kv-cache F16|F32] [--threads 1] [--flash-attention off|on]
import {readFileSync} from "node:fs";
import {getLlama, GgmlType, LlamaLogLevel} from "node-llama-cpp";

// each step also records the TOP most probable tokens as id, natural log of its probability, id, ...
const TOP = 4;
const options = parseArguments(process.argv.slice(2), {
    model: null, prompt: null, count: "32", context: "128", "kv-cache": "F16", threads: "1", "flash-attention": "off"
});
const promptIds = options.prompt.split(",").map(s => Number.parseInt(s.trim(), 10));
const count = Number.parseInt(options.count, 10);
const contextSize = Number.parseInt(options.context, 10);
const threads = Number.parseInt(options.threads, 10);
const kvCache = options["kv-cache"];
const flashAttention = {on: true, off: false}[options["flash-attention"]];
if (promptIds.some(id => !Number.isInteger(id) || id < 0)) fail(`--prompt: not a list of token ids: ${options.prompt}`);
if (flashAttention === undefined) fail(`--flash-attention: on or off, not ${options["flash-attention"]}`);
if (!(kvCache in GgmlType)) fail(`--kv-cache: unknown ggml type ${kvCache}`);
if (promptIds.length + count > contextSize) fail(`--context ${contextSize} is too small for the prompt plus --count`);

const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath: options.model})
    .catch(e => fail(`--model ${options.model}: ${String(e?.message ?? e).split("\n")[0]}`));
const vocabularySize = model.fileInfo.metadata?.[model.fileInfo.metadata.general.architecture]?.vocab_size
    ?? model.fileInfo.metadata?.tokenizer?.ggml?.tokens?.length;
if (promptIds.some(id => id >= vocabularySize)) fail(`--prompt: ids must be below the vocabulary size ${vocabularySize}`);
// pinned rather than left to defaults: node-llama-cpp's flash attention default "auto" leaves it to llama.cpp
const context = await model.createContext({
    contextSize, batchSize: contextSize, threads, flashAttention,
    experimentalKvCacheKeyType: kvCache, experimentalKvCacheValueType: kvCache
});
const sequence = context.getSequence();

const generated = [];
const runnersUp = [];
const topLogProbabilities = [];
const probabilityMargins = [];
const logitMargins = [];
// temperature 0 selects llama.cpp's greedy (argmax) sampler; the probabilities come from the softmax of the logits
const steps = sequence.evaluateWithMetadata(promptIds, {probabilities: true}, {temperature: 0, yieldEogToken: true});
for await (const step of steps) {
    generated.push(step.token);
    const top = [...step.probabilities.entries()].slice(0, TOP);
    const [[firstToken, first], [secondToken, second]] = top;
    if (firstToken !== step.token) fail(`step ${generated.length}: sampled ${step.token} but the most probable token is ${firstToken}`);
    runnersUp.push(secondToken);
    topLogProbabilities.push(top.flatMap(([token, probability]) => [token, round(Math.log(probability), 6)]));
    probabilityMargins.push(round(first - second));
    // ln(p1/p2) equals the gap between the two largest logits, whatever the vocabulary size
    logitMargins.push(round(Math.log(first / second)));
    if (generated.length === count) break;
}

// the package does not export its package.json, so it is read next to its entry point (dist/index.js)
const packageJson = JSON.parse(readFileSync(new URL("../package.json", import.meta.resolve("node-llama-cpp")), "utf8"));
const result = {
    nodeLlamaCpp: packageJson.version,
    llamaCpp: llama.llamaCppRelease.release,
    // which CPU features ggml used: its kernels (and so the last bits of the logits) differ between CPU variants
    llamaCppSystemInfo: llama.systemInfo.trim(),
    contextSize: context.contextSize,
    batchSize: context.batchSize,
    threads,
    kvCacheKeyType: GgmlType[context.kvCacheKeyType],
    kvCacheValueType: GgmlType[context.kvCacheValueType],
    flashAttention: context.flashAttention,
    promptIds,
    expectedIds: generated,
    secondIds: runnersUp,
    top1MinusTop2Probability: probabilityMargins,
    top1MinusTop2Logit: logitMargins,
    topLogProbabilities
};
console.log(JSON.stringify(result));
await context.dispose();
await model.dispose();

function round(value, digits = 4) {
    return Number(value.toPrecision(digits));
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
    console.error(`greedy.mjs: ${message}`);
    process.exit(2);
}
