package dev.kdedge.calibration.synthetic;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Paints one plausible local defect on a normal image and says where it is: the product's own normals turned into
 * labelled defects, so that a method and a threshold can be judged before any real defect is seen. Deterministic: the
 * same image, settings and seed give the same defect.
 *
 * <p>A defect's size is drawn between {@code minSize} and {@code maxSize} of the image's shorter side. Its mask holds
 * the pixels the paint changed by at least {@link #VISIBLE} grey levels, so a patch pasted onto an identical patch is
 * no defect: such a draw is made again elsewhere.
 */
public final class SyntheticDefects {
    /** Smallest change of a pixel's channel that counts as part of the defect. */
    static final int VISIBLE = 12;
    private static final int ATTEMPTS = 20;

    /** The kinds drawn from (uniformly), and the defect's size range as fractions of the shorter side. */
    public record Settings(List<DefectKind> kinds, double minSize, double maxSize) {
        public static final Settings DEFAULT = new Settings(List.of(DefectKind.values()), 0.04, 0.2);

        /** @throws IllegalArgumentException naming the setting that is wrong */
        public Settings {
            if (kinds.isEmpty()) {
                throw new IllegalArgumentException("at least one synthetic defect kind is needed");
            }
            if (!(minSize > 0 && minSize <= maxSize && maxSize <= 0.5)) {
                throw new IllegalArgumentException("synthetic defect sizes must satisfy 0 < min <= max <= 0.5 of the "
                        + "image's shorter side, were " + minSize + " and " + maxSize);
            }
            kinds = List.copyOf(kinds);
        }
    }

    /** A normal image with a defect painted on it, and the defect's mask (255 where it is, 0 elsewhere). */
    public record Defect(DefectKind kind, BufferedImage image, BufferedImage mask) {}

    private final Settings settings;

    public SyntheticDefects(Settings settings) {
        this.settings = settings;
    }

    /**
     * @param normal the normal image (any type; read as RGB)
     * @param seed the defect's seed: the same seed paints the same defect
     */
    public Defect paint(BufferedImage normal, long seed) {
        return paint(normal, seed, null);
    }

    /**
     * A defect painted only where the product is inspected: nothing under {@code dontCare} (the product's don't-care
     * region at the image's size, true where nothing counts; null: everywhere).
     */
    public Defect paint(BufferedImage normal, long seed, boolean[] dontCare) {
        // java.util.Random's first draws from neighbouring seeds are alike: the seed is scrambled first
        Random random = new Random(new SplittableRandom(seed).nextLong());
        DefectKind kind = settings.kinds().get(random.nextInt(settings.kinds().size()));
        int width = normal.getWidth();
        int height = normal.getHeight();
        int[] source = normal.getRGB(0, 0, width, height, null, 0, width);
        int[] inspected = dontCare == null ? null : IntStream.range(0, dontCare.length).filter(i -> !dontCare[i])
                .toArray();
        if (inspected != null && inspected.length == 0) {
            throw new IllegalArgumentException("the don't-care region covers the whole " + width + " x " + height
                    + " image: no defect can be painted where it counts");
        }
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            int[] painted = source.clone();
            Canvas canvas = new Canvas(source, painted, width, height, random, inspected);
            int side = (int) Math.round(Math.min(width, height) * (settings.minSize()
                    + random.nextDouble() * (settings.maxSize() - settings.minSize())));
            boolean[] region = switch (kind) {
                case CUT_PASTE -> canvas.cutPaste(Math.max(2, side));
                case SCAR -> canvas.scar(Math.max(4, side));
                case NOISE -> canvas.noise(Math.max(2, side));
                case SPOT -> canvas.spot(Math.max(2, side));
            };
            BufferedImage mask = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
            int visible = 0;
            for (int i = 0; i < region.length; i++) {
                if (region[i] && changed(source[i], painted[i]) && (dontCare == null || !dontCare[i])) {
                    mask.getRaster().setSample(i % width, i / width, 0, 255);
                    visible++;
                } else {
                    painted[i] = source[i];
                }
            }
            if (visible >= Math.max(16, count(region) / 4)) {
                BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
                image.setRGB(0, 0, width, height, painted, 0, width);
                return new Defect(kind, image, mask);
            }
        }
        throw new IllegalArgumentException("no visible " + kind.label() + " defect could be painted on this "
                + width + " x " + height + " image in " + ATTEMPTS + " attempts: is it uniform, or very small?");
    }

    private static boolean changed(int before, int after) {
        for (int shift = 0; shift <= 16; shift += 8) {
            if (Math.abs(((before >> shift) & 0xFF) - ((after >> shift) & 0xFF)) >= VISIBLE) {
                return true;
            }
        }
        return false;
    }

    private static int count(boolean[] region) {
        int n = 0;
        for (boolean in : region) {
            n += in ? 1 : 0;
        }
        return n;
    }
}
