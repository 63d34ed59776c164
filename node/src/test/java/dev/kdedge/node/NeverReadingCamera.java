package dev.kdedge.node;

import dev.kdedge.api.v1.FrameRequest;
import dev.kdedge.api.v1.FrameResult;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.ScoreRequest;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;

/** A camera that opens an InspectStream, sends its frames and never reads a result. */
final class NeverReadingCamera {
    private NeverReadingCamera() {}

    /** Sends {@code frames} frames of {@code request}; the caller cancels the returned stream when done. */
    static ClientCallStreamObserver<FrameRequest> stream(ManagedChannel channel, ScoreRequest request, int frames) {
        ClientCallStreamObserver<FrameRequest> camera = open(channel);
        for (int i = 0; i < frames; i++) {
            camera.onNext(FrameRequest.newBuilder().setFrameId(i).setRequest(request).build());
        }
        return camera;
    }

    /** The stream, no frame sent yet. */
    static ClientCallStreamObserver<FrameRequest> open(ManagedChannel channel) {
        @SuppressWarnings("unchecked")
        ClientCallStreamObserver<FrameRequest>[] opened = new ClientCallStreamObserver[1];
        InspectionGrpc.newStub(channel).inspectStream(
                new ClientResponseObserver<FrameRequest, FrameResult>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<FrameRequest> stream) {
                        opened[0] = stream;
                        stream.disableAutoRequestWithInitial(0);
                    }

                    @Override
                    public void onNext(FrameResult result) {}

                    @Override
                    public void onError(Throwable t) {}

                    @Override
                    public void onCompleted() {}
                });
        return opened[0];
    }
}
