package dev.kdedge.node.api;

import com.google.protobuf.Descriptors;
import dev.kdedge.api.v1.CancelJobRequest;
import dev.kdedge.api.v1.DescribeProductRequest;
import dev.kdedge.api.v1.GetDontCareRegionRequest;
import dev.kdedge.api.v1.GetJobRequest;
import dev.kdedge.api.v1.KeepResultAsNormalRequest;
import dev.kdedge.api.v1.ListJobsRequest;
import dev.kdedge.api.v1.ListJobsResponse;
import dev.kdedge.api.v1.ListProductsRequest;
import dev.kdedge.api.v1.ListProductsResponse;
import dev.kdedge.api.v1.ModelsGrpcService;
import dev.kdedge.api.v1.MoveThresholdRequest;
import dev.kdedge.api.v1.PromoteRequest;
import dev.kdedge.api.v1.ResetThresholdRequest;
import dev.kdedge.api.v1.SetDontCareRegionRequest;
import dev.kdedge.api.v1.RollbackRequest;
import dev.kdedge.api.v1.SetThresholdPolicyRequest;
import dev.kdedge.api.v1.StartFineTuneRequest;
import dev.kdedge.api.v1.UploadRejection;
import dev.kdedge.api.v1.UploadRequest;
import dev.kdedge.api.v1.UploadSummary;
import dev.kdedge.api.v1.WatchJobRequest;
import dev.kdedge.calibration.image.InvalidImageException;
import dev.kdedge.calibration.text.Echo;
import dev.kdedge.node.audit.Actor;
import dev.kdedge.node.inspection.RejectedRequestException;
import dev.kdedge.node.inspection.Rejection;
import dev.kdedge.node.jobs.FineTuneJobs;
import dev.kdedge.node.jobs.JobEvent;
import dev.kdedge.node.jobs.JobMessages;
import dev.kdedge.node.metrics.CallMetrics;
import dev.kdedge.node.models.ProductAdministration;
import dev.kdedge.node.models.ProductDetails;
import dev.kdedge.node.security.ClientIdentity;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import io.vertx.grpc.server.Service;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code kdedge.v1.Models} service on Vert.x gRPC. Every store operation runs on {@code work}, never on the event
 * loop; replies and job events come back to the call's context. Who may call which RPC, and whether this node changes
 * its store at all, is decided before a call gets here ({@code security.AccessGate}).
 */
public final class ModelsEndpoint implements Service {
    private static final Logger LOG = LoggerFactory.getLogger(ModelsEndpoint.class);
    private static final GrpcMessageDecoder<UploadRequest> UPLOAD = AliasingDecoder.of(UploadRequest.parser(),
            ModelsGrpcService.UploadNormals.decoder());
    private final Vertx vertx;
    private final ProductAdministration products;
    private final ImageSources images;
    private final FineTuneJobs jobs;
    private final Executor work;
    private final CallMetrics metrics;
    private final RequestMessages messages;
    private final UnaryReplies replies;

    @FunctionalInterface
    private interface Work<Req, Resp> {
        Resp apply(Req request) throws Exception;
    }

    public ModelsEndpoint(Vertx vertx, ProductAdministration products, ImageSources images, FineTuneJobs jobs,
            Executor work, long maxMessageBytes, CallMetrics metrics) {
        this.vertx = vertx;
        this.products = products;
        this.images = images;
        this.jobs = jobs;
        this.work = refusingWhenFull(work);
        this.metrics = metrics;
        this.messages = new RequestMessages(maxMessageBytes);
        this.replies = new UnaryReplies(vertx, messages, metrics);
    }

    /**
     * {@code work} answering RESOURCE_EXHAUSTED once its queue is full: a flood of calls is refused, not queued
     * without bound. Chained stages fail with the rejection; {@link #onWork} turns a direct one into a failed future.
     */
    private static Executor refusingWhenFull(Executor work) {
        return command -> {
            try {
                work.execute(command);
            } catch (RejectedExecutionException e) {
                throw new RejectedRequestException(Rejection.RESOURCE_EXHAUSTED,
                        "the node is busy with other Models requests; retry later");
            }
        };
    }

    private <T> CompletableFuture<T> onWork(Supplier<T> task) {
        try {
            return CompletableFuture.supplyAsync(task, work);
        } catch (RejectedRequestException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public ServiceName name() {
        return ModelsGrpcService.SERVICE_NAME;
    }

    @Override
    public Descriptors.ServiceDescriptor descriptor() {
        return ModelsGrpcService.SERVICE_DESCRIPTOR;
    }

    @Override
    public void bind(GrpcServer server) {
        server.callHandler(ModelsGrpcService.ListProducts, call -> unary(call, ModelsGrpcService.ListProducts,
                (ListProductsRequest r) -> ListProductsResponse.newBuilder()
                        .addAllProducts(products.products().stream().map(ProductWire::summary).toList()).build()));
        server.callHandler(ModelsGrpcService.DescribeProduct, call -> unary(call, ModelsGrpcService.DescribeProduct,
                (DescribeProductRequest r) -> ProductWire.description(products.describe(r.getProduct()))));
        server.callHandler(ModelsGrpcService.GetDontCareRegion, call -> unary(call,
                ModelsGrpcService.GetDontCareRegion, (GetDontCareRegionRequest r) -> ProductWire.dontCareRegion(
                        products.dontCare(r.getProduct(), r.getVersion()))));
        server.callHandler(ModelsGrpcService.StartFineTune, call -> unary(call, ModelsGrpcService.StartFineTune,
                (StartFineTuneRequest r) -> JobMessages.job(jobs.start(JobMessages.settings(r), actor(call)))));
        server.callHandler(ModelsGrpcService.GetJob, call -> unary(call, ModelsGrpcService.GetJob,
                (GetJobRequest r) -> JobMessages.job(jobs.get(r.getJobId()))));
        server.callHandler(ModelsGrpcService.ListJobs, call -> unary(call, ModelsGrpcService.ListJobs,
                (ListJobsRequest r) -> ListJobsResponse.newBuilder()
                        .addAllJobs(jobs.list().stream().map(JobMessages::job).toList()).build()));
        server.callHandler(ModelsGrpcService.CancelJob, call -> unary(call, ModelsGrpcService.CancelJob,
                (CancelJobRequest r) -> JobMessages.job(jobs.cancel(r.getJobId(), actor(call)))));
        server.callHandler(ModelsGrpcService.Promote, call -> unary(call, ModelsGrpcService.Promote,
                (PromoteRequest r) -> ProductWire.description(products.promote(r.getProduct(), r.getVersion(),
                        actor(call)))));
        server.callHandler(ModelsGrpcService.Rollback, call -> unary(call, ModelsGrpcService.Rollback,
                (RollbackRequest r) -> ProductWire.description(products.rollback(r.getProduct(), actor(call)))));
        server.callHandler(ModelsGrpcService.SetThresholdPolicy, call -> unary(call,
                ModelsGrpcService.SetThresholdPolicy,
                (SetThresholdPolicyRequest r) -> ProductWire.policy(products.setThresholdPolicy(r.getProduct(),
                        ProductWire.policy(r.getPolicy()), actor(call)))));
        server.callHandler(ModelsGrpcService.MoveThreshold, call -> unary(call, ModelsGrpcService.MoveThreshold,
                (MoveThresholdRequest r) -> ProductWire.description(products.moveThreshold(r.getProduct(),
                        r.getThreshold(), actor(call)))));
        server.callHandler(ModelsGrpcService.ResetThreshold, call -> unary(call, ModelsGrpcService.ResetThreshold,
                (ResetThresholdRequest r) -> ProductWire.description(products.resetThreshold(r.getProduct(),
                        actor(call)))));
        server.callHandler(ModelsGrpcService.SetDontCareRegion, call -> unary(call,
                ModelsGrpcService.SetDontCareRegion, (SetDontCareRegionRequest r) -> ProductWire.description(
                        products.setDontCareRegion(r.getProduct(), ProductWire.region(r), actor(call)))));
        server.callHandler(ModelsGrpcService.KeepResultAsNormal, call -> unary(call,
                ModelsGrpcService.KeepResultAsNormal, (KeepResultAsNormalRequest r) -> keepResultAsNormal(r,
                        actor(call))));
        server.callHandler(ModelsGrpcService.WatchJob, this::watchJob);
        server.callHandler(ModelsGrpcService.UploadNormals, this::uploadNormals);
    }

    /** Who changes the store, as the audit trail names them: as the journal names a camera. */
    private static Actor actor(GrpcServerRequest<?, ?> call) {
        return Actor.grpc(ClientIdentity.acrossConnections(call.connection()).toString());
    }

    /** A blocking action, on the administration threads. */
    private <Req, Resp> void unary(GrpcServerRequest<Req, Resp> call, ServiceMethod<Req, Resp> method,
            Work<Req, Resp> action) {
        replies.answer(call, method, request -> onWork(() -> {
            try {
                return action.apply(request);
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }));
    }

    private UploadSummary keepResultAsNormal(KeepResultAsNormalRequest request, Actor who) throws IOException {
        ProductAdministration.NormalsKept kept = products.keepLineNormals("", List.of(request.getResultId()), who);
        if (!kept.refused().isEmpty()) {
            ProductAdministration.Refusal refusal = kept.refused().get(0);
            throw new RejectedRequestException(refusal.rejection(), "result " + refusal.resultId() + ": "
                    + refusal.reason());
        }
        return UploadSummary.newBuilder().setProduct(kept.product()).setAccepted(kept.stored())
                .setDuplicates(kept.duplicates()).setNormalsStored(kept.normals()).setDefectsStored(kept.defects())
                .build();
    }

    private void fail(GrpcServerRequest<?, ?> call, StatusMapping status) {
        metrics.failed(call.methodName(), status.status());
        call.response().status(status.status()).statusMessage(status.message()).end();
    }

    /** Past events first, then each new one as it happens; the stream ends with the job. */
    private void watchJob(GrpcServerRequest<WatchJobRequest, dev.kdedge.api.v1.JobEvent> call) {
        Context context = vertx.getOrCreateContext();
        ClientPresence client = new ClientPresence(call);
        messages.single(call, ModelsGrpcService.WatchJob).onFailure(failure -> {
            if (!client.gone()) {
                fail(call, StatusMapping.of(failure));
            }
        }).onSuccess(request -> {
            JobWatch watch = new JobWatch(call.response());
            Consumer<JobEvent> watcher = event -> context.runOnContext(v -> watch.live(event));
            onWork(() -> jobs.watch(request.getJobId(), watcher))
                    .whenComplete((past, failure) -> context.runOnContext(v -> {
                        if (client.gone()) {
                            return;
                        }
                        if (failure != null) {
                            fail(call, StatusMapping.of(failure));
                        } else {
                            watch.replay(past);
                        }
                    }));
            client.onGone(() -> {
                watch.stop();
                try {
                    work.execute(() -> jobs.unwatch(request.getJobId(), watcher));
                } catch (RejectedRequestException busy) {
                    // The stopped watch writes nothing more, and the job drops its watchers when it ends.
                }
            });
        });
    }

    /**
     * The reply stream of one WatchJob call, on its event loop; ends after the job's last event. Live events that
     * arrive before the past ones are sent wait for them, so the client sees every event once, in order.
     */
    private static final class JobWatch {
        private final GrpcServerResponse<WatchJobRequest, dev.kdedge.api.v1.JobEvent> response;
        private final List<JobEvent> early = new ArrayList<>();
        private boolean replayed;
        private boolean ended;

        JobWatch(GrpcServerResponse<WatchJobRequest, dev.kdedge.api.v1.JobEvent> response) {
            this.response = response;
        }

        void replay(List<JobEvent> past) {
            past.forEach(this::send);
            early.forEach(this::send);
            early.clear();
            replayed = true;
        }

        void live(JobEvent event) {
            if (replayed) {
                send(event);
            } else {
                early.add(event);
            }
        }

        void stop() {
            ended = true;
        }

        private void send(JobEvent event) {
            if (ended) {
                return;
            }
            response.write(JobMessages.event(event));
            if (event.endsTheJob()) {
                ended = true;
                response.end();
            }
        }
    }

    private void uploadNormals(GrpcServerRequest<UploadRequest, UploadSummary> call) {
        UploadStream upload = new UploadStream(call, vertx.getOrCreateContext(), actor(call));
        new ClientPresence(call).onGone(upload::abandoned);
        // Decoded here: vertx-grpc would reset the call at a message it cannot decode, leaving the client no reason.
        call.messageHandler(message -> {
            try {
                upload.received(messages.decode(message, UPLOAD));
            } catch (UnreadableMessageException e) {
                upload.unreadable(e);
            }
        });
        call.invalidMessageHandler(invalid -> upload.unreadable(new UnreadableMessageException(
                messages.invalid(invalid))));
        call.endHandler(v -> upload.ended());
    }

    /**
     * One UploadNormals call. Images are handled one at a time, in order, off the event loop, and the client's stream
     * is paused meanwhile, so a fast uploader cannot fill the node's memory. The summary goes out after the last
     * image is stored: everything it counts is on disk.
     */
    private final class UploadStream {
        private final GrpcServerRequest<UploadRequest, UploadSummary> call;
        private final Context context;
        private final Actor who;
        private final UploadSummary.Builder summary = UploadSummary.newBuilder();
        private CompletableFuture<Void> stored = CompletableFuture.completedFuture(null);
        private int received;
        private int newDefects;
        private boolean stopped;
        /** Whether what this upload stored is in the audit trail: recorded once, whichever way the call ends. */
        private final AtomicBoolean recorded = new AtomicBoolean();

        UploadStream(GrpcServerRequest<UploadRequest, UploadSummary> call, Context context, Actor who) {
            this.call = call;
            this.context = context;
            this.who = who;
        }

        void received(UploadRequest message) {
            if (stopped) {
                return;
            }
            int position = received++;
            call.pause();
            stored = stored.thenRunAsync(() -> store(position, message), work)
                    .whenComplete((ok, failure) -> context.runOnContext(v -> {
                        if (failure != null) {
                            failed(failure);
                        } else if (!stopped) {
                            call.resume();
                        }
                    }));
        }

        /** On a worker; calls are chained, so one at a time and in order. */
        private void store(int position, UploadRequest message) {
            try {
                String product = summary.getProduct();
                if (position == 0) {
                    if (message.getProduct().isEmpty()) {
                        throw new IllegalArgumentException("the first upload message must name the product");
                    }
                    products.requireProduct(message.getProduct());
                    product = message.getProduct();
                    summary.setProduct(product);
                } else if (!message.getProduct().isEmpty() && !message.getProduct().equals(product)) {
                    throw new IllegalArgumentException("one upload is for one product: image " + position + " names "
                            + Echo.quoted(message.getProduct()) + ", the upload " + product);
                }
                ProductAdministration.Upload outcome;
                try {
                    outcome = products.upload(product, images.imageNow(message.getImage()),
                            message.getDefective());
                } catch (InvalidImageException e) {
                    outcome = ProductAdministration.Upload.refused(e.getMessage());
                }
                switch (outcome.outcome()) {
                    case STORED -> {
                        summary.setAccepted(summary.getAccepted() + 1);
                        newDefects += message.getDefective() ? 1 : 0;
                    }
                    case DUPLICATE -> summary.setDuplicates(summary.getDuplicates() + 1);
                    case REFUSED -> summary.addRejected(UploadRejection.newBuilder().setIndex(position)
                            .setName(message.getName()).setReason(outcome.reason()));
                }
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }

        void ended() {
            stored.thenApplyAsync(v -> {
                if (received == 0) {
                    throw new IllegalArgumentException("the upload has no images");
                }
                try {
                    recordStored();
                    ProductDetails product = products.describe(summary.getProduct());
                    return summary.setNormalsStored(product.uploadedNormals())
                            .setDefectsStored(product.uploadedDefects()).build();
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            }, work).whenComplete((reply, failure) -> context.runOnContext(v -> {
                if (failure != null) {
                    failed(failure);
                } else if (!stopped) {
                    call.response().end(reply);
                }
            }));
        }

        /** The client has gone: images already received are still stored, nothing more is read or answered. */
        void abandoned() {
            if (!stopped) {
                stopped = true;
                recordStoredLater();
            }
        }

        /**
         * Ends the call with the failure. Images stored before it stay stored (each was checked and written durably
         * on its own), and the message says how many: uploads are kept once per content, so sending the whole upload
         * again is safe.
         */
        void failed(Throwable failure) {
            if (!stopped) {
                stopped = true;
                answerFailure(failure);
            }
        }

        /**
         * A message that cannot be read: nothing after it is stored, and the call ends once the images before it are,
         * so that the count the client is told is what the store holds.
         */
        void unreadable(UnreadableMessageException failure) {
            if (!stopped) {
                stopped = true;
                call.pause();
                stored.whenComplete((ok, storing) -> context.runOnContext(v -> answerFailure(failure)));
            }
        }

        /** On a worker: the images this upload stored, as one change in the audit trail. */
        private void recordStored() throws IOException {
            if (summary.getAccepted() > 0 && recorded.compareAndSet(false, true)) {
                products.recordUpload(summary.getProduct(), summary.getAccepted() - newDefects, newDefects, who);
            }
        }

        /** An upload that ends without its summary: what it stored is audited once the last image is. */
        private void recordStoredLater() {
            stored.whenComplete((ok, failure) -> {
                if (summary.getAccepted() == 0) {
                    return;
                }
                try {
                    work.execute(() -> {
                        try {
                            recordStored();
                        } catch (IOException e) {
                            LOG.error("the images an upload stored could not be recorded in the audit trail", e);
                        }
                    });
                } catch (RuntimeException busy) {
                    LOG.error("the {} images an upload stored could not be recorded in the audit trail: {}",
                            summary.getAccepted(), busy.getMessage());
                }
            });
        }

        private void answerFailure(Throwable failure) {
            recordStoredLater();
            StatusMapping status = StatusMapping.of(failure);
            int kept = summary.getAccepted() + summary.getDuplicates();
            fail(call, new StatusMapping(status.status(), status.message() + (kept == 0
                    ? "; no image of this upload was kept" : "; kept before it: " + kept + " images ("
                    + summary.getAccepted() + " new, " + summary.getDuplicates() + " already stored); sending the "
                    + "upload again is safe")));
        }
    }
}
