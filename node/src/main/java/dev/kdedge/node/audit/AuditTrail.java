package dev.kdedge.node.audit;

import dev.kdedge.node.inspection.Evaluation;
import dev.kdedge.node.sqlite.SqliteFile;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Every change people make to what the node decides (promote, rollback, thresholds, reviews of parts), with who, when,
 * before and after, in an SQLite file of its own. Each change is on the disk before the call that made it returns, so
 * a change an engineer was told of is never lost. Blocking: called from the administration threads, never an event
 * loop; one connection, one writer at a time.
 */
public final class AuditTrail implements AutoCloseable {
    private final SqliteFile db;

    /** The trail in {@code file}, opened (or created) at its first use, and again after a failure. */
    public AuditTrail(Path file) {
        this.db = new SqliteFile(file, "the audit trail", List.of(
                "CREATE TABLE IF NOT EXISTS changes (change_id INTEGER PRIMARY KEY AUTOINCREMENT, "
                        + "at INTEGER NOT NULL, who TEXT NOT NULL, door TEXT NOT NULL, action TEXT NOT NULL, "
                        + "product TEXT NOT NULL, subject TEXT NOT NULL, before TEXT NOT NULL, after TEXT NOT NULL)",
                "CREATE TABLE IF NOT EXISTS reviews (result_id INTEGER PRIMARY KEY, "
                        + "product TEXT NOT NULL, model_version INTEGER NOT NULL, raw_score REAL NOT NULL, "
                        + "evaluation TEXT NOT NULL, reviewer TEXT NOT NULL, door TEXT NOT NULL, "
                        + "reviewed_at INTEGER NOT NULL)",
                "CREATE INDEX IF NOT EXISTS reviews_by_product ON reviews (product, result_id)"));
    }

    /**
     * Opens the trail now, so that a change that could not be recorded is refused before it is made.
     *
     * @throws IOException saying why the trail cannot be written
     */
    public synchronized void requireWritable() throws IOException {
        db.connection();
    }

    /** Records a change, committed to the disk before it returns. */
    public synchronized Change record(Actor who, String action, String product, String before, String after)
            throws IOException {
        Change change = insert(who, action, product, "", before, after, Instant.now());
        db.commit();
        return change;
    }

    /**
     * Records a person's decision on a result, replacing an earlier one, with the change it makes in the same
     * transaction.
     */
    public synchronized Review review(long resultId, String product, int version, double rawScore,
            Evaluation evaluation, Actor who) throws IOException {
        Optional<Review> earlier = db.list("SELECT * FROM reviews WHERE result_id = ?", AuditTrail::review, resultId)
                .stream().findFirst();
        Instant at = Instant.now();
        db.update("INSERT OR REPLACE INTO reviews (result_id, product, model_version, raw_score, evaluation, reviewer, "
                + "door, reviewed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", resultId, product, version, rawScore,
                evaluation.name(), who.name(), who.door(), at.toEpochMilli());
        insert(who, "review", product, "result " + resultId,
                earlier.map(r -> r.evaluation().name()).orElse("NOT_DECIDABLE"), evaluation.name(), at);
        db.commit();
        return new Review(resultId, product, version, rawScore, evaluation, who, at);
    }

    /** The latest changes, newest first; those to {@code product} when it is not empty. */
    public synchronized List<Change> changes(String product, int limit) throws IOException {
        return db.list("SELECT * FROM changes WHERE ? = '' OR product = ? ORDER BY change_id DESC LIMIT ?",
                r -> new Change(r.getLong("change_id"), Instant.ofEpochMilli(r.getLong("at")),
                        new Actor(r.getString("who"), r.getString("door")), r.getString("action"),
                        r.getString("product"), r.getString("subject"), r.getString("before"), r.getString("after")),
                product, product, limit);
    }

    /** The reviewed results, newest result first; those of {@code product} when it is not empty. */
    public synchronized List<Review> reviews(String product, int limit) throws IOException {
        return db.list("SELECT * FROM reviews WHERE ? = '' OR product = ? ORDER BY result_id DESC LIMIT ?",
                AuditTrail::review, product, product, limit);
    }

    private static Review review(ResultSet r) throws SQLException {
        return new Review(r.getLong("result_id"), r.getString("product"), r.getInt("model_version"),
                r.getDouble("raw_score"), Evaluation.valueOf(r.getString("evaluation")),
                new Actor(r.getString("reviewer"), r.getString("door")), Instant.ofEpochMilli(r.getLong("reviewed_at")));
    }

    private Change insert(Actor who, String action, String product, String subject, String before, String after,
            Instant at) throws IOException {
        try (PreparedStatement s = db.connection().prepareStatement("INSERT INTO changes (at, who, door, action, "
                + "product, subject, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", Statement.RETURN_GENERATED_KEYS)) {
            SqliteFile.bind(s, at.toEpochMilli(), who.name(), who.door(), action, product, subject, before, after);
            s.executeUpdate();
            try (ResultSet keys = s.getGeneratedKeys()) {
                keys.next();
                return new Change(keys.getLong(1), at, who, action, product, subject, before, after);
            }
        } catch (SQLException e) {
            throw db.failed(e);
        }
    }

    @Override
    public synchronized void close() {
        db.close();
    }
}
