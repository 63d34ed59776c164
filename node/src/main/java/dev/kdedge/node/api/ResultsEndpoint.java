package dev.kdedge.node.api;

import com.google.protobuf.Descriptors;
import com.google.protobuf.UnsafeByteOperations;
import dev.kdedge.api.v1.GetResultImageRequest;
import dev.kdedge.api.v1.GetResultRequest;
import dev.kdedge.api.v1.InspectionRecord;
import dev.kdedge.api.v1.ListResultsRequest;
import dev.kdedge.api.v1.ListResultsResponse;
import dev.kdedge.api.v1.ResultImage;
import dev.kdedge.api.v1.ResultsGrpcService;
import dev.kdedge.api.v1.WatchResultsRequest;
import dev.kdedge.api.v1.WatchResultsResponse;
import dev.kdedge.calibration.text.Echo;
import dev.kdedge.node.inspection.Evaluation;
import dev.kdedge.node.metrics.CallMetrics;
import dev.kdedge.node.results.EvidenceStore;
import dev.kdedge.node.results.ResultFilter;
import dev.kdedge.node.results.ResultJournal;
import dev.kdedge.node.results.ResultRecord;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import io.vertx.grpc.server.Service;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The {@code kdedge.v1.Results} service: the journal's results for gateways that follow the line and for engineers
 * who look back. Nothing blocks an event loop: the journal reads on a thread of its own.
 */
public final class ResultsEndpoint implements Service {
    private static final int DEFAULT_PAGE = 100;
    private static final int MAX_PAGE = 1000;
    /** Results a watcher reads from the journal at a time, then writes before it reads more. */
    private static final int WATCH_WINDOW = 64;

    private final Vertx vertx;
    private final ResultJournal journal;
    private final Optional<EvidenceStore> evidence;
    private final RequestMessages messages;
    private final UnaryReplies replies;
    private final ResultWire wire;

    public ResultsEndpoint(Vertx vertx, ResultJournal journal, Optional<EvidenceStore> evidence, long maxMessageBytes,
            CallMetrics metrics) {
        this.vertx = vertx;
        this.journal = journal;
        this.evidence = evidence;
        this.messages = new RequestMessages(maxMessageBytes);
        this.replies = new UnaryReplies(vertx, messages, metrics);
        this.wire = new ResultWire(evidence);
    }

    @Override
    public ServiceName name() {
        return ResultsGrpcService.SERVICE_NAME;
    }

    @Override
    public Descriptors.ServiceDescriptor descriptor() {
        return ResultsGrpcService.SERVICE_DESCRIPTOR;
    }

    @Override
    public void bind(GrpcServer server) {
        server.callHandler(ResultsGrpcService.GetResult, call -> replies.answer(call, ResultsGrpcService.GetResult,
                this::getResult));
        server.callHandler(ResultsGrpcService.ListResults, call -> replies.answer(call, ResultsGrpcService.ListResults,
                this::listResults));
        server.callHandler(ResultsGrpcService.GetResultImage, call -> replies.answer(call,
                ResultsGrpcService.GetResultImage, this::getResultImage));
        server.callHandler(ResultsGrpcService.WatchResults, this::watchResults);
    }

    private CompletableFuture<InspectionRecord> getResult(GetResultRequest request) {
        CompletableFuture<Optional<ResultRecord>> found = switch (request.getKeyCase()) {
            case RESULT_ID -> journal.byId(request.getResultId());
            case PART_ID -> journal.latestForPart(request.getPartId());
            case KEY_NOT_SET -> CompletableFuture.failedFuture(
                    new IllegalArgumentException("a result_id or a part_id is required"));
        };
        return found.thenApply(result -> wire.record(result.orElseThrow(() -> new NoSuchElementException(
                request.getKeyCase() == GetResultRequest.KeyCase.RESULT_ID
                        ? "no result " + Long.toUnsignedString(request.getResultId()) + " in the journal"
                        : "no result for part " + Echo.quoted(request.getPartId()) + " in the journal"))));
    }

    private CompletableFuture<ResultImage> getResultImage(GetResultImageRequest request) {
        long id = request.getResultId();
        if (evidence.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "this node keeps no images of results (journal.images.enabled: false)"));
        }
        return evidence.get().read(id).thenApply(found -> {
            EvidenceStore.Kept kept = found.orElseThrow(() -> new NoSuchElementException("the image of result "
                    + Long.toUnsignedString(id) + " is not kept (every NOT_OK result's is, one OK result's in "
                    + "journal.images.keepOkOneIn, and the oldest make room for newer ones)"));
            return ResultImage.newBuilder().setResultId(id).setImage(UnsafeByteOperations.unsafeWrap(kept.image()))
                    .setImageFormat(kept.format().name().toLowerCase(Locale.ROOT))
                    .setHeatmapOverlay(UnsafeByteOperations.unsafeWrap(kept.heatmapOverlay())).build();
        });
    }

    private CompletableFuture<ListResultsResponse> listResults(ListResultsRequest request) {
        int pageSize = request.getPageSize() == 0 ? DEFAULT_PAGE : request.getPageSize();
        if (pageSize < 1 || pageSize > MAX_PAGE) {
            throw new IllegalArgumentException("page_size must be 1.." + MAX_PAGE + " (0 for " + DEFAULT_PAGE
                    + "), was " + Integer.toUnsignedString(request.getPageSize()));
        }
        long from;
        try {
            from = !request.getPageToken().isEmpty() ? Long.parseLong(request.getPageToken())
                    : request.getOldestFirst() ? 0 : Long.MAX_VALUE;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("page_token " + Echo.quoted(request.getPageToken())
                    + " is not one this node gave");
        }
        return journal.page(request.getOldestFirst(), from, filter(request.getFilter()), instant("since",
                request.getSince()), instant("until", request.getUntil()), pageSize).thenApply(page -> {
                    ListResultsResponse.Builder response = ListResultsResponse.newBuilder()
                            .addAllResults(page.stream().map(wire::record).toList());
                    if (page.size() == pageSize) {
                        response.setNextPageToken(Long.toString(page.get(page.size() - 1).resultId()));
                    }
                    return response.build();
                });
    }

    private void watchResults(GrpcServerRequest<WatchResultsRequest, WatchResultsResponse> call) {
        Context context = vertx.getOrCreateContext();
        ClientPresence client = new ClientPresence(call);
        messages.single(call, ResultsGrpcService.WatchResults).onSuccess(request -> {
            ResultFilter filter;
            try {
                filter = filter(request.getFilter());
            } catch (IllegalArgumentException e) {
                replies.fail(call, client, StatusMapping.of(e));
                return;
            }
            if (request.getAfterResultId() < 0) {
                replies.fail(call, client, StatusMapping.of(new IllegalArgumentException("after_result_id "
                        + Long.toUnsignedString(request.getAfterResultId()) + " is beyond any result id")));
                return;
            }
            new ResultWatch(call, client, context, filter, request.hasAfterResultId() ? request.getAfterResultId()
                    : journal.lastRecordedId()).start();
        }).onFailure(failure -> replies.fail(call, client, StatusMapping.of(failure)));
    }

    /**
     * One WatchResults call, on its event loop. It reads the journal from its cursor a window at a time and reads
     * again only once the client has taken what was written (HTTP/2 flow control fills the write queue otherwise), so
     * a watcher that does not read holds no results in the node and slows nothing: it reads on from its cursor when
     * it resumes, from the journal.
     */
    private final class ResultWatch {
        private final GrpcServerRequest<WatchResultsRequest, WatchResultsResponse> call;
        private final GrpcServerResponse<WatchResultsRequest, WatchResultsResponse> response;
        private final ClientPresence client;
        private final Context context;
        private final ResultFilter filter;
        private final Runnable recorded;
        private long cursor;
        private boolean reading;
        private boolean more;
        private boolean ended;

        ResultWatch(GrpcServerRequest<WatchResultsRequest, WatchResultsResponse> call, ClientPresence client,
                Context context, ResultFilter filter, long after) {
            this.call = call;
            this.response = call.response();
            this.client = client;
            this.context = context;
            this.filter = filter;
            this.cursor = after;
            this.recorded = () -> context.runOnContext(v -> read());
        }

        void start() {
            journal.onRecorded(recorded);
            client.onGone(this::end);
            response.drainHandler(v -> read());
            read();
        }

        private void read() {
            if (ended) {
                return;
            }
            if (reading || response.writeQueueFull()) {
                more = true;
                return;
            }
            reading = true;
            more = false;
            long upTo = journal.lastRecordedId();
            journal.window(cursor, upTo, filter, WATCH_WINDOW).whenComplete((window, failure) ->
                    context.runOnContext(v -> {
                        reading = false;
                        if (ended) {
                            return;
                        }
                        if (failure != null) {
                            end();
                            replies.fail(call, client, StatusMapping.of(failure));
                            return;
                        }
                        send(window, upTo);
                        if (more || window.results().size() == WATCH_WINDOW) {
                            read();
                        }
                    }));
        }

        private void send(ResultJournal.Window window, long upTo) {
            if (window.oldestHeld() > cursor + 1 && cursor < upTo) {
                long lastMissed = Math.min(window.oldestHeld() - 1, upTo);
                client.write(() -> response.write(WatchResultsResponse.newBuilder().setSkipped(
                        WatchResultsResponse.Skipped.newBuilder().setFirstResultId(cursor + 1)
                                .setLastResultId(lastMissed)).build()));
                cursor = lastMissed;
            }
            for (ResultRecord result : window.results()) {
                client.write(() -> response.write(WatchResultsResponse.newBuilder().setResult(wire.record(result)).build()));
                cursor = result.resultId();
            }
            if (window.results().size() < WATCH_WINDOW) {
                cursor = Math.max(cursor, upTo);
            }
        }

        private void end() {
            ended = true;
            journal.removeListener(recorded);
        }
    }

    private static ResultFilter filter(dev.kdedge.api.v1.ResultFilter filter) {
        Evaluation evaluation = switch (filter.getEvaluation()) {
            case EVALUATION_UNSPECIFIED -> null;
            case OK -> Evaluation.OK;
            case NOT_OK -> Evaluation.NOT_OK;
            case NOT_DECIDABLE -> Evaluation.NOT_DECIDABLE;
            case UNRECOGNIZED -> throw new IllegalArgumentException("unknown evaluation "
                    + filter.getEvaluationValue());
        };
        return new ResultFilter(filter.getProduct(), filter.getStation(), evaluation, filter.getPartsOnly());
    }

    private static Instant instant(String field, String rfc3339) {
        if (rfc3339.isEmpty()) {
            return null;
        }
        try {
            return Instant.parse(rfc3339);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(field + " must be an RFC 3339 time such as 2026-12-04T08:00:00Z, was "
                    + Echo.quoted(rfc3339));
        }
    }
}
