package io.jqmp.schema;

import io.jqmp.internal.wire.JsonWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which unexpected argument QEMU reports when there are several. QEMU's input visitor puts the
 * keys of an argument object into a GLib hash table (string hash, in QDict order), removes each
 * key it visits, and reports the first key left in the table's slot order. This class replays
 * that table: GLib's {@code g_str_hash}, slot {@code (hash * 11) % prime}, quadratic probing,
 * tombstones, and the grow/shrink rehash. Stateless and thread-safe.
 */
final class GlibHashOrder {
    private static final int MIN_SHIFT = 3;
    private static final int[] PRIME_MOD = {1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381,
        32749, 65521, 131071, 262139, 524287, 1048573, 2097143, 4194301, 8388593, 16777213, 33554393, 67108859,
        134217689, 268435399, 536870909, 1073741789, 2147483647};
    private static final int UNUSED = 0;
    private static final int TOMBSTONE = 1;

    private GlibHashOrder() {
    }

    /**
     * The key QEMU names in {@code Parameter '...' is unexpected}: the first key of {@code map}
     * outside {@code allowed}, in the slot order of GLib's table after the allowed keys present
     * were removed in {@code visitOrder}.
     */
    static String firstUnexpected(Map<String, ?> map, Set<String> allowed, List<String> visitOrder) {
        Table t = new Table();
        for (String key : JsonWriter.keysInQemuOrder(map)) {
            t.insert(key);
        }
        for (String key : visitOrder) {
            if (map.containsKey(key)) {
                t.remove(key);
            }
        }
        for (int i = 0; i < t.size; i++) {
            if (isReal(t.hashes[i]) && !allowed.contains(t.keys[i])) {
                return t.keys[i];
            }
        }
        return null;
    }

    /** GLib's g_str_hash (djb2 over signed chars), with 0 and 1 mapped to 2 as GHashTable does. */
    static int strHash(String key) {
        int h = 5381;
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            h = (h << 5) + h + b; // signed char, as GLib declares it
        }
        return Integer.compareUnsigned(h, 2) < 0 ? 2 : h;
    }

    private static boolean isReal(int hash) {
        return hash != UNUSED && hash != TOMBSTONE;
    }

    /** The slots of a GHashTable used as a set of strings. */
    private static final class Table {
        int shift;
        int size;
        int mask;
        int mod;
        int nnodes;
        int noccupied;
        int[] hashes;
        String[] keys;

        Table() {
            setShift(MIN_SHIFT);
            hashes = new int[size];
            keys = new String[size];
        }

        private void setShift(int s) {
            shift = s;
            size = 1 << s;
            mask = size - 1;
            mod = PRIME_MOD[s];
        }

        private int index(int hash) {
            return Integer.remainderUnsigned(hash * 11, mod);
        }

        /** The slot holding {@code key}, or where it would go (first tombstone on the way, else the free slot). */
        private int lookup(String key, int hash) {
            int i = index(hash);
            int step = 0;
            int tombstone = -1;
            while (hashes[i] != UNUSED) {
                if (hashes[i] == hash && key.equals(keys[i])) {
                    return i;
                }
                if (hashes[i] == TOMBSTONE && tombstone < 0) {
                    tombstone = i;
                }
                step++;
                i = (i + step) & mask;
            }
            return tombstone >= 0 ? tombstone : i;
        }

        void insert(String key) {
            int hash = strHash(key);
            int i = lookup(key, hash);
            if (isReal(hashes[i])) {
                return; // already present (QDict keys are unique; kept for completeness)
            }
            boolean wasUnused = hashes[i] == UNUSED;
            hashes[i] = hash;
            keys[i] = key;
            nnodes++;
            if (wasUnused) {
                noccupied++;
                maybeResize();
            }
        }

        void remove(String key) {
            int hash = strHash(key);
            int i = lookup(key, hash);
            if (!isReal(hashes[i])) {
                return;
            }
            hashes[i] = TOMBSTONE;
            keys[i] = null;
            nnodes--;
            maybeResize();
        }

        private void maybeResize() {
            if ((size > nnodes * 4 && size > 1 << MIN_SHIFT) || size <= noccupied + noccupied / 16) {
                resize();
            }
        }

        /** Rehash in place as GLib does: tombstones cleared, entries relocated with eviction. */
        private void resize() {
            int oldSize = size;
            int bits = 0;
            for (int n = (int) (nnodes * 1.333); n != 0; n >>= 1) {
                bits++;
            }
            setShift(Math.max(bits, MIN_SHIFT));
            if (size > oldSize) {
                hashes = java.util.Arrays.copyOf(hashes, size);
                keys = java.util.Arrays.copyOf(keys, size);
            }
            boolean[] placed = new boolean[Math.max(size, oldSize)];
            for (int i = 0; i < oldSize; i++) {
                int nodeHash = hashes[i];
                if (!isReal(nodeHash)) {
                    hashes[i] = UNUSED;
                    continue;
                }
                if (placed[i]) {
                    continue;
                }
                hashes[i] = UNUSED;
                String key = keys[i];
                keys[i] = null;
                while (true) {
                    int slot = index(nodeHash);
                    int step = 0;
                    while (placed[slot]) {
                        step++;
                        slot = (slot + step) & mask;
                    }
                    placed[slot] = true;
                    int replacedHash = hashes[slot];
                    String replacedKey = keys[slot];
                    hashes[slot] = nodeHash;
                    keys[slot] = key;
                    if (!isReal(replacedHash)) {
                        break;
                    }
                    nodeHash = replacedHash;
                    key = replacedKey;
                }
            }
            if (size < oldSize) {
                hashes = java.util.Arrays.copyOf(hashes, size);
                keys = java.util.Arrays.copyOf(keys, size);
            }
            noccupied = nnodes;
        }
    }
}
