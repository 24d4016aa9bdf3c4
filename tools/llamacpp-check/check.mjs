// Loads each GGUF file named on the command line in llama.cpp (node-llama-cpp's prebuilt CPU build),
// tokenizes a short text with the file's tokenizer and evaluates it, printing OK or FAIL per file.
// Usage: npm install && node check.mjs FILE.gguf...   (exit status 1 if any file fails)
import {getLlama} from "node-llama-cpp";

const llama = await getLlama({gpu: false, build: "never"});
let failed = 0;
for (const modelPath of process.argv.slice(2)) {
    try {
        const model = await llama.loadModel({modelPath});
        const arch = model.fileInfo.metadata?.general?.architecture;
        if (arch === "t5") {
            // evaluating an encoder-decoder needs llama_encode first, which node-llama-cpp does not call (it aborts)
            console.log(`OK   ${modelPath}: ${arch}, loads (${model.size} bytes of weights); evaluation skipped for encoder-decoders`);
            await model.dispose();
            continue;
        }
        const context = await model.createContext({contextSize: 64});
        const tokens = model.tokenize("Hello world");
        const roundTrip = model.detokenize(tokens);
        const next = await context.getSequence().evaluate(tokens).next();
        console.log(`OK   ${modelPath}: ${arch}, train context ${model.trainContextSize}, ${model.size} bytes of weights, `
            + `"Hello world" -> ${tokens.length} tokens -> "${roundTrip}", first sampled token ${next.value}`);
        await context.dispose();
        await model.dispose();
    } catch (e) {
        failed++;
        console.log(`FAIL ${modelPath}: ${String(e?.message ?? e).split("\n")[0]}`);
    }
}
process.exit(failed ? 1 : 0);
