package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import com.google.protobuf.ByteString;
import dev.kdedge.api.v1.DescribeProductRequest;
import dev.kdedge.api.v1.Image;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.Job;
import dev.kdedge.api.v1.JobEvent;
import dev.kdedge.api.v1.ModelsGrpc;
import dev.kdedge.api.v1.PromoteRequest;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.WatchJobRequest;
import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.calibration.store.CrashPoints;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** kdedge-node in its own JVM, on a free port, with grpc-java stubs to it. */
final class NodeProcess implements AutoCloseable {
    private final Process process;
    private final int port;
    final ManagedChannel channel;

    /** @param crashAt the {@link CrashPoints} name at which this process halts, or null */
    NodeProcess(Path config, Path store, String crashAt) throws Exception {
        this(config, store, crashAt, "2g");
    }

    /** @param maxHeap the JVM's -Xmx: 2g, as bin/kdedge-node and the systemd unit give it */
    NodeProcess(Path config, Path store, String crashAt, String maxHeap) throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + maxHeap));
        if (crashAt != null) {
            command.add("-D" + CrashPoints.PROPERTY + "=" + crashAt);
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), KdedgeNode.class.getName(),
                "--config", config.toString(), "--store", store.toString(), "--port", Integer.toString(port)));
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(store.resolveSibling("node-" + port + ".log").toFile()).start();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!listening()) {
            assertTrue(process.isAlive(), "kdedge-node exited: " + Files.readString(store.resolveSibling("node-" + port + ".log")));
            assertTrue(System.nanoTime() < until, "kdedge-node did not start in 60 s");
            Thread.sleep(100);
        }
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    }

    private boolean listening() {
        try (Socket ignored = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    int port() {
        return port;
    }

    /** The process's peak resident memory so far (Linux's VmHWM), in bytes. */
    long peakResidentBytes() throws IOException {
        return residentKilobytes("VmHWM:") * 1024;
    }

    /** The process's resident memory now (Linux's VmRSS), in bytes. */
    long residentBytes() throws IOException {
        return residentKilobytes("VmRSS:") * 1024;
    }

    private long residentKilobytes(String field) throws IOException {
        return Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status")).stream()
                .filter(line -> line.startsWith(field))
                .mapToLong(line -> Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]))
                .findFirst().orElseThrow(() -> new IOException("no " + field + " for process " + process.pid()));
    }

    ModelsGrpc.ModelsBlockingStub models() {
        return ModelsGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.MINUTES);
    }

    String score() throws Exception {
        return InspectionGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .score(ScoreRequest.newBuilder().setProduct(DemoFixture.PRODUCT).setImage(Image.newBuilder()
                        .setEncoded(ByteString.copyFrom(Files.readAllBytes(DemoFixture.sampleGood())))).build())
                .getVerdict().getModelVersion();
    }

    JobEvent waitForEvent(Job job, Predicate<JobEvent> wanted) {
        Iterator<JobEvent> events = ModelsGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.MINUTES)
                .watchJob(WatchJobRequest.newBuilder().setJobId(job.getJobId()).build());
        while (events.hasNext()) {
            JobEvent event = events.next();
            if (wanted.test(event)) {
                return event;
            }
        }
        throw new AssertionError("job " + job.getJobId() + " ended without the awaited event");
    }

    int activeVersion() {
        return models().describeProduct(DescribeProductRequest.newBuilder().setProduct(DemoFixture.PRODUCT).build())
                .getActiveVersion();
    }

    void promoteAndAwaitCrashPoint(int version) throws Exception {
        ModelsGrpc.newStub(channel).promote(PromoteRequest.newBuilder().setProduct(DemoFixture.PRODUCT)
                .setVersion(version).build(), ignoring());
        awaitCrashPoint();
    }

    /** Waits for the process to halt at its crash point. */
    void awaitCrashPoint() throws Exception {
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), "the node never reached its crash point");
        assertEquals(CrashPoints.HALT_STATUS, process.exitValue(), "the node ended otherwise than at its crash point");
    }

    /** SIGTERM, as systemd stops the node: its shutdown hook runs. */
    void terminate() {
        process.destroy();
    }

    /** Whether the process ended within {@code seconds}. */
    boolean exited(int seconds) throws InterruptedException {
        return process.waitFor(seconds, TimeUnit.SECONDS);
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertFalse(process.isAlive());
    }

    @Override
    public void close() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        kill();
    }

    /** A response observer for calls whose answer does not matter (the process halts inside them). */
    static <T> StreamObserver<T> ignoring() {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {}

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
        };
    }
}
