package dev.kdedge.node.jobs;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.kdedge.api.v1.Job;
import dev.kdedge.calibration.store.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Job records on disk, one file per job ({@code <store>/jobs/<id>.jsonl}: the job, then one event per line, as
 * protobuf JSON of the contract's messages, see {@link JobMessages}), each replaced atomically, so a crash leaves the
 * record as it was before or after an event.
 */
final class JobStore {
    private static final String SUFFIX = ".jsonl";

    private final Path dir;

    JobStore(Path dir) {
        this.dir = dir;
    }

    record Saved(FineTuneJob job, List<JobEvent> events) {}

    void save(FineTuneJob job, List<JobEvent> events) throws IOException {
        Files.createDirectories(dir);
        JsonFormat.Printer json = JsonFormat.printer().omittingInsignificantWhitespace();
        StringBuilder text = new StringBuilder(json.print(JobMessages.job(job))).append('\n');
        for (JobEvent event : events) {
            text.append(json.print(JobMessages.event(event))).append('\n');
        }
        AtomicFiles.write(dir.resolve(job.id() + SUFFIX), text.toString().getBytes(StandardCharsets.UTF_8));
    }

    List<Saved> loadAll() throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> files;
        try (Stream<Path> entries = Files.list(dir)) {
            files = entries.filter(p -> p.getFileName().toString().endsWith(SUFFIX)
                    && !p.getFileName().toString().startsWith(".")).sorted().toList();
        }
        List<Saved> saved = new ArrayList<>();
        for (Path file : files) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            try {
                Job.Builder job = Job.newBuilder();
                JsonFormat.parser().merge(lines.get(0), job);
                List<JobEvent> events = new ArrayList<>();
                for (String line : lines.subList(1, lines.size())) {
                    dev.kdedge.api.v1.JobEvent.Builder event = dev.kdedge.api.v1.JobEvent.newBuilder();
                    JsonFormat.parser().merge(line, event);
                    events.add(JobMessages.event(event.build()));
                }
                saved.add(new Saved(JobMessages.job(job.build()), events));
            } catch (InvalidProtocolBufferException | IndexOutOfBoundsException | IllegalArgumentException
                    | DateTimeParseException e) {
                throw new IOException("job record " + file + " is unreadable: " + e.getMessage(), e);
            }
        }
        return saved;
    }
}
