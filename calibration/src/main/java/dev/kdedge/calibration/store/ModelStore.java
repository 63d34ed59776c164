package dev.kdedge.calibration.store;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The on-disk model repository:
 * <pre>
 * teachers/&lt;sha256&gt;.onnx                 shared by every product fitted with that teacher
 * products/&lt;product&gt;/versions/&lt;n&gt;/     immutable bundle: student.onnx, manifest.json
 * products/&lt;product&gt;/ACTIVE              the serving version number
 * </pre>
 * A version is written into a hidden staging directory, flushed, and renamed into place; ACTIVE is replaced
 * atomically. A crash at any instant leaves the previous state: staging leftovers are invisible and swept by
 * {@link #sweepStaging()}. Safe for concurrent use by several processes (writes to one product take a file lock).
 */
public final class ModelStore {
    public static final Pattern PRODUCT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final String STAGING_PREFIX = ".staging-";
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Path root;

    public ModelStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
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
            throw new IllegalArgumentException("invalid product id '" + product
                    + "': use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
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
        Path active = productDir(product).resolve("ACTIVE");
        if (!Files.exists(active)) {
            return OptionalInt.empty();
        }
        String text = Files.readString(active, StandardCharsets.US_ASCII).trim();
        try {
            return OptionalInt.of(Integer.parseInt(text));
        } catch (NumberFormatException e) {
            throw new StoreException("ACTIVE of product " + product + " is not a version number: '" + text + "'");
        }
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
            throw new StoreException("product " + product + " has no version " + version);
        }
        Manifest manifest;
        try {
            manifest = JSON.readValue(manifestFile.toFile(), Manifest.class);
        } catch (IOException e) {
            throw new StoreException("manifest of " + product + "@" + version + " is unreadable: " + e.getMessage(), e);
        }
        if (manifest.format() != Manifest.FORMAT || !product.equals(manifest.product())
                || manifest.version() != version) {
            throw new StoreException("manifest of " + product + "@" + version + " does not describe this version");
        }
        Path student = dir.resolve(manifest.student().file());
        Path teacher = teacherFile(manifest.teacher().sha256());
        for (Path file : List.of(student, teacher)) {
            if (!Files.isRegularFile(file)) {
                throw new StoreException(product + "@" + version + " is missing " + root.relativize(file));
            }
        }
        return new ProductBundle(product, version, dir, manifest, student, teacher);
    }

    /** Publishes a new version (the next number) atomically and returns it; the active version is unchanged. */
    public ProductBundle writeVersion(String product, VersionWriter writer) throws IOException {
        requireValidProductId(product);
        Path versions = productDir(product).resolve("versions");
        Files.createDirectories(versions);
        try (FileChannel lockFile = FileChannel.open(productDir(product).resolve(".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock ignored = lockFile.lock()) {
            List<Integer> existing = versions(product);
            int version = existing.isEmpty() ? 1 : existing.get(existing.size() - 1) + 1;
            Path staging = versions.resolve(STAGING_PREFIX + version + "-" + UUID.randomUUID());
            Files.createDirectories(staging);
            try {
                Manifest manifest = writer.write(staging, version);
                Files.write(staging.resolve(Manifest.FILE), JSON.writeValueAsBytes(manifest));
                AtomicFiles.syncTree(staging);
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
        }
    }

    /** Makes {@code version} the serving one; it must be a complete bundle. */
    public void activate(String product, int version) throws IOException {
        bundle(product, version);
        AtomicFiles.write(productDir(product).resolve("ACTIVE"),
                (version + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    /** Removes staging directories left by writes that crashed; call when no writer runs (node start). */
    public void sweepStaging() throws IOException {
        for (String product : products()) {
            Path versions = productDir(product).resolve("versions");
            if (!Files.isDirectory(versions)) {
                continue;
            }
            List<Path> leftovers = new ArrayList<>();
            try (Stream<Path> entries = Files.list(versions)) {
                entries.filter(p -> p.getFileName().toString().startsWith(STAGING_PREFIX)).forEach(leftovers::add);
            }
            for (Path leftover : leftovers) {
                AtomicFiles.deleteTree(leftover);
            }
        }
    }

    private Path productDir(String product) {
        requireValidProductId(product);
        return root.resolve("products").resolve(product);
    }
}
