package dev.kdedge.node.api;

import dev.kdedge.api.v1.InspectionGrpcService;
import dev.kdedge.api.v1.ModelsGrpcService;
import dev.kdedge.api.v1.ResultsGrpcService;
import dev.kdedge.node.health.ServingState;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.health.handler.GrpcHealthCheckV1Handler;
import io.vertx.grpc.health.handler.GrpcHealthWatchV1Handler;
import io.vertx.grpc.health.v1.HealthCheckRequest;
import io.vertx.grpc.health.v1.HealthCheckResponse;
import io.vertx.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.vertx.grpc.health.v1.HealthProto;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import io.vertx.grpc.server.Service;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The standard {@code grpc.health.v1.Health} (Check and Watch) over the node's {@link ServingState}:
 * <ul>
 *   <li>{@code ""} and {@code kdedge.v1.Inspection}: SERVING once started with at least one product that scores,
 *       until shutdown begins;
 *   <li>{@code kdedge.v1.Models}: SERVING while started and Models writes are taken;
 *   <li>{@code kdedge.v1.Results}: SERVING while started and results are recorded in the journal, NOT_SERVING while
 *       they are not (the journal is off, or cannot write: the reason is in the node's log and metrics);
 *   <li>{@code kdedge.v1.Inspection/<product>}: SERVING while started and the product's active version is loaded and
 *       scores, NOT_SERVING when its load failed (the reason is in DescribeProduct);
 *   <li>any other name: NOT_FOUND (Check) or SERVICE_UNKNOWN (Watch), as the protocol says.
 * </ul>
 * Watch answers at once and then on every change of the state (no polling).
 */
public final class HealthEndpoint implements Service {
    private static final ServiceName NAME = ServiceName.create("grpc.health.v1.Health");
    private static final String INSPECTION = InspectionGrpcService.SERVICE_NAME.fullyQualifiedName();
    private static final String MODELS = ModelsGrpcService.SERVICE_NAME.fullyQualifiedName();
    private static final String RESULTS = ResultsGrpcService.SERVICE_NAME.fullyQualifiedName();

    private final Vertx vertx;
    private final ServingState state;
    private final Set<Watcher> watchers = ConcurrentHashMap.newKeySet();
    private final RequestMessages messages;

    public HealthEndpoint(Vertx vertx, ServingState state, long maxMessageBytes) {
        this.vertx = vertx;
        this.state = state;
        this.messages = new RequestMessages(maxMessageBytes);
        state.onChange(() -> watchers.forEach(Watcher::changed));
    }

    @Override
    public ServiceName name() {
        return NAME;
    }

    @Override
    public com.google.protobuf.Descriptors.ServiceDescriptor descriptor() {
        return HealthProto.getDescriptor().findServiceByName("Health");
    }

    @Override
    public void bind(GrpcServer server) {
        server.callHandler(GrpcHealthCheckV1Handler.SERVICE_METHOD, this::check);
        server.callHandler(GrpcHealthWatchV1Handler.SERVICE_METHOD, this::watch);
    }

    /**
     * Shutdown has begun: every Watch call, once it has heard NOT_SERVING, ends UNAVAILABLE, so that its connection
     * can close.
     */
    public void endWatches() {
        watchers.forEach(Watcher::end);
    }

    /** The status of {@code service} now; empty for a name this node does not know. */
    Optional<ServingStatus> status(String service) {
        if (service.isEmpty() || service.equals(INSPECTION)) {
            return Optional.of(serving(state.scores()));
        }
        if (service.equals(MODELS)) {
            return Optional.of(serving(state.takesModelsWrites()));
        }
        if (service.equals(RESULTS)) {
            return Optional.of(serving(state.recordsResults()));
        }
        if (service.equals(NAME.fullyQualifiedName())) {
            return Optional.of(ServingStatus.SERVING);
        }
        if (service.startsWith(INSPECTION + "/")) {
            return state.product(service.substring(INSPECTION.length() + 1)).map(product -> serving(
                    state.phase() == ServingState.Phase.SERVING && product.serves()));
        }
        return Optional.empty();
    }

    private static ServingStatus serving(boolean serving) {
        return serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    }

    private void check(GrpcServerRequest<HealthCheckRequest, HealthCheckResponse> request) {
        messages.single(request, GrpcHealthCheckV1Handler.SERVICE_METHOD)
                .onFailure(failure -> unreadable(request, failure)).onSuccess(check -> {
            Optional<ServingStatus> status = status(check.getService());
            if (status.isEmpty()) {
                request.response().status(GrpcStatus.NOT_FOUND).statusMessage("unknown service").end();
            } else {
                request.response().end(HealthCheckResponse.newBuilder().setStatus(status.get()).build());
            }
        });
    }

    private void watch(GrpcServerRequest<HealthCheckRequest, HealthCheckResponse> request) {
        ClientPresence client = new ClientPresence(request);
        messages.single(request, GrpcHealthWatchV1Handler.SERVICE_METHOD).onFailure(failure -> {
            if (!client.gone()) {
                unreadable(request, failure);
            }
        }).onSuccess(check -> {
            Watcher watcher = new Watcher(check.getService(), request.response(), client, vertx.getOrCreateContext());
            watchers.add(watcher);
            client.onGone(() -> watchers.remove(watcher));
            watcher.changed();
        });
    }

    private static void unreadable(GrpcServerRequest<HealthCheckRequest, HealthCheckResponse> request,
            Throwable failure) {
        StatusMapping status = StatusMapping.of(failure);
        request.response().status(status.status()).statusMessage(status.message()).end();
    }

    /** One Watch call: it hears a status when it differs from the last one it heard. */
    private final class Watcher {
        private final String service;
        private final GrpcServerResponse<HealthCheckRequest, HealthCheckResponse> response;
        private final ClientPresence client;
        private final Context context;
        private ServingStatus last;

        Watcher(String service, GrpcServerResponse<HealthCheckRequest, HealthCheckResponse> response,
                ClientPresence client, Context context) {
            this.service = service;
            this.response = response;
            this.client = client;
            this.context = context;
        }

        void changed() {
            context.runOnContext(v -> {
                ServingStatus now = status(service).orElse(ServingStatus.SERVICE_UNKNOWN);
                if (now != last) {
                    last = now;
                    client.write(() -> response.write(HealthCheckResponse.newBuilder().setStatus(now).build()));
                }
            });
        }

        void end() {
            context.runOnContext(v -> {
                watchers.remove(this);
                client.write(() -> response.status(GrpcStatus.UNAVAILABLE).statusMessage("kdedge-node is shutting down")
                        .end());
            });
        }
    }
}
