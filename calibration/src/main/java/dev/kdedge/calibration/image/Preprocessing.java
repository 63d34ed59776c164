package dev.kdedge.calibration.image;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.util.List;

/**
 * How an image becomes the model's input; stored in every bundle so serving repeats exactly what fitting did.
 * Gray images are replicated to the model's three channels; the image is resized to {@code width} x {@code height}
 * with Pillow's bilinear filter (a frame of another aspect is stretched to it) and normalized with {@code mean} and
 * {@code std} after scaling to 0..1. With a {@code tiling}, that image is the working image its networks see in tiles
 * ({@link TileLayout}); without one (null), the networks see it whole.
 */
public record Preprocessing(int width, int height, String resize, List<Double> mean, List<Double> std,
        String channels, @JsonInclude(JsonInclude.Include.NON_NULL) Tiling tiling) {
    public static final String RESIZE_BILINEAR = "bilinear-pillow";
    public static final String GRAY_TO_RGB = "gray-replicated-to-rgb";
    public static final List<Double> IMAGENET_MEAN = List.of(0.485, 0.456, 0.406);
    public static final List<Double> IMAGENET_STD = List.of(0.229, 0.224, 0.225);
    public static final int SMALLEST_SIDE = 32;
    public static final int LARGEST_SIDE = 1024;

    public Preprocessing {
        if (Math.min(width, height) < SMALLEST_SIDE || Math.max(width, height) > LARGEST_SIDE) {
            throw new IllegalArgumentException("input sides must be within " + SMALLEST_SIDE + ".." + LARGEST_SIDE
                    + ", were " + width + "x" + height);
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
        if (tiling != null) {
            tiling.layout(new Extent(width, height));
        }
    }

    /** As a manifest holds it; one written before inputs could be other than square has a {@code size} alone. */
    @JsonCreator
    static Preprocessing fromJson(@JsonProperty("width") Integer width, @JsonProperty("height") Integer height,
            @JsonProperty("size") Integer size, @JsonProperty("resize") String resize,
            @JsonProperty("mean") List<Double> mean, @JsonProperty("std") List<Double> std,
            @JsonProperty("channels") String channels, @JsonProperty("tiling") Tiling tiling) {
        if (width == null || height == null) {
            if (size == null) {
                throw new IllegalArgumentException("preprocessing needs width and height");
            }
            width = size;
            height = size;
        }
        return new Preprocessing(width, height, resize, mean, std, channels, tiling);
    }

    public static Preprocessing imagenet(Extent size) {
        return new Preprocessing(size.width(), size.height(), RESIZE_BILINEAR, IMAGENET_MEAN, IMAGENET_STD,
                GRAY_TO_RGB, null);
    }

    /** Pixel values scaled to 0..1 and not normalized further, as MKD's official code feeds its networks. */
    public static Preprocessing unitRange(Extent size) {
        return new Preprocessing(size.width(), size.height(), RESIZE_BILINEAR, List.of(0.0, 0.0, 0.0),
                List.of(1.0, 1.0, 1.0), GRAY_TO_RGB, null);
    }

    /** This preprocessing with the working image cut into tiles as {@code tiling} says (null: seen whole). */
    public Preprocessing tiled(Tiling tiling) {
        return new Preprocessing(width, height, resize, mean, std, channels, tiling);
    }

    /** The width and height of the image {@link #apply} returns, which the served graph takes and maps. */
    public Extent size() {
        return new Extent(width, height);
    }

    /** The networks' input: a tile, or the whole image where the product is not tiled. */
    public Extent networkInput() {
        return tiling == null ? size() : tiling.tile();
    }

    /** How the image is cut for the networks and their maps stitched back. */
    public TileLayout layout() {
        return tiling == null ? TileLayout.whole(size()) : tiling.layout(size());
    }

    /** A network input of zeros (the mean image once normalized): what a fit probes its teacher's taps with. */
    public FloatTensor blankInput() {
        Extent input = networkInput();
        return new FloatTensor(1, 3, input.height(), input.width(), new float[3 * input.area()]);
    }

    /** The model input for one image: a [1, 3, height, width] tensor. */
    public FloatTensor apply(Pixels image) {
        int plane = width * height;
        float[] data = new float[3 * plane];
        float[] resizedGray = null;
        for (int c = 0; c < 3; c++) {
            float[] resized;
            if (image.channels() == 1) {
                if (resizedGray == null) {
                    resizedGray = Resampling.resizeImage(image.plane(0), image.width(), image.height(), width, height);
                }
                resized = resizedGray;
            } else {
                resized = Resampling.resizeImage(image.plane(c), image.width(), image.height(), width, height);
            }
            float m = mean.get(c).floatValue();
            float s = std.get(c).floatValue();
            for (int i = 0; i < plane; i++) {
                data[c * plane + i] = (resized[i] / 255f - m) / s;
            }
        }
        return new FloatTensor(1, 3, height, width, data);
    }
}
