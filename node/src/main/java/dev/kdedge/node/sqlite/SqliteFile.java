package dev.kdedge.node.sqlite;

import dev.kdedge.calibration.store.StoreFullException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.sqlite.SQLiteConfig;

/**
 * One SQLite file a class keeps its records in: opened at first use (WAL, synchronous FULL, so a commit is on the
 * disk when it returns) with its schema made, and opened again after a failure. Changes are made in a transaction its
 * owner commits. Every failure is an IOException naming the file, a full disk said as the model store says it, so that
 * every door answers it alike. Not thread-safe: its owner calls it one thread at a time.
 */
public final class SqliteFile implements AutoCloseable {
    /** What recording anything needs at least: one page of SQLite's. */
    private static final long PAGE_BYTES = 4096;

    /** Reads one row of a result. */
    @FunctionalInterface
    public interface Row<T> {
        T of(ResultSet r) throws SQLException;
    }

    private final Path file;
    private final String name;
    private final List<String> schema;
    private Connection db;

    /**
     * @param name what the file is, for messages ("the audit trail")
     * @param schema the statements that make its tables and indexes when they are missing
     */
    public SqliteFile(Path file, String name, List<String> schema) {
        this.file = file;
        this.name = name;
        this.schema = schema;
    }

    /** The open connection, in a transaction of its own; opened (and the schema made) if it was not. */
    public Connection connection() throws IOException {
        try {
            return open();
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    private Connection open() throws SQLException {
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
            for (String statement : schema) {
                s.executeUpdate(statement);
            }
            opened.setAutoCommit(false);
        } catch (SQLException e) {
            opened.close();
            throw e;
        }
        db = opened;
        return db;
    }

    /** The rows a query gives, read in a transaction of their own. */
    public <T> List<T> list(String sql, Row<T> row, Object... values) throws IOException {
        try (PreparedStatement s = open().prepareStatement(sql)) {
            bind(s, values);
            List<T> rows = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    rows.add(row.of(r));
                }
            }
            db.commit();
            return rows;
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    /** Runs a change in the open transaction; {@link #commit} makes it durable. */
    public void update(String sql, Object... values) throws IOException {
        try (PreparedStatement s = open().prepareStatement(sql)) {
            bind(s, values);
            s.executeUpdate();
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    public void commit() throws IOException {
        try {
            open().commit();
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    public static void bind(PreparedStatement s, Object... values) throws SQLException {
        for (int i = 0; i < values.length; i++) {
            s.setObject(i + 1, values[i]);
        }
    }

    /** Drops the connection after a failure (the next use opens it again, the open transaction lost) and says why. */
    public IOException failed(SQLException e) {
        close();
        return StoreFullException.classify(new IOException(name + " " + file + " cannot be written or read: "
                + e.getMessage(), e), file, PAGE_BYTES);
    }

    @Override
    public void close() {
        if (db != null) {
            try {
                db.close();
            } catch (SQLException ignored) {
                // closing a failed or finished connection: what was committed is on the disk
            }
            db = null;
        }
    }
}
