package dev.kdedge.node.engine;

import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.method.Methods;
import dev.kdedge.calibration.scoring.Scorer;
import dev.kdedge.calibration.store.ProductBundle;

/**
 * One loaded product version: its bundle, its student session and a reference to its shared teacher. Requests hold
 * it through an {@link EngineLease}; the cache's eviction only drops the cache's hold.
 */
public final class ProductEngine extends RefCounted {
    private final ProductBundle bundle;
    private final OnnxNetwork student;
    private final SharedTeachers.Teacher teacher;
    private final Scorer scorer;

    ProductEngine(ProductBundle bundle, OnnxNetwork student, SharedTeachers.Teacher teacher) {
        this.bundle = bundle;
        this.student = student;
        this.teacher = teacher;
        this.scorer = new Scorer(Methods.named(bundle.manifest().method()), teacher.network, student,
                bundle.manifest().preprocessing());
    }

    public ProductBundle bundle() {
        return bundle;
    }

    public Scorer scorer() {
        return scorer;
    }

    /** The cache weight: the student's bytes (the teacher is shared and counted once by the teacher pool). */
    long weight() {
        return student.fileBytes();
    }

    @Override
    protected void closeResources() {
        student.close();
        teacher.release();
    }
}
