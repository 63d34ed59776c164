package dev.kdedge.cli.journal;

import dev.kdedge.api.v1.Evaluation;
import dev.kdedge.api.v1.InspectionRecord;
import dev.kdedge.api.v1.StageTimings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.sqlite.SQLiteConfig;

/**
 * A node's results journal read straight from its SQLite file, read-only: without a running node, or beside one (WAL
 * lets a reader share the file with the node's writer). The {@code results} table is the journal's documented format
 * (README, "The journal's file"); each row is read as the {@link InspectionRecord} the node's Results service would
 * answer, so both sources export alike.
 */
final class JournalFile implements AutoCloseable {
    /** Where the node keeps its journal in its store unless journal.path says otherwise. */
    private static final Path IN_STORE = Path.of("journal", "results.db");

    private final Path file;
    private final Path images;
    private final Connection db;

    private JournalFile(Path file, Connection db) {
        this.file = file;
        this.images = file.resolveSibling("images");
        this.db = db;
    }

    /**
     * @param state the node's store directory, or the journal's database file
     * @throws IllegalArgumentException when there is no journal there
     */
    static JournalFile open(Path state) throws SQLException {
        Path file = Files.isDirectory(state) ? state.resolve(IN_STORE) : state;
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no results journal at " + file + " (--state takes the node's store "
                    + "directory, or the journal's database file when journal.path names another)");
        }
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(true);
        config.setBusyTimeout(10_000);
        return new JournalFile(file, config.createConnection("jdbc:sqlite:" + file));
    }

    Path file() {
        return file;
    }

    /** Results after {@code afterId} that match, oldest first, at most {@code limit}. */
    List<InspectionRecord> page(long afterId, String product, String station, Evaluation evaluation,
            boolean partsOnly, Instant since, Instant until, int limit) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT * FROM results WHERE result_id > ?");
        List<Object> values = new ArrayList<>(List.of(afterId));
        if (!product.isEmpty()) {
            sql.append(" AND product = ?");
            values.add(product);
        }
        if (!station.isEmpty()) {
            sql.append(" AND station = ?");
            values.add(station);
        }
        if (evaluation != Evaluation.EVALUATION_UNSPECIFIED) {
            sql.append(" AND evaluation = ?");
            values.add(evaluation.name());
        }
        if (partsOnly) {
            sql.append(" AND part_result = 1");
        }
        if (since != null) {
            sql.append(" AND recorded_at >= ?");
            values.add(since.toEpochMilli());
        }
        if (until != null) {
            sql.append(" AND recorded_at < ?");
            values.add(until.toEpochMilli());
        }
        sql.append(" ORDER BY result_id LIMIT ?");
        values.add(limit);
        try (PreparedStatement query = db.prepareStatement(sql.toString())) {
            for (int i = 0; i < values.size(); i++) {
                query.setObject(i + 1, values.get(i));
            }
            List<InspectionRecord> page = new ArrayList<>();
            try (ResultSet row = query.executeQuery()) {
                while (row.next()) {
                    page.add(record(row));
                }
            }
            return page;
        }
    }

    private InspectionRecord record(ResultSet r) throws SQLException {
        long id = r.getLong("result_id");
        String viewIds = r.getString("view_result_ids");
        return InspectionRecord.newBuilder().setResultId(id).setPartId(r.getString("part_id"))
                .setStation(r.getString("station")).setView(r.getString("view")).setProduct(r.getString("product"))
                .setModelVersion(r.getInt("model_version")).setPrecision(r.getString("precision"))
                .setRawScore(r.getDouble("raw_score")).setNormalizedScore(r.getDouble("normalized_score"))
                .setThreshold(r.getDouble("threshold")).setEvaluation(Evaluation.valueOf(r.getString("evaluation")))
                .setTimings(StageTimings.newBuilder().setDecodeMs(r.getDouble("decode_ms"))
                        .setPreprocessMs(r.getDouble("preprocess_ms")).setInferenceMs(r.getDouble("inference_ms"))
                        .setAnomalyMapMs(r.getDouble("anomaly_map_ms")).setHeatmapMs(r.getDouble("heatmap_ms"))
                        .setTotalMs(r.getDouble("total_ms")).setBatchSize(r.getInt("batch_size")))
                .setRecordedAt(Instant.ofEpochMilli(r.getLong("recorded_at")).toString())
                .setClient(r.getString("client")).setImageKept(imageKept(id))
                .setPartResult(r.getInt("part_result") == 1)
                .addAllViewResultIds(viewIds.isEmpty() ? List.of()
                        : Arrays.stream(viewIds.split(",")).map(Long::valueOf).toList())
                .setNote(r.getString("note")).build();
    }

    /** Whether the node keeps the result's image in the images directory beside the journal, as it does by default. */
    private boolean imageKept(long resultId) {
        return Files.exists(images.resolve(resultId + ".png")) || Files.exists(images.resolve(resultId + ".jpg"));
    }

    @Override
    public void close() throws SQLException {
        db.close();
    }
}
