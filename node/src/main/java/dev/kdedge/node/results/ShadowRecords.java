package dev.kdedge.node.results;

import dev.kdedge.node.audit.Actor;
import dev.kdedge.node.inspection.Evaluation;
import dev.kdedge.node.results.ShadowScoring.Judged;
import dev.kdedge.node.results.ShadowScoring.Shadow;
import dev.kdedge.node.sqlite.SqliteFile;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/**
 * The shadows that run and what they judged, in an SQLite file beside the journal: per product the candidate version
 * scored beside the active one and on what share of frames (so a restart keeps it), and for each frame judged both
 * evaluations under the active result's id, the latest {@code maxJudged} kept. Blocking, for the shadow's own thread
 * and the administration threads; one caller at a time.
 */
final class ShadowRecords implements AutoCloseable {
    /** Frames recorded between two removals of those beyond {@code maxJudged}: finding the cut reads that many. */
    private static final int PRUNE_EVERY = 1000;
    private final SqliteFile db;
    private final long maxJudged;
    private int sincePruned;

    ShadowRecords(Path file, long maxJudged) {
        this.db = new SqliteFile(file, "the shadow records", List.of(
                "CREATE TABLE IF NOT EXISTS shadows (product TEXT PRIMARY KEY, candidate_version INTEGER NOT NULL, "
                        + "share REAL NOT NULL, since INTEGER NOT NULL, started_by TEXT NOT NULL, door TEXT NOT NULL)",
                "CREATE TABLE IF NOT EXISTS judged (result_id INTEGER PRIMARY KEY, product TEXT NOT NULL, "
                        + "part_id TEXT NOT NULL, active_version INTEGER NOT NULL, candidate_version INTEGER NOT NULL, "
                        + "active_evaluation TEXT NOT NULL, active_score REAL NOT NULL, "
                        + "candidate_evaluation TEXT NOT NULL, candidate_score REAL NOT NULL, at INTEGER NOT NULL)",
                "CREATE INDEX IF NOT EXISTS judged_by_candidate ON judged (product, candidate_version, at)"));
        this.maxJudged = maxJudged;
    }

    synchronized List<Shadow> shadows() throws IOException {
        return db.list("SELECT * FROM shadows ORDER BY product", r -> new Shadow(r.getString("product"),
                r.getInt("candidate_version"), r.getDouble("share"), Instant.ofEpochMilli(r.getLong("since")),
                new Actor(r.getString("started_by"), r.getString("door"))));
    }

    /** Runs {@code shadow} from now on, in place of the product's earlier one. */
    synchronized void start(Shadow shadow) throws IOException {
        db.update("INSERT OR REPLACE INTO shadows (product, candidate_version, share, since, started_by, door) "
                + "VALUES (?, ?, ?, ?, ?, ?)", shadow.product(), shadow.candidateVersion(), shadow.share(),
                shadow.since().toEpochMilli(), shadow.startedBy().name(), shadow.startedBy().door());
        db.commit();
    }

    synchronized void stop(String product) throws IOException {
        db.update("DELETE FROM shadows WHERE product = ?", product);
        db.commit();
    }

    /** Records a frame both versions judged; the oldest beyond {@code maxJudged} go every thousand frames and at open. */
    synchronized void judged(Judged judged) throws IOException {
        db.update("INSERT OR REPLACE INTO judged (result_id, product, part_id, active_version, candidate_version, "
                + "active_evaluation, active_score, candidate_evaluation, candidate_score, at) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", judged.resultId(), judged.product(), judged.partId(),
                judged.activeVersion(), judged.candidateVersion(), judged.active().name(), judged.activeScore(),
                judged.candidate().name(), judged.candidateScore(), judged.at().toEpochMilli());
        if (++sincePruned >= PRUNE_EVERY) {
            removeBeyondRetention();
        }
        db.commit();
    }

    /** Lets the oldest frames beyond {@code maxJudged} go now (at open: a node restarted often still prunes). */
    synchronized void prune() throws IOException {
        removeBeyondRetention();
        db.commit();
    }

    private void removeBeyondRetention() throws IOException {
        sincePruned = 0;
        db.update("DELETE FROM judged WHERE result_id <= (SELECT result_id FROM judged ORDER BY result_id DESC "
                + "LIMIT 1 OFFSET ?)", maxJudged);
    }

    /** The latest frames the shadow's two versions judged apart since it started, newest first. */
    synchronized List<Judged> disagreements(Shadow shadow, int limit) throws IOException {
        return db.list("SELECT * FROM judged WHERE product = ? AND candidate_version = ? AND at >= ? "
                + "AND active_evaluation <> candidate_evaluation ORDER BY result_id DESC LIMIT ?",
                ShadowRecords::judged, shadow.product(),
                shadow.candidateVersion(), shadow.since().toEpochMilli(), limit);
    }

    /** How many frames the shadow judged since it started, by the active and the candidate evaluation. */
    synchronized List<ShadowScoring.Pairing> pairings(Shadow shadow) throws IOException {
        return db.list("SELECT active_evaluation, candidate_evaluation, count(*) AS frames FROM judged "
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

    @Override
    public synchronized void close() {
        db.close();
    }
}
