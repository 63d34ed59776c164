package dev.kdedge.calibration.synthetic;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The local defects {@link SyntheticDefects} paints on a normal image, after CutPaste and DRAEM. */
public enum DefectKind {
    /** A rectangle of the image itself, from elsewhere, pasted with its brightness shifted (CutPaste). */
    CUT_PASTE,
    /** A thin rotated strip of the image from elsewhere, brightness shifted: a scratch or a crack (CutPaste-scar). */
    SCAR,
    /** An ellipse of Gaussian noise over the image: a rough or contaminated spot. */
    NOISE,
    /** An ellipse much darker or brighter than around it, soft-edged: a hole, a stain, a burn. */
    SPOT;

    /** The kind's name on the command line and as the defect type of the test set it writes. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** @throws IllegalArgumentException naming the kinds there are */
    public static DefectKind of(String label) {
        for (DefectKind kind : values()) {
            if (kind.label().equals(label)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown synthetic defect kind '" + label + "' (kinds: "
                + Arrays.stream(values()).map(DefectKind::label).collect(Collectors.joining(", ")) + ")");
    }
}
