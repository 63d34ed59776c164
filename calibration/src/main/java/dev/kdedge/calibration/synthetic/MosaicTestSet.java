package dev.kdedge.calibration.synthetic;

import dev.kdedge.calibration.dataset.MvtecTestSet;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Camera-sized frames made of real test images, for what the small images of a test set cannot show: frames of
 * several megapixels, wide rather than square, with a defect a small part of the frame. Each frame is a grid of
 * {@code columns x rows} cells, each cell one test image resized to the cell (grey frames, as MT-256's): a good frame
 * holds good images only, a defective frame good images and one defective image in a random cell, its mask carried
 * into the frame's mask. Written in MVTec layout ({@code test/good/}, {@code test/<type>/},
 * {@code ground_truth/<type>/<name>_mask.png}), which evaluate, latency and the node read as any test set. Images are
 * drawn with the seed, each good image used before any is used again.
 */
public final class MosaicTestSet {
    private static final float JPEG_QUALITY = 0.9f;

    private MosaicTestSet() {}

    /** The frames' size, grid, and how many of each are written. */
    public record Layout(int width, int height, int columns, int rows, int goodFrames, int defectiveFrames) {
        public Layout {
            if (width < columns || height < rows || columns < 1 || rows < 1) {
                throw new IllegalArgumentException("a " + width + "x" + height + " frame cannot hold " + columns + "x"
                        + rows + " cells");
            }
            if (goodFrames < 0 || defectiveFrames < 0 || goodFrames + defectiveFrames == 0) {
                throw new IllegalArgumentException("at least one frame, good or defective");
            }
        }
    }

    /** @param format {@code jpg} (quality 90, as a camera sends) or {@code png} */
    public static int write(List<MvtecTestSet.Sample> samples, Path out, Layout layout, String format, long seed)
            throws IOException {
        if (!format.equals("jpg") && !format.equals("png")) {
            throw new IllegalArgumentException("format is jpg or png, not " + format);
        }
        if (Files.exists(out.resolve("test"))) {
            // frames of an earlier run would be read as this one's
            throw new IOException(out + " already holds a test set; write the frames into a new folder");
        }
        List<MvtecTestSet.Sample> good = samples.stream().filter(s -> !s.defective()).toList();
        List<MvtecTestSet.Sample> defective = samples.stream().filter(s -> s.defective() && s.mask() != null)
                .toList();
        if (good.size() < layout.columns() * layout.rows()) {
            throw new IOException("a frame needs " + layout.columns() * layout.rows() + " good images; the test set "
                    + "has " + good.size());
        }
        if (layout.defectiveFrames() > 0 && defective.isEmpty()) {
            throw new IOException("no defective images with masks to place in a frame");
        }
        Random random = new Random(seed);
        Deck goods = new Deck(good, random);
        Deck defects = new Deck(defective, random);
        int written = 0;
        for (int i = 0; i < layout.goodFrames() + layout.defectiveFrames(); i++) {
            boolean withDefect = i >= layout.goodFrames();
            BufferedImage frame = new BufferedImage(layout.width(), layout.height(), BufferedImage.TYPE_BYTE_GRAY);
            BufferedImage mask = withDefect
                    ? new BufferedImage(layout.width(), layout.height(), BufferedImage.TYPE_BYTE_GRAY) : null;
            int defectCell = withDefect ? random.nextInt(layout.columns() * layout.rows()) : -1;
            String type = MvtecTestSet.GOOD;
            for (int cell = 0; cell < layout.columns() * layout.rows(); cell++) {
                int x0 = cell % layout.columns() * layout.width() / layout.columns();
                int x1 = (cell % layout.columns() + 1) * layout.width() / layout.columns();
                int y0 = cell / layout.columns() * layout.height() / layout.rows();
                int y1 = (cell / layout.columns() + 1) * layout.height() / layout.rows();
                MvtecTestSet.Sample sample = cell == defectCell ? defects.next() : goods.next();
                draw(read(sample.image()), frame, x0, y0, x1, y1, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
                if (cell == defectCell) {
                    type = sample.type();
                    draw(read(sample.mask()), mask, x0, y0, x1, y1,
                            RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
                }
            }
            String name = String.format("%04d", i);
            Path images = Files.createDirectories(out.resolve("test").resolve(type));
            writeImage(frame, images.resolve(name + "." + format), format);
            if (mask != null) {
                binarize(mask);
                Path truth = Files.createDirectories(out.resolve("ground_truth").resolve(type));
                ImageIO.write(mask, "png", truth.resolve(name + "_mask.png").toFile());
            }
            written++;
        }
        return written;
    }

    /** The samples in a seeded order, each dealt once before any is dealt again. */
    private static final class Deck {
        private final List<MvtecTestSet.Sample> samples;
        private final Random random;
        private final List<MvtecTestSet.Sample> left = new ArrayList<>();

        Deck(List<MvtecTestSet.Sample> samples, Random random) {
            this.samples = samples;
            this.random = random;
        }

        MvtecTestSet.Sample next() {
            if (left.isEmpty()) {
                left.addAll(samples);
            }
            return left.remove(random.nextInt(left.size()));
        }
    }

    private static BufferedImage read(Path file) throws IOException {
        BufferedImage image = ImageIO.read(file.toFile());
        if (image == null) {
            throw new IOException("cannot read " + file + " as an image");
        }
        return image;
    }

    private static void draw(BufferedImage image, BufferedImage into, int x0, int y0, int x1, int y1,
            Object interpolation) {
        Graphics2D g = into.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, interpolation);
            g.drawImage(image, x0, y0, x1 - x0, y1 - y0, null);
        } finally {
            g.dispose();
        }
    }

    /** Mask pixels above 127 are the defect (255), as the test set's masks are read; the rest 0. */
    private static void binarize(BufferedImage mask) {
        byte[] pixels = ((DataBufferByte) mask.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (pixels[i] & 0xFF) > 127 ? (byte) 255 : 0;
        }
    }

    private static void writeImage(BufferedImage frame, Path file, String format) throws IOException {
        if (format.equals("png")) {
            ImageIO.write(frame, "png", file.toFile());
            return;
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        // through a stream that truncates: ImageIO's own file stream leaves an older, longer file's tail behind
        try (OutputStream bytes = Files.newOutputStream(file); ImageOutputStream out = ImageIO.createImageOutputStream(
                bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(JPEG_QUALITY);
            writer.write(null, new IIOImage(frame, null, null), param);
        } finally {
            writer.dispose();
        }
    }
}
