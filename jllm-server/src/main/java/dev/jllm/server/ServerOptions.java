package dev.jllm.server;

/**
 * Where and how the server listens.
 *
 * @param host the address to bind (loopback unless told otherwise)
 * @param port the TCP port, 0 for any free one
 * @param apiKey the key clients must send as {@code Authorization: Bearer KEY}; null for none
 * @param maxBodyBytes the largest request body accepted
 */
public record ServerOptions(String host, int port, String apiKey, long maxBodyBytes) {
    /** Four MiB: a prompt filling a 128k-token context fits, a runaway upload does not. */
    public static final long DEFAULT_MAX_BODY_BYTES = 4L << 20;

    /** Checks the options, naming the bad one. */
    public ServerOptions {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("--host must not be empty");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be in 0..65535, got " + port);
        }
        if (apiKey != null && apiKey.isBlank()) {
            throw new IllegalArgumentException("the API key must not be blank");
        }
        if (maxBodyBytes < 1024) {
            throw new IllegalArgumentException("the body limit must be at least 1024 bytes, got " + maxBodyBytes);
        }
    }
}
