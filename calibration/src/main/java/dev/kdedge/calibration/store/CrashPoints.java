package dev.kdedge.calibration.store;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Named instants inside the store's crash-safe writes where a crash-safety test stops the JVM dead, as a SIGKILL or a
 * power cut would at that instant: {@code -Dkdedge.crashAt=NAME} halts the process the first time NAME is reached,
 * {@code -Dkdedge.crashAt=NAME#N} the N-th time. Without the property every point is a no-op. A test that kills a
 * process from outside can only hope to land inside a write that lasts milliseconds; a named point lands there on
 * every machine.
 *
 * <p>The points: {@link #UPLOAD_STORED}, {@link #VERSION_STAGED}, and for every {@link AtomicFiles#write} of a file
 * named F, {@code F-written} (the temporary file is flushed, not yet renamed) and {@code F-renamed} (renamed, its
 * directory not yet flushed), for example {@code ACTIVE-written}.
 */
public final class CrashPoints {
    public static final String PROPERTY = "kdedge.crashAt";
    /** The exit status of a process stopped at a crash point: that of a process killed by SIGKILL. */
    public static final int HALT_STATUS = 137;
    /** An uploaded image has been stored durably. */
    public static final String UPLOAD_STORED = "upload-stored";
    /** A new version's staging directory is complete and flushed, not yet renamed into place. */
    public static final String VERSION_STAGED = "version-staged";

    private static final String ARMED = armedPoint();
    private static final int NTH = armedCount();
    private static final AtomicInteger HITS = new AtomicInteger();

    private CrashPoints() {}

    static void reach(String point) {
        if (point.equals(ARMED) && HITS.incrementAndGet() == NTH) {
            System.err.println("kdedge: halting at crash point " + point + " (" + PROPERTY + ")");
            Runtime.getRuntime().halt(HALT_STATUS);
        }
    }

    private static String armedPoint() {
        String value = System.getProperty(PROPERTY);
        return value == null ? null : value.split("#", 2)[0];
    }

    private static int armedCount() {
        String value = System.getProperty(PROPERTY);
        return value == null || !value.contains("#") ? 1 : Integer.parseInt(value.substring(value.indexOf('#') + 1));
    }
}
