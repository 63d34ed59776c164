package dev.kdedge.calibration.image;

import dev.kdedge.calibration.tensor.FloatTensor;
import java.util.List;

/**
 * How an image becomes the model's input; stored in every bundle so serving repeats exactly what fitting did.
 * Gray images are replicated to the model's three channels; the image is resized to {@code size}x{@code size} with
 * Pillow's bilinear filter and normalized with {@code mean} and {@code std} after scaling to 0..1.
 */
public record Preprocessing(int size, String resize, List<Double> mean, List<Double> std, String channels) {
    public static final String RESIZE_BILINEAR = "bilinear-pillow";
    public static final String GRAY_TO_RGB = "gray-replicated-to-rgb";
    public static final List<Double> IMAGENET_MEAN = List.of(0.485, 0.456, 0.406);
    public static final List<Double> IMAGENET_STD = List.of(0.229, 0.224, 0.225);

    public Preprocessing {
        if (size < 32 || size > 1024) {
            throw new IllegalArgumentException("input size must be within 32..1024, was " + size);
        }
        if (!RESIZE_BILINEAR.equals(resize)) {
            throw new IllegalArgumentException("unsupported resize mode " + resize);
        }
        if (!GRAY_TO_RGB.equals(channels)) {
            throw new IllegalArgumentException("unsupported channel handling " + channels);
        }
        if (mean.size() != 3 || std.size() != 3) {
            throw new IllegalArgumentException("mean and std need three values (RGB)");
        }
        mean = List.copyOf(mean);
        std = List.copyOf(std);
    }

    public static Preprocessing imagenet(int size) {
        return new Preprocessing(size, RESIZE_BILINEAR, IMAGENET_MEAN, IMAGENET_STD, GRAY_TO_RGB);
    }

    /** Pixel values scaled to 0..1 and not normalized further, as MKD's official code feeds its networks. */
    public static Preprocessing unitRange(int size) {
        return new Preprocessing(size, RESIZE_BILINEAR, List.of(0.0, 0.0, 0.0), List.of(1.0, 1.0, 1.0), GRAY_TO_RGB);
    }

    /** A model input of zeros (the mean image once normalized): what a fit probes its teacher's taps with. */
    public FloatTensor blankInput() {
        return new FloatTensor(1, 3, size, size, new float[3 * size * size]);
    }

    /** The model input for one image: a [1, 3, size, size] tensor. */
    public FloatTensor apply(Pixels image) {
        int plane = size * size;
        float[] data = new float[3 * plane];
        float[] resizedGray = null;
        for (int c = 0; c < 3; c++) {
            float[] resized;
            if (image.channels() == 1) {
                if (resizedGray == null) {
                    resizedGray = Resampling.resizeImage(image.plane(0), image.width(), image.height(), size, size);
                }
                resized = resizedGray;
            } else {
                resized = Resampling.resizeImage(image.plane(c), image.width(), image.height(), size, size);
            }
            float m = mean.get(c).floatValue();
            float s = std.get(c).floatValue();
            for (int i = 0; i < plane; i++) {
                data[c * plane + i] = (resized[i] / 255f - m) / s;
            }
        }
        return new FloatTensor(1, 3, size, size, data);
    }
}
