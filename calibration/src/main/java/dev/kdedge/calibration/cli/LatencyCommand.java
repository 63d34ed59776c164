package dev.kdedge.calibration.cli;

import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.calibration.dataset.ImageFolders;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "latency", mixinStandardHelpOptions = true,
        description = "Measure end-to-end Score latency and throughput against a running node (BENCHMARKS.md).")
final class LatencyCommand implements Callable<Integer> {
    @Mixin
    NodeTarget target = new NodeTarget();

    @Option(names = "--images", required = true, description = "Folder of PNG/JPEG images, sent in turn.")
    Path images;

    @Option(names = "--calls", defaultValue = "200", description = "Timed calls (default: ${DEFAULT-VALUE}).")
    int calls;

    @Option(names = "--warmup", defaultValue = "20", description = "Untimed calls first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--concurrency", defaultValue = "1", description = "Clients calling at once (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Override
    public Integer call() throws Exception {
        List<ScoreRequest> requests = new ArrayList<>();
        for (Path file : ImageFolders.list(images)) {
            requests.add(target.scoreRequest(file).build());
        }
        if (requests.isEmpty()) {
            throw new IllegalArgumentException("no images in " + images);
        }
        ManagedChannel channel = target.channel();
        ExecutorService clients = Executors.newFixedThreadPool(concurrency);
        try {
            var stub = InspectionGrpc.newBlockingStub(channel);
            for (int i = 0; i < warmup; i++) {
                stub.score(requests.get(i % requests.size()));
            }
            double[] roundTrip = new double[calls];
            double[] server = new double[calls];
            AtomicInteger next = new AtomicInteger();
            long start = System.nanoTime();
            List<Future<?>> workers = new ArrayList<>();
            for (int c = 0; c < concurrency; c++) {
                workers.add(clients.submit(() -> {
                    for (int i; (i = next.getAndIncrement()) < calls; ) {
                        long t = System.nanoTime();
                        var verdict = stub.score(requests.get(i % requests.size())).getVerdict();
                        roundTrip[i] = (System.nanoTime() - t) / 1e6;
                        server[i] = verdict.getTimings().getTotalMs();
                    }
                    return null;
                }));
            }
            for (Future<?> w : workers) {
                w.get();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Arrays.sort(roundTrip);
            Arrays.sort(server);
            System.out.printf("%d calls, concurrency %d: round trip median %.1f ms, p90 %.1f ms, p99 %.1f ms; "
                    + "node-reported median %.1f ms; %.1f images/s%n", calls, concurrency, roundTrip[calls / 2],
                    roundTrip[calls * 9 / 10], roundTrip[Math.min(calls - 1, calls * 99 / 100)], server[calls / 2],
                    calls / seconds);
            return 0;
        } finally {
            clients.shutdownNow();
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
