package dev.kdedge.calibration.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Turns encoded files (PNG, JPEG) and raw camera buffers into {@link Pixels}. Dimensions are read from the header and
 * checked against {@code maxPixels} before any pixel is decoded, so a small file cannot claim a huge allocation.
 * Thread-safe.
 */
public final class ImageDecoder {
    /** Raw pixel layouts a camera may send. */
    public enum RawFormat { GRAY8, RGB8, BGR8 }

    private final long maxPixels;

    public ImageDecoder(long maxPixels) {
        this.maxPixels = maxPixels;
    }

    /** Decodes an image file; an unusable file is an {@link IOException} that names it. */
    public Pixels decodeFile(Path file) throws IOException {
        try {
            return decode(Files.readAllBytes(file));
        } catch (InvalidImageException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    public Pixels decode(byte[] encoded) throws InvalidImageException {
        return withReader(encoded, reader -> toPixels(reader.read(0)));
    }

    /**
     * The pixel count an encoded image's header declares, checked against the limit, without decoding it: what a
     * decode will cost, known up front (a 3 KB progressive JPEG may declare 16 million pixels).
     */
    public long declaredPixels(byte[] encoded) throws InvalidImageException {
        return withReader(encoded, reader -> (long) reader.getWidth(0) * reader.getHeight(0));
    }

    @FunctionalInterface
    private interface ReaderAction<T> {
        T apply(ImageReader reader) throws IOException;
    }

    /** Runs {@code action} with a PNG or JPEG reader positioned on an image whose size is within the limit. */
    private <T> T withReader(byte[] encoded, ReaderAction<T> action) throws InvalidImageException {
        if (encoded.length == 0) {
            throw new InvalidImageException("image is empty");
        }
        // In memory: ImageIO.createImageInputStream would copy every image into a temporary file as it reads (its
        // default cache), a write to the device's storage for each frame and about 0.3 ms more per decode.
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new InvalidImageException("not a PNG or JPEG image (unrecognized header)");
            }
            ImageReader reader = readers.next();
            String format = reader.getFormatName().toLowerCase();
            if (!format.equals("png") && !format.equals("jpeg")) {
                reader.dispose();
                throw new InvalidImageException("unsupported image format " + format + "; send PNG or JPEG");
            }
            try {
                reader.setInput(in, true, true);
                checkSize(reader.getWidth(0), reader.getHeight(0));
                return action.apply(reader);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw new InvalidImageException("cannot decode image: " + e.getMessage());
        }
    }

    /**
     * A camera's buffer as an image, its channel order kept (BGR8 stays BGR). Takes {@code pixels} over where its rows
     * are already packed: the caller must not change it afterwards.
     */
    public Pixels fromRaw(RawFormat format, int width, int height, int stride, byte[] pixels)
            throws InvalidImageException {
        int rowStride = rowStride(format, width, height, stride, pixels.length);
        if (rowStride == rowBytes(format, width)) {
            return new Pixels(width, height, channels(format), pixels, format == RawFormat.BGR8);
        }
        return packed(format, width, height, rowStride, ByteBuffer.wrap(pixels));
    }

    /**
     * A camera's buffer (from its position to its limit) as a frame to score: taken over as it is where its rows are
     * packed ({@link PixelView}: the caller must leave the buffer unchanged until the frame is scored), else packed
     * into an array.
     */
    public InterleavedPixels fromRaw(RawFormat format, int width, int height, int stride, ByteBuffer pixels)
            throws InvalidImageException {
        int rowStride = rowStride(format, width, height, stride, pixels.remaining());
        if (rowStride == rowBytes(format, width)) {
            return new PixelView(width, height, channels(format), pixels, format == RawFormat.BGR8);
        }
        return packed(format, width, height, rowStride, pixels);
    }

    /** The distance of the buffer's rows, once its layout is checked against the bytes it has. */
    private int rowStride(RawFormat format, int width, int height, int stride, int bytes) throws InvalidImageException {
        if (width <= 0 || height <= 0) {
            throw new InvalidImageException("raw image needs positive width and height, got " + width + "x" + height);
        }
        checkSize(width, height);
        int rowBytes = rowBytes(format, width);
        int rowStride = stride == 0 ? rowBytes : stride;
        if (rowStride < rowBytes) {
            throw new InvalidImageException("stride " + stride + " is smaller than a row (" + rowBytes + " bytes)");
        }
        // The last row may stop at its last pixel or run on to the stride: a camera buffer is one or the other.
        long needed = (long) rowStride * (height - 1) + rowBytes;
        long padded = (long) rowStride * height;
        if (bytes != needed && bytes != padded) {
            throw new InvalidImageException("raw " + format + " " + width + "x" + height
                    + (stride == 0 ? "" : " with stride " + stride) + " needs " + needed + " bytes"
                    + (padded == needed ? "" : " (or " + padded + " with the last row padded)") + ", got " + bytes);
        }
        // one row, or rows without padding: packed already
        return bytes == (long) rowBytes * height ? rowBytes : rowStride;
    }

    private static Pixels packed(RawFormat format, int width, int height, int rowStride, ByteBuffer rows) {
        int rowBytes = rowBytes(format, width);
        byte[] packed = new byte[rowBytes * height];
        ByteBuffer from = rows.duplicate();
        int start = from.position();
        for (int y = 0; y < height; y++) {
            from.position(start + y * rowStride);
            from.get(packed, y * rowBytes, rowBytes);
        }
        return new Pixels(width, height, channels(format), packed, format == RawFormat.BGR8);
    }

    private static int channels(RawFormat format) {
        return format == RawFormat.GRAY8 ? 1 : 3;
    }

    private static int rowBytes(RawFormat format, int width) {
        return width * channels(format);
    }

    private void checkSize(int width, int height) throws InvalidImageException {
        if ((long) width * height > maxPixels) {
            throw new InvalidImageException("image is " + width + "x" + height + " = " + (long) width * height
                    + " pixels; this node accepts at most " + maxPixels);
        }
    }

    /** A freshly decoded (or drawn) image's own bytes: its raster is packed, one row after the other. */
    private static byte[] rasterBytes(BufferedImage image) {
        return ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
    }

    private static Pixels toPixels(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        boolean gray = image.getColorModel().getNumColorComponents() == 1;
        if (gray) {
            BufferedImage g = image;
            if (image.getType() != BufferedImage.TYPE_BYTE_GRAY) {
                g = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
                g.getGraphics().drawImage(image, 0, 0, null);
            }
            return new Pixels(w, h, 1, rasterBytes(g));
        }
        if (image.getType() == BufferedImage.TYPE_3BYTE_BGR) {
            // what the JPEG reader gives for color: its raster is the BGR image, taken without a pass per pixel
            return new Pixels(w, h, 3, rasterBytes(image), true);
        }
        int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
        byte[] data = new byte[w * h * 3];
        for (int i = 0; i < argb.length; i++) {
            data[3 * i] = (byte) (argb[i] >> 16);
            data[3 * i + 1] = (byte) (argb[i] >> 8);
            data[3 * i + 2] = (byte) argb[i];
        }
        return new Pixels(w, h, 3, data);
    }
}
