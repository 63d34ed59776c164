package dev.kdedge.node;

import com.google.protobuf.ByteString;
import dev.kdedge.api.v1.FrameRequest;
import dev.kdedge.api.v1.Image;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.ResultsGrpc;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.WatchResultsRequest;
import dev.kdedge.api.v1.WatchResultsResponse;
import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * Not part of the suite (its name does not end in Test): the README's abuse benchmark. A polite client sends one
 * Score every 100 ms and records its latency, alone and beside each abusive client of issue 17, against a node in
 * this JVM serving a product from a store:
 *
 * <pre>
 * mvn -B -o test -pl node -Dtest=AbuseBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dkdedge.bench.store=/tmp/bench/store -Dkdedge.bench.image=/tmp/bench/work/sample-good.png
 * </pre>
 */
class AbuseBenchmark {
    private static final int POLITE_INTERVAL_MS = 100;

    private record Pattern(String name, Consumer<AbuseContext> abuse) {}

    /** What an abusive client gets: the node's address, the request it may send, and when to stop. */
    private record AbuseContext(int port, ScoreRequest request, AtomicBoolean stop) {}

    @Test
    void politeClientBesideEachAbusivePattern() throws Exception {
        Path store = Path.of(System.getProperty("kdedge.bench.store"));
        String product = System.getProperty("kdedge.bench.product", "demo");
        ScoreRequest request = ScoreRequest.newBuilder().setProduct(product).setImage(Image.newBuilder()
                .setEncoded(ByteString.copyFrom(Files.readAllBytes(Path.of(System.getProperty("kdedge.bench.image"))))))
                .build();
        int seconds = Integer.getInteger("kdedge.bench.seconds", 15);
        List<Pattern> patterns = List.of(
                new Pattern("alone", context -> {}),
                new Pattern("16-wide flood on one connection", context -> flood(context, 16, -1, 0)),
                new Pattern("calls cancelled 15 ms after they start, 16 at a time", context -> flood(context, 16, 15, 0)),
                new Pattern("calls whose 1 ms deadline passes in the queue, 16 at a time", context -> flood(context, 16, -1, 1)),
                new Pattern("50 streams of 200 frames whose client never reads", context -> neverReading(context, 50, 200)),
                new Pattern("4 large JPEGs (3000 x 3000) in flight, continuously", context -> largeImages(context, 4)),
                new Pattern("20 results watchers from result 0 that never read (4 KiB window)",
                        context -> neverReadingWatchers(context, 20)));
        try (RunningNode node = new RunningNode(store, c -> {})) {
            InspectionGrpc.newBlockingStub(node.channel).score(request);
            System.out.printf("%-62s %8s %8s %8s  %s%n", "beside", "p50 ms", "p99 ms", "max ms", "polite calls failed");
            for (Pattern pattern : patterns) {
                AtomicBoolean stop = new AtomicBoolean();
                Thread abuser = new Thread(() -> pattern.abuse().accept(new AbuseContext(node.server.port(), request,
                        stop)), "abuser");
                abuser.start();
                Thread.sleep(1000);
                double[] latencies = polite(node.server.port(), request, seconds * 1000 / POLITE_INTERVAL_MS);
                stop.set(true);
                abuser.join(60_000);
                long failed = Arrays.stream(latencies).filter(Double::isNaN).count();
                double[] served = Arrays.stream(latencies).filter(l -> !Double.isNaN(l)).sorted().toArray();
                System.out.printf("%-62s %8.1f %8.1f %8.1f  %d of %d%n", pattern.name(), percentile(served, 0.5),
                        percentile(served, 0.99), served.length == 0 ? Double.NaN : served[served.length - 1], failed,
                        latencies.length);
                Thread.sleep(2000);
            }
        }
    }

    /**
     * Latency in ms of each polite call on a connection of its own, NaN for a failed call (5 s deadline). It comes
     * from 127.0.0.2, another client than the abusers on 127.0.0.1: without TLS the node tells clients apart by
     * address, and holds one that abandons too many calls to account across its connections.
     */
    private static double[] polite(int port, ScoreRequest request, int calls) throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
                .localSocketPicker(new NettyChannelBuilder.LocalSocketPicker() {
                    @Override
                    public SocketAddress createSocketAddress(SocketAddress remote, Attributes attributes) {
                        return new InetSocketAddress("127.0.0.2", 0);
                    }
                }).build();
        try {
            double[] latencies = new double[calls];
            for (int i = 0; i < calls; i++) {
                long start = System.nanoTime();
                try {
                    InspectionGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS).score(request);
                    latencies[i] = (System.nanoTime() - start) / 1e6;
                } catch (StatusRuntimeException e) {
                    latencies[i] = Double.NaN;
                }
                long spent = (System.nanoTime() - start) / 1_000_000;
                Thread.sleep(Math.max(0, POLITE_INTERVAL_MS - spent));
            }
            return latencies;
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /**
     * {@code width} calls always in flight on one connection, each started again as soon as it ends (refused or not).
     * With {@code cancelAfterMs} at or above 0 each is cancelled that long after it starts; with {@code deadlineMs}
     * above 0 each has that deadline.
     */
    private static void flood(AbuseContext context, int width, int cancelAfterMs, int deadlineMs) {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", context.port()).usePlaintext().build();
        Semaphore inFlight = new Semaphore(width);
        try {
            while (!context.stop().get()) {
                inFlight.acquire();
                InspectionGrpc.InspectionStub stub = InspectionGrpc.newStub(channel);
                if (deadlineMs > 0) {
                    stub = stub.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS);
                }
                Context.CancellableContext call = Context.current().withCancellation();
                InspectionGrpc.InspectionStub caller = stub;
                call.run(() -> ScoreCalls.status(caller, context.request()).whenComplete((s, e) -> inFlight.release()));
                if (cancelAfterMs >= 0) {
                    Thread.sleep(cancelAfterMs);
                    call.cancel(null);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            channel.shutdownNow();
        }
    }

    private static void neverReading(AbuseContext context, int streams, int frames) {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", context.port()).usePlaintext().build();
        List<ClientCallStreamObserver<FrameRequest>> opened = new ArrayList<>();
        try {
            for (int s = 0; s < streams && !context.stop().get(); s++) {
                opened.add(NeverReadingCamera.stream(channel, context.request(), frames));
            }
            while (!context.stop().get()) {
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            opened.forEach(stream -> stream.cancel("done", null));
            channel.shutdownNow();
        }
    }

    /** Line gateways that ask for every result the journal holds and then take none of them. */
    private static void neverReadingWatchers(AbuseContext context, int watchers) {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", context.port()).usePlaintext()
                .flowControlWindow(4096).build();
        List<ClientCall<WatchResultsRequest, WatchResultsResponse>> opened = new ArrayList<>();
        try {
            for (int w = 0; w < watchers; w++) {
                ClientCall<WatchResultsRequest, WatchResultsResponse> watcher = channel.newCall(
                        ResultsGrpc.getWatchResultsMethod(), CallOptions.DEFAULT);
                watcher.start(new ClientCall.Listener<>() {}, new Metadata());
                watcher.sendMessage(WatchResultsRequest.newBuilder().setAfterResultId(0).build());
                watcher.halfClose();
                opened.add(watcher);
            }
            while (!context.stop().get()) {
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            opened.forEach(watcher -> watcher.cancel("done", null));
            channel.shutdownNow();
        }
    }

    private static void largeImages(AbuseContext context, int inFlight) {
        BufferedImage noise = new BufferedImage(3000, 3000, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(7);
        for (int y = 0; y < noise.getHeight(); y++) {
            for (int x = 0; x < noise.getWidth(); x++) {
                noise.setRGB(x, y, random.nextInt());
            }
        }
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        try {
            ImageIO.write(noise, "jpg", jpeg);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ScoreRequest large = context.request().toBuilder()
                .setImage(Image.newBuilder().setEncoded(ByteString.copyFrom(jpeg.toByteArray()))).build();
        flood(new AbuseContext(context.port(), large, context.stop()), inFlight, -1, 0);
    }

    private static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }
}
