package dev.kdedge.node;

import com.google.protobuf.ByteString;
import dev.kdedge.api.v1.Image;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.calibration.demo.DemoFixture;
import java.nio.file.Files;
import java.nio.file.Path;

/** Requests for the demo product ({@link DemoFixture}) as a camera sends them. */
final class DemoRequests {
    private DemoRequests() {}

    /** A Score request for the demo product with {@code image}'s encoded bytes. */
    static ScoreRequest scoreRequest(Path image) throws Exception {
        return ScoreRequest.newBuilder().setProduct(DemoFixture.PRODUCT)
                .setImage(Image.newBuilder().setEncoded(ByteString.copyFrom(Files.readAllBytes(image)))).build();
    }
}
