package dev.kdedge.calibration.method;

import java.util.List;

/**
 * What a method's trainable network is fed. Training, export checks and the served graph all ask this one question,
 * so a method that reads the teacher's features works everywhere a method that reads the image does.
 */
public enum StudentInput {
    /** The preprocessed image, as the teacher sees it (STFPM's student). */
    IMAGE,
    /** The teacher's feature taps, in tap order (RD4AD's bottleneck and decoder). */
    TEACHER_FEATURES;

    /** The student's inputs, in order, given the image and the teacher's taps for it (tensors, names, ...). */
    public <T> List<T> of(T image, List<T> teacherTaps) {
        return this == IMAGE ? List.of(image) : List.copyOf(teacherTaps);
    }
}
