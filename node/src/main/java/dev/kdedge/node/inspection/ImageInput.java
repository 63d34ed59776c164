package dev.kdedge.node.inspection;

import dev.kdedge.calibration.image.ImageDecoder;
import java.nio.ByteBuffer;

/** The image of an inspection as it came through a door: encoded PNG/JPEG bytes, or a camera's raw pixels. */
public sealed interface ImageInput {
    /** The bytes the image came in. */
    int size();

    /**
     * The image as something may hold it after its call has ended (the evidence store, a shadow): this image, whose
     * bytes nothing changes, or a shared frame's pixels copied out of the buffer the node read them into, which is
     * reused once the call has ended.
     */
    ImageInput toKeep();

    /** PNG or JPEG bytes, a read-only view of what the client sent (not copied). */
    record Encoded(ByteBuffer bytes) implements ImageInput {
        /** The bytes in an array of their own, for the decoders that take one. */
        public byte[] copy() {
            return copyOf(bytes);
        }

        @Override
        public int size() {
            return bytes.remaining();
        }

        @Override
        public Encoded toKeep() {
            return this;
        }
    }

    /**
     * Raw pixels, rows {@code stride} bytes apart (0: packed). Sizes as the client sent them, up to 2^32 - 1 (an
     * unsigned 32-bit field), so that what is out of range is reported as sent.
     *
     * @param format null when the client named none
     * @param pixels a read-only view of the client's bytes (never a direct buffer), or a direct buffer the node read a
     *     shared frame into, lent for the call ({@link #toKeep})
     */
    record Raw(ImageDecoder.RawFormat format, long width, long height, long stride, ByteBuffer pixels)
            implements ImageInput {
        /**
         * The pixels as an array, for the decoders that take one: a whole array as it is (nothing writes it), a
         * client's bytes or a lent buffer copied.
         */
        public byte[] pixelArray() {
            if (pixels.hasArray() && pixels.arrayOffset() == 0 && pixels.position() == 0
                    && pixels.remaining() == pixels.array().length) {
                return pixels.array();
            }
            return copyOf(pixels);
        }

        @Override
        public int size() {
            return pixels.remaining();
        }

        /** Whether the pixels are in a buffer lent for the call, to be copied by whatever holds them past it. */
        public boolean lent() {
            return pixels.isDirect();
        }

        @Override
        public Raw toKeep() {
            return lent() ? new Raw(format, width, height, stride, ByteBuffer.wrap(copyOf(pixels))) : this;
        }
    }

    private static byte[] copyOf(ByteBuffer view) {
        byte[] copy = new byte[view.remaining()];
        view.duplicate().get(copy);
        return copy;
    }
}
