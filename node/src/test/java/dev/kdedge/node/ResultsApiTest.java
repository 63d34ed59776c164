package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kdedge.api.v1.Evaluation;
import dev.kdedge.api.v1.GetResultRequest;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.InspectionRecord;
import dev.kdedge.api.v1.ListResultsRequest;
import dev.kdedge.api.v1.ListResultsResponse;
import dev.kdedge.api.v1.ResultFilter;
import dev.kdedge.api.v1.ResultsGrpc;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.Verdict;
import dev.kdedge.api.v1.WatchResultsRequest;
import dev.kdedge.api.v1.WatchResultsResponse;
import dev.kdedge.calibration.demo.DemoFixture;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every verdict is recorded in the node's journal (a real SQLite file) under a strictly increasing result id, with the
 * line's part, station and view; the Results service finds a part's result, lists results a page at a time, and lets
 * a gateway written with Python's grpcio follow the results, lose its connection and resume, seeing each result once;
 * {@code kdedge-calibrate journal export} writes them as CSV and JSON lines.
 */
class ResultsApiTest {
    @TempDir
    Path stubs;

    @Test
    void verdictsAreRecordedFoundListedAndFollowedAcrossAReconnect() throws Exception {
        PythonGrpc.generateStubs(stubs);
        try (RunningNode node = new RunningNode(DemoFixture.store(), c -> {})) {
            String address = "127.0.0.1:" + node.server.port();
            List<Verdict> verdicts = new ArrayList<>();
            for (int i = 1; i <= 5; i++) {
                verdicts.add(score(node, i == 3 ? "" : "SN-" + i, i == 4 ? DemoFixture.sampleDefect()
                        : DemoFixture.sampleGood()));
            }
            for (int i = 1; i < verdicts.size(); i++) {
                assertTrue(verdicts.get(i).getResultId() > verdicts.get(i - 1).getResultId(), verdicts.toString());
            }
            Verdict first = verdicts.get(0);
            assertEquals("SN-1", first.getPartId());
            assertEquals("station-2", first.getStation());
            assertEquals("top", first.getView());
            assertEquals(Evaluation.OK, first.getEvaluation());
            assertEquals(Evaluation.NOT_OK, verdicts.get(3).getEvaluation());
            assertEquals("r" + verdicts.get(2).getResultId(), verdicts.get(2).getPartId(), "the node names the part");

            ResultsGrpc.ResultsBlockingStub results = ResultsGrpc.newBlockingStub(node.channel)
                    .withDeadlineAfter(60, TimeUnit.SECONDS);
            // a rejected part's image is kept after the reply, on the evidence store's thread: once it is, the record
            // says so, whichever way it is asked for
            ResultImagesTest.awaitImage(node, verdicts.get(3).getResultId());
            InspectionRecord sn4 = results.getResult(GetResultRequest.newBuilder().setPartId("SN-4").build());
            assertTrue(sn4.getImageKept(), sn4.toString());
            assertEquals(verdicts.get(3).getResultId(), sn4.getResultId());
            assertEquals(verdicts.get(3).getRawScore(), sn4.getRawScore(), 0);
            assertEquals(verdicts.get(3).getThreshold(), sn4.getThreshold(), 0);
            assertEquals(DemoFixture.PRODUCT, sn4.getProduct());
            assertEquals(Integer.parseInt(verdicts.get(3).getModelVersion()), sn4.getModelVersion());
            assertEquals("127.0.0.1", sn4.getClient());
            assertEquals(sn4, results.getResult(GetResultRequest.newBuilder().setResultId(sn4.getResultId()).build()));
            StatusRuntimeException missing = assertThrows(StatusRuntimeException.class,
                    () -> results.getResult(GetResultRequest.newBuilder().setPartId("SN-99").build()));
            assertEquals(Status.Code.NOT_FOUND, missing.getStatus().getCode());

            ListResultsResponse page = results.listResults(ListResultsRequest.newBuilder().setPageSize(2).build());
            assertEquals(List.of(verdicts.get(4).getResultId(), verdicts.get(3).getResultId()), ids(page));
            ListResultsResponse next = results.listResults(ListResultsRequest.newBuilder().setPageSize(2)
                    .setPageToken(page.getNextPageToken()).build());
            assertEquals(List.of(verdicts.get(2).getResultId(), verdicts.get(1).getResultId()), ids(next));
            assertEquals(List.of(verdicts.get(3).getResultId()), ids(results.listResults(ListResultsRequest
                    .newBuilder().setFilter(ResultFilter.newBuilder().setEvaluation(Evaluation.NOT_OK)).build())));
            StatusRuntimeException badTime = assertThrows(StatusRuntimeException.class, () -> results.listResults(
                    ListResultsRequest.newBuilder().setSince("yesterday").build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, badTime.getStatus().getCode());

            // a gateway reads three results, loses its connection, the line goes on, and it resumes from the last
            List<String> firstRun = watch(address, "0", 3, null);
            assertEquals(List.of(line(verdicts.get(0)), line(verdicts.get(1)), line(verdicts.get(2))), firstRun);
            for (int i = 6; i <= 8; i++) {
                verdicts.add(score(node, "SN-" + i, DemoFixture.sampleGood()));
            }
            long lastSeen = verdicts.get(2).getResultId();
            assertEquals(verdicts.subList(3, 8).stream().map(ResultsApiTest::line).toList(),
                    watch(address, Long.toString(lastSeen), 5, null));

            // from now on: what is scored while it watches
            List<String> live = watch(address, "next", 2, () -> {
                verdicts.add(score(node, "SN-9", DemoFixture.sampleGood()));
                verdicts.add(score(node, "SN-10", DemoFixture.sampleDefect()));
            });
            assertEquals(List.of(line(verdicts.get(8)), line(verdicts.get(9))), live);

            // the quality engineer's export, oldest first, with the journal's columns
            CalibrateCli.Run csv = CalibrateCli.run("journal", "export", "--node=" + address, "--format=csv");
            assertEquals(0, csv.exitCode(), csv.err());
            List<String> lines = csv.out().lines().toList();
            assertEquals(11, lines.size(), csv.out());
            assertEquals("result_id,recorded_at,part_id,station,view,product,model_version,precision,raw_score,"
                    + "normalized_score,threshold,evaluation,decode_ms,preprocess_ms,inference_ms,anomaly_map_ms,"
                    + "heatmap_ms,total_ms,batch_size,client,image_kept,part_result,view_result_ids,note", lines.get(0));
            assertTrue(lines.get(4).startsWith(verdicts.get(3).getResultId() + ","), lines.get(4));
            assertTrue(lines.get(4).contains(",SN-4,station-2,top,demo,"), lines.get(4));
            assertTrue(lines.get(4).contains(",NOT_OK,"), lines.get(4));
            CalibrateCli.Run rejects = CalibrateCli.run("journal", "export", "--node=" + address, "--format=jsonl",
                    "--evaluation=NOT_OK");
            assertEquals(0, rejects.exitCode(), rejects.err());
            List<JsonNode> rows = new ArrayList<>();
            for (String row : rejects.out().lines().toList()) {
                rows.add(new ObjectMapper().readTree(row));
            }
            assertEquals(List.of("SN-4", "SN-10"), rows.stream().map(row -> row.get("part_id").asText()).toList());
            assertEquals(verdicts.get(9).getRawScore(), rows.get(1).get("raw_score").asDouble(), 0);
            assertTrue(rows.get(1).get("image_kept").asBoolean(), "a NOT_OK result's image is kept");

            // the same export read from the journal's file beside the running node, as after a node has died
            CalibrateCli.Run fromFile = CalibrateCli.run("journal", "export", "--state=" + node.journalFile(),
                    "--format=csv");
            assertEquals(0, fromFile.exitCode(), fromFile.err());
            assertEquals(csv.out(), fromFile.out());
            CalibrateCli.Run rejectsFromFile = CalibrateCli.run("journal", "export", "--state=" + node.journalFile(),
                    "--format=jsonl", "--evaluation=NOT_OK");
            assertEquals(rejects.out(), rejectsFromFile.out());
            CalibrateCli.Run noJournal = CalibrateCli.run("journal", "export", "--state=" + DemoFixture.store());
            assertEquals(1, noJournal.exitCode());
            assertTrue(noJournal.err().contains("no results journal at "), noJournal.err());
            CalibrateCli.Run badTimeFromFile = CalibrateCli.run("journal", "export", "--state=" + node.journalFile(),
                    "--since=yesterday");
            assertTrue(badTimeFromFile.err().contains("--since must be an RFC 3339 time"), badTimeFromFile.err());
        }
    }

    /**
     * A watcher that takes nothing while the line runs holds nothing in the node: HTTP/2 flow control stops its
     * writes, the node stops reading the journal for it, and scoring goes on; when it reads, it gets every result
     * from the journal, once, in order.
     */
    @Test
    void aWatcherThatDoesNotReadHoldsNothingAndMissesNothing() throws Exception {
        try (RunningNode node = new RunningNode(DemoFixture.store(), c -> {})) {
            List<Long> received = new CopyOnWriteArrayList<>();
            CompletableFuture<Void> all = new CompletableFuture<>();
            int parts = 300;
            // a window of 4 KiB: the node's writes stop after a few dozen results
            ManagedChannel small = NettyChannelBuilder.forAddress("127.0.0.1", node.server.port()).usePlaintext()
                    .flowControlWindow(4096).build();
            ClientCall<WatchResultsRequest, WatchResultsResponse> watcher = small.newCall(
                    ResultsGrpc.getWatchResultsMethod(), CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.MINUTES));
            watcher.start(new ClientCall.Listener<>() {
                @Override
                public void onMessage(WatchResultsResponse message) {
                    received.add(message.getResult().getResultId());
                    if (received.size() == parts) {
                        all.complete(null);
                    }
                }
            }, new Metadata());
            watcher.sendMessage(WatchResultsRequest.newBuilder().setAfterResultId(0).build());
            watcher.halfClose();

            ScoreRequest request = DemoRequests.scoreRequest(DemoFixture.sampleGood());
            List<Long> scored = new ArrayList<>();
            for (int i = 0; i < parts; i++) {
                scored.add(InspectionGrpc.newBlockingStub(node.channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                        .score(request).getVerdict().getResultId());
            }
            assertTrue(received.isEmpty(), "nothing was asked for yet");
            watcher.request(parts);
            all.get(60, TimeUnit.SECONDS);
            assertEquals(scored, received);
            watcher.cancel("done", null);
            small.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @FunctionalInterface
    private interface WhileWatching {
        void run() throws Exception;
    }

    /** The RESULT lines a Python watcher printed before it disconnected after {@code count}. */
    private List<String> watch(String address, String after, int count, WhileWatching meanwhile) throws Exception {
        Process python = PythonGrpc.startScript("results_watch.py", List.of(stubs.toString(), address, after,
                Integer.toString(count)));
        List<String> lines = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(python.getInputStream()))) {
            String ready = out.readLine();
            assertEquals("READY", ready);
            if (meanwhile != null) {
                meanwhile.run();
            }
            for (String line = out.readLine(); line != null && !line.equals("END"); line = out.readLine()) {
                lines.add(line);
            }
        } finally {
            assertTrue(python.waitFor(60, TimeUnit.SECONDS), "the watcher did not end");
        }
        return lines;
    }

    private static String line(Verdict verdict) {
        return "RESULT " + verdict.getResultId() + " " + verdict.getPartId() + " " + verdict.getEvaluation().name();
    }

    private static List<Long> ids(ListResultsResponse page) {
        return page.getResultsList().stream().map(InspectionRecord::getResultId).toList();
    }

    private static Verdict score(RunningNode node, String partId, Path image) throws Exception {
        ScoreRequest request = DemoRequests.scoreRequest(image).toBuilder().setPartId(partId).setStation("station-2")
                .setView("top").build();
        return InspectionGrpc.newBlockingStub(node.channel).withDeadlineAfter(60, TimeUnit.SECONDS).score(request)
                .getVerdict();
    }
}
