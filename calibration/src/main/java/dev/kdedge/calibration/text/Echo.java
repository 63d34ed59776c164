package dev.kdedge.calibration.text;

/**
 * What an error message may repeat of a value someone sent. A message goes back in the gRPC status, which travels in
 * HTTP/2 headers that clients cap (8 KiB by default): repeating a 10,000-character id whole turns a clear refusal into
 * a broken stream. Values are cut to {@value #MAX_CHARS} characters, saying how long they were.
 */
public final class Echo {
    static final int MAX_CHARS = 64;

    private Echo() {}

    /** {@code value} in single quotes, cut to {@value #MAX_CHARS} characters with its length when longer. */
    public static String quoted(String value) {
        if (value == null) {
            return "null";
        }
        if (value.length() <= MAX_CHARS) {
            return "'" + value + "'";
        }
        return "'" + value.substring(0, MAX_CHARS) + "...' (" + value.length() + " characters)";
    }
}
