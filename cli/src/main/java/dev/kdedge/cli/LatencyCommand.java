package dev.kdedge.cli;

import com.google.protobuf.ByteString;
import dev.kdedge.api.v1.FrameRequest;
import dev.kdedge.api.v1.FrameResult;
import dev.kdedge.api.v1.Image;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.RawImage;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.SharedFrame;
import dev.kdedge.api.v1.StageTimings;
import dev.kdedge.calibration.dataset.ImageFolders;
import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.calibration.image.Pixels;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "latency", mixinStandardHelpOptions = true,
        description = {"Measure end-to-end latency and throughput against a running node (BENCHMARKS.md).",
                "Unary Score calls by default; with --stream each client is a camera on one InspectStream."})
final class LatencyCommand implements Callable<Integer> {
    @Mixin
    NodeTarget target = new NodeTarget();

    @Option(names = "--images", required = true, description = "Folder of PNG/JPEG images, sent in turn.")
    Path images;

    @Option(names = "--calls", defaultValue = "200", description = "Timed images in all (default: ${DEFAULT-VALUE}).")
    int calls;

    @Option(names = "--duration", description = "Run for this many seconds instead of a number of images.")
    Integer durationSeconds;

    @Option(names = "--warmup", defaultValue = "200", description = {"Untimed calls first (default: ${DEFAULT-VALUE}):"
            + " the node's and this tool's JIT compile their request paths over the first few hundred calls."})
    int warmup;

    @Option(names = "--concurrency", defaultValue = "1", description = "Clients at once (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--stream", description = "Each client streams frames on one InspectStream.")
    boolean stream;

    @Option(names = "--raw", description = {"Send raw pixels (GRAY8 or RGB8 at the image's own size, decoded here), as a"
            + " camera delivering frames does; default: the files as they are (PNG/JPEG), decoded by the node."})
    boolean raw;

    @Option(names = "--shared-dir", description = {"Write each image's raw pixels (as --raw) to a file in this"
            + " directory, the node's server.sharedFrameDir, and name the file in the request instead of sending the"
            + " pixels, as a camera process on the node's machine does; the files are removed at the end."})
    Path sharedDir;

    @Option(names = "--window", defaultValue = "4", description = "With --stream: frames in flight per stream (default: ${DEFAULT-VALUE}).")
    int window;

    /** Hands out the timed images: a count, or a time limit. */
    private final class Budget {
        private final AtomicInteger taken = new AtomicInteger();
        private final long end = durationSeconds == null ? Long.MAX_VALUE
                : System.nanoTime() + TimeUnit.SECONDS.toNanos(durationSeconds);

        /** @return the index of the next image to send, or -1 when the run is over */
        int next() {
            if (durationSeconds != null) {
                return System.nanoTime() < end ? taken.getAndIncrement() : -1;
            }
            int i = taken.getAndIncrement();
            return i < calls ? i : -1;
        }
    }

    /** A call's round trip as the client saw it, and the node's own stage timings for it. */
    private record Timing(double roundTrip, StageTimings stages) {
        /** Teacher, student and anomaly map: the bare model of BENCHMARKS.md, timed inside the node. */
        double model() {
            return stages.getInferenceMs() + stages.getAnomalyMapMs();
        }
    }

    @Override
    public Integer call() throws Exception {
        List<ScoreRequest> requests = new ArrayList<>();
        List<Path> sharedFrames = new ArrayList<>();
        for (Path file : ImageFolders.list(images)) {
            if (sharedDir != null) {
                Path frame = sharedDir.resolve("kdedge-latency-" + sharedFrames.size() + ".raw");
                sharedFrames.add(frame);
                requests.add(sharedRequest(file, frame));
            } else {
                requests.add(raw ? rawRequest(file) : target.scoreRequest(file).build());
            }
        }
        if (requests.isEmpty()) {
            throw new IllegalArgumentException("no images in " + images);
        }
        ManagedChannel channel = target.channel();
        ExecutorService clients = Executors.newFixedThreadPool(concurrency);
        try {
            var unary = InspectionGrpc.newBlockingStub(channel);
            for (int i = 0; i < warmup; i++) {
                unary.score(requests.get(i % requests.size()));
            }
            List<Timing> timings = Collections.synchronizedList(new ArrayList<>());
            Budget budget = new Budget();
            long start = System.nanoTime();
            List<Future<?>> workers = new ArrayList<>();
            for (int c = 0; c < concurrency; c++) {
                workers.add(clients.submit(() -> {
                    if (stream) {
                        streamFrames(channel, requests, budget, timings);
                    } else {
                        for (int i; (i = budget.next()) >= 0; ) {
                            long t = System.nanoTime();
                            var verdict = unary.score(requests.get(i % requests.size())).getVerdict();
                            timings.add(new Timing((System.nanoTime() - t) / 1e6, verdict.getTimings()));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> w : workers) {
                w.get();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double[] roundTrip = timings.stream().mapToDouble(Timing::roundTrip).sorted().toArray();
            double[] node = timings.stream().mapToDouble(t -> t.stages().getTotalMs()).sorted().toArray();
            double[] model = timings.stream().mapToDouble(Timing::model).sorted().toArray();
            int n = roundTrip.length;
            System.out.printf(Locale.ROOT, "%d %s, concurrency %d: round trip median %.1f ms, p90 %.1f ms, p99 %.1f ms;"
                    + " %.1f images/s%n", n, stream ? "frames" : "calls", concurrency, roundTrip[n / 2],
                    roundTrip[n * 9 / 10], roundTrip[Math.min(n - 1, n * 99 / 100)], n / seconds);
            System.out.printf(Locale.ROOT, "in the node (medians): %.1f ms from decode to reply, %.1f ms in the"
                    + " served graph (frame input, teacher, student, map); round trip / graph %.3f%s%n", node[n / 2], model[n / 2],
                    roundTrip[n / 2] / model[n / 2], concurrency == 1 && !stream ? " (node overhead)" : "");
            return 0;
        } finally {
            clients.shutdownNow();
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            for (Path frame : sharedFrames) {
                Files.deleteIfExists(frame);
            }
        }
    }

    private ScoreRequest rawRequest(Path file) throws IOException {
        Pixels pixels = new ImageDecoder(Long.MAX_VALUE).decodeFile(file);
        return ScoreRequest.newBuilder().setProduct(target.product).setImage(Image.newBuilder().setRaw(RawImage.newBuilder()
                .setFormat(format(pixels)).setWidth(pixels.width()).setHeight(pixels.height())
                .setPixels(ByteString.copyFrom(pixels.data())))).build();
    }

    /** The image's pixels written to {@code frame}, and a request naming it. */
    private ScoreRequest sharedRequest(Path file, Path frame) throws IOException {
        Pixels pixels = new ImageDecoder(Long.MAX_VALUE).decodeFile(file);
        Files.write(frame, pixels.data());
        return ScoreRequest.newBuilder().setProduct(target.product).setImage(Image.newBuilder().setShared(
                SharedFrame.newBuilder().setName(frame.getFileName().toString()).setFormat(format(pixels))
                        .setWidth(pixels.width()).setHeight(pixels.height()))).build();
    }

    private static RawImage.PixelFormat format(Pixels pixels) {
        return pixels.channels() == 1 ? RawImage.PixelFormat.GRAY8
                : pixels.bgr() ? RawImage.PixelFormat.BGR8 : RawImage.PixelFormat.RGB8;
    }

    /** One camera: frames on one InspectStream, at most {@code window} unanswered at a time. */
    private void streamFrames(ManagedChannel channel, List<ScoreRequest> requests, Budget budget, List<Timing> timings)
            throws Exception {
        Semaphore inFlight = new Semaphore(window);
        Map<Long, Long> sentAt = new ConcurrentHashMap<>();
        CountDownLatch finished = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        StreamObserver<FrameRequest> frames = InspectionGrpc.newStub(channel).inspectStream(new StreamObserver<>() {
            @Override
            public void onNext(FrameResult result) {
                long sent = sentAt.remove(result.getFrameId());
                if (result.hasError()) {
                    failure.compareAndSet(null, new IllegalStateException("frame " + result.getFrameId() + ": "
                            + result.getError().getMessage()));
                } else {
                    timings.add(new Timing((System.nanoTime() - sent) / 1e6,
                            result.getResult().getVerdict().getTimings()));
                }
                inFlight.release();
            }

            @Override
            public void onError(Throwable t) {
                failure.compareAndSet(null, t);
                finished.countDown();
                inFlight.release(window);
            }

            @Override
            public void onCompleted() {
                finished.countDown();
            }
        });
        for (int i; failure.get() == null && (i = budget.next()) >= 0; ) {
            inFlight.acquire();
            sentAt.put((long) i, System.nanoTime());
            frames.onNext(FrameRequest.newBuilder().setFrameId(i).setRequest(requests.get(i % requests.size())).build());
        }
        frames.onCompleted();
        finished.await();
        if (failure.get() != null) {
            throw new IllegalStateException("stream failed: " + failure.get().getMessage(), failure.get());
        }
    }
}
