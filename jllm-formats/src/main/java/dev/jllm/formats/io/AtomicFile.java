package dev.jllm.formats.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that readers see either the old file or the whole new one: the bytes go to
 * {@code name.tmp-XXXX} in the same folder, are flushed to disk, and the temporary file is then
 * renamed over the target. On any failure the temporary file is deleted and the target is left
 * as it was.
 */
public final class AtomicFile {
    private AtomicFile() {
    }

    /** Writes the content of a file into an open channel. */
    @FunctionalInterface
    public interface Content {
        /** Writes the whole content to {@code out}, positioned at 0. */
        void writeTo(FileChannel out) throws IOException;
    }

    /**
     * Writes {@code target} atomically with what {@code content} writes.
     *
     * @throws IOException if writing, flushing or renaming fails
     */
    public static void write(Path target, Content content) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = dir.resolve(abs.getFileName() + ".tmp-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xFFFF_FFFFL));
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                content.writeTo(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
            syncFolder(dir);
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    // makes the rename itself durable where the platform allows opening a folder
    private static void syncFolder(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // not possible on every platform; the data itself is already on disk
        }
    }
}
