package dev.jllm.eval.task;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * Python's {@code random.Random}: the Mersenne Twister MT19937 seeded from an integer as CPython seeds it
 * ({@code init_by_array} over the integer's 32-bit words, least significant first), and the methods the harness's
 * task code calls ({@code random}, {@code getrandbits}, {@code shuffle}, {@code sample}) drawing the same numbers in
 * the same order, so that shuffled answer options and sampled few-shot examples are those the harness builds.
 *
 * <p>Not thread safe: one instance is one generator state.
 */
public final class PythonRandom {
    private static final int N = 624;
    private static final int M = 397;

    private final int[] mt = new int[N];
    private int index;

    /** A generator seeded as {@code random.Random(seed)}; negative seeds use their absolute value, as Python does. */
    public PythonRandom(long seed) {
        this(BigInteger.valueOf(seed));
    }

    /** A generator seeded as {@code random.Random(seed)} for an integer of any size. */
    public PythonRandom(BigInteger seed) {
        BigInteger n = seed.abs();
        int words = n.signum() == 0 ? 1 : (n.bitLength() + 31) / 32;
        int[] key = new int[words];
        for (int i = 0; i < words; i++) {
            key[i] = n.shiftRight(32 * i).intValue();
        }
        initByArray(key);
    }

    /** A generator whose state is MT19937's {@code init_genrand(seed)}, for the reference's own test vectors. */
    static PythonRandom genrand(int seed) {
        PythonRandom r = new PythonRandom(0);
        r.initGenrand(seed);
        return r;
    }

    /** A generator whose state is MT19937's {@code init_by_array(key)}. */
    static PythonRandom byArray(int... key) {
        PythonRandom r = new PythonRandom(0);
        r.initByArray(key);
        return r;
    }

    private void initGenrand(int s) {
        mt[0] = s;
        for (int i = 1; i < N; i++) {
            mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
        }
        index = N;
    }

    private void initByArray(int[] key) {
        initGenrand(19650218);
        int i = 1;
        int j = 0;
        for (int k = Math.max(N, key.length); k > 0; k--) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1664525)) + key[j] + j;
            i++;
            j++;
            if (i >= N) {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if (j >= key.length) {
                j = 0;
            }
        }
        for (int k = N - 1; k > 0; k--) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1566083941)) - i;
            i++;
            if (i >= N) {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x80000000;
        index = N;
    }

    /** The next 32-bit output of MT19937, as an unsigned value. */
    public long nextUint32() {
        if (index >= N) {
            twist();
        }
        int y = mt[index++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y & 0xffffffffL;
    }

    private void twist() {
        for (int k = 0; k < N; k++) {
            int y = (mt[k] & 0x80000000) | (mt[(k + 1) % N] & 0x7fffffff);
            mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
        }
        index = 0;
    }

    /** {@code random()}: a double in [0, 1) from 53 random bits (27 of one output and 26 of the next). */
    public double random() {
        long a = nextUint32() >>> 5;
        long b = nextUint32() >>> 6;
        return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
    }

    /** {@code getrandbits(k)} for {@code 0 <= k <= 32}: the top {@code k} bits of one output. */
    public long getrandbits(int k) {
        if (k < 0 || k > 32) {
            throw new IllegalArgumentException("getrandbits takes 0..32 bits here, got " + k);
        }
        return k == 0 ? 0 : nextUint32() >>> (32 - k);
    }

    /** {@code _randbelow(n)}: draws {@code n.bit_length()} bits until the value is below {@code n}. */
    public int randbelow(int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("randbelow needs a positive bound, got " + n);
        }
        int k = 32 - Integer.numberOfLeadingZeros(n);
        long r = getrandbits(k);
        while (r >= n) {
            r = getrandbits(k);
        }
        return (int) r;
    }

    /** {@code shuffle(list)} in place: from the last position down to the second, swaps with a position below it. */
    public <T> void shuffle(List<T> list) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = randbelow(i + 1);
            T t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }

    /**
     * {@code sample(range(n), k)}: {@code k} distinct indices below {@code n} in the order drawn. Python keeps a pool
     * (each draw replaces the chosen index with the last unchosen one) when a list of {@code n} is smaller than a set
     * of {@code k}, else redraws indices already chosen.
     */
    public List<Integer> sample(int n, int k) {
        if (k < 0 || k > n) {
            throw new IllegalArgumentException("sample larger than population or is negative: " + k + " of " + n);
        }
        int setsize = 21;
        if (k > 5) {
            setsize += (int) Math.pow(4, Math.ceil(Math.log(k * 3) / Math.log(4)));
        }
        List<Integer> out = new ArrayList<>(k);
        if (n <= setsize) {
            int[] pool = new int[n];
            for (int i = 0; i < n; i++) {
                pool[i] = i;
            }
            for (int i = 0; i < k; i++) {
                int j = randbelow(n - i);
                out.add(pool[j]);
                pool[j] = pool[n - i - 1];
            }
        } else {
            java.util.Set<Integer> selected = new java.util.HashSet<>();
            for (int i = 0; i < k; i++) {
                int j = randbelow(n);
                while (selected.contains(j)) {
                    j = randbelow(n);
                }
                selected.add(j);
                out.add(j);
            }
        }
        return out;
    }
}
