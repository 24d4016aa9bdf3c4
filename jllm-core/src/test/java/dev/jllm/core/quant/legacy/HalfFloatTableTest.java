package dev.jllm.core.quant.legacy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The binary16 table the dot products read scales through agrees with Float.float16ToFloat everywhere. */
class HalfFloatTableTest {

    @Test
    void everyPatternMatchesTheLibraryConversion() {
        for (int bits = 0; bits < 1 << 16; bits++) {
            float expected = Float.float16ToFloat((short) bits);
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(HalfFloatTable.of((short) bits)),
                    "bits " + Integer.toHexString(bits));
        }
    }

    @Test
    void subnormalInfinityAndNaNScales() {
        assertEquals(0x1p-24f, HalfFloatTable.of((short) 0x0001));
        assertEquals(-0f, HalfFloatTable.of((short) 0x8000));
        assertEquals(Float.POSITIVE_INFINITY, HalfFloatTable.of((short) 0x7C00));
        assertEquals(Float.NEGATIVE_INFINITY, HalfFloatTable.of((short) 0xFC00));
        assertEquals(true, Float.isNaN(HalfFloatTable.of((short) 0x7E00)));
    }
}
