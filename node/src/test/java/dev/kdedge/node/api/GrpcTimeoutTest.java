package dev.kdedge.node.api;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A client's deadline read from grpc-timeout; a header that is not one means no deadline the node knows of. */
class GrpcTimeoutTest {
    @Test
    void eachUnitAndWhatIsNotATimeout() {
        long now = System.nanoTime();
        assertNear(now + TimeUnit.MILLISECONDS.toNanos(250), GrpcTimeout.deadlineNanos("250m"));
        assertNear(now + TimeUnit.SECONDS.toNanos(3), GrpcTimeout.deadlineNanos("3S"));
        assertNear(now + TimeUnit.MINUTES.toNanos(2), GrpcTimeout.deadlineNanos("2M"));
        assertNear(now + TimeUnit.MICROSECONDS.toNanos(99999999), GrpcTimeout.deadlineNanos("99999999u"));
        for (String notOne : new String[] {null, "", "5", "5x", "-5S", "123456789S", "abcS"}) {
            assertTrue(GrpcTimeout.deadlineNanos(notOne) - now > TimeUnit.DAYS.toNanos(300), String.valueOf(notOne));
        }
    }

    private static void assertNear(long expected, long actual) {
        assertTrue(Math.abs(actual - expected) < TimeUnit.SECONDS.toNanos(1), expected + " vs " + actual);
    }
}
