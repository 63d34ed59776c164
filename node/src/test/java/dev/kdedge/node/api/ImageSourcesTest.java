package dev.kdedge.node.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.Image;
import dev.kdedge.api.v1.RawImage;
import dev.kdedge.api.v1.SharedFrame;
import dev.kdedge.node.inspection.ImageInput;
import io.vertx.core.Vertx;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who owns a shared frame's bytes once the node has read them. */
class ImageSourcesTest {
    private static final int WIDTH = 1000;
    private static final int HEIGHT = 700;

    @TempDir
    Path frames;
    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() {
        vertx.close().await();
    }

    @Test
    void aFrameToInspectIsReadIntoABufferLentForItsCallAndWhatOutlivesTheCallIsACopy() throws Exception {
        ImageSources sources = new ImageSources(vertx, Optional.of(frames), WIDTH * HEIGHT);
        Image image = Image.newBuilder().setShared(SharedFrame.newBuilder().setName("cam.raw")
                .setFormat(RawImage.PixelFormat.GRAY8).setWidth(WIDTH).setHeight(HEIGHT)).build();
        // several of the pieces the node reads a file in, the last one short
        byte[] first = frame(1);
        Files.write(frames.resolve("cam.raw"), first);
        ImageInput.Raw lent = read(sources, image);
        assertTrue(lent.pixels().isDirect(), "read where the served graph takes it without a copy");
        assertArrayEquals(first, bytes(lent.pixels()));
        ImageInput.Raw kept = lent.toKeep();
        assertFalse(kept.pixels().isDirect(), "what outlives the call is in memory of its own");

        sources.giveBack(lent);
        byte[] second = frame(2);
        Files.write(frames.resolve("cam.raw"), second);
        ImageInput.Raw next = read(sources, image);
        assertSame(lent.pixels(), next.pixels(), "the buffer given back is lent to the next frame");
        assertArrayEquals(second, bytes(next.pixels()));
        assertArrayEquals(first, bytes(kept.pixels()), "the copy is the first frame's still");

        // a normal to upload is kept as it is read: into an array, never a lent buffer
        ImageInput.Raw normal = (ImageInput.Raw) sources.imageNow(image);
        assertFalse(normal.pixels().isDirect());
        assertSame(normal, normal.toKeep());
        assertArrayEquals(second, normal.pixelArray());
    }

    private static ImageInput.Raw read(ImageSources sources, Image image) throws Exception {
        return (ImageInput.Raw) sources.image(image).toCompletionStage().toCompletableFuture().get(30,
                TimeUnit.SECONDS);
    }

    private static byte[] frame(long seed) {
        byte[] pixels = new byte[WIDTH * HEIGHT];
        new Random(seed).nextBytes(pixels);
        return pixels;
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }
}
