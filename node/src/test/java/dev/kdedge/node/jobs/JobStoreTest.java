package dev.kdedge.node.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import dev.kdedge.api.v1.Job;
import dev.kdedge.api.v1.StartFineTuneRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Job records written before jobs had types of their own (the contract's messages as protobuf JSON, one line each)
 * are read into the node's types and written back byte for byte, so a node updated in the field keeps its history.
 */
class JobStoreTest {
    private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace();

    @TempDir
    Path dir;

    @Test
    void aRecordOfEveryEventIsReadIntoTheNodesTypesAndWrittenBackUnchanged() throws Exception {
        String id = "5b0e42c4-9f0c-4d7e-a1a8-0f6f3c2f7a10";
        List<dev.kdedge.api.v1.JobEvent> events = List.of(
                event(id, "2026-11-20T10:00:00.123Z").setQueued(dev.kdedge.api.v1.JobEvent.Queued.newBuilder()
                        .setPosition(1)).build(),
                event(id, "2026-11-20T10:00:05Z").setStage(dev.kdedge.api.v1.JobEvent.Stage.newBuilder()
                        .setDescription("starting")).build(),
                event(id, "2026-11-20T10:01:00Z").setEpoch(dev.kdedge.api.v1.JobEvent.Epoch.newBuilder().setEpoch(1)
                        .setEpochs(2).setLoss(0.25).setSeconds(50.5).setEtaSeconds(50.5)).build(),
                event(id, "2026-11-20T10:02:00Z").setParityChecked(dev.kdedge.api.v1.JobEvent.ParityChecked
                        .newBuilder().setMaxAbsDifference(1e-5).setBound(1e-3)).build(),
                event(id, "2026-11-20T10:02:10Z").setThresholdProposed(dev.kdedge.api.v1.JobEvent.ThresholdProposed
                        .newBuilder().setThreshold(0.42).setPolicy("target_false_reject_rate=0.01").setHeldOutImages(4)
                        .setF1OptimalThreshold(0.5).setF1(0.8)).build(),
                event(id, "2026-11-20T10:02:20Z").setDone(dev.kdedge.api.v1.JobEvent.Done.newBuilder().setVersion(3))
                        .build());
        Job job = Job.newBuilder().setJobId(id).setProduct("demo").setState(dev.kdedge.api.v1.JobState.SUCCEEDED)
                .setRequest(StartFineTuneRequest.newBuilder().setProduct("demo").setEpochs(2).setHoldoutFraction(0.2))
                .setCreatedAt("2026-11-20T10:00:00.123Z").setStartedAt("2026-11-20T10:00:05Z")
                .setFinishedAt("2026-11-20T10:02:20Z").setVersion(3).setLastEvent(events.get(events.size() - 1))
                .build();
        StringBuilder text = new StringBuilder(JSON.print(job)).append('\n');
        for (dev.kdedge.api.v1.JobEvent event : events) {
            text.append(JSON.print(event)).append('\n');
        }
        Path record = dir.resolve(id + ".jsonl");
        Files.writeString(record, text, StandardCharsets.UTF_8);

        JobStore store = new JobStore(dir);
        JobStore.Saved saved = store.loadAll().get(0);
        FineTuneJob read = saved.job();
        assertEquals(JobState.SUCCEEDED, read.state());
        assertEquals(new FineTuneSettings("demo", false, 2, 0.2, 0), read.settings());
        assertEquals(Instant.parse("2026-11-20T10:00:00.123Z"), read.createdAt());
        assertEquals(3, read.version());
        assertEquals(new JobEvent.Done(3), read.lastEvent().what());
        assertEquals(List.of(new JobEvent.Queued(1), new JobEvent.Stage("starting"),
                new JobEvent.Epoch(1, 2, 0.25, 50.5, 50.5), new JobEvent.ParityChecked(1e-5, 1e-3),
                new JobEvent.ThresholdProposed(0.42, "target_false_reject_rate=0.01", 4, 0.5, 0.8),
                new JobEvent.Done(3)), saved.events().stream().map(JobEvent::what).toList());

        Files.delete(record);
        store.save(read, saved.events());
        assertEquals(text.toString(), Files.readString(record, StandardCharsets.UTF_8));
    }

    @Test
    void aQueuedJobHasNoStartNorEndAndARecordThatSaysNothingIsRefused() throws Exception {
        FineTuneJob queued = FineTuneJob.queued("j1", FineTuneSettings.requested("demo", true, 0, 0, 0),
                Instant.parse("2026-11-20T10:00:00Z"));
        JobStore store = new JobStore(dir);
        store.save(queued, List.of());
        FineTuneJob read = store.loadAll().get(0).job();
        assertEquals(queued, read);
        assertNull(read.startedAt());
        assertEquals(new FineTuneSettings("demo", true, FineTuneSettings.DEFAULT_EPOCHS,
                FineTuneSettings.DEFAULT_HOLDOUT, 0), read.settings());

        Job noEvent = Job.newBuilder().setJobId("j2").setProduct("demo").setState(dev.kdedge.api.v1.JobState.QUEUED)
                .setCreatedAt("2026-11-20T10:00:00Z").build();
        Files.writeString(dir.resolve("j2.jsonl"),
                JSON.print(noEvent) + "\n{\"jobId\":\"j2\",\"at\":\"2026-11-20T10:00:00Z\"}\n");
        IOException unreadable = assertThrows(IOException.class, store::loadAll);
        assertTrue(unreadable.getMessage().contains("j2.jsonl is unreadable"), unreadable.getMessage());
    }

    private static dev.kdedge.api.v1.JobEvent.Builder event(String jobId, String at) {
        return dev.kdedge.api.v1.JobEvent.newBuilder().setJobId(jobId).setAt(at);
    }
}
