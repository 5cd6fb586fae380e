package io.jqmp.machine;

import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * Guest RAM: one 4 KiB byte array per page, made on first use (from the seed on a source, zeros
 * on a destination), with a dirty bitmap for migration and, on a postcopy destination, a bitmap
 * of pages that have not arrived yet.
 *
 * <p>Threading: every method may be called from any thread. A page's bytes are read and written
 * while holding that page's monitor. {@link #awaitPage} blocks until the page is here; it holds
 * nothing but this object's {@code waitLock} while waiting, so the migration receive thread that
 * delivers pages never needs the BQL or anything a waiter holds.
 */
final class GuestMemory {
    static final int PAGE_SIZE = 4096;

    private final int pageCount;
    private final long seed;
    private final boolean seeded;
    private final AtomicReferenceArray<byte[]> pages;
    private final AtomicLongArray dirty;
    private final AtomicLongArray absent;
    private final AtomicLong absentCount = new AtomicLong();
    private final AtomicLong dirtyCount = new AtomicLong();
    private final ReentrantLock waitLock = new ReentrantLock();
    private final Condition arrived = waitLock.newCondition();
    private final Condition waitBegan = waitLock.newCondition();
    /** Pages somebody is waiting for, and how many waiters each has. */
    private final ConcurrentHashMap<Integer, Integer> waited = new ConcurrentHashMap<>();
    private final AtomicLong pageWaits = new AtomicLong();
    private volatile IntConsumer requester = p -> { };
    private volatile boolean closed;

    /**
     * @param bytes  size, a multiple of 4096
     * @param seed   seed of the contents
     * @param seeded true: pages start with pseudo-random bytes from the seed; false: zeros
     */
    GuestMemory(long bytes, long seed, boolean seeded) {
        this.pageCount = (int) (bytes / PAGE_SIZE);
        this.seed = seed;
        this.seeded = seeded;
        this.pages = new AtomicReferenceArray<>(pageCount);
        this.dirty = new AtomicLongArray((pageCount + 63) / 64);
        this.absent = new AtomicLongArray((pageCount + 63) / 64);
    }

    int pageCount() {
        return pageCount;
    }

    long size() {
        return (long) pageCount * PAGE_SIZE;
    }

    /** The page's array, created on first use; deterministic, so a lost creation race is harmless. */
    private byte[] page(int p) {
        byte[] b = pages.get(p);
        if (b == null) {
            byte[] fresh = new byte[PAGE_SIZE];
            if (seeded) {
                new SplittableRandom(seed * 0x9E3779B97F4A7C15L + p).nextBytes(fresh);
            }
            b = pages.compareAndExchange(p, null, fresh);
            if (b == null) {
                b = fresh;
            }
        }
        return b;
    }

    // ------------------------------------------------------------------ guest access

    /** Sets who is asked for a page that is absent (the destination's return path). */
    void setRequester(IntConsumer r) {
        requester = r;
    }

    /**
     * Returns when page {@code p} is here, asking the requester for it first if it is not. Blocks
     * the calling thread (the vCPU, or the main loop in an in-band command) as long as it takes:
     * that is the postcopy hazard.
     *
     * @throws IllegalStateException when the memory is closed while waiting
     */
    void awaitPage(int p) {
        if (!isAbsent(p)) {
            return;
        }
        pageWaits.incrementAndGet();
        waited.merge(p, 1, Integer::sum);
        try {
            requester.accept(p);
            waitLock.lock();
            try {
                waitBegan.signalAll();
                while (isAbsent(p)) {
                    if (closed) {
                        throw new IllegalStateException("guest memory closed while waiting for page " + p);
                    }
                    // The timeout only bounds how late a close is noticed; arrivals signal.
                    arrived.await(200, TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for page " + p);
            } finally {
                waitLock.unlock();
            }
        } finally {
            waited.computeIfPresent(p, (k, n) -> n == 1 ? null : n - 1);
        }
    }

    /** Pages somebody waits for right now (to ask for them again after a reconnect). */
    int[] waitedPages() {
        return waited.keySet().stream().mapToInt(Integer::intValue).toArray();
    }

    /** How many times a guest access had to wait for a page. */
    long pageWaits() {
        return pageWaits.get();
    }

    /**
     * Blocks until {@link #pageWaits()} reaches {@code count} (the last of them has begun to
     * wait), at most {@code timeoutNanos}; whether it did. Any thread.
     */
    boolean awaitPageWaits(long count, long timeoutNanos) throws InterruptedException {
        waitLock.lock();
        try {
            long left = timeoutNanos;
            while (pageWaits.get() < count) {
                if (left <= 0) {
                    return false;
                }
                left = waitBegan.awaitNanos(left);
            }
            return true;
        } finally {
            waitLock.unlock();
        }
    }

    /** The vCPU's write: adds {@code delta} to the long at {@code offset}; the page must be here. */
    void addLong(int p, int offset, long delta) {
        byte[] b = page(p);
        synchronized (b) {
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v |= (b[offset + i] & 0xFFL) << (8 * i);
            }
            v += delta;
            for (int i = 0; i < 8; i++) {
                b[offset + i] = (byte) (v >>> (8 * i));
            }
        }
        setBit(dirty, p, dirtyCount);
    }

    /** Hex SHA-256 of {@code [start, start+size)}, waiting for absent pages in address order. */
    String checksum(long start, long size) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] tmp = new byte[PAGE_SIZE];
        forRange(start, size, (p, off, len) -> {
            copyOut(p, off, len, tmp);
            sha.update(tmp, 0, len);
        });
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Writes {@code [start, start+size)} to {@code out}, waiting for absent pages in address order. */
    void save(long start, long size, OutputStream out) throws IOException {
        byte[] tmp = new byte[PAGE_SIZE];
        try {
            forRange(start, size, (p, off, len) -> {
                copyOut(p, off, len, tmp);
                try {
                    out.write(tmp, 0, len);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private interface Slice {
        void accept(int page, int offset, int length);
    }

    private void forRange(long start, long size, Slice s) {
        long pos = start;
        long end = start + size;
        while (pos < end) {
            int p = (int) (pos / PAGE_SIZE);
            int off = (int) (pos % PAGE_SIZE);
            int len = (int) Math.min(PAGE_SIZE - off, end - pos);
            awaitPage(p);
            s.accept(p, off, len);
            pos += len;
        }
    }

    private void copyOut(int p, int off, int len, byte[] dst) {
        byte[] b = page(p);
        synchronized (b) {
            System.arraycopy(b, off, dst, 0, len);
        }
    }

    // ------------------------------------------------------------------ migration, source side

    /** Copies page {@code p} into {@code dst} (4096 bytes). */
    void copyPage(int p, byte[] dst) {
        copyOut(p, 0, PAGE_SIZE, dst);
    }

    void markDirty(int p) {
        setBit(dirty, p, dirtyCount);
    }

    void markAllDirty() {
        for (int p = 0; p < pageCount; p++) {
            setBit(dirty, p, dirtyCount);
        }
    }

    /** Makes exactly the pages whose bit is clear in {@code present} dirty (postcopy recovery). */
    void setDirtyFromMissing(long[] present) {
        for (int p = 0; p < pageCount; p++) {
            boolean here = (present[p >>> 6] & (1L << p)) != 0;
            if (here) {
                clearBit(dirty, p, dirtyCount);
            } else {
                setBit(dirty, p, dirtyCount);
            }
        }
    }

    /** Clears page {@code p}'s dirty bit; true if it was set. Clear before copying: a later write dirties it again. */
    boolean testAndClearDirty(int p) {
        return clearBit(dirty, p, dirtyCount);
    }

    /** The first dirty page at or after {@code from}, or -1. */
    int nextDirty(int from) {
        for (int w = from >>> 6; w < dirty.length(); w++) {
            long bits = dirty.get(w);
            if (w == from >>> 6) {
                bits &= -1L << (from & 63);
            }
            if (bits != 0) {
                int p = (w << 6) + Long.numberOfTrailingZeros(bits);
                return p < pageCount ? p : -1;
            }
        }
        return -1;
    }

    long dirtyPages() {
        return dirtyCount.get();
    }

    /** A snapshot of the dirty bitmap, one bit per page. */
    long[] dirtyBitmap() {
        long[] out = new long[dirty.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = dirty.get(i);
        }
        return out;
    }

    // ------------------------------------------------------------------ migration, destination side

    /** Postcopy starts: the pages set in {@code bitmap} are stale here and must be waited for. */
    void markAbsent(long[] bitmap) {
        for (int p = 0; p < pageCount; p++) {
            if ((bitmap[p >>> 6] & (1L << p)) != 0) {
                setBit(absent, p, absentCount);
            }
        }
    }

    boolean isAbsent(int p) {
        return (absent.get(p >>> 6) & (1L << p)) != 0;
    }

    long absentPages() {
        return absentCount.get();
    }

    /** Bitmap of the pages that are here (not absent). */
    long[] presentBitmap() {
        long[] out = new long[absent.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ~absent.get(i);
        }
        return out;
    }

    /**
     * Stores a page that arrived from the source. In postcopy a page that is already here is
     * ignored (the guest may have written to it since). Wakes whoever waits for it. Never blocks
     * on anything but the page's monitor and, briefly, the wait lock.
     */
    void install(int p, byte[] data, boolean postcopy) {
        if (postcopy && !isAbsent(p)) {
            return;
        }
        byte[] b = page(p);
        synchronized (b) {
            System.arraycopy(data, 0, b, 0, PAGE_SIZE);
        }
        if (clearBit(absent, p, absentCount) && waited.containsKey(p)) {
            waitLock.lock();
            try {
                arrived.signalAll();
            } finally {
                waitLock.unlock();
            }
        }
    }

    /** Wakes every waiter so that it fails (shutdown). */
    void close() {
        closed = true;
        waitLock.lock();
        try {
            arrived.signalAll();
        } finally {
            waitLock.unlock();
        }
    }

    // ------------------------------------------------------------------ bits

    private static void setBit(AtomicLongArray bits, int p, AtomicLong count) {
        long mask = 1L << p;
        long old = bits.getAndUpdate(p >>> 6, w -> w | mask);
        if ((old & mask) == 0) {
            count.incrementAndGet();
        }
    }

    private static boolean clearBit(AtomicLongArray bits, int p, AtomicLong count) {
        long mask = 1L << p;
        long old = bits.getAndUpdate(p >>> 6, w -> w & ~mask);
        if ((old & mask) != 0) {
            count.decrementAndGet();
            return true;
        }
        return false;
    }
}
