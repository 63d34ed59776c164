package dev.kdedge.cli.journal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SequenceWriter;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import dev.kdedge.api.v1.Evaluation;
import dev.kdedge.api.v1.InspectionRecord;
import dev.kdedge.api.v1.ListResultsRequest;
import dev.kdedge.api.v1.ListResultsResponse;
import dev.kdedge.api.v1.ResultFilter;
import dev.kdedge.api.v1.ResultsGrpc;
import dev.kdedge.api.v1.StageTimings;
import dev.kdedge.cli.remote.NodeAddress;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The journal's results, oldest first, as CSV or JSON lines, with the journal's columns: read a page at a time, from
 * the node's Results service or from the journal's file, and written as they come (an export of a million results
 * holds one page in memory).
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a node's recorded results, oldest first, as CSV or JSON lines (one result a line).")
final class ExportCommand implements Callable<Integer> {
    static final List<String> COLUMNS = List.of("result_id", "recorded_at", "part_id", "station", "view", "product",
            "model_version", "precision", "raw_score", "normalized_score", "threshold", "evaluation", "decode_ms",
            "preprocess_ms", "inference_ms", "anomaly_map_ms", "heatmap_ms", "total_ms", "batch_size", "client",
            "image_kept", "part_result", "view_result_ids", "note");
    private static final int PAGE = 1000;

    enum Format { csv, jsonl }

    @Mixin
    NodeAddress address = new NodeAddress();

    @Option(names = "--state", description = "Read the journal's file instead of asking a node, the node running or "
            + "not: the node's store directory (its journal is DIR/journal/results.db) or the database file.")
    Path state;

    @Option(names = "--format", defaultValue = "csv", description = "csv or jsonl (default: ${DEFAULT-VALUE}).")
    Format format;

    @Option(names = "--since", description = "Results recorded at or after this RFC 3339 time (2026-12-04T06:00:00Z).")
    String since = "";

    @Option(names = "--until", description = "Results recorded before this RFC 3339 time.")
    String until = "";

    @Option(names = "--product", description = "This product's results only.")
    String product = "";

    @Option(names = "--station", description = "This station's results only.")
    String station = "";

    @Option(names = "--evaluation", description = "OK, NOT_OK or NOT_DECIDABLE results only.")
    Evaluation evaluation = Evaluation.EVALUATION_UNSPECIFIED;

    @Option(names = "--parts-only", description = "The parts' results only, not each view's.")
    boolean partsOnly;

    @Option(names = "--out", description = "The file to write (default: standard output).")
    Path out;

    /** Where the results come from, a page at a time; an empty page ends them. */
    private interface Source extends AutoCloseable {
        List<InspectionRecord> next() throws Exception;
    }

    @Override
    public Integer call() throws Exception {
        Instant from = instant("--since", since);
        Instant to = instant("--until", until);
        try (Source results = state != null ? fromFile(from, to) : fromNode();
                OutputStream target = out == null ? new NonClosing(System.out) : Files.newOutputStream(out);
                SequenceWriter rows = writer(target)) {
            long written = 0;
            for (List<InspectionRecord> page = results.next(); !page.isEmpty(); page = results.next()) {
                for (InspectionRecord result : page) {
                    rows.write(row(result));
                    written++;
                }
            }
            rows.flush();
            if (format == Format.jsonl && written > 0) {
                target.write('\n');
            }
            System.err.printf("%d results written%n", written);
            return 0;
        }
    }

    private Source fromNode() {
        ManagedChannel channel = address.channel();
        ListResultsRequest.Builder request = ListResultsRequest.newBuilder().setOldestFirst(true).setPageSize(PAGE)
                .setSince(since).setUntil(until).setFilter(ResultFilter.newBuilder().setProduct(product)
                        .setStation(station).setEvaluation(evaluation).setPartsOnly(partsOnly));
        return new Source() {
            private boolean last;

            @Override
            public List<InspectionRecord> next() {
                if (last) {
                    return List.of();
                }
                ListResultsResponse page = ResultsGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(120, TimeUnit.SECONDS).listResults(request.build());
                last = page.getNextPageToken().isEmpty();
                request.setPageToken(page.getNextPageToken());
                return page.getResultsList();
            }

            @Override
            public void close() throws InterruptedException {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        };
    }

    private Source fromFile(Instant from, Instant to) throws SQLException {
        JournalFile journal = JournalFile.open(state);
        return new Source() {
            private long lastId;

            @Override
            public List<InspectionRecord> next() throws SQLException {
                List<InspectionRecord> page = journal.page(lastId, product, station, evaluation, partsOnly, from, to,
                        PAGE);
                if (!page.isEmpty()) {
                    lastId = page.get(page.size() - 1).getResultId();
                }
                return page;
            }

            @Override
            public void close() throws SQLException {
                journal.close();
            }
        };
    }

    /** The node checks these too; checked here, a file export refuses them in the same words. */
    private static Instant instant(String option, String rfc3339) {
        if (rfc3339.isEmpty()) {
            return null;
        }
        try {
            return Instant.parse(rfc3339);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(option + " must be an RFC 3339 time such as 2026-12-04T08:00:00Z, was "
                    + rfc3339);
        }
    }

    private SequenceWriter writer(OutputStream target) throws IOException {
        if (format == Format.csv) {
            CsvSchema.Builder schema = CsvSchema.builder().setUseHeader(true);
            COLUMNS.forEach(schema::addColumn);
            return new CsvMapper().writer(schema.build()).writeValues(target);
        }
        return new ObjectMapper().writer().withRootValueSeparator("\n").writeValues(target);
    }

    static Map<String, Object> row(InspectionRecord r) {
        StageTimings t = r.getTimings();
        Object[] values = {r.getResultId(), r.getRecordedAt(), r.getPartId(), r.getStation(), r.getView(),
            r.getProduct(), r.getModelVersion(), r.getPrecision(), r.getRawScore(), r.getNormalizedScore(),
            r.getThreshold(), r.getEvaluation().name(), t.getDecodeMs(), t.getPreprocessMs(), t.getInferenceMs(),
            t.getAnomalyMapMs(), t.getHeatmapMs(), t.getTotalMs(), t.getBatchSize(), r.getClient(), r.getImageKept(),
            r.getPartResult(), r.getViewResultIdsList().stream().map(String::valueOf).collect(Collectors.joining(" ")),
            r.getNote()};
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            row.put(COLUMNS.get(i), values[i]);
        }
        return row;
    }

    /** Standard output, which the export must not close. */
    private static final class NonClosing extends PrintStream {
        NonClosing(PrintStream out) {
            super(out, true);
        }

        @Override
        public void close() {
            flush();
        }
    }
}
