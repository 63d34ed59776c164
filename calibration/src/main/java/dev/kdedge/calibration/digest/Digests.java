package dev.kdedge.calibration.digest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** SHA-256 of files and of sets of files, as lowercase hex. */
public final class Digests {
    private Digests() {}

    public static String sha256(Path file) throws IOException {
        MessageDigest digest = newDigest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    public static String sha256(byte[] content) {
        return HexFormat.of().formatHex(newDigest().digest(content));
    }

    /** A digest of a set of files that depends on their contents only, not on their names or order. */
    public static String sha256OfContents(List<Path> files) throws IOException {
        List<String> hashes = new java.util.ArrayList<>();
        for (Path file : files) {
            hashes.add(sha256(file));
        }
        hashes.sort(null);
        MessageDigest digest = newDigest();
        for (String h : hashes) {
            digest.update(h.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
        }
    }
}
