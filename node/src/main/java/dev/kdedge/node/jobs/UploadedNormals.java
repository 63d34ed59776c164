package dev.kdedge.node.jobs;

import dev.kdedge.calibration.store.ModelStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A product's uploaded normals as the node's work on them reads them (a fine-tune, a new don't-care region): the
 * uploads whose content no longer matches their hash set aside first, and refused below {@link #MIN}.
 */
public final class UploadedNormals {
    /** The fewest normals that work starts from: a fifth of them is held out. */
    public static final int MIN = 8;
    private static final Logger LOG = LoggerFactory.getLogger(UploadedNormals.class);

    private UploadedNormals() {}

    /**
     * The product's uploaded normals, once those that no longer match their content hash are set aside.
     *
     * @param work what needs them, as a refusal names it ("a fine-tune")
     * @throws IllegalStateException with fewer than {@link #MIN}
     */
    public static List<Path> intact(ModelStore store, String product, String work) throws IOException {
        setAsideDamaged(store, product);
        return atLeastMin(store, product, work);
    }

    /** Moves the product's damaged uploads under {@code uploads/damaged}, where nothing reads them, and says so. */
    static void setAsideDamaged(ModelStore store, String product) throws IOException {
        for (Path damaged : store.setAsideDamagedUploads(product)) {
            LOG.warn("upload {} of {} does not match its content hash: set aside under uploads/damaged, not used",
                    damaged.getFileName(), product);
        }
    }

    /** The product's uploaded normals as they are, refused below {@link #MIN}: the check before work is queued. */
    static List<Path> atLeastMin(ModelStore store, String product, String work) throws IOException {
        List<Path> normals = store.uploads(product, ModelStore.UploadKind.NORMAL);
        if (normals.size() < MIN) {
            throw new IllegalStateException("product " + product + " has " + normals.size() + " uploaded normal "
                    + "images; " + work + " needs at least " + MIN + " (UploadNormals)");
        }
        return normals;
    }
}
