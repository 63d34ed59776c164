package dev.kdedge.node.engine;

import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.engine.OnnxNetwork;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Teachers loaded once per content hash and shared by every product engine that uses them; a teacher is closed when
 * the last engine using it is closed. Thread-safe.
 */
final class SharedTeachers {
    private final InferenceOptions options;
    private final Map<String, Teacher> loaded = new HashMap<>();

    SharedTeachers(InferenceOptions options) {
        this.options = options;
    }

    final class Teacher extends RefCounted {
        final String sha256;
        final OnnxNetwork network;

        private Teacher(String sha256, OnnxNetwork network) {
            this.sha256 = sha256;
            this.network = network;
        }

        @Override
        protected void closeResources() {
            synchronized (SharedTeachers.this) {
                loaded.remove(sha256, this);
            }
            network.close();
        }
    }

    /** A reference to the teacher with this hash, loading it from {@code file} if no engine holds it. */
    synchronized Teacher acquire(String sha256, Path file) throws IOException {
        Teacher teacher = loaded.get(sha256);
        if (teacher != null && teacher.tryRetain()) {
            return teacher;
        }
        teacher = new Teacher(sha256, OnnxNetwork.load(file, options));
        loaded.put(sha256, teacher);
        return teacher;
    }

    synchronized int size() {
        return loaded.size();
    }
}
