package dev.kdedge.node;

import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.ScoreResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;

/** Asynchronous Score calls from grpc-java whose outcome a test waits for as a status code. */
final class ScoreCalls {
    private ScoreCalls() {}

    /** Starts the call; the future completes with OK or the status the call failed with. */
    static CompletableFuture<Status.Code> status(InspectionGrpc.InspectionStub stub, ScoreRequest request) {
        CompletableFuture<Status.Code> status = new CompletableFuture<>();
        stub.score(request, new StreamObserver<>() {
            @Override
            public void onNext(ScoreResponse value) {}

            @Override
            public void onError(Throwable t) {
                status.complete(Status.fromThrowable(t).getCode());
            }

            @Override
            public void onCompleted() {
                status.complete(Status.Code.OK);
            }
        });
        return status;
    }
}
