package dev.kdedge.calibration.store;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kdedge.calibration.digest.Digests;
import dev.kdedge.calibration.text.Echo;
import dev.kdedge.calibration.threshold.ThresholdPolicy;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The on-disk model repository:
 * <pre>
 * teachers/&lt;sha256&gt;.onnx                        shared by every product fitted with that teacher
 * products/&lt;product&gt;/versions/&lt;n&gt;/            immutable bundle: student.onnx, manifest.json
 * products/&lt;product&gt;/ACTIVE                     the serving version, then the versions active before it
 * products/&lt;product&gt;/uploads/normals|defects/   images uploaded on site, named by content hash
 * products/&lt;product&gt;/uploads/damaged/          uploads whose content did not match their name, set aside
 * products/&lt;product&gt;/threshold-policy.json      how the next fits set the threshold
 * engines/                                       TensorRT engines the node built, unless configured elsewhere
 * </pre>
 * A version is written into a hidden staging directory, flushed, and renamed into place; every other file is
 * replaced atomically (written beside, flushed, renamed). A crash at any instant leaves the previous state:
 * staging and temporary leftovers are hidden (dot names) and swept by {@link #sweepStaging()}. Safe for concurrent
 * use by several processes (writes to one product take a file lock).
 */
public final class ModelStore {
    public static final Pattern PRODUCT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final String STAGING_PREFIX = ".staging-";
    private static final String ACTIVE = "ACTIVE";
    private static final String THRESHOLD_POLICY = "threshold-policy.json";
    /** Versions remembered for rollback. */
    private static final int ACTIVE_HISTORY = 16;
    /** This process's writers of each product directory, whichever store object they use (see {@link #locked}). */
    private static final ConcurrentMap<Path, ReentrantLock> WRITERS = new ConcurrentHashMap<>();

    /** What an uploaded image is: a normal part (training data) or a labeled defect (threshold evaluation only). */
    public enum UploadKind {
        NORMAL("normals"), DEFECT("defects");

        private final String folder;

        UploadKind(String folder) {
            this.folder = folder;
        }
    }
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Path root;
    /** How long {@link #activate} and {@link #rollback} wait while this process writes a version of the product. */
    private final Duration activationPatience;

    public ModelStore(Path root) {
        this(root, Duration.ofSeconds(10));
    }

    ModelStore(Path root, Duration activationPatience) {
        this.root = root.toAbsolutePath().normalize();
        this.activationPatience = activationPatience;
    }

    public Path root() {
        return root;
    }

    /** Writes a version's files into a staging directory; the store then publishes it under {@code version}. */
    @FunctionalInterface
    public interface VersionWriter {
        Manifest write(Path stagingDirectory, int version) throws Exception;
    }

    public static void requireValidProductId(String product) {
        if (product == null || !PRODUCT_ID.matcher(product).matches()) {
            throw new IllegalArgumentException("invalid product id " + Echo.quoted(product)
                    + ": use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
    }

    /** Copies a teacher into the store (once per content) and returns its hash. */
    public String installTeacher(Path onnx) throws IOException {
        String sha = Digests.sha256(onnx);
        Path target = teacherFile(sha);
        if (!Files.exists(target)) {
            Files.createDirectories(target.getParent());
            AtomicFiles.write(target, Files.readAllBytes(onnx));
        }
        return sha;
    }

    /** Where a node keeps the TensorRT engines it builds when its configuration names no other place. */
    public Path engineCache() {
        return root.resolve("engines");
    }

    public Path teacherFile(String sha256) {
        return root.resolve("teachers").resolve(sha256 + ".onnx");
    }

    public List<String> products() throws IOException {
        Path dir = root.resolve("products");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(name -> PRODUCT_ID.matcher(name).matches()).sorted().toList();
        }
    }

    public List<Integer> versions(String product) throws IOException {
        Path dir = productDir(product).resolve("versions");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9]{1,9}"))
                    .map(Integer::parseInt).sorted().toList();
        }
    }

    public OptionalInt activeVersion(String product) throws IOException {
        List<Integer> lines = activeLines(product);
        return lines.isEmpty() ? OptionalInt.empty() : OptionalInt.of(lines.get(0));
    }

    /** The versions that were active before the current one, most recent first: where rollbacks go. */
    public List<Integer> previousActiveVersions(String product) throws IOException {
        List<Integer> lines = activeLines(product);
        return lines.isEmpty() ? List.of() : lines.subList(1, lines.size());
    }

    /** ACTIVE's lines: the serving version, then the ones before it. Empty when no version was ever activated. */
    private List<Integer> activeLines(String product) throws IOException {
        Path active = productDir(product).resolve(ACTIVE);
        if (!Files.exists(active)) {
            return List.of();
        }
        List<Integer> versions = new ArrayList<>();
        for (String line : Files.readAllLines(active, StandardCharsets.US_ASCII)) {
            if (line.isBlank()) {
                continue;
            }
            try {
                versions.add(Integer.parseInt(line.trim()));
            } catch (NumberFormatException e) {
                throw new StoreException("ACTIVE of product " + product + " has a line that is not a version number: '"
                        + line + "'");
            }
        }
        return versions;
    }

    public ProductBundle activeBundle(String product) throws IOException {
        requireValidProductId(product);
        OptionalInt active = activeVersion(product);
        if (active.isEmpty()) {
            throw new UnknownProductException("no product '" + product + "' with an active version in the store");
        }
        return bundle(product, active.getAsInt());
    }

    /** Reads and checks one version: the manifest parses and names this product and version, and its files exist. */
    public ProductBundle bundle(String product, int version) throws IOException {
        Path dir = productDir(product).resolve("versions").resolve(Integer.toString(version));
        Path manifestFile = dir.resolve(Manifest.FILE);
        if (!Files.isRegularFile(manifestFile)) {
            throw new UnknownVersionException(product, version);
        }
        Manifest manifest;
        try {
            manifest = JSON.readValue(manifestFile.toFile(), Manifest.class);
        } catch (IOException e) {
            throw new StoreException("manifest of " + product + "@" + version + " is unreadable: " + e.getMessage(), e);
        }
        if (manifest.format() < Manifest.OLDEST_READABLE_FORMAT || manifest.format() > Manifest.FORMAT) {
            throw new StoreException("manifest of " + product + "@" + version + " is in format " + manifest.format()
                    + " and this build reads formats " + Manifest.OLDEST_READABLE_FORMAT + " to " + Manifest.FORMAT
                    + (manifest.format() > Manifest.FORMAT ? ": it was written by a newer KD-Edge; upgrade this one"
                            : ""));
        }
        if (!product.equals(manifest.product()) || manifest.version() != version) {
            throw new StoreException("manifest of " + product + "@" + version + " does not describe this version");
        }
        Path student = dir.resolve(manifest.student().file());
        Path teacher = teacherFile(manifest.teacher().sha256());
        Path served = manifest.served() == null ? null : dir.resolve(manifest.served().file());
        List<Path> files = new ArrayList<>(List.of(student, teacher));
        if (served != null) {
            files.add(served);
        }
        manifest.publishedInt8().forEach(int8 -> files.add(dir.resolve(int8.file())));
        if (manifest.dontCare() != null) {
            files.add(dir.resolve(manifest.dontCare().file()));
        }
        for (Path file : files) {
            if (!Files.isRegularFile(file)) {
                throw new StoreException(product + "@" + version + " is missing " + root.relativize(file));
            }
        }
        return new ProductBundle(product, version, dir, manifest, student, teacher, served);
    }

    /** Publishes a new version (the next number) atomically and returns it; the active version is unchanged. */
    public ProductBundle writeVersion(String product, VersionWriter writer) throws IOException {
        requireValidProductId(product);
        Path versions = productDir(product).resolve("versions");
        Files.createDirectories(versions);
        return locked(product, () -> {
            List<Integer> existing = versions(product);
            int version = existing.isEmpty() ? 1 : existing.get(existing.size() - 1) + 1;
            Path staging = versions.resolve(STAGING_PREFIX + version + "-" + UUID.randomUUID());
            Files.createDirectories(staging);
            try {
                Manifest manifest = writer.write(staging, version);
                Files.write(staging.resolve(Manifest.FILE), JSON.writeValueAsBytes(manifest));
                AtomicFiles.syncTree(staging);
                CrashPoints.reach(CrashPoints.VERSION_STAGED);
                Files.move(staging, versions.resolve(Integer.toString(version)), StandardCopyOption.ATOMIC_MOVE);
                AtomicFiles.syncDirectory(versions);
            } catch (IOException | RuntimeException e) {
                AtomicFiles.deleteTree(staging);
                throw e;
            } catch (Exception e) {
                AtomicFiles.deleteTree(staging);
                throw new StoreException("writing " + product + "@" + version + " failed: " + e.getMessage(), e);
            }
            return bundle(product, version);
        });
    }

    /**
     * Makes {@code version} the serving one, remembering the one it replaces for {@link #rollback}; it must be a
     * complete bundle. Activating the active version changes nothing.
     */
    public void activate(String product, int version) throws IOException {
        bundle(product, version);
        locked(product, activationPatience, () -> {
            List<Integer> lines = activeLines(product);
            if (!lines.isEmpty() && lines.get(0) == version) {
                return null;
            }
            List<Integer> next = new ArrayList<>(List.of(version));
            lines.stream().filter(v -> v != version).limit(ACTIVE_HISTORY).forEach(next::add);
            writeActive(product, next);
            return null;
        });
    }

    /**
     * Makes the version active before the current one active again, and returns it.
     *
     * @throws StoreException when no earlier version was active
     */
    public int rollback(String product) throws IOException {
        return locked(product, activationPatience, () -> {
            List<Integer> lines = activeLines(product);
            if (lines.size() < 2) {
                throw new StoreException("product " + product + " has no earlier active version to roll back to");
            }
            bundle(product, lines.get(1));
            writeActive(product, lines.subList(1, lines.size()));
            return lines.get(1);
        });
    }

    private void writeActive(String product, List<Integer> versions) throws IOException {
        StringBuilder text = new StringBuilder();
        versions.forEach(v -> text.append(v).append('\n'));
        AtomicFiles.write(productDir(product).resolve(ACTIVE), text.toString().getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Keeps an uploaded image, named by the hash of its content, durably (flushed before this returns).
     *
     * @return false when the same content was already stored
     */
    public boolean storeUpload(String product, UploadKind kind, byte[] content, String extension) throws IOException {
        Path folder = Files.createDirectories(uploadsDir(product, kind));
        String sha256 = Digests.sha256(content);
        Path target = folder.resolve(sha256 + "." + extension);
        if (Files.exists(target)) {
            return false;
        }
        AtomicFiles.write(target, content, written -> {
            if (!Digests.sha256(written).equals(sha256)) {
                throw new IOException("the stored copy of upload " + sha256 + " does not read back as written");
            }
        });
        CrashPoints.reach(CrashPoints.UPLOAD_STORED);
        return true;
    }

    /** Uploaded images of a kind, by name (content hash). */
    public List<Path> uploads(String product, UploadKind kind) throws IOException {
        Path folder = uploadsDir(product, kind);
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
        }
    }

    /**
     * Moves every upload of {@code product} whose content no longer matches its name (its content hash) to
     * {@code uploads/damaged/}, where it no longer counts: an earlier build could keep a file cut short by a full disk
     * under the whole content's name, and every fine-tune then failed on it. Reads every upload.
     *
     * @return the uploads set aside, where they were
     */
    public List<Path> setAsideDamagedUploads(String product) throws IOException {
        List<Path> damaged = new ArrayList<>();
        for (UploadKind kind : UploadKind.values()) {
            for (Path upload : uploads(product, kind)) {
                String name = upload.getFileName().toString();
                if (!name.startsWith(Digests.sha256(upload) + ".")) {
                    Path aside = Files.createDirectories(productDir(product).resolve("uploads/damaged")
                            .resolve(kind.folder)).resolve(name);
                    Files.move(upload, aside, StandardCopyOption.REPLACE_EXISTING);
                    damaged.add(upload);
                }
            }
        }
        if (!damaged.isEmpty()) {
            AtomicFiles.syncTree(productDir(product).resolve("uploads"));
        }
        return damaged;
    }

    private Path uploadsDir(String product, UploadKind kind) {
        return productDir(product).resolve("uploads").resolve(kind.folder);
    }

    /** The product's threshold policy for future fits; {@link ThresholdPolicy#DEFAULT} until one is set. */
    public ThresholdPolicy thresholdPolicy(String product) throws IOException {
        Path file = productDir(product).resolve(THRESHOLD_POLICY);
        if (!Files.exists(file)) {
            return ThresholdPolicy.DEFAULT;
        }
        try {
            return JSON.readValue(file.toFile(), ThresholdPolicy.class);
        } catch (IOException e) {
            throw new StoreException("threshold policy of " + product + " is unreadable: " + e.getMessage(), e);
        }
    }

    public void setThresholdPolicy(String product, ThresholdPolicy policy) throws IOException {
        Files.createDirectories(productDir(product));
        AtomicFiles.write(productDir(product).resolve(THRESHOLD_POLICY), JSON.writeValueAsBytes(policy));
    }

    @FunctionalInterface
    private interface LockedAction<T> {
        T run() throws IOException;
    }

    /** {@link #locked(String, Duration, LockedAction)} waiting as long as this process's other writers take. */
    private <T> T locked(String product, LockedAction<T> action) throws IOException {
        return locked(product, null, action);
    }

    /**
     * Runs {@code action} holding the product's write lock: across processes the file lock, and within this one a lock
     * per product directory first, since a second file lock from the same JVM would not wait as another process's
     * does but throw (a promote while a fine-tune's version is written, or two versions written at once).
     *
     * @param patience how long to wait for this process's other writers of the product; null: as long as they take
     * @throws StoreException when they take longer than {@code patience}
     */
    private <T> T locked(String product, Duration patience, LockedAction<T> action) throws IOException {
        Path dir = Files.createDirectories(productDir(product));
        ReentrantLock writers = WRITERS.computeIfAbsent(dir, d -> new ReentrantLock());
        try {
            if (patience == null) {
                writers.lockInterruptibly();
            } else if (!writers.tryLock(patience.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new StoreException(product + " is being changed: a new version of it is being written "
                        + "(validated and quantized, which can take minutes); try again once it is written");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to write " + product);
        }
        try (FileChannel lockFile = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock ignored = lockFile.lock()) {
            return action.run();
        } finally {
            writers.unlock();
        }
    }

    /**
     * Removes what writes that crashed left behind (staging directories, temporary files: all dot names); call when
     * no writer runs (node start).
     */
    public void sweepStaging() throws IOException {
        for (String product : products()) {
            List<Path> folders = new ArrayList<>(List.of(productDir(product), productDir(product).resolve("versions")));
            for (UploadKind kind : UploadKind.values()) {
                folders.add(uploadsDir(product, kind));
            }
            for (Path folder : folders) {
                if (!Files.isDirectory(folder)) {
                    continue;
                }
                List<Path> leftovers = new ArrayList<>();
                try (Stream<Path> entries = Files.list(folder)) {
                    entries.filter(p -> p.getFileName().toString().startsWith(".")
                            && !p.getFileName().toString().equals(".lock")).forEach(leftovers::add);
                }
                for (Path leftover : leftovers) {
                    AtomicFiles.deleteTree(leftover);
                }
            }
        }
    }

    /**
     * A new empty file of the product's for a moment's use (a hidden name: the next {@link #sweepStaging()} removes
     * it where a crash left it); the caller deletes it.
     */
    public Path scratchFile(String product, String suffix) throws IOException {
        return Files.createTempFile(productDir(product), ".scratch-", suffix);
    }

    private Path productDir(String product) {
        requireValidProductId(product);
        return root.resolve("products").resolve(product);
    }
}
