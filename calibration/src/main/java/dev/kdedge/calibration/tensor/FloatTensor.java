package dev.kdedge.calibration.tensor;

import java.util.Arrays;

/** A dense float32 NCHW tensor on the Java heap: what crosses between engines, maps and metrics. */
public record FloatTensor(int batch, int channels, int height, int width, float[] data) {
    public FloatTensor {
        long expected = (long) batch * channels * height * width;
        if (data.length != expected) {
            throw new IllegalArgumentException("data has " + data.length + " values, shape needs " + expected);
        }
    }

    public long[] shape() {
        return new long[] {batch, channels, height, width};
    }

    /** The width and height of each sample's planes. */
    public Extent spatialSize() {
        return new Extent(width, height);
    }

    public int sampleSize() {
        return channels * height * width;
    }

    /** Sample {@code index} of the batch, copied. */
    public FloatTensor sample(int index) {
        int size = sampleSize();
        return new FloatTensor(1, channels, height, width, Arrays.copyOfRange(data, index * size, (index + 1) * size));
    }

    /** Stacks single samples of the same shape into one batch. */
    public static FloatTensor stack(java.util.List<FloatTensor> samples) {
        FloatTensor first = samples.get(0);
        int size = first.sampleSize();
        float[] data = new float[samples.size() * size];
        for (int i = 0; i < samples.size(); i++) {
            FloatTensor s = samples.get(i);
            if (s.batch != 1 || s.sampleSize() != size) {
                throw new IllegalArgumentException("stack needs single samples of one shape");
            }
            System.arraycopy(s.data, 0, data, i * size, size);
        }
        return new FloatTensor(samples.size(), first.channels, first.height, first.width, data);
    }
}
