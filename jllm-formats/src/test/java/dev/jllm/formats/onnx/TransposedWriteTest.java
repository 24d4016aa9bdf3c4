package dev.jllm.formats.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The blocked transpose that writes dense weights as {@code [out, in]} agrees with an element-by-element one. */
class TransposedWriteTest {
    @ParameterizedTest
    @CsvSource({"7, 5, 4, 60", "7, 5, 2, 30", "1, 9, 4, 8", "9, 1, 2, 1000", "16, 3, 4, 1"})
    void blocksAgreeWithAPlainTranspose(int rows, int cols, int size, long blockBytes) throws IOException {
        byte[] src = new byte[rows * cols * size];
        new SplittableRandom(rows * 31L + cols).nextBytes(src);
        // src is stored [cols, rows]; the output is [rows, cols]
        byte[] want = new byte[src.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                System.arraycopy(src, (c * rows + r) * size, want, (r * cols + c) * size, size);
            }
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (WritableByteChannel out = Channels.newChannel(bytes)) {
            OnnxBertImport.transposed(MemorySegment.ofArray(src), rows, cols, size, out, blockBytes);
        }
        assertArrayEquals(want, bytes.toByteArray());
    }
}
