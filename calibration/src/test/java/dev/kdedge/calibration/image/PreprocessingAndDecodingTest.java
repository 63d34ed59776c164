package dev.kdedge.calibration.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class PreprocessingAndDecodingTest {
    private final ImageDecoder decoder = new ImageDecoder(10_000);

    @Test
    void grayImageIsReplicatedAndNormalizedPerChannel() throws Exception {
        byte[] gray = new byte[40 * 30];
        Arrays.fill(gray, (byte) 128);
        FloatTensor t = Preprocessing.imagenet(Extent.square(32)).apply(new Pixels(40, 30, 1, gray));
        assertArrayEquals(new long[] {1, 3, 32, 32}, t.shape());
        double[] mean = {0.485, 0.456, 0.406};
        double[] std = {0.229, 0.224, 0.225};
        for (int c = 0; c < 3; c++) {
            float expected = (float) ((128 / 255.0 - mean[c]) / std[c]);
            assertEquals(expected, t.data()[c * 32 * 32 + 17], 1e-5f, "channel " + c);
        }
    }

    @Test
    void rawBgrKeepsItsOrderAndStridePaddingIsSkipped() throws Exception {
        // 2x1 BGR8 image, stride 8 (two bytes of padding after the row)
        byte[] raw = {1, 2, 3, 4, 5, 6, 99, 99};
        Pixels p = decoder.fromRaw(ImageDecoder.RawFormat.BGR8, 2, 1, 8, raw);
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6}, p.data());
        assertArrayEquals(new long[] {2, 1, 0}, p.channelSources());
        assertArrayEquals(new float[] {3, 6}, p.plane(0));
        assertArrayEquals(new float[] {1, 4}, p.plane(2));
        // the image a heatmap is drawn over is in RGB order whatever the frame's
        assertEquals(0x030201, p.toImage().getRGB(0, 0) & 0xffffff);
        // packed already: the camera's buffer is the image
        byte[] packed = {1, 2, 3, 4, 5, 6};
        assertSame(packed, decoder.fromRaw(ImageDecoder.RawFormat.BGR8, 2, 1, 0, packed).data());
    }

    @Test
    void aRawFrameInABufferIsTakenInPlaceWherePackedAndPackedWhereNot() throws Exception {
        // 2x2 GRAY8, stride 3: the last row padded or not
        ByteBuffer padded = ByteBuffer.allocateDirect(6).put(new byte[] {1, 2, 99, 3, 4, 99}).flip();
        InterleavedPixels fromPadded = decoder.fromRaw(ImageDecoder.RawFormat.GRAY8, 2, 2, 3, padded);
        assertArrayEquals(new byte[] {1, 2, 3, 4}, ((Pixels) fromPadded).data());
        ByteBuffer lastRowShort = ByteBuffer.allocateDirect(5).put(new byte[] {1, 2, 99, 3, 4}).flip();
        assertArrayEquals(new byte[] {1, 2, 3, 4},
                decoder.fromRaw(ImageDecoder.RawFormat.GRAY8, 2, 2, 3, lastRowShort).onHeap().data());
        // packed: the buffer is the frame, so a change to it shows (the caller leaves it alone until scored)
        ByteBuffer packed = ByteBuffer.allocateDirect(6).put(new byte[] {1, 2, 3, 4, 5, 6}).flip();
        InterleavedPixels inPlace = decoder.fromRaw(ImageDecoder.RawFormat.BGR8, 2, 1, 0, packed);
        assertTrue(inPlace instanceof PixelView view && view.direct(), inPlace.getClass().getName());
        assertTrue(inPlace.bgr());
        packed.put(0, (byte) 7);
        assertArrayEquals(new byte[] {7, 2, 3, 4, 5, 6}, inPlace.onHeap().data());
        var e = assertThrows(InvalidImageException.class, () -> decoder.fromRaw(ImageDecoder.RawFormat.GRAY8, 2, 2, 3,
                ByteBuffer.allocateDirect(7)));
        assertTrue(e.getMessage().contains("needs 5 bytes (or 6 with the last row padded), got 7"), e.getMessage());
    }

    @Test
    void aColorImageIsTakenInItsDecodersOrderAndReadAsRgb() throws Exception {
        BufferedImage image = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, 0xff0000);
        image.setRGB(1, 0, 0x0000ff);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(image, "png", png);
        Pixels p = decoder.decode(png.toByteArray());
        assertTrue(p.bgr(), "the decoder's BGR raster, not a copy reordered pixel by pixel");
        assertArrayEquals(new float[] {255, 0}, p.plane(0));
        assertArrayEquals(new float[] {0, 255}, p.plane(2));
        assertEquals(0xff0000, p.toImage().getRGB(0, 0) & 0xffffff);
    }

    @Test
    void rawBufferTooShortIsRejectedWithTheSizes() {
        var e = assertThrows(InvalidImageException.class,
                () -> decoder.fromRaw(ImageDecoder.RawFormat.GRAY8, 10, 10, 0, new byte[50]));
        assertTrue(e.getMessage().contains("needs 100 bytes, got 50"), e.getMessage());
    }

    @Test
    void rawBufferLongerThanItsImageIsRejected() throws Exception {
        var e = assertThrows(InvalidImageException.class,
                () -> decoder.fromRaw(ImageDecoder.RawFormat.GRAY8, 10, 10, 0, new byte[101]));
        assertTrue(e.getMessage().contains("needs 100 bytes, got 101"), e.getMessage());
        // With a stride, the last row may stop at its last pixel or be padded to the stride; nothing else.
        assertEquals(2, decoder.fromRaw(ImageDecoder.RawFormat.GRAY8, 2, 2, 4, new byte[6]).height());
        assertEquals(2, decoder.fromRaw(ImageDecoder.RawFormat.GRAY8, 2, 2, 4, new byte[8]).height());
        e = assertThrows(InvalidImageException.class,
                () -> decoder.fromRaw(ImageDecoder.RawFormat.GRAY8, 2, 2, 4, new byte[7]));
        assertTrue(e.getMessage().contains("needs 6 bytes (or 8 with the last row padded), got 7"), e.getMessage());
    }

    @Test
    void garbageIsNotAnImage() {
        var e = assertThrows(InvalidImageException.class, () -> decoder.decode(new byte[] {1, 2, 3, 4, 5}));
        assertTrue(e.getMessage().contains("not a PNG or JPEG"), e.getMessage());
    }

    @Test
    void oversizedImageIsRefusedFromItsHeader() throws Exception {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(200, 100, BufferedImage.TYPE_BYTE_GRAY), "png", png);
        var e = assertThrows(InvalidImageException.class, () -> decoder.decode(png.toByteArray()));
        assertTrue(e.getMessage().contains("200x100"), e.getMessage());
    }

    @Test
    void pngRoundTripsToGrayPixels() throws Exception {
        BufferedImage image = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setSample(2, 1, 0, 77);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(image, "png", png);
        Pixels p = decoder.decode(png.toByteArray());
        assertEquals(1, p.channels());
        assertEquals(77, p.data()[5] & 0xff);
    }
}
