package dev.kdedge.node.inspection;

import java.util.Optional;

/** The two encodings the node keeps files of as they were sent, told by their first bytes. */
public enum EncodedFormat {
    PNG("png"),
    JPEG("jpg");

    private final String extension;

    EncodedFormat(String extension) {
        this.extension = extension;
    }

    public String extension() {
        return extension;
    }

    /** @return empty for any other encoding (the decoder may still read it) */
    public static Optional<EncodedFormat> of(byte[] b) {
        if (b.length > 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
            return Optional.of(PNG);
        }
        return b.length > 2 && (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xD8 ? Optional.of(JPEG) : Optional.empty();
    }
}
