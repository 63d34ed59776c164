package dev.kdedge.cli.remote;

import com.google.protobuf.ByteString;
import dev.kdedge.api.v1.Image;
import dev.kdedge.api.v1.ModelsGrpc;
import dev.kdedge.api.v1.UploadRejection;
import dev.kdedge.api.v1.UploadRequest;
import dev.kdedge.api.v1.UploadSummary;
import dev.kdedge.calibration.dataset.ImageFolders;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "upload", mixinStandardHelpOptions = true,
        description = "Upload a folder of PNG/JPEG images as normal images of a product (or, with --defective, as "
                + "labeled defects for the F1-optimal threshold). The node keeps each content once.")
final class UploadCommand extends RemoteCall {
    @Option(names = "--product", required = true, description = "Product id.")
    String product;

    @Option(names = "--images", required = true, description = "Folder of images (not recursive).")
    Path images;

    @Option(names = "--defective", description = "The images show defects.")
    boolean defective;

    @Override
    int run(ManagedChannel channel) throws Exception {
        List<Path> files = ImageFolders.list(images);
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no PNG or JPEG images in " + images);
        }
        CompletableFuture<UploadSummary> summary = new CompletableFuture<>();
        try (ProgressBar bar = new ProgressBarBuilder().setTaskName("upload").setInitialMax(files.size())
                .setStyle(ProgressBarStyle.ASCII).setUnit(" img", 1).setUpdateIntervalMillis(500).build()) {
            ModelsGrpc.newStub(channel).uploadNormals(new Sender(files, bar, summary));
            print(summary);
        }
        return 0;
    }

    private void print(CompletableFuture<UploadSummary> pending) throws Exception {
        UploadSummary s;
        try {
            s = pending.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
        System.out.print(describe(s));
    }

    /** What the node did with the images, a line, and a line per image it refused. */
    static String describe(UploadSummary s) {
        StringBuilder text = new StringBuilder(String.format("%s: %d stored, %d already there, %d refused; the node "
                + "now has %d normal and %d defect images%n", s.getProduct(), s.getAccepted(), s.getDuplicates(),
                s.getRejectedCount(), s.getNormalsStored(), s.getDefectsStored()));
        for (UploadRejection r : s.getRejectedList()) {
            text.append(String.format("  refused %s: %s%n", r.getName(), r.getReason()));
        }
        return text.toString();
    }

    /** Sends the files as fast as the node takes them (gRPC flow control), not all into memory at once. */
    private final class Sender implements ClientResponseObserver<UploadRequest, UploadSummary> {
        private final List<Path> files;
        private final ProgressBar bar;
        private final CompletableFuture<UploadSummary> summary;
        private int next;

        Sender(List<Path> files, ProgressBar bar, CompletableFuture<UploadSummary> summary) {
            this.files = files;
            this.bar = bar;
            this.summary = summary;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<UploadRequest> stream) {
            stream.setOnReadyHandler(() -> {
                try {
                    while (stream.isReady() && next < files.size()) {
                        Path file = files.get(next++);
                        stream.onNext(UploadRequest.newBuilder().setProduct(product).setDefective(defective)
                                .setName(file.getFileName().toString()).setImage(Image.newBuilder()
                                        .setEncoded(ByteString.copyFrom(Files.readAllBytes(file)))).build());
                        bar.step();
                    }
                    if (next == files.size()) {
                        next++;
                        stream.onCompleted();
                    }
                } catch (Exception e) {
                    stream.cancel("cannot read an image: " + e.getMessage(), e);
                    summary.completeExceptionally(e);
                }
            });
        }

        @Override
        public void onNext(UploadSummary value) {
            summary.complete(value);
        }

        @Override
        public void onError(Throwable t) {
            summary.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {}
    }
}
