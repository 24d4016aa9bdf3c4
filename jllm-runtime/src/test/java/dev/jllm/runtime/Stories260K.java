package dev.jllm.runtime;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.formats.io.SharedFixtures;
import dev.jllm.model.decoder.Decoder;
import dev.jllm.model.load.LoadedModel;

/** The real stories260K model from the shared fixtures, opened once per test class. */
final class Stories260K implements AutoCloseable {
    final LoadedModel model;
    final WorkerPool pool;
    final Decoder decoder;

    Stories260K() throws Exception {
        model = LoadedModel.open(SharedFixtures.resolve("models/stories260K.bin"));
        pool = new WorkerPool(2);
        decoder = new Decoder(model.config(), model.weights(), pool);
    }

    @Override
    public void close() {
        pool.close();
        model.close();
    }
}
