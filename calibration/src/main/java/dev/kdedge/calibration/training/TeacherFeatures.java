package dev.kdedge.calibration.training;

import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The teacher's features of the training images, which the student learns to reproduce. No official implementation
 * augments its data, so they never change: kept, they are computed once up front and the teacher leaves the training
 * loop. Where the heap cannot keep them (1.8 MB of ResNet-18 features for each 256 px image or tile), they are
 * computed again for each batch instead, a teacher pass per batch.
 */
abstract sealed class TeacherFeatures {
    /** Images the teacher runs on at once, which bounds its activations in native memory. */
    private static final int TEACHER_BATCH = 8;

    /** The features of {@code batch} (indices of training images), one tensor per tap, the images in batch order. */
    abstract List<FloatTensor> of(List<Integer> batch);

    static TeacherFeatures kept(OnnxNetwork teacher, List<FloatTensor> images) {
        return new Kept(teacher, images);
    }

    static TeacherFeatures perBatch(OnnxNetwork teacher, List<FloatTensor> images) {
        return new PerBatch(teacher, images);
    }

    /** Per image, its features as one sample per tap. */
    private static List<List<FloatTensor>> perImage(OnnxNetwork teacher, List<FloatTensor> images) {
        List<List<FloatTensor>> features = new ArrayList<>(images.size());
        for (int start = 0; start < images.size(); start += TEACHER_BATCH) {
            List<FloatTensor> chunk = images.subList(start, Math.min(images.size(), start + TEACHER_BATCH));
            List<FloatTensor> taps = teacher.run(FloatTensor.stack(chunk));
            for (int i = 0; i < chunk.size(); i++) {
                List<FloatTensor> samples = new ArrayList<>(taps.size());
                for (FloatTensor tap : taps) {
                    samples.add(tap.sample(i));
                }
                features.add(samples);
            }
        }
        return features;
    }

    /** Per tap, the images' samples stacked into one batch. */
    private static List<FloatTensor> stackedPerTap(List<List<FloatTensor>> perImage) {
        List<FloatTensor> taps = new ArrayList<>();
        for (int tap = 0; tap < perImage.get(0).size(); tap++) {
            int t = tap;
            taps.add(FloatTensor.stack(perImage.stream().map(samples -> samples.get(t)).toList()));
        }
        return taps;
    }

    private static final class Kept extends TeacherFeatures {
        private final List<List<FloatTensor>> features;

        Kept(OnnxNetwork teacher, List<FloatTensor> images) {
            features = perImage(teacher, images);
        }

        @Override
        List<FloatTensor> of(List<Integer> batch) {
            return stackedPerTap(batch.stream().map(features::get).toList());
        }
    }

    private static final class PerBatch extends TeacherFeatures {
        private final OnnxNetwork teacher;
        private final List<FloatTensor> images;

        PerBatch(OnnxNetwork teacher, List<FloatTensor> images) {
            this.teacher = teacher;
            this.images = images;
        }

        @Override
        List<FloatTensor> of(List<Integer> batch) {
            return stackedPerTap(perImage(teacher, batch.stream().map(images::get).toList()));
        }
    }
}
