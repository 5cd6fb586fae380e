package io.jqmp.internal.wire;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Incremental JSON input for one QMP connection: a byte-driven lexer (a DFA), a streamer that
 * counts brackets to find where a value ends and enforces the size limits, and a recursive-descent
 * parser, behaving like QEMU's {@code json-lexer.c}, {@code json-streamer.c} and
 * {@code json-parser.c}, including the single-quoted string extension, modified-UTF-8 validation,
 * error recovery and the exact error texts.
 *
 * <p>Bytes go in with {@link #feed(byte)}; every value or error they complete is queued and taken
 * out with {@link #poll()}. A top-level object or array completes at its closing bracket, a string
 * at its closing quote, and a number or keyword only when the byte after it arrives (so {@code 42}
 * alone waits, {@code 42\n} completes).
 *
 * <p>Deliberate difference from QEMU: a number literal whose value overflows a double (for
 * example {@code 1e400}) is reported as {@code JSON parse error, number out of range} instead of
 * becoming infinity, which QEMU would later print as the invalid JSON {@code inf}.
 *
 * <p>Threading: one instance per connection, used by one thread at a time. This class is not
 * thread-safe and does no locking; hand-offs between threads need external synchronisation.
 */
public final class JsonStreamer {

    /** Default limit on the bytes of one value and of one token (64 MiB). */
    public static final long DEFAULT_MAX_TOKEN_SIZE = 64L << 20;
    /** Default limit on the tokens of one value (2 Mi). */
    public static final long DEFAULT_MAX_TOKEN_COUNT = 2L << 20;
    /** Default limit on open braces plus open brackets (1024). */
    public static final int DEFAULT_MAX_NESTING = 1 << 10;
    /** The largest token-size limit (512 MiB): buffers are indexed by int. */
    public static final long MAX_TOKEN_SIZE = 512L << 20;
    /** The largest token-count limit: token arrays are indexed by int. */
    public static final long MAX_TOKEN_COUNT = Integer.MAX_VALUE - 64;
    /**
     * The largest nesting limit, QEMU's own: the parser recurses once per level on a reader's
     * (virtual) thread, whose stack does not take four times as deep (checked).
     */
    public static final int MAX_NESTING = DEFAULT_MAX_NESTING;

    private static final String PREFIX = "JSON parse error, ";

    // Lexer states; 0 doubles as "lexical error" in the transition table.
    private static final int ERROR = 0;
    private static final int RECOVERY = 1;
    private static final int DQ = 2;
    private static final int DQ_ESC = 3;
    private static final int SQ = 4;
    private static final int SQ_ESC = 5;
    private static final int ZERO = 6;
    private static final int EXP_DIGITS = 7;
    private static final int EXP_SIGN = 8;
    private static final int EXP_E = 9;
    private static final int MANTISSA = 10;
    private static final int MANTISSA_DIGITS = 11;
    private static final int DIGITS = 12;
    private static final int SIGN = 13;
    private static final int KEYWORD = 14;
    private static final int START = 15;
    private static final int STATES = 16;

    // Token types; every value >= T_LCURLY in the table means "token complete".
    private static final int T_LCURLY = 16;
    private static final int T_RCURLY = 17;
    private static final int T_LSQUARE = 18;
    private static final int T_RSQUARE = 19;
    private static final int T_COLON = 20;
    private static final int T_COMMA = 21;
    private static final int T_INTEGER = 22;
    private static final int T_FLOAT = 23;
    private static final int T_KEYWORD = 24;
    private static final int T_STRING = 25;
    /** An unfinished token cut off by the lexer's size limit. */
    private static final int T_PARTIAL = 26;

    /** Set on a transition that does not consume the byte: it is looked at again in the new state. */
    private static final int LOOKAHEAD = 0x80;

    private static final byte[] DFA = buildDfa();

    /**
     * Token bytes live in chunks of this size, allocated as input arrives and dropped (all but
     * the first) when the value ends: a partial value costs its bytes rounded up to a chunk,
     * never a doubled array or a copy. 2 KiB: the first chunk stays with every connection (ten
     * thousand idle connections hold one each), while each chunk's header costs under 1 % of a
     * large token.
     */
    private static final int CHUNK_SHIFT = 11;
    private static final int CHUNK = 1 << CHUNK_SHIFT;
    private static final int CHUNK_MASK = CHUNK - 1;
    /** Above this, token tables are dropped after a value so one huge request does not pin memory. */
    private static final int KEEP_TOKENS = 4096;
    /** Bytes of the token tables per token: type, start and length. */
    private static final int TOKEN_TABLE_BYTES = 1 + 4 + 4;

    /** Parse failure marker; JSON null is Java null, so it cannot be used for that. */
    private static final Object FAIL = new Object();

    private final long maxTokenSize;
    private final long maxTokenCount;
    private final int maxNesting;

    private int state = START;

    // Token bytes: queued tokens of the value in progress occupy [0, queuedBytes), the token the
    // lexer is building follows at [queuedBytes, queuedBytes + curLen). Queuing a token just moves
    // the boundary, so no bytes are copied. Byte i is chunks[i >>> CHUNK_SHIFT][i & CHUNK_MASK].
    private byte[][] chunks = new byte[4][];
    private int chunkCount;
    /** The chunk the lexer appends to (chunks[tailIndex]), kept at hand: appending is per byte. */
    private byte[] tail;
    private int tailIndex = -1;
    private int queuedBytes;
    private int curLen;

    private byte[] tokType = new byte[64];
    private int[] tokStart = new int[64];
    private int[] tokLen = new int[64];
    private int tokCount;

    private int braces;
    private int brackets;

    /** Size of the value completed last, for {@link #lastValueBytes()} and {@link #lastValueTokens()}. */
    private int lastBytes;
    private int lastTokens;

    private final ArrayDeque<JsonResult> results = new ArrayDeque<>();
    /** Whether values keep what of their wire form can be kept ({@link #keepWireForm}). */
    private boolean keepWireForm;

    // Parser state, only meaningful during parse().
    private int pos;
    private String parseError;
    /** Bytes of one modified-UTF-8 sequence, copied out of the chunks for decoding. */
    private final byte[] sequence = new byte[8];

    /** A streamer with QEMU's limits: 64 MiB, 2 Mi tokens, nesting 1024. */
    public JsonStreamer() {
        this(DEFAULT_MAX_TOKEN_SIZE, DEFAULT_MAX_TOKEN_COUNT, DEFAULT_MAX_NESTING);
    }

    /**
     * A streamer with custom limits (QEMU compares exactly like this, so small limits are useful
     * to test the limit behaviour).
     *
     * @param maxTokenSize bytes of one token and of all tokens of one value, 1 to {@link #MAX_TOKEN_SIZE}
     * @param maxTokenCount tokens of one value, 1 to {@link #MAX_TOKEN_COUNT}
     * @param maxNesting open braces plus open brackets, 1 to {@link #MAX_NESTING}
     */
    public JsonStreamer(long maxTokenSize, long maxTokenCount, int maxNesting) {
        if (maxTokenSize < 1 || maxTokenSize > MAX_TOKEN_SIZE) {
            throw new IllegalArgumentException("maxTokenSize out of range: " + maxTokenSize);
        }
        if (maxTokenCount < 1 || maxTokenCount > MAX_TOKEN_COUNT) {
            throw new IllegalArgumentException("maxTokenCount out of range: " + maxTokenCount);
        }
        if (maxNesting < 1 || maxNesting > MAX_NESTING) {
            throw new IllegalArgumentException("maxNesting out of range: " + maxNesting);
        }
        this.maxTokenSize = maxTokenSize;
        this.maxTokenCount = maxTokenCount;
        this.maxNesting = maxNesting;
    }

    // ---------------------------------------------------------------------------------------------
    // Public API

    /**
     * Consumes one input byte; results it completes (zero, one or more) are queued for
     * {@link #poll()}.
     */
    public void feed(byte b) {
        int c = b & 0xFF;
        int s = state;
        boolean consumed;
        do {
            int next = DFA[(s << 8) | c] & 0xFF;
            consumed = (next & LOOKAHEAD) == 0;
            next &= ~LOOKAHEAD;
            if (next == START || next == RECOVERY) {
                // Whitespace, a skipped byte or a resynchronisation point: nothing to keep.
                curLen = 0;
                s = next;
                continue;
            }
            if (consumed) {
                append(b);
            }
            if (next >= T_LCURLY) {
                processToken(next);
                curLen = 0;
                s = START;
            } else if (next == ERROR) {
                lexicalError();
                curLen = 0;
                s = RECOVERY;
            } else {
                s = next;
            }
        } while (!consumed);
        state = s;

        // A single token may not grow without bound either; the cut-off part goes to the
        // streamer, which reports the size limit, and lexing restarts without recovery.
        if (curLen > maxTokenSize) {
            processToken(T_PARTIAL);
            curLen = 0;
            state = START;
        }
    }

    /**
     * From now on, values keep what of their wire form can be kept, for input from a QMP server
     * that may be passed on: objects are {@link ReceivedObject}s (written back in the order they
     * came), and a value that {@link #feed(byte[], int, int)} parses straight from the bytes it was
     * given (a plain object lying whole in them) carries a copy of those bytes, from its opening
     * brace to its closing one ({@link JsonResult.Value#source}). Same thread as {@link #feed}.
     */
    public void keepWireForm() {
        keepWireForm = true;
    }

    private LinkedHashMap<String, Object> newObject() {
        return keepWireForm ? new ReceivedObject() : new LinkedHashMap<>();
    }

    /** Feeds {@code len} bytes of {@code bytes} starting at {@code off}. */
    public void feed(byte[] bytes, int off, int len) {
        int end = off + len;
        int i = off;
        while (i < end) {
            if (bytes[i] == '{' && state == START && tokCount == 0) {
                int after = fastObject(bytes, i, end);
                if (after >= 0) {
                    i = after;
                    continue;
                }
            }
            if (state == DQ || state == SQ) {
                int run = stringRun(bytes, i, end, state == DQ ? '"' : '\'');
                if (run > 0) {
                    i += appendStringRun(bytes, i, run);
                    continue;
                }
            }
            feed(bytes[i++]);
        }
    }

    /**
     * How many bytes from {@code from} leave a string token open: those the lexer takes in a
     * string without a transition (0x20 to 0xFD, neither a backslash nor the closing quote).
     */
    private static int stringRun(byte[] bytes, int from, int end, char quote) {
        int i = from;
        while (i < end) {
            int c = bytes[i] & 0xFF;
            if (c < 0x20 || c > 0xFD || c == quote || c == '\\') {
                break;
            }
            i++;
        }
        return i - from;
    }

    /**
     * Appends up to {@code run} bytes of a string's body at once, as many single {@link #feed}s
     * would, stopping where the token size limit cuts the token (which is then reported as
     * {@code feed} does). Returns the bytes taken.
     */
    private int appendStringRun(byte[] bytes, int from, int run) {
        int n = (int) Math.min(run, maxTokenSize + 1 - curLen); // curLen <= maxTokenSize here
        for (int done = 0; done < n; ) {
            int at = queuedBytes + curLen;
            int chunk = at >>> CHUNK_SHIFT;
            if (chunk != tailIndex) {
                tail = chunk(chunk);
                tailIndex = chunk;
            }
            int k = Math.min(n - done, CHUNK - (at & CHUNK_MASK));
            System.arraycopy(bytes, from + done, tail, at & CHUNK_MASK, k);
            curLen += k;
            done += k;
        }
        if (curLen > maxTokenSize) {
            processToken(T_PARTIAL);
            curLen = 0;
            state = START;
        }
        return n;
    }

    /**
     * Heap this streamer holds for input: the chunks of the value in progress (whole chunks, the
     * first one kept between values) and its token tables. A value that completes or fails gives
     * back everything but the first chunk and small tables. Same thread as {@link #feed}.
     */
    public long retainedBytes() {
        return (long) chunkCount * CHUNK + (long) tokType.length * TOKEN_TABLE_BYTES;
    }

    /** Bytes of the value in progress so far, the token being lexed included. Same thread as {@link #feed}. */
    public long pendingBytes() {
        return (long) queuedBytes + curLen;
    }

    /** Tokens of the value in progress so far. Same thread as {@link #feed}. */
    public long pendingTokens() {
        return tokCount;
    }

    /** Bytes of the value (or the error) completed last. Same thread as {@link #feed}. */
    public long lastValueBytes() {
        return lastBytes;
    }

    /** Tokens of the value (or the error) completed last. Same thread as {@link #feed}. */
    public long lastValueTokens() {
        return lastTokens;
    }

    /** The next queued result, or {@code null} if there is none. */
    public JsonResult poll() {
        return results.poll();
    }

    /**
     * Forgets everything: partial input, the value in progress and results not yet polled. Used
     * when the client disconnects; produces no result.
     */
    public void reset() {
        state = START;
        curLen = 0;
        clearValue();
        results.clear();
    }

    /** Feeds all bytes and returns every result queued so far (convenient for tests). */
    public List<JsonResult> feedAll(byte[] bytes) {
        feed(bytes, 0, bytes.length);
        List<JsonResult> out = new ArrayList<>();
        JsonResult r;
        while ((r = results.poll()) != null) {
            out.add(r);
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------
    // Fast path: a whole plain object in the bytes at hand, parsed straight from them

    private static final byte[] TRUE = "true".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FALSE = "false".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);

    /** Where the fast path has got to in the bytes it parses. */
    private int fastPos;
    private int fastTokens;
    private long fastBytes;
    private int fastDepth;

    /**
     * Parses the top-level object starting at {@code bytes[from]} (a '{' met between values)
     * without the lexer, the token tables or the chunks, when it lies whole in
     * {@code bytes[from, end)} and uses only the plain subset of JSON: printable ASCII strings
     * without escapes, integers of up to 18 digits, the three keywords, whitespace the lexer
     * skips, and no limit reached. Queues its value as the exact path would (same value, same
     * {@link #lastValueBytes} and {@link #lastValueTokens}) and returns the index after it; for
     * anything else returns -1 having changed nothing, and the exact path takes the bytes from
     * {@code from} (so errors, escapes, floats and values cut by a read keep their exact handling).
     */
    private int fastObject(byte[] bytes, int from, int end) {
        fastPos = from;
        fastTokens = 0;
        fastBytes = 0;
        fastDepth = 0;
        Object value = fastValue(bytes, end);
        if (value == FAIL) {
            return -1;
        }
        results.add(new JsonResult.Value(value, keepWireForm ? Arrays.copyOfRange(bytes, from, fastPos) : null));
        lastBytes = (int) fastBytes;
        lastTokens = fastTokens;
        return fastPos;
    }

    /** Counts a token of {@code n} bytes; false where the exact path would report a limit. */
    private boolean fastToken(int n) {
        fastTokens++;
        fastBytes += n;
        return fastBytes + 1 <= maxTokenSize && fastTokens <= maxTokenCount;
    }

    /** The first byte at or after {@code p} that the lexer does not skip as whitespace. */
    private static int skipSpace(byte[] bytes, int p, int end) {
        while (p < end) {
            byte c = bytes[p];
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                break;
            }
            p++;
        }
        return p;
    }

    private Object fastValue(byte[] bytes, int end) {
        int p = skipSpace(bytes, fastPos, end);
        if (p >= end) {
            return FAIL;
        }
        fastPos = p;
        return switch (bytes[p]) {
            case '{' -> fastContainer(bytes, end, '}');
            case '[' -> fastContainer(bytes, end, ']');
            case '"' -> fastString(bytes, end);
            case 't', 'f', 'n' -> fastKeyword(bytes, end);
            case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' -> fastInteger(bytes, end);
            default -> FAIL;
        };
    }

    /** An object ({@code close} '}') or an array (']') at {@code fastPos}. */
    private Object fastContainer(byte[] bytes, int end, char close) {
        fastPos++;
        if (!fastToken(1) || ++fastDepth > maxNesting) {
            return FAIL;
        }
        boolean object = close == '}';
        LinkedHashMap<String, Object> map = object ? newObject() : null;
        ArrayList<Object> list = object ? null : new ArrayList<>();
        int p = skipSpace(bytes, fastPos, end);
        if (p < end && bytes[p] == close) {
            fastPos = p + 1;
            fastDepth--;
            return fastToken(1) ? (object ? map : list) : FAIL;
        }
        for (;;) {
            if (object) {
                p = skipSpace(bytes, fastPos, end);
                if (p >= end || bytes[p] != '"') {
                    return FAIL;
                }
                fastPos = p;
                Object key = fastString(bytes, end);
                p = skipSpace(bytes, fastPos, end);
                if (key == FAIL || p >= end || bytes[p] != ':' || !fastToken(1)) {
                    return FAIL;
                }
                fastPos = p + 1;
                Object value = fastValue(bytes, end);
                if (value == FAIL) {
                    return FAIL;
                }
                int size = map.size();
                map.put((String) key, value);
                if (map.size() == size) {
                    return FAIL; // a duplicate key: the exact path reports it
                }
            } else {
                Object element = fastValue(bytes, end);
                if (element == FAIL) {
                    return FAIL;
                }
                list.add(element);
            }
            p = skipSpace(bytes, fastPos, end);
            if (p >= end || !fastToken(1)) {
                return FAIL;
            }
            fastPos = p + 1;
            if (bytes[p] == close) {
                fastDepth--;
                return object ? map : list;
            }
            if (bytes[p] != ',') {
                return FAIL;
            }
        }
    }

    /** A double-quoted string of printable ASCII without escapes at {@code fastPos}. */
    private Object fastString(byte[] bytes, int end) {
        int start = fastPos + 1;
        int p = start;
        while (p < end) {
            int c = bytes[p];
            if (c == '"') {
                break;
            }
            if (c < 0x20 || c == '\\') { // control bytes, escapes and (negative) non-ASCII bytes
                return FAIL;
            }
            p++;
        }
        if (p >= end || !fastToken(p + 1 - fastPos)) {
            return FAIL;
        }
        fastPos = p + 1;
        return new String(bytes, start, p - start, StandardCharsets.ISO_8859_1);
    }

    /** true, false or null at {@code fastPos}, ended by a byte that is no lower-case letter. */
    private Object fastKeyword(byte[] bytes, int end) {
        int start = fastPos;
        int p = start;
        while (p < end && bytes[p] >= 'a' && bytes[p] <= 'z') {
            p++;
        }
        if (p >= end || !fastToken(p - start)) {
            return FAIL; // the keyword's end is not in sight yet
        }
        fastPos = p;
        if (Arrays.equals(bytes, start, p, TRUE, 0, TRUE.length)) {
            return Boolean.TRUE;
        }
        if (Arrays.equals(bytes, start, p, FALSE, 0, FALSE.length)) {
            return Boolean.FALSE;
        }
        if (Arrays.equals(bytes, start, p, NULL, 0, NULL.length)) {
            return null;
        }
        return FAIL;
    }

    /**
     * An integer of at most 18 digits at {@code fastPos} (a long for sure). What follows it is left
     * to the caller, which fails on anything but a separator: a fraction or an exponent, a digit
     * after a leading zero, or a letter all go to the exact path.
     */
    private Object fastInteger(byte[] bytes, int end) {
        int start = fastPos;
        int p = start;
        boolean negative = bytes[p] == '-';
        if (negative) {
            p++;
        }
        long value = 0;
        if (p < end && bytes[p] == '0') {
            p++;
        } else {
            int digits = 0;
            while (p < end && bytes[p] >= '0' && bytes[p] <= '9') {
                value = value * 10 + (bytes[p] - '0');
                p++;
                digits++;
            }
            if (digits == 0 || digits > 18) {
                return FAIL;
            }
        }
        if (p >= end || !fastToken(p - start)) {
            return FAIL; // the number's end is not in sight yet
        }
        fastPos = p;
        return negative ? -value : value;
    }

    // ---------------------------------------------------------------------------------------------
    // Lexer

    private static byte[] buildDfa() {
        byte[] t = new byte[STATES * 256]; // everything not listed is a lexical error

        range(t, RECOVERY, 0x00, 0xFF, RECOVERY);
        range(t, RECOVERY, 0x00, 0x1F, START | LOOKAHEAD);
        set(t, RECOVERY, '\t', RECOVERY);
        range(t, RECOVERY, 0xFE, 0xFF, START | LOOKAHEAD);
        for (char c : "[]{}:,".toCharArray()) {
            set(t, RECOVERY, c, START | LOOKAHEAD);
        }

        range(t, DQ_ESC, 0x20, 0xFD, DQ);
        range(t, DQ, 0x20, 0xFD, DQ);
        set(t, DQ, '\\', DQ_ESC);
        set(t, DQ, '"', T_STRING);

        range(t, SQ_ESC, 0x20, 0xFD, SQ);
        range(t, SQ, 0x20, 0xFD, SQ);
        set(t, SQ, '\\', SQ_ESC);
        set(t, SQ, '\'', T_STRING);

        range(t, ZERO, 0x00, 0xFF, T_INTEGER | LOOKAHEAD);
        range(t, ZERO, '0', '9', ERROR);
        set(t, ZERO, '.', MANTISSA);

        range(t, EXP_DIGITS, 0x00, 0xFF, T_FLOAT | LOOKAHEAD);
        range(t, EXP_DIGITS, '0', '9', EXP_DIGITS);

        range(t, EXP_SIGN, '0', '9', EXP_DIGITS);

        set(t, EXP_E, '-', EXP_SIGN);
        set(t, EXP_E, '+', EXP_SIGN);
        range(t, EXP_E, '0', '9', EXP_DIGITS);

        range(t, MANTISSA_DIGITS, 0x00, 0xFF, T_FLOAT | LOOKAHEAD);
        range(t, MANTISSA_DIGITS, '0', '9', MANTISSA_DIGITS);
        set(t, MANTISSA_DIGITS, 'e', EXP_E);
        set(t, MANTISSA_DIGITS, 'E', EXP_E);

        range(t, MANTISSA, '0', '9', MANTISSA_DIGITS);

        range(t, DIGITS, 0x00, 0xFF, T_INTEGER | LOOKAHEAD);
        range(t, DIGITS, '0', '9', DIGITS);
        set(t, DIGITS, 'e', EXP_E);
        set(t, DIGITS, 'E', EXP_E);
        set(t, DIGITS, '.', MANTISSA);

        set(t, SIGN, '0', ZERO);
        range(t, SIGN, '1', '9', DIGITS);

        range(t, KEYWORD, 0x00, 0xFF, T_KEYWORD | LOOKAHEAD);
        range(t, KEYWORD, 'a', 'z', KEYWORD);

        set(t, START, '"', DQ);
        set(t, START, '\'', SQ);
        set(t, START, '0', ZERO);
        range(t, START, '1', '9', DIGITS);
        set(t, START, '-', SIGN);
        set(t, START, '{', T_LCURLY);
        set(t, START, '}', T_RCURLY);
        set(t, START, '[', T_LSQUARE);
        set(t, START, ']', T_RSQUARE);
        set(t, START, ',', T_COMMA);
        set(t, START, ':', T_COLON);
        range(t, START, 'a', 'z', KEYWORD);
        set(t, START, ' ', START);
        set(t, START, '\t', START);
        set(t, START, '\r', START);
        set(t, START, '\n', START);
        return t;
    }

    private static void set(byte[] t, int state, int c, int next) {
        t[(state << 8) | c] = (byte) next;
    }

    private static void range(byte[] t, int state, int from, int to, int next) {
        for (int c = from; c <= to; c++) {
            set(t, state, c, next);
        }
    }

    private void append(byte b) {
        int at = queuedBytes + curLen;
        int chunk = at >>> CHUNK_SHIFT;
        if (chunk != tailIndex) {
            tail = chunk(chunk);
            tailIndex = chunk;
        }
        tail[at & CHUNK_MASK] = b;
        curLen++;
    }

    /** Chunk {@code index}, allocated if it is the next one. */
    private byte[] chunk(int index) {
        if (index == chunkCount) {
            if (index == chunks.length) {
                chunks = java.util.Arrays.copyOf(chunks, chunks.length * 2);
            }
            chunks[index] = new byte[CHUNK];
            chunkCount++;
        }
        return chunks[index];
    }

    /** Token byte {@code i}. */
    private byte at(int i) {
        return chunks[i >>> CHUNK_SHIFT][i & CHUNK_MASK];
    }

    /** A copy of token bytes {@code [start, end)}, for the short texts of numbers, keywords and errors. */
    private byte[] copy(int start, int end) {
        byte[] out = new byte[end - start];
        int done = 0;
        while (done < out.length) {
            int i = start + done;
            int n = Math.min(out.length - done, CHUNK - (i & CHUNK_MASK));
            System.arraycopy(chunks[i >>> CHUNK_SHIFT], i & CHUNK_MASK, out, done, n);
            done += n;
        }
        return out;
    }

    /** Token bytes {@code [start, end)} as ISO-8859-1 text (numbers and keywords are ASCII). */
    private String latin1(int start, int end) {
        return new String(copy(start, end), StandardCharsets.ISO_8859_1);
    }

    /** The lexer met a byte that no token allows: report the token so far, bad byte included. */
    private void lexicalError() {
        byte[] token = copy(queuedBytes, queuedBytes + curLen);
        // QEMU formats the token with %s, so it ends at a NUL byte (decodeLikeWriter stops there).
        emitError(PREFIX + "stray '" + decodeLikeWriter(token, 0, token.length) + "'");
    }

    // ---------------------------------------------------------------------------------------------
    // Streamer

    /** The lexer completed a token, which is at [queuedBytes, queuedBytes + curLen). */
    private void processToken(int type) {
        switch (type) {
            case T_LCURLY -> braces++;
            case T_RCURLY -> braces--;
            case T_LSQUARE -> brackets++;
            case T_RSQUARE -> brackets--;
            default -> { }
        }
        // Limit errors discard the value so far but leave the lexer as it is (no recovery).
        if ((long) queuedBytes + curLen + 1 > maxTokenSize) {
            emitError("JSON token size limit exceeded");
            return;
        }
        if ((long) tokCount + 1 > maxTokenCount) {
            emitError("JSON token count limit exceeded");
            return;
        }
        if ((long) braces + brackets > maxNesting) {
            emitError("JSON nesting depth limit exceeded");
            return;
        }

        if (tokCount == tokType.length) {
            int n = tokCount * 2;
            tokType = java.util.Arrays.copyOf(tokType, n);
            tokStart = java.util.Arrays.copyOf(tokStart, n);
            tokLen = java.util.Arrays.copyOf(tokLen, n);
        }
        tokType[tokCount] = (byte) type;
        tokStart[tokCount] = queuedBytes;
        tokLen[tokCount] = curLen;
        tokCount++;
        queuedBytes += curLen;

        if ((braces > 0 || brackets > 0) && braces >= 0 && brackets >= 0) {
            return; // inside an object or array: wait for more
        }
        JsonResult result = parse();
        results.add(result);
        clearValue();
    }

    private void emitError(String desc) {
        results.add(new JsonResult.Error(desc));
        clearValue();
    }

    private void clearValue() {
        lastBytes = queuedBytes;
        lastTokens = tokCount;
        braces = 0;
        brackets = 0;
        tokCount = 0;
        queuedBytes = 0;
        if (chunkCount > 1) {
            // Callers reset curLen right after, so no byte in the chunks is needed any more.
            java.util.Arrays.fill(chunks, 1, chunkCount, null);
            chunkCount = 1;
            tail = null;
            tailIndex = -1;
            if (chunks.length > 64) {
                chunks = java.util.Arrays.copyOf(chunks, 4);
            }
        }
        if (tokType.length > KEEP_TOKENS) {
            tokType = new byte[64];
            tokStart = new int[64];
            tokLen = new int[64];
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Parser (recursive descent over the queued tokens; the first error wins)

    private JsonResult parse() {
        pos = 0;
        parseError = null;
        Object value = parseValue();
        if (parseError != null) {
            return new JsonResult.Error(parseError);
        }
        return new JsonResult.Value(value);
    }

    private void fail(String message) {
        if (parseError != null) {
            return;
        }
        // QEMU formats the message into a 1024-byte buffer first.
        if (message.length() > 1023) {
            message = message.substring(0, 1023);
        }
        parseError = PREFIX + message;
    }

    private Object parseValue() {
        if (pos >= tokCount) {
            fail("premature EOI");
            return FAIL;
        }
        return switch (tokType[pos]) {
            case T_LCURLY -> parseObject();
            case T_LSQUARE -> parseArray();
            case T_STRING -> parseString(pos++);
            case T_INTEGER -> parseInteger(pos++);
            case T_FLOAT -> parseFloat(pos++);
            case T_KEYWORD -> parseKeyword(pos++);
            default -> {
                fail("expecting value"); // the token stays unconsumed
                yield FAIL;
            }
        };
    }

    private Object parseObject() {
        pos++; // '{'
        LinkedHashMap<String, Object> map = newObject();
        if (pos >= tokCount) {
            fail("premature EOI");
            return FAIL;
        }
        if (tokType[pos] == T_RCURLY) {
            pos++;
            return map;
        }
        if (!parsePair(map)) {
            return FAIL;
        }
        for (;;) {
            if (pos >= tokCount) {
                fail("premature EOI");
                return FAIL;
            }
            int type = tokType[pos++];
            if (type == T_RCURLY) {
                return map;
            }
            if (type != T_COMMA) {
                fail("expected separator in dict");
                return FAIL;
            }
            if (!parsePair(map)) {
                return FAIL;
            }
        }
    }

    private boolean parsePair(LinkedHashMap<String, Object> map) {
        if (pos >= tokCount) {
            fail("premature EOI");
            return false;
        }
        Object key = parseValue();
        if (!(key instanceof String name)) {
            fail("key is not a string in object");
            return false;
        }
        if (pos >= tokCount) {
            fail("premature EOI");
            return false;
        }
        if (tokType[pos++] != T_COLON) {
            fail("missing : in object pair");
            return false;
        }
        Object value = parseValue();
        if (value == FAIL) {
            fail("Missing value in dict");
            return false;
        }
        int size = map.size();
        map.put(name, value); // one lookup; a duplicate leaves the size as it was, and fails the value
        if (map.size() == size) {
            fail("duplicate key");
            return false;
        }
        return true;
    }

    private Object parseArray() {
        pos++; // '['
        ArrayList<Object> list = new ArrayList<>();
        if (pos >= tokCount) {
            fail("premature EOI");
            return FAIL;
        }
        if (tokType[pos] == T_RSQUARE) {
            pos++;
            return list;
        }
        for (;;) {
            Object element = parseValue();
            if (element == FAIL) {
                fail("expecting value");
                return FAIL;
            }
            list.add(element);
            if (pos >= tokCount) {
                fail("premature EOI");
                return FAIL;
            }
            int type = tokType[pos++];
            if (type == T_RSQUARE) {
                return list;
            }
            if (type != T_COMMA) {
                fail("expected separator in list");
                return FAIL;
            }
        }
    }

    private Object parseKeyword(int t) {
        int start = tokStart[t];
        int len = tokLen[t];
        if (is(start, len, "true")) {
            return Boolean.TRUE;
        }
        if (is(start, len, "false")) {
            return Boolean.FALSE;
        }
        if (is(start, len, "null")) {
            return null;
        }
        fail("invalid keyword '" + latin1(start, start + len) + "'");
        return FAIL;
    }

    private boolean is(int start, int len, String word) {
        if (len != word.length()) {
            return false;
        }
        for (int i = 0; i < len; i++) {
            if (at(start + i) != word.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** int64 if it fits, else uint64 if non-negative and it fits, else a double. */
    private Object parseInteger(int t) {
        int start = tokStart[t];
        int end = start + tokLen[t];
        boolean negative = at(start) == '-';
        int i = negative ? start + 1 : start;
        // Accumulate negatively so Long.MIN_VALUE fits.
        long acc = 0;
        boolean overflow = false;
        for (; i < end; i++) {
            int d = at(i) - '0';
            if (acc < Long.MIN_VALUE / 10) {
                overflow = true;
                break;
            }
            acc *= 10;
            if (acc < Long.MIN_VALUE + d) {
                overflow = true;
                break;
            }
            acc -= d;
        }
        if (!overflow) {
            if (negative) {
                return acc;
            }
            if (acc != Long.MIN_VALUE) {
                return -acc;
            }
        }
        if (!negative) {
            BigInteger big = new BigInteger(latin1(start, end));
            if (big.bitLength() <= 64) {
                return big;
            }
        }
        return parseFloat(t);
    }

    private Object parseFloat(int t) {
        double d = Double.parseDouble(latin1(tokStart[t], tokStart[t] + tokLen[t]));
        if (Double.isInfinite(d)) {
            fail("number out of range");
            return FAIL;
        }
        return d;
    }

    private int byteAt(int i, int end) {
        return i < end ? at(i) & 0xFF : 0; // past the token reads like C's terminating NUL
    }

    private int hex4(int p, int end) {
        int cp = 0;
        for (int i = 0; i < 4; i++) {
            int c = byteAt(p + i, end);
            int v;
            if (c >= '0' && c <= '9') {
                v = c - '0';
            } else if (c >= 'a' && c <= 'f') {
                v = c - 'a' + 10;
            } else if (c >= 'A' && c <= 'F') {
                v = c - 'A' + 10;
            } else {
                return -1;
            }
            cp = (cp << 4) | v;
        }
        return cp;
    }

    /**
     * A string token decoded once into a string of exactly its length: a first pass checks and
     * measures it, then plain ASCII without escapes (the common case) is copied out of the chunks
     * and anything else decoded into a char array of the measured length. Nothing grows, so a
     * string costs its final size plus one transient copy.
     */
    private Object parseString(int t) {
        int start = tokStart[t];
        int end = start + tokLen[t];
        String plain = plainAsciiInOneChunk(start + 1, end - 1);
        if (plain != null) {
            return plain;
        }
        int length = decodeString(start, end, null);
        if (length < 0) {
            return FAIL;
        }
        if (length == end - start - 2 && plainAscii(start + 1, end - 1)) {
            return latin1(start + 1, end - 1);
        }
        char[] out = new char[length];
        decodeString(start, end, out);
        return new String(out);
    }

    /**
     * The common string, checked and copied in one pass: the text between the quotes when it lies
     * in one chunk and is printable ASCII without escapes (the lexer let only bytes 0x20 to 0xFD
     * into a string), else null.
     */
    private String plainAsciiInOneChunk(int start, int end) {
        if (start == end) {
            return "";
        }
        int off = start & CHUNK_MASK;
        if (end - start > CHUNK - off) {
            return null;
        }
        byte[] chunk = chunks[start >>> CHUNK_SHIFT];
        for (int i = off, stop = off + end - start; i < stop; i++) {
            byte b = chunk[i];
            if (b < 0 || b == '\\') {
                return null;
            }
        }
        return new String(chunk, off, end - start, StandardCharsets.ISO_8859_1);
    }

    private boolean plainAscii(int start, int end) {
        for (int i = start; i < end; i++) {
            byte b = at(i);
            if (b < 0 || b == '\\') {
                return false;
            }
        }
        return true;
    }

    /**
     * Decodes the string token at {@code [start, end)} into {@code out}, or only measures and
     * checks it when {@code out} is null. Returns its length in UTF-16 units, or -1 after
     * {@link #fail} (only when measuring: a measured token decodes without error).
     */
    private int decodeString(int start, int end, char[] out) {
        int quote = at(start);
        int p = start + 1;
        int n = 0;
        for (;;) {
            int c = byteAt(p, end);
            if (c == quote) {
                return n;
            }
            if (c != '\\') {
                int cp;
                if (c > 0 && c < 0x80) {
                    cp = c;
                    p++;
                } else {
                    int count = Math.min(6, end - p);
                    for (int i = 0; i < count; i++) {
                        sequence[i] = at(p + i);
                    }
                    int packed = modUtf8Codepoint(sequence, 0, count);
                    cp = codepointOf(packed);
                    if (cp < 0) {
                        fail("invalid UTF-8 sequence in string");
                        return -1;
                    }
                    p += lengthOf(packed);
                }
                n += put(out, n, cp);
                continue;
            }
            int beg = p;
            p += 2;
            int cp;
            switch (byteAt(beg + 1, end)) {
                case '"' -> cp = '"';
                case '\'' -> cp = '\'';
                case '\\' -> cp = '\\';
                case '/' -> cp = '/';
                case 'b' -> cp = '\b';
                case 'f' -> cp = '\f';
                case 'n' -> cp = '\n';
                case 'r' -> cp = '\r';
                case 't' -> cp = '\t';
                case 'u' -> {
                    cp = hex4(p, end);
                    p += 4;
                    if (cp >= 0xD800 && cp <= 0xDBFF && byteAt(p, end) == '\\' && byteAt(p + 1, end) == 'u') {
                        int low = hex4(p + 2, end);
                        if (low >= 0xDC00 && low <= 0xDFFF) {
                            cp = 0x10000 + ((cp & 0x3FF) << 10) + (low & 0x3FF);
                            p += 6;
                        } else {
                            cp = -1;
                        }
                    }
                    if (!isValidCodepoint(cp)) {
                        // QEMU prints the escape as far as it read it, cut at the token's end.
                        byte[] escape = copy(beg, Math.min(p, end));
                        fail(decodeLikeWriter(escape, 0, escape.length) + " is not a valid Unicode character");
                        return -1;
                    }
                }
                default -> {
                    fail("invalid escape sequence in string");
                    return -1;
                }
            }
            n += put(out, n, cp);
        }
    }

    /** Writes {@code cp} at {@code out[n]} unless out is null; returns its UTF-16 length. */
    private static int put(char[] out, int n, int cp) {
        if (out == null) {
            return Character.charCount(cp);
        }
        return Character.toChars(cp, out, n);
    }

    // ---------------------------------------------------------------------------------------------
    // Modified UTF-8 (util/unicode.c semantics)

    private static final int[] MIN_CODEPOINT = {0x80, 0x800, 0x10000, 0x200000, 0x4000000};

    /** Code point {@code < 0} means invalid; shared by parser and writer rules. */
    static boolean isValidCodepoint(int cp) {
        if (cp < 0 || cp > 0x10FFFF) {
            return false;
        }
        if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE) {
            return false; // noncharacter
        }
        return cp < 0xD800 || cp > 0xDFFF; // no surrogates
    }

    /**
     * Decodes one modified-UTF-8 sequence at {@code p} (bytes at or past {@code end} read as NUL).
     * Returns the code point (-1 if invalid) and the number of bytes consumed, packed; see
     * {@link #codepointOf} and {@link #lengthOf}. On a missing continuation byte only the bytes
     * before it are consumed.
     */
    static int modUtf8Codepoint(byte[] a, int p, int end) {
        int b = p < end ? a[p] & 0xFF : 0;
        if (b < 0x80) {
            return pack(b, 1);
        }
        if (b >= 0xFE || (b & 0x40) == 0) {
            return pack(-1, 1); // impossible byte or stray continuation byte
        }
        int len = 0;
        int mask = 0x80;
        while ((b & mask) != 0) {
            len++;
            mask >>= 1;
        }
        int cp = b & (mask - 1);
        for (int i = 1; i < len; i++) {
            int c = p + i < end ? a[p + i] & 0xFF : 0;
            if ((c & 0xC0) != 0x80) {
                return pack(-1, i);
            }
            cp = (cp << 6) | (c & 0x3F);
        }
        if (cp > 0x10FFFF
                || (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE
                || (cp >= 0xD800 && cp <= 0xDFFF)
                || (cp < MIN_CODEPOINT[len - 2] && !(cp == 0 && len == 2))) {
            return pack(-1, len);
        }
        return pack(cp, len);
    }

    private static int pack(int cp, int len) {
        return (len << 24) | (cp & 0xFFFFFF);
    }

    static int codepointOf(int packed) {
        int cp = packed & 0xFFFFFF;
        return cp == 0xFFFFFF ? -1 : cp;
    }

    static int lengthOf(int packed) {
        return packed >>> 24;
    }

    /**
     * Turns raw bytes into the string QEMU's JSON writer would show for them: each valid sequence
     * as its code point, each invalid one as U+FFFD; stops at a NUL byte.
     */
    static String decodeLikeWriter(byte[] a, int start, int end) {
        StringBuilder out = new StringBuilder(end - start);
        int p = start;
        while (p < end && a[p] != 0) {
            int packed = modUtf8Codepoint(a, p, end);
            int cp = codepointOf(packed);
            out.appendCodePoint(cp < 0 ? 0xFFFD : cp);
            p += lengthOf(packed);
        }
        return out.toString();
    }
}
