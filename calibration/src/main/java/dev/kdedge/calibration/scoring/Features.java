package dev.kdedge.calibration.scoring;

import dev.kdedge.calibration.tensor.FloatTensor;
import java.util.List;

/** Teacher and student feature maps of one batch, in tap order. */
public record Features(List<FloatTensor> teacher, List<FloatTensor> student) {}
