package io.jqmp.fuzz;

/** Helpers for fuzz test messages. Stateless; any thread. */
final class Corpus {
    private Corpus() {
    }

    /** The input with bytes outside printable ASCII as {@code \xNN}, cut at 300 characters. */
    static String show(byte[] input) {
        StringBuilder sb = new StringBuilder("\"");
        for (byte b : input) {
            int c = b & 0xFF;
            if (sb.length() > 300) {
                sb.append("...");
                break;
            }
            sb.append(c >= 0x20 && c < 0x7F && c != '\\' ? String.valueOf((char) c) : String.format("\\x%02X", c));
        }
        return sb.append('"').toString();
    }
}
