package dev.kdedge.node;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.calibration.demo.DemoFixture;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Not part of the suite (its name does not end in Test): the README's OPC UA benchmark. A camera scores the demo's
 * good sample at a station at 30 parts a second; a PLC (node-opcua, SignAndEncrypt) subscribed with a 10 ms
 * publishing interval hears ResultReady for each part. Latency: from the camera's Score reply to the PLC's
 * notification, both read from the wall clock of this one machine. CPU: the node's JVM (camera client included, the
 * same in every phase), idle and at 30 parts a second, with the OPC UA server without a client and serving the PLC.
 *
 * <pre>
 * mvn -B -o test -pl node -Dtest=OpcUaLatencyBenchmark -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
class OpcUaLatencyBenchmark {
    private static final int PARTS_PER_SECOND = 30;

    @TempDir
    Path dir;

    @Test
    void scoreReplyToResultReadyAtThirtyPartsASecond() throws Exception {
        int seconds = Integer.getInteger("kdedge.bench.seconds", 60);
        TestPlc.Application node = TestPlc.Application.of("node", "kdedge");
        TestPlc.Application plc = TestPlc.Application.of("plc", "line");
        plc.trustedBy(dir.resolve("pki"));
        int port = OpcUaLineTest.freePort();
        ScoreRequest frame = DemoRequests.scoreRequest(DemoFixture.sampleGood()).toBuilder().clearProduct()
                .setStation(OpcUaLineTest.STATION).build();
        try (RunningNode running = new RunningNode(DemoFixture.store(), OpcUaLineTest.opcua(dir, node, port,
                c -> { }))) {
            InspectionGrpc.InspectionBlockingStub camera = InspectionGrpc.newBlockingStub(running.channel);
            for (int i = 0; i < 50; i++) {
                camera.score(frame); // warm
            }
            System.out.printf("%-44s %10s%n", "phase", "CPU %");
            System.out.printf("%-44s %10.1f%n", "idle, OPC UA server without a client", cpu(seconds / 3, () -> { }));
            Map<Long, Instant> replies = new ConcurrentHashMap<>();
            System.out.printf("%-44s %10.1f%n", "30 parts/s, OPC UA server without a client",
                    cpu(seconds, () -> parts(camera, frame, seconds, replies)));
            try (TestPlc line = TestPlc.connect(port, OpcUaLineTest.STATION, plc, node, dir)) {
                line.connected();
                line.subscribe(10);
                System.out.printf("%-44s %10.1f%n", "idle, serving one PLC (10 ms publishing)",
                        cpu(seconds / 3, () -> { }));
                replies.clear();
                System.out.printf("%-44s %10.1f%n", "30 parts/s, serving one PLC (10 ms publishing)",
                        cpu(seconds, () -> parts(camera, frame, seconds, replies)));
                List<Double> latencies = new ArrayList<>();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (latencies.size() < replies.size() && System.nanoTime() < until) {
                    JsonNode ready = line.next(m -> "resultReady".equals(m.path("event").asText()), 10);
                    Instant replied = replies.get(ready.path("ResultId").asLong());
                    if (replied != null) {
                        double repliedMillis = replied.getEpochSecond() * 1000.0 + replied.getNano() / 1e6;
                        latencies.add(ready.path("receivedAt").asDouble() - repliedMillis);
                    }
                }
                Collections.sort(latencies);
                System.out.printf("Score reply -> ResultReady at the PLC, %d parts of %d: p50 %.1f ms, p99 %.1f ms, "
                        + "max %.1f ms%n", latencies.size(), replies.size(), at(latencies, 0.50),
                        at(latencies, 0.99), latencies.get(latencies.size() - 1));
            }
        }
    }

    /** Scores a part every 1/30 s for {@code seconds}, noting when each reply came. */
    private static void parts(InspectionGrpc.InspectionBlockingStub camera, ScoreRequest frame, int seconds,
            Map<Long, Instant> replies) {
        ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor();
        try {
            int[] part = {0};
            clock.scheduleAtFixedRate(() -> {
                long id = camera.score(frame.toBuilder().setPartId("SN-" + part[0]++).build()).getVerdict()
                        .getResultId();
                replies.put(id, Instant.now());
            }, 0, 1_000_000 / PARTS_PER_SECOND, TimeUnit.MICROSECONDS);
            Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            clock.shutdownNow();
        }
    }

    /** The JVM's CPU time over the phase, as a share of one core. */
    private static double cpu(int seconds, Runnable phase) throws InterruptedException {
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpuBefore = os.getProcessCpuTime();
        long before = System.nanoTime();
        phase.run();
        if (System.nanoTime() - before < TimeUnit.SECONDS.toNanos(seconds)) {
            Thread.sleep(TimeUnit.SECONDS.toMillis(seconds) - (System.nanoTime() - before) / 1_000_000);
        }
        return 100.0 * (os.getProcessCpuTime() - cpuBefore) / (System.nanoTime() - before);
    }

    private static double at(List<Double> sorted, double quantile) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(quantile * sorted.size()) - 1));
    }
}
