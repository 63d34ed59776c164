package dev.kdedge.calibration.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kdedge.calibration.scoring.HeatmapImages;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the node does with every frame (read its header, decode it, encode a heatmap PNG) never goes through the disk:
 * ImageIO's cache directory is taken away, and all of it still works. ImageIO's default streams would copy each image
 * into a temporary file there.
 */
class ImagesWithoutTheDiskTest {
    /** Written before the cache directory goes: ImageIO.write to a stream goes through it. */
    private static final byte[] JPEG = jpeg();

    private final ImageDecoder decoder = new ImageDecoder(1 << 20);
    private boolean usedCache;

    @BeforeEach
    void cacheDirectoryGone() throws Exception {
        usedCache = ImageIO.getUseCache();
        Path cache = Files.createTempDirectory("imageio-cache");
        ImageIO.setUseCache(true);
        ImageIO.setCacheDirectory(cache.toFile());
        Files.delete(cache);
    }

    @AfterEach
    void cacheRestored() {
        ImageIO.setCacheDirectory(null);
        ImageIO.setUseCache(usedCache);
    }

    @Test
    void aFrameIsReadAndDecoded() throws Exception {
        assertEquals(64 * 32, decoder.declaredPixels(JPEG));
        assertEquals(64, decoder.decode(JPEG).width());
    }

    @Test
    void aHeatmapIsEncoded() throws Exception {
        BufferedImage heat = new BufferedImage(16, 8, BufferedImage.TYPE_BYTE_GRAY);
        heat.getRaster().setSample(3, 2, 0, 99);

        Pixels decoded = decoder.decode(HeatmapImages.png(heat));

        assertEquals(16, decoded.width());
        assertEquals(99, decoded.data()[2 * 16 + 3] & 0xff);
    }

    private static byte[] jpeg() {
        BufferedImage image = new BufferedImage(64, 32, BufferedImage.TYPE_BYTE_GRAY);
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "jpeg", jpeg);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return jpeg.toByteArray();
    }
}
