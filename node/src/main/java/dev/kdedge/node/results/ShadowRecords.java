package dev.kdedge.node.results;

import dev.kdedge.calibration.store.StoreFullException;
import dev.kdedge.node.audit.Actor;
import dev.kdedge.node.inspection.Evaluation;
import dev.kdedge.node.results.ShadowScoring.Judged;
import dev.kdedge.node.results.ShadowScoring.Shadow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.sqlite.SQLiteConfig;

/**
 * The shadows that run and what they judged, in an SQLite file beside the journal: per product the candidate version
 * scored beside the active one and on what share of frames (so a restart keeps it), and for each frame judged both
 * evaluations under the active result's id, the latest {@code maxJudged} kept. Blocking, for the shadow's own thread
 * and the administration threads; one connection, one caller at a time.
 */
final class ShadowRecords implements AutoCloseable {
    private static final long PAGE_BYTES = 4096;
    /** Frames recorded between two removals of those beyond {@code maxJudged}: finding the cut reads that many. */
    private static final int PRUNE_EVERY = 1000;
    private final Path file;
    private final long maxJudged;
    private Connection db;
    private int sincePruned;

    ShadowRecords(Path file, long maxJudged) {
        this.file = file;
        this.maxJudged = maxJudged;
    }

    synchronized List<Shadow> shadows() throws IOException {
        return list("SELECT * FROM shadows ORDER BY product", r -> new Shadow(r.getString("product"),
                r.getInt("candidate_version"), r.getDouble("share"), Instant.ofEpochMilli(r.getLong("since")),
                new Actor(r.getString("started_by"), r.getString("door"))));
    }

    /** Runs {@code shadow} from now on, in place of the product's earlier one. */
    synchronized void start(Shadow shadow) throws IOException {
        update("INSERT OR REPLACE INTO shadows (product, candidate_version, share, since, started_by, door) "
                + "VALUES (?, ?, ?, ?, ?, ?)", shadow.product(), shadow.candidateVersion(), shadow.share(),
                shadow.since().toEpochMilli(), shadow.startedBy().name(), shadow.startedBy().door());
    }

    synchronized void stop(String product) throws IOException {
        update("DELETE FROM shadows WHERE product = ?", product);
    }

    /** Records a frame both versions judged; the oldest beyond {@code maxJudged} go every thousand frames. */
    synchronized void judged(Judged judged) throws IOException {
        update("INSERT OR REPLACE INTO judged (result_id, product, part_id, active_version, candidate_version, "
                + "active_evaluation, active_score, candidate_evaluation, candidate_score, at) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", judged.resultId(), judged.product(), judged.partId(),
                judged.activeVersion(), judged.candidateVersion(), judged.active().name(), judged.activeScore(),
                judged.candidate().name(), judged.candidateScore(), judged.at().toEpochMilli());
        if (++sincePruned >= PRUNE_EVERY) {
            sincePruned = 0;
            update("DELETE FROM judged WHERE result_id <= (SELECT result_id FROM judged ORDER BY result_id DESC "
                    + "LIMIT 1 OFFSET ?)", maxJudged);
        }
    }

    /** What the shadow has judged since it started, newest first; only the frames the versions judged apart. */
    synchronized List<Judged> judged(Shadow shadow, boolean disagreeingOnly, int limit) throws IOException {
        return list("SELECT * FROM judged WHERE product = ? AND candidate_version = ? AND at >= ?"
                + (disagreeingOnly ? " AND active_evaluation <> candidate_evaluation" : "")
                + " ORDER BY result_id DESC LIMIT ?", ShadowRecords::judged, shadow.product(),
                shadow.candidateVersion(), shadow.since().toEpochMilli(), limit);
    }

    /** How many frames the shadow judged since it started, by the active and the candidate evaluation. */
    synchronized List<ShadowScoring.Pairing> pairings(Shadow shadow) throws IOException {
        return list("SELECT active_evaluation, candidate_evaluation, count(*) AS frames FROM judged "
                + "WHERE product = ? AND candidate_version = ? AND at >= ? "
                + "GROUP BY active_evaluation, candidate_evaluation ORDER BY active_evaluation, candidate_evaluation",
                r -> new ShadowScoring.Pairing(Evaluation.valueOf(r.getString("active_evaluation")),
                        Evaluation.valueOf(r.getString("candidate_evaluation")), r.getLong("frames")),
                shadow.product(), shadow.candidateVersion(), shadow.since().toEpochMilli());
    }

    private static Judged judged(ResultSet r) throws SQLException {
        return new Judged(r.getLong("result_id"), r.getString("product"), r.getString("part_id"),
                r.getInt("active_version"), r.getInt("candidate_version"),
                Evaluation.valueOf(r.getString("active_evaluation")), r.getDouble("active_score"),
                Evaluation.valueOf(r.getString("candidate_evaluation")), r.getDouble("candidate_score"),
                Instant.ofEpochMilli(r.getLong("at")));
    }

    @FunctionalInterface
    private interface Row<T> {
        T of(ResultSet r) throws SQLException;
    }

    private <T> List<T> list(String sql, Row<T> row, Object... values) throws IOException {
        try (PreparedStatement s = connection().prepareStatement(sql)) {
            bind(s, values);
            List<T> rows = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    rows.add(row.of(r));
                }
            }
            return rows;
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    private void update(String sql, Object... values) throws IOException {
        try (PreparedStatement s = connection().prepareStatement(sql)) {
            bind(s, values);
            s.executeUpdate();
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    private static void bind(PreparedStatement s, Object... values) throws SQLException {
        for (int i = 0; i < values.length; i++) {
            s.setObject(i + 1, values[i]);
        }
    }

    private Connection connection() throws SQLException {
        if (db != null) {
            return db;
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new SQLException(file.getParent() + " cannot be made: " + e.getMessage(), e);
        }
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.setBusyTimeout(5000);
        Connection opened = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath(), config.toProperties());
        try (Statement s = opened.createStatement()) {
            s.executeUpdate("CREATE TABLE IF NOT EXISTS shadows (product TEXT PRIMARY KEY, "
                    + "candidate_version INTEGER NOT NULL, share REAL NOT NULL, since INTEGER NOT NULL, "
                    + "started_by TEXT NOT NULL, door TEXT NOT NULL)");
            s.executeUpdate("CREATE TABLE IF NOT EXISTS judged (result_id INTEGER PRIMARY KEY, product TEXT NOT NULL, "
                    + "part_id TEXT NOT NULL, active_version INTEGER NOT NULL, candidate_version INTEGER NOT NULL, "
                    + "active_evaluation TEXT NOT NULL, active_score REAL NOT NULL, "
                    + "candidate_evaluation TEXT NOT NULL, candidate_score REAL NOT NULL, at INTEGER NOT NULL)");
            s.executeUpdate("CREATE INDEX IF NOT EXISTS judged_by_candidate ON judged "
                    + "(product, candidate_version, at)");
        } catch (SQLException e) {
            opened.close();
            throw e;
        }
        db = opened;
        return db;
    }

    /** Drops the connection after a failure (the next use opens it again) and says what failed. */
    private IOException failed(SQLException e) {
        close();
        return StoreFullException.classify(new IOException("the shadow records " + file + " cannot be written or "
                + "read: " + e.getMessage(), e), file, PAGE_BYTES);
    }

    @Override
    public synchronized void close() {
        if (db != null) {
            try {
                db.close();
            } catch (SQLException ignored) {
                // autocommit: nothing is pending
            }
            db = null;
        }
    }
}
