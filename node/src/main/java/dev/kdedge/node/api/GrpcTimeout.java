package dev.kdedge.node.api;

import java.util.concurrent.TimeUnit;

/** The deadline a gRPC client sends in {@code grpc-timeout} (up to 8 digits and a unit: H, M, S, m, u, n). */
final class GrpcTimeout {
    private GrpcTimeout() {}

    /** {@link System#nanoTime()} at which the call's deadline passes; far in the future without a valid header. */
    static long deadlineNanos(String header) {
        long now = System.nanoTime();
        long none = now + TimeUnit.DAYS.toNanos(365);
        if (header == null || header.length() < 2 || header.length() > 9) {
            return none;
        }
        long amount;
        try {
            amount = Long.parseLong(header.substring(0, header.length() - 1));
        } catch (NumberFormatException e) {
            return none;
        }
        TimeUnit unit = switch (header.charAt(header.length() - 1)) {
            case 'H' -> TimeUnit.HOURS;
            case 'M' -> TimeUnit.MINUTES;
            case 'S' -> TimeUnit.SECONDS;
            case 'm' -> TimeUnit.MILLISECONDS;
            case 'u' -> TimeUnit.MICROSECONDS;
            case 'n' -> TimeUnit.NANOSECONDS;
            default -> null;
        };
        return unit == null || amount < 0 ? none : now + Math.min(unit.toNanos(amount), TimeUnit.DAYS.toNanos(365));
    }
}
