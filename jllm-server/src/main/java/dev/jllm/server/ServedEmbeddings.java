package dev.jllm.server;

import dev.jllm.runtime.embed.Embedder;

/**
 * The embedding model a server answers {@code /v1/embeddings} with.
 *
 * @param id the name clients use in {@code model}
 * @param embedder computes the vectors (its encoder runs on a worker pool of its own)
 */
public record ServedEmbeddings(String id, Embedder embedder) {
    /** Checks that both parts are present. */
    public ServedEmbeddings {
        if (id == null || id.isBlank() || embedder == null) {
            throw new IllegalArgumentException("served embeddings need an id and an embedder");
        }
    }
}
