package dev.jllm.core.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.quant.WeightKernels;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorTest {

    @Test
    void mapsAFileLargerThanTwoGibibytesInPlace(@TempDir Path dir) throws Exception {
        // a sparse 3 GiB file: no disk is used, yet offsets past 2^31 must work
        Path file = dir.resolve("big.bin");
        long rows = 3L * 1024 * 1024 * 1024 / (4096 / 32 * 34);
        long bytes = DType.Q8_0.bytesFor(rows * 4096);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(bytes);
        }
        try (Arena arena = Arena.ofConfined();
                FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes, arena);
            Tensor t = Tensor.wrap(DType.Q8_0, seg, rows, 4096);
            assertTrue(t.data().byteSize() > Integer.MAX_VALUE);
            long last = rows - 1;
            MemorySegment row = t.row(last).data();
            assertTrue(row.address() - seg.address() > Integer.MAX_VALUE, "last row lies past 2 GiB");
            // write one block of the last row (d = 1, q = 1..32) and read it back through the kernels
            row.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, Float.floatToFloat16(1f));
            for (int j = 0; j < 32; j++) {
                row.set(ValueLayout.JAVA_BYTE, 2 + j, (byte) (j + 1));
            }
            float[] x = new float[4096];
            java.util.Arrays.fill(x, 0, 32, 1f);
            assertEquals(528f, WeightKernels.simd(DType.Q8_0).dot(row, 0, x, 0, 4096));
            float[] values = new float[32];
            WeightKernels.simd(DType.Q8_0).dequantize(row, 0, values, 0, 32);
            assertEquals(32f, values[31]);
        }
    }

    @Test
    void shapeErrorsNameTheShape() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.byteSize(DType.Q4_0, new long[] {4, 100}));
        assertTrue(e.getMessage().contains("[4, 100]") && e.getMessage().contains("32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.byteSize(DType.F32, new long[] {Long.MAX_VALUE / 2, 4}));
        assertTrue(e.getMessage().contains("overflows"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.wrap(DType.F32, MemorySegment.ofArray(new float[7]), 2, 4));
        assertTrue(e.getMessage().contains("F32[2, 4]") && e.getMessage().contains("28"), e.getMessage());
    }

    @Test
    void viewsShareTheBytes() {
        float[] values = {1, 2, 3, 4, 5, 6};
        Tensor t = Tensor.ofFloats(values, 2, 3);
        assertEquals(2, t.rows());
        assertEquals(3, t.cols());
        Tensor r = t.row(1);
        values[3] = 40;
        assertEquals(40f, r.data().get(ValueLayout.JAVA_FLOAT, 0));
        assertEquals(6, t.reshape(6).elements());
        assertThrows(IllegalArgumentException.class, () -> t.reshape(4));
        assertThrows(IndexOutOfBoundsException.class, () -> t.row(2));
    }

    @Test
    void ggmlIdsRoundTrip() {
        for (DType t : DType.values()) {
            if (t.ggmlId() >= 0) {
                assertEquals(t, DType.fromGgmlId(t.ggmlId()));
            }
        }
        assertEquals(null, DType.fromGgmlId(-1));
        assertEquals(null, DType.fromGgmlId(99));
        assertEquals(144, DType.Q4_K.blockBytes());
        assertEquals(210, DType.Q6_K.blockBytes());
    }
}
