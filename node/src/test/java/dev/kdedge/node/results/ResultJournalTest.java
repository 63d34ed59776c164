package dev.kdedge.node.results;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.node.inspection.Evaluation;
import dev.kdedge.node.inspection.InspectionResult;
import dev.kdedge.node.inspection.InspectionResult.StageTimes;
import dev.kdedge.node.inspection.InspectionResult.Verdict;
import dev.kdedge.node.inspection.Part;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal in a real SQLite file: ids, what is kept, reading back, restarts, and a file it cannot write. */
class ResultJournalTest {
    @TempDir
    Path dir;

    private final List<String> reports = new ArrayList<>();
    private final ResultJournal.Reports reported = new ResultJournal.Reports() {
        @Override
        public void records() {
            reports.add("records");
        }

        @Override
        public void cannotRecord(String why) {
            reports.add("cannot: " + why);
        }
    };

    private ResultJournal open(long maxResults) {
        return ResultJournal.open(new ResultJournal.Settings(dir.resolve("journal/results.db"), maxResults,
                Duration.ZERO, ResultJournal.Sync.FULL), reported);
    }

    @Test
    void idsIncreaseTheLineIdsAreKeptAndAPartWithoutOneGetsTheNodes() throws Exception {
        try (ResultJournal journal = open(1000)) {
            List<CompletableFuture<InspectionResult>> recorded = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                recorded.add(journal.record(result(new Part(i % 3 == 0 ? "" : "SN-" + i, "station-" + (i % 2), "top"),
                        i % 10 == 0), "camera-1", true));
            }
            long previous = 0;
            for (int i = 0; i < recorded.size(); i++) {
                InspectionResult result = recorded.get(i).get(30, TimeUnit.SECONDS);
                assertTrue(result.resultId() > previous, result.resultId() + " after " + previous);
                previous = result.resultId();
                assertEquals(i % 3 == 0 ? "r" + result.resultId() : "SN-" + i, result.part().id());
            }
            assertEquals(previous, journal.lastRecordedId());

            ResultRecord sn7 = journal.latestForPart("SN-7").get().orElseThrow();
            assertEquals(new Part("SN-7", "station-1", "top"), sn7.part());
            assertEquals("camera-1", sn7.client());
            assertEquals(Evaluation.OK, sn7.evaluation());
            assertEquals(sn7, journal.byId(sn7.resultId()).get().orElseThrow());
            assertEquals(Optional.empty(), journal.byId(previous + 1).get());

            List<ResultRecord> notOk = journal.page(false, Long.MAX_VALUE, new ResultFilter("", "station-0",
                    Evaluation.NOT_OK, false), null, null, 1000).get();
            assertEquals(30, notOk.size(), "every tenth result, all on station-0");
            assertTrue(notOk.get(0).resultId() > notOk.get(1).resultId(), "newest first");
            ResultJournal.Window window = journal.window(10, 20, new ResultFilter("", "", null, false), 5).get();
            assertEquals(List.of(11L, 12L, 13L, 14L, 15L), window.results().stream().map(ResultRecord::resultId)
                    .toList());
            assertEquals(1, window.oldestHeld());
        }
        assertEquals(List.of(), reports, "nothing went wrong");
    }

    /**
     * Four threads record at once while a follower reads as WatchResults does (up to the last committed id, a window
     * at a time): it sees every result once. Rows are committed in the order of their ids, or it would skip one given
     * its id before, but queued after, a higher one.
     */
    @Test
    void aFollowerMissesNothingWhileSeveralThreadsRecord() throws Exception {
        try (ResultJournal journal = open(1_000_000)) {
            int perThread = 500;
            ExecutorService cameras = Executors.newFixedThreadPool(4);
            List<Future<List<Long>>> recorded = new ArrayList<>();
            for (int camera = 0; camera < 4; camera++) {
                recorded.add(cameras.submit(() -> {
                    List<CompletableFuture<InspectionResult>> mine = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        mine.add(journal.record(result(Part.UNNAMED, false), "camera", true));
                    }
                    List<Long> ids = new ArrayList<>();
                    for (CompletableFuture<InspectionResult> one : mine) {
                        ids.add(one.get(30, TimeUnit.SECONDS).resultId());
                    }
                    return ids;
                }));
            }
            Set<Long> followed = new TreeSet<>();
            long cursor = 0;
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            boolean caughtUp = false;
            while (!caughtUp && System.nanoTime() < until) {
                // once every camera has its replies, one more pass reads the rest
                caughtUp = recorded.stream().allMatch(Future::isDone);
                long upTo = journal.lastRecordedId();
                ResultJournal.Window window = journal.window(cursor, upTo, new ResultFilter("", "", null, false), 64)
                        .get();
                for (ResultRecord result : window.results()) {
                    assertTrue(followed.add(result.resultId()), "seen twice: " + result.resultId());
                    cursor = result.resultId();
                }
                if (window.results().size() < 64) {
                    cursor = Math.max(cursor, upTo);
                } else {
                    caughtUp = false;
                }
            }
            Set<Long> missed = new TreeSet<>();
            for (Future<List<Long>> camera : recorded) {
                missed.addAll(camera.get());
            }
            cameras.shutdown();
            assertEquals(4 * perThread, missed.size());
            missed.removeAll(followed);
            assertEquals(Set.of(), missed, "results the follower never saw");
        }
    }

    @Test
    void theOldestAreRemovedBeyondTheLimitAndIdsAreNeverGivenAgainAfterARestart() throws Exception {
        long last;
        try (ResultJournal journal = open(1000)) {
            for (int i = 0; i < 1500; i++) {
                journal.record(result(Part.UNNAMED, false), "camera-1", true);
            }
            last = journal.record(result(Part.UNNAMED, false), "camera-1", true).get(30, TimeUnit.SECONDS).resultId();
            assertEquals(1501, last);
            assertEquals(502, journal.window(0, last, new ResultFilter("", "", null, false), 1).get().oldestHeld());
        }
        assertEquals(1000, count("SELECT count(*) FROM results"));
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("journal/results.db"));
                Statement s = db.createStatement()) {
            s.executeUpdate("DELETE FROM results");
        }
        try (ResultJournal journal = open(1000)) {
            assertEquals(last, journal.lastRecordedId());
            assertEquals(last + 1, journal.record(result(Part.UNNAMED, true), "camera-1", true).get(30, TimeUnit.SECONDS)
                    .resultId(), "the next id, although the journal held none");
        }
    }

    @Test
    void aJournalItCannotOpenHandsResultsBackUnrecordedAndSaysWhy() throws Exception {
        Files.writeString(dir.resolve("journal"), "a file where the journal's directory should be");
        try (ResultJournal journal = open(1000)) {
            InspectionResult result = journal.record(result(Part.UNNAMED, false), "camera-1", true).get(30,
                    TimeUnit.SECONDS);
            assertEquals(0, result.resultId());
            assertTrue(result.part().id().startsWith("u"), result.part().id());
            InspectionResult named = journal.record(result(new Part("SN-1", "", ""), false), "camera-1", true)
                    .get(30, TimeUnit.SECONDS);
            assertEquals(new Part("SN-1", "", ""), named.part());
            assertTrue(journal.problem().orElseThrow().contains("cannot be opened"), journal.problem().toString());
            assertTrue(reports.get(0).startsWith("cannot: the results journal"), reports.toString());
        }
    }

    private long count(String sql) throws Exception {
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("journal/results.db"));
                Statement s = db.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    /**
     * Parts are counted by the station their requests name, but only the first {@value PartCounter#MAX_STATIONS}
     * stations get series of their own: a client naming a new station each time cannot grow the metrics.
     */
    @Test
    void partsAreCountedByStationWithinABoundedSetOfStations() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ResultJournal journal = open(1000)) {
            journal.bindTo(registry);
            List<CompletableFuture<InspectionResult>> recorded = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                recorded.add(journal.record(result(new Part("SN-" + i, "station-" + i, ""), i % 2 == 0), "camera",
                        true));
            }
            recorded.add(journal.record(result(new Part("SN-view", "station-0", "top"), false), "camera", false));
            for (CompletableFuture<InspectionResult> one : recorded) {
                one.get(30, TimeUnit.SECONDS);
            }
            // while the journal is referenced: a Micrometer gauge holds its object weakly, and reads NaN once the
            // object is collected (this assertion after the block failed in CI when a collection came between)
            assertTrue(registry.get("kdedge.journal.bytes").gauge().value() > 0);
        }
        Collection<Counter> parts = registry.find("kdedge.parts").counters();
        assertEquals(PartCounter.MAX_STATIONS + 1, parts.stream().map(c -> c.getId().getTag("station"))
                .distinct().count());
        assertEquals(100, parts.stream().mapToDouble(Counter::count).sum(), 0, "a view of a part is not a part");
        assertEquals(100 - PartCounter.MAX_STATIONS, registry.find("kdedge.parts")
                .tag("station", PartCounter.OTHER_STATION).counters().stream().mapToDouble(Counter::count).sum(), 0);
        assertEquals(1, registry.get("kdedge.parts").tags("station", "station-1", "evaluation", "ok").counter()
                .count(), 0);
    }

    static InspectionResult result(Part part, boolean anomalous) {
        return new InspectionResult(new Verdict("demo", 1, anomalous ? 0.9 : 0.1, anomalous ? 0.8 : 0.2,
                anomalous ? Evaluation.NOT_OK : Evaluation.OK, 0.5, null, "fp32", new StageTimes(1, 2, 3, 4, 0, 10, 1)), Optional.empty(), Optional.empty(), part, 0);
    }
}
