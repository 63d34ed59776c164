package dev.kdedge.node.api;

import dev.kdedge.api.v1.Image;
import dev.kdedge.api.v1.RawImage;
import dev.kdedge.api.v1.SharedFrame;
import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.calibration.image.InvalidImageException;
import dev.kdedge.calibration.scoring.FrameBuffers;
import dev.kdedge.calibration.text.Echo;
import dev.kdedge.node.inspection.ImageInput;
import dev.kdedge.node.inspection.RawImages;
import dev.kdedge.node.inspection.RejectedRequestException;
import dev.kdedge.node.inspection.Rejection;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;
import java.util.function.IntFunction;
import java.util.regex.Pattern;

/**
 * Where a request's image comes from: the bytes of its message (not copied), or a raw frame a camera process on this
 * machine wrote to a file of the shared frame directory and named instead ({@link SharedFrame}), read once, off the
 * event loop, into memory of the node's own, never the camera's file, which it may reuse once answered. A frame to
 * inspect is read into a direct buffer lent for its call, which the served graph reads in place (a 12 MB frame:
 * 1.5 ms to read, against 3.5 ms into a new array and 1.5 ms more to copy that for ONNX Runtime, docs/RESULTS.md);
 * what holds it beyond the call takes a copy ({@link ImageInput#toKeep}), and the door gives the buffer back when the
 * call has ended ({@link #giveBack}). A normal to upload is read into an array, kept as it is.
 */
public final class ImageSources {
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}");

    private static final int READ_PIECE = 256 * 1024;

    private final Vertx vertx;
    private final Optional<Path> sharedFrameDir;
    /**
     * The largest file read: three bytes a pixel at the most pixels an image may have, rows padded by a third; never
     * more than an array holds.
     */
    private final long maxSharedFrameBytes;
    private final FrameBuffers lent = new FrameBuffers();

    /** @param sharedFrameDir empty where the node takes frames in messages only */
    public ImageSources(Vertx vertx, Optional<Path> sharedFrameDir, long maxImagePixels) {
        this.vertx = vertx;
        this.sharedFrameDir = sharedFrameDir;
        this.maxSharedFrameBytes = Math.min(4 * maxImagePixels, Integer.MAX_VALUE - 8);
    }

    /**
     * The image, from the event loop: at once where the message holds it; a shared frame read on a worker.
     *
     * @return completed with null where the message has none; failed with {@link RejectedRequestException} for what
     *     cannot be read
     */
    Future<ImageInput> image(Image image) {
        if (image.getSourceCase() != Image.SourceCase.SHARED) {
            try {
                return Future.succeededFuture(inMessage(image));
            } catch (InvalidImageException e) {
                return Future.failedFuture(invalid(e.getMessage()));
            }
        }
        return vertx.executeBlocking(() -> read(image.getShared(), lent::take), false);
    }

    /** The call {@code image}, from {@link #image}, came for has ended: a buffer it was lent is free for the next. */
    void giveBack(ImageInput image) {
        if (image instanceof ImageInput.Raw raw) {
            giveBack(raw.pixels());
        }
    }

    /** A direct buffer is one lent by {@link #image} ({@link ImageInput.Raw#lent}); other memory is the GC's. */
    private void giveBack(ByteBuffer pixels) {
        if (pixels.isDirect()) {
            lent.giveBack(pixels);
        }
    }

    /**
     * The image, on a thread that may block.
     *
     * @throws InvalidImageException what the image's source does not allow (a pixel format, a file that is not there)
     * @throws RejectedRequestException FAILED_PRECONDITION where the node takes no shared frames or cannot read them
     */
    ImageInput imageNow(Image image) throws InvalidImageException {
        if (image.getSourceCase() != Image.SourceCase.SHARED) {
            return inMessage(image);
        }
        try {
            return read(image.getShared(), size -> ByteBuffer.wrap(new byte[size]));
        } catch (RejectedRequestException e) {
            if (e.reason() == Rejection.FAILED_PRECONDITION) {
                throw e;
            }
            throw new InvalidImageException(e.getMessage());
        }
    }

    /** What the message holds, without copying its bytes. */
    private static ImageInput inMessage(Image image) throws InvalidImageException {
        return switch (image.getSourceCase()) {
            case ENCODED -> new ImageInput.Encoded(image.getEncoded().asReadOnlyByteBuffer());
            case RAW -> raw(image.getRaw());
            case SHARED -> throw new IllegalArgumentException("a shared frame is read, not taken from the message");
            case SOURCE_NOT_SET -> null;
        };
    }

    /** @throws RejectedRequestException saying what is wrong with the frame, or why the node cannot read it */
    private static ImageInput.Raw raw(RawImage raw) throws InvalidImageException {
        return new ImageInput.Raw(format(raw.getFormat(), raw.getFormatValue()), Integer.toUnsignedLong(raw.getWidth()),
                Integer.toUnsignedLong(raw.getHeight()), Integer.toUnsignedLong(raw.getStride()),
                raw.getPixels().asReadOnlyByteBuffer());
    }

    /** @param memory a buffer of the given size (position 0) to read the frame into */
    private ImageInput.Raw read(SharedFrame frame, IntFunction<ByteBuffer> memory) {
        Path dir = sharedFrameDir.orElseThrow(() -> new RejectedRequestException(Rejection.FAILED_PRECONDITION,
                "this node takes no shared frames (server.sharedFrameDir is not set): send the pixels in the message"));
        String name = frame.getName();
        if (!FILE_NAME.matcher(name).matches()) {
            throw invalid("shared frame name " + Echo.quoted(name) + " must be a file name in the node's shared frame"
                    + " directory: 1 to 128 letters, digits, '.', '_' or '-', not starting with '.'");
        }
        ImageInput.Raw layout;
        try {
            layout = new ImageInput.Raw(format(frame.getFormat(), frame.getFormatValue()),
                    Integer.toUnsignedLong(frame.getWidth()), Integer.toUnsignedLong(frame.getHeight()),
                    Integer.toUnsignedLong(frame.getStride()), ByteBuffer.allocate(0));
            RawImages.check(layout);
        } catch (InvalidImageException e) {
            throw invalid("shared frame " + name + ": " + e.getMessage());
        }
        Path file = dir.resolve(name);
        ByteBuffer pixels;
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            if (!attributes.isRegularFile()) {
                throw invalid("shared frame " + name + " is not a regular file in " + dir
                        + " (links are not followed)");
            }
            if (attributes.size() > maxSharedFrameBytes) {
                throw invalid("shared frame " + name + " is " + attributes.size() + " bytes, more than any frame this"
                        + " node accepts (" + maxSharedFrameBytes + ")");
            }
            ByteBuffer buffer = memory.apply((int) attributes.size());
            try {
                pixels = readFully(file, buffer);
            } catch (IOException | RuntimeException e) {
                giveBack(buffer);
                throw e;
            }
        } catch (NoSuchFileException e) {
            throw new RejectedRequestException(Rejection.NOT_FOUND, "no shared frame " + name + " in " + dir);
        } catch (AccessDeniedException e) {
            throw new RejectedRequestException(Rejection.FAILED_PRECONDITION, "the node may not read shared frame "
                    + name + " in " + dir + ": give its user read access (README \"Shared frames\")");
        } catch (IOException e) {
            throw new RejectedRequestException(Rejection.FAILED_PRECONDITION, "shared frame " + name
                    + " cannot be read: " + e.getMessage());
        }
        return new ImageInput.Raw(layout.format(), layout.width(), layout.height(), layout.stride(), pixels);
    }

    /**
     * The file's bytes into {@code bytes} (filled, then flipped) as its size said when it was opened: one that changes
     * size while read is refused. Read in pieces of {@value #READ_PIECE} bytes: into an array the JDK reads through a
     * direct buffer of a read's size, which it keeps for the thread's next read, so a whole frame in one read would
     * leave a frame-sized buffer on each of Vert.x's blocking threads; a piece also stays in the CPU's cache between
     * the two copies (12 MB: 3.5 ms against 4.1 ms in one read, docs/RESULTS.md).
     */
    private static ByteBuffer readFully(Path file, ByteBuffer bytes) throws IOException {
        int size = bytes.limit();
        try (SeekableByteChannel channel = Files.newByteChannel(file, StandardOpenOption.READ,
                LinkOption.NOFOLLOW_LINKS)) {
            while (bytes.position() < size) {
                bytes.limit(Math.min(size, bytes.position() + READ_PIECE));
                if (channel.read(bytes) < 0) {
                    break;
                }
            }
            if (bytes.position() < size || channel.size() != size) {
                throw invalid("shared frame " + file.getFileName() + " changed while it was read: a camera may"
                        + " rewrite a frame's file only once its result has come");
            }
        }
        return bytes.flip();
    }

    /** @return null where the client named none */
    private static ImageDecoder.RawFormat format(RawImage.PixelFormat format, int value) throws InvalidImageException {
        return switch (format) {
            case GRAY8 -> ImageDecoder.RawFormat.GRAY8;
            case RGB8 -> ImageDecoder.RawFormat.RGB8;
            case BGR8 -> ImageDecoder.RawFormat.BGR8;
            case PIXEL_FORMAT_UNSPECIFIED -> null;
            case UNRECOGNIZED -> throw new InvalidImageException(
                    "unknown raw pixel format " + value + " (GRAY8, RGB8 or BGR8)");
        };
    }

    private static RejectedRequestException invalid(String message) {
        return new RejectedRequestException(Rejection.INVALID_ARGUMENT, message);
    }
}
