package dev.kdedge.node.api;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors;
import dev.kdedge.api.v1.FrameError;
import dev.kdedge.api.v1.FrameRequest;
import dev.kdedge.api.v1.FrameResult;
import dev.kdedge.api.v1.Heatmap;
import dev.kdedge.api.v1.HeatmapChunk;
import dev.kdedge.api.v1.InspectResponse;
import dev.kdedge.api.v1.InspectionGrpcService;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.ScoreResponse;
import dev.kdedge.node.inspection.HeatmapWish;
import dev.kdedge.node.inspection.InspectionRequest;
import dev.kdedge.node.inspection.InspectionResult;
import dev.kdedge.node.inspection.RejectedRequestException;
import dev.kdedge.node.inspection.Rejection;
import dev.kdedge.node.metrics.CallMetrics;
import dev.kdedge.node.results.Inspections;
import dev.kdedge.node.security.ClientIdentity;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import io.vertx.grpc.server.Service;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The {@code kdedge.v1.Inspection} service on Vert.x gRPC. Handlers run on the event loop and only hand requests to
 * the core's {@link Inspections}; results come back to the request's context, recorded in the journal. Client deadlines are honored: the reply is
 * DEADLINE_EXCEEDED the moment the deadline passes, and the pipeline drops the work at its next stage.
 */
public final class InspectionEndpoint implements Service {
    static final int HEATMAP_CHUNK_BYTES = 64 * 1024;
    private static final String STREAM = InspectionGrpcService.InspectStream.methodName();
    private static final GrpcMessageDecoder<ScoreRequest> SCORE = AliasingDecoder.of(ScoreRequest.parser(),
            InspectionGrpcService.Score.decoder());
    private static final GrpcMessageDecoder<FrameRequest> FRAME = AliasingDecoder.of(FrameRequest.parser(),
            InspectionGrpcService.InspectStream.decoder());
    private static final String SHUTTING_DOWN = "kdedge-node is shutting down: every frame it read has been answered; "
            + "reconnect to it once it has restarted, or to another node";

    private final Vertx vertx;
    private final Inspections inspections;
    private final ImageSources images;
    private final int streamWindow;
    private final RequestMessages messages;
    private final CallMetrics metrics;
    /** Camera streams open now, each confined to its event loop. */
    private final Set<StreamFlow> streams = ConcurrentHashMap.newKeySet();

    public InspectionEndpoint(Vertx vertx, Inspections inspections, ImageSources images, int streamWindow,
            long maxMessageBytes, CallMetrics metrics) {
        this.vertx = vertx;
        this.inspections = inspections;
        this.images = images;
        this.streamWindow = streamWindow;
        this.messages = new RequestMessages(maxMessageBytes);
        this.metrics = metrics;
    }

    @Override
    public ServiceName name() {
        return InspectionGrpcService.SERVICE_NAME;
    }

    @Override
    public Descriptors.ServiceDescriptor descriptor() {
        return InspectionGrpcService.SERVICE_DESCRIPTOR;
    }

    @Override
    public void bind(GrpcServer server) {
        server.callHandler(InspectionGrpcService.Score, request -> unary(request, InspectionGrpcService.Score,
                inspection -> inspection, (response, result) -> response.end(InspectionWire.response(result))));
        server.callHandler(InspectionGrpcService.Inspect, this::inspect);
        server.callHandler(InspectionGrpcService.InspectStream, this::inspectStream);
    }

    private void inspect(GrpcServerRequest<ScoreRequest, InspectResponse> request) {
        unary(request, InspectionGrpcService.Inspect, inspection -> inspection.heatmap().format()
                == HeatmapWish.Format.NONE ? inspection.withHeatmap(inspection.heatmap().withFormat(
                        HeatmapWish.Format.PNG_GRAY)) : inspection,
                (response, inspected) -> {
                    ScoreResponse result = InspectionWire.response(inspected);
                    response.write(InspectResponse.newBuilder().setVerdict(result.getVerdict()).build());
                    Heatmap heatmap = result.getHeatmap();
                    ByteString data = heatmap.getData();
                    for (int offset = 0; offset < data.size(); offset += HEATMAP_CHUNK_BYTES) {
                        int end = Math.min(data.size(), offset + HEATMAP_CHUNK_BYTES);
                        response.write(InspectResponse.newBuilder().setHeatmapChunk(HeatmapChunk.newBuilder()
                                .setFormat(heatmap.getFormat()).setWidth(heatmap.getWidth())
                                .setHeight(heatmap.getHeight()).setOffset(offset).setTotalBytes(data.size())
                                .setData(data.substring(offset, end)).setLast(end == data.size())).build());
                    }
                    response.end();
                });
    }

    /** One request message in, a pipeline result out through {@code reply}, or exactly one error status. */
    private <Resp> void unary(GrpcServerRequest<ScoreRequest, Resp> request, ServiceMethod<ScoreRequest, Resp> method,
            UnaryOperator<InspectionRequest> adapt,
            BiConsumer<GrpcServerResponse<ScoreRequest, Resp>, InspectionResult> reply) {
        Context context = vertx.getOrCreateContext();
        SingleReply<Resp> once = new SingleReply<>(request, metrics);
        long timeoutMs = request.timeout();
        long deadline = deadlineNanos(timeoutMs);
        // Completes with the call's one outcome (reply, error, deadline or the client gone): from then on the
        // pipeline drops the request wherever it is, out of its queue at once.
        CompletableFuture<Void> done = new CompletableFuture<>();
        long timer = timeoutMs > 0 ? vertx.setTimer(timeoutMs, id -> once.fail(GrpcStatus.DEADLINE_EXCEEDED,
                "deadline of " + timeoutMs + " ms exceeded")) : -1;
        once.onDone(() -> {
            vertx.cancelTimer(timer);
            done.complete(null);
        });
        messages.single(request, method, SCORE).onFailure(failure -> {
            StatusMapping status = StatusMapping.of(failure);
            once.fail(status.status(), status.message());
        }).onSuccess(message -> {
            long received = System.nanoTime();
            readAndInspect(message, adapt, deadline, ClientIdentity.of(request.connection()), caller(request), done)
                    .whenComplete((result, failure) -> context.runOnContext(v -> {
                        if (failure != null) {
                            StatusMapping status = StatusMapping.of(failure);
                            once.fail(status.status(), status.message());
                        } else if (once.complete(response -> reply.accept(response, result))) {
                            metrics.scored(request.methodName(), result, received);
                        }
                    }));
        });
    }

    /**
     * The request's image read where it names a shared frame (off the event loop), then the request inspected, and the
     * memory the frame was read into given back once the inspection has ended.
     *
     * @param abandoned completes when the caller no longer wants the result
     */
    private CompletableFuture<InspectionResult> readAndInspect(ScoreRequest message,
            UnaryOperator<InspectionRequest> adapt, long deadline, Object client, String caller,
            CompletionStage<?> abandoned) {
        return images.image(message.getImage()).toCompletionStage().toCompletableFuture().thenCompose(image ->
                CompletableFuture.completedFuture(image).thenCompose(read -> inspections.inspect(
                        adapt.apply(InspectionWire.request(message, read, deadline, client, caller)), abandoned))
                        .whenComplete((result, failure) -> images.giveBack(image)));
    }

    /** Who asked, as the journal records it: the certificate's subject with mutual TLS, the client's address otherwise. */
    private static String caller(GrpcServerRequest<?, ?> request) {
        return ClientIdentity.acrossConnections(request.connection()).toString();
    }

    /**
     * Shutdown has begun: every camera stream stops reading frames, answers those it has read, and then ends
     * UNAVAILABLE, so that a camera knows to reconnect rather than wait.
     */
    public void drainStreams() {
        streams.forEach(flow -> flow.context.runOnContext(v -> flow.drain()));
    }

    private void inspectStream(GrpcServerRequest<FrameRequest, FrameResult> request) {
        Context context = vertx.getOrCreateContext();
        GrpcServerResponse<FrameRequest, FrameResult> response = request.response();
        long timeoutMs = request.timeout();
        long deadline = deadlineNanos(timeoutMs);
        StreamFlow flow = new StreamFlow(request, response, context);
        if (timeoutMs > 0) {
            long timer = vertx.setTimer(timeoutMs, id -> flow.fail(GrpcStatus.DEADLINE_EXCEEDED,
                    "deadline of " + timeoutMs + " ms exceeded"));
            flow.onClosed(() -> vertx.cancelTimer(timer));
        }
        // Frames are decoded here, not by vertx-grpc, which resets the whole stream at a frame it cannot decode
        // (5.0.7): an unreadable frame has no frame id to answer with, so it is reported as frame 0 and the stream
        // goes on, as the API promises.
        request.messageHandler(message -> {
            if (flow.closed()) {
                return;
            }
            FrameRequest frame;
            try {
                frame = messages.decode(message, FRAME);
            } catch (UnreadableMessageException e) {
                unreadableFrame(flow, e.status());
                return;
            }
            if (flow.draining()) {
                // read before the stream was paused for shutdown: answered, not scored
                flow.write(FrameResult.newBuilder().setFrameId(frame.getFrameId()).setError(FrameError.newBuilder()
                        .setCode(GrpcStatus.UNAVAILABLE.code).setMessage(SHUTTING_DOWN)).build());
                return;
            }
            flow.started();
            scoreFrame(frame, System.nanoTime(), deadline, flow, context, ClientIdentity.of(request.connection()),
                    caller(request));
        });
        request.invalidMessageHandler(invalid -> unreadableFrame(flow, messages.invalid(invalid)));
        request.endHandler(v -> flow.inputEnded());
    }

    /** A frame that could not be read has no frame id to answer with: it is answered as frame 0. */
    private void unreadableFrame(StreamFlow flow, StatusMapping status) {
        metrics.failed(STREAM, status.status());
        flow.write(FrameResult.newBuilder().setError(FrameError.newBuilder().setCode(status.status().code)
                .setMessage(status.message())).build());
    }

    /**
     * Scores one frame of a camera stream and writes its result. A frame the node has no room for (its queue full) is
     * not refused: it keeps its place in the stream's window and is offered again when the pipeline says its capacity
     * has changed, so a stream waits for the node (and, its window full, the node stops reading it) instead of having
     * frame after frame read and refused.
     */
    private void scoreFrame(FrameRequest frame, long received, long deadline, StreamFlow flow, Context context,
            Object client, String caller) {
        CompletableFuture<Void> abandoned = flow.inPipeline();
        CompletableFuture<InspectionResult> result = frame.hasRequest()
                ? readAndInspect(frame.getRequest(), UnaryOperator.identity(), deadline, client, caller, abandoned)
                : CompletableFuture.failedFuture(new IllegalArgumentException("frame " + frame.getFrameId()
                        + " has no request"));
        result.whenComplete((scored, failure) -> context.runOnContext(v -> {
            flow.outOfPipeline(abandoned);
            if (flow.closed()) {
                return;
            }
            Optional<CompletionStage<Void>> room = failure == null ? Optional.empty() : waitable(failure);
            if (room.isPresent()) {
                room.get().thenRun(() -> context.runOnContext(again -> {
                    if (!flow.closed()) {
                        scoreFrame(frame, received, deadline, flow, context, client, caller);
                    }
                }));
                return;
            }
            StatusMapping status = failure == null ? null : StatusMapping.of(failure);
            FrameResult.Builder out = FrameResult.newBuilder().setFrameId(frame.getFrameId());
            if (status != null) {
                metrics.failed(STREAM, status.status());
                out.setError(FrameError.newBuilder().setCode(status.status().code).setMessage(status.message()));
            } else {
                metrics.scored(STREAM, scored, received);
                out.setResult(InspectionWire.response(scored));
            }
            flow.finished(out.build());
        }));
    }

    /** When a frame refused for the node's capacity may be offered again; empty for any other failure. */
    private static Optional<CompletionStage<Void>> waitable(Throwable failure) {
        Throwable cause = Rejection.cause(failure);
        return cause instanceof RejectedRequestException rejected ? rejected.whenCapacityChanges() : Optional.empty();
    }

    /**
     * Flow control of one camera stream, on its event loop: at most {@code streamWindow} frames in the pipeline, and
     * no reading while the client is slow to take results. Once the stream is closed (ended, failed, or its client
     * gone) nothing more is written and no new frame is scored.
     */
    private final class StreamFlow {
        private final GrpcServerRequest<FrameRequest, FrameResult> request;
        private final GrpcServerResponse<FrameRequest, FrameResult> response;
        private final ClientPresence client;
        private final Context context;
        private int inFlight;
        private boolean inputEnded;
        private boolean draining;
        private boolean closed;
        private boolean paused;
        private Runnable onClosed = () -> {};
        /** Completed when the stream closes: the pipeline then drops the frames it still holds. At most the window. */
        private final Set<CompletableFuture<Void>> inPipeline = new HashSet<>();

        StreamFlow(GrpcServerRequest<FrameRequest, FrameResult> request,
                GrpcServerResponse<FrameRequest, FrameResult> response, Context context) {
            this.request = request;
            this.response = response;
            this.context = context;
            this.client = new ClientPresence(request);
            streams.add(this);
            response.drainHandler(v -> readWhileRoom());
            client.onGone(this::close);
        }

        void onClosed(Runnable action) {
            this.onClosed = action;
        }

        boolean closed() {
            return closed;
        }

        /** A signal for one frame handed to the pipeline, completed if the stream closes before it comes back. */
        CompletableFuture<Void> inPipeline() {
            CompletableFuture<Void> abandoned = new CompletableFuture<>();
            if (closed) {
                abandoned.complete(null);
            } else {
                inPipeline.add(abandoned);
            }
            return abandoned;
        }

        void outOfPipeline(CompletableFuture<Void> abandoned) {
            inPipeline.remove(abandoned);
        }

        void started() {
            inFlight++;
            readWhileRoom();
        }

        void finished(FrameResult result) {
            inFlight--;
            if (closed) {
                return;
            }
            client.write(() -> response.write(result));
            if (draining && inFlight == 0) {
                fail(GrpcStatus.UNAVAILABLE, SHUTTING_DOWN);
            } else if (inputEnded && inFlight == 0) {
                close();
                client.write(response::end);
            } else {
                readWhileRoom();
            }
        }

        boolean draining() {
            return draining;
        }

        /** The node is shutting down: no more frames are read; those in the pipeline are answered, then it ends. */
        void drain() {
            if (closed || draining) {
                return;
            }
            draining = true;
            if (!paused) {
                paused = true;
                request.pause();
            }
            if (inFlight == 0) {
                fail(GrpcStatus.UNAVAILABLE, SHUTTING_DOWN);
            }
        }

        void write(FrameResult result) {
            if (!closed) {
                client.write(() -> response.write(result));
                readWhileRoom();
            }
        }

        void inputEnded() {
            inputEnded = true;
            if (inFlight == 0 && !closed) {
                close();
                client.write(response::end);
            }
        }

        /** Ends the call with {@code status}; frames still in the pipeline are dropped when they come back. */
        void fail(GrpcStatus status, String message) {
            if (!closed) {
                close();
                metrics.failed(STREAM, status);
                client.write(() -> response.status(status).statusMessage(message).end());
            }
        }

        void close() {
            if (!closed) {
                closed = true;
                streams.remove(this);
                onClosed.run();
                inPipeline.forEach(abandoned -> abandoned.complete(null));
                inPipeline.clear();
            }
        }

        /**
         * Reads the next frame only while fewer than the window are in the pipeline and the client takes the results
         * written so far (HTTP/2's flow control fills the write queue when it does not): a client that stops reading
         * stops the node reading its frames, instead of having them read, scored or refused.
         */
        private void readWhileRoom() {
            if (inputEnded || draining) {
                return;
            }
            boolean room = inFlight < streamWindow && !response.writeQueueFull();
            if (room && paused) {
                paused = false;
                request.resume();
            } else if (!room && !paused) {
                paused = true;
                request.pause();
            }
        }
    }

    private static long deadlineNanos(long timeoutMs) {
        return timeoutMs > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs)
                : InspectionRequest.NO_DEADLINE;
    }

    /**
     * Makes sure a unary call gets exactly one outcome, whichever of result, error or deadline comes first, and none
     * once the client has gone.
     */
    private static final class SingleReply<Resp> {
        private final GrpcServerResponse<ScoreRequest, Resp> response;
        private final String rpc;
        private final CallMetrics metrics;
        private final ClientPresence client;
        private boolean done;
        private Runnable onDone = () -> {};

        SingleReply(GrpcServerRequest<ScoreRequest, Resp> request, CallMetrics metrics) {
            this.response = request.response();
            this.rpc = request.methodName();
            this.metrics = metrics;
            this.client = new ClientPresence(request);
            client.onGone(() -> {
                if (!done) {
                    metrics.failed(rpc, GrpcStatus.CANCELLED);
                }
                finish();
            });
        }

        void onDone(Runnable action) {
            this.onDone = action;
        }

        /** @return whether this was the call's outcome (no other came first) */
        boolean complete(Consumer<GrpcServerResponse<ScoreRequest, Resp>> send) {
            if (done) {
                return false;
            }
            finish();
            client.write(() -> send.accept(response));
            return true;
        }

        void fail(GrpcStatus status, String message) {
            if (complete(r -> r.status(status).statusMessage(message).end())) {
                metrics.failed(rpc, status);
            }
        }

        private void finish() {
            if (!done) {
                done = true;
                onDone.run();
            }
        }
    }
}
