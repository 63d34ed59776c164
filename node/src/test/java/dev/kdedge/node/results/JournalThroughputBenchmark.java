package dev.kdedge.node.results;

import dev.kdedge.node.inspection.InspectionResult;
import dev.kdedge.node.inspection.Part;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Results per second the journal records, with each sync mode, and the disk a result takes (BENCHMARKS.md: one run,
 * one machine; a figure, not an assertion). Results are offered as fast as the journal takes them, {@code depth} in
 * flight at a time, as many cameras' replies would wait for their commits.
 * <pre>
 * mvn -B -o test -pl node -Dtest=JournalThroughputBenchmark -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
class JournalThroughputBenchmark {
    private static final int RESULTS = 20_000;

    @TempDir
    Path dir;

    @Test
    void resultsPerSecond() throws Exception {
        for (ResultJournal.Sync sync : ResultJournal.Sync.values()) {
            for (int depth : new int[] {1, 16, 256}) {
                Path file = dir.resolve(sync + "-" + depth + "/results.db");
                try (ResultJournal journal = ResultJournal.open(new ResultJournal.Settings(file, 1_000_000,
                        Duration.ZERO, sync), new ResultJournal.Reports() {
                            @Override
                            public void records() {}

                            @Override
                            public void cannotRecord(String why) {
                                throw new AssertionError(why);
                            }
                        })) {
                    long started = System.nanoTime();
                    List<CompletableFuture<InspectionResult>> inFlight = new ArrayList<>();
                    for (int i = 0; i < RESULTS; i++) {
                        inFlight.add(journal.record(ResultJournalTest.result(new Part("SN-" + i, "station-1", ""),
                                i % 10 == 0), "CN=camera-07,OU=camera", true));
                        if (inFlight.size() == depth) {
                            inFlight.get(0).get(30, TimeUnit.SECONDS);
                            inFlight.remove(0);
                        }
                    }
                    for (CompletableFuture<InspectionResult> last : inFlight) {
                        last.get(30, TimeUnit.SECONDS);
                    }
                    double seconds = (System.nanoTime() - started) / 1e9;
                    long bytes = Files.size(file) + size(file.resolveSibling("results.db-wal"));
                    System.out.printf("sync %s, %d in flight: %.0f results/s, %.0f bytes a result%n", sync, depth,
                            RESULTS / seconds, (double) bytes / RESULTS);
                }
            }
        }
    }

    private static long size(Path file) throws Exception {
        return Files.exists(file) ? Files.size(file) : 0;
    }
}
