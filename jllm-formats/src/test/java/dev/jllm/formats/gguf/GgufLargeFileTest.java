package dev.jllm.formats.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jllm.core.tensor.Tensor;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A GGUF file past 2 GiB is mapped in place: tensors beyond byte 2^31 are viewed, not copied. */
class GgufLargeFileTest {
    @Test
    void tensorsPastTwoGigabytesAreViewedInPlace(@TempDir Path dir) throws IOException {
        long rows = 768;
        long cols = 1 << 20;
        long bytes = rows * cols * 4;
        byte[] header = new RawGguf().header(2, 0)
                .tensor("big", 0, 0, cols, rows)
                .tensor("tail", 0, bytes, 4)
                .pad(32).bytes();
        Path f = dir.resolve("big.gguf");
        // sparse: no disk or memory is used for the zero bytes
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.write(header);
            raf.setLength(header.length + bytes + 16);
            raf.seek(header.length + bytes);
            raf.writeInt(Integer.reverseBytes(Float.floatToIntBits(2.5f)));
        }
        try (GgufFile g = GgufFile.open(f)) {
            Tensor big = g.tensor("big");
            assertArrayEquals(new long[] {rows, cols}, big.shape());
            assertEquals(bytes, big.data().byteSize());
            assertEquals(0f, big.row(rows - 1).data().get(ValueLayout.JAVA_FLOAT_UNALIGNED, (cols - 1) * 4));
            Tensor tail = g.tensor("tail");
            assertEquals(2.5f, tail.data().get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0));
            assertEquals(header.length + bytes, g.dataOffset() + g.findTensor("tail").orElseThrow().offset());
        }
    }
}
