package dev.kdedge.node.api;

import com.google.protobuf.Descriptors;
import dev.kdedge.api.v1.AcknowledgeResultsRequest;
import dev.kdedge.api.v1.AcknowledgeResultsResponse;
import dev.kdedge.api.v1.LineGrpcService;
import dev.kdedge.api.v1.ListStationsRequest;
import dev.kdedge.api.v1.ListStationsResponse;
import dev.kdedge.api.v1.PrepareRecipeRequest;
import dev.kdedge.node.line.Station;
import dev.kdedge.node.line.StationResults;
import dev.kdedge.node.line.Stations;
import dev.kdedge.node.metrics.CallMetrics;
import dev.kdedge.node.results.EvidenceStore;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.Service;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The {@code kdedge.v1.Line} service: the stations' handshake for line PLCs and their gateways. Every call is a few
 * in-memory operations on the stations, answered on the event loop.
 */
public final class LineEndpoint implements Service {
    private final Stations stations;
    private final ResultWire wire;
    private final UnaryReplies replies;

    public LineEndpoint(Vertx vertx, Stations stations, Optional<EvidenceStore> evidence, long maxMessageBytes,
            CallMetrics metrics) {
        this.stations = stations;
        this.wire = new ResultWire(evidence);
        this.replies = new UnaryReplies(vertx, new RequestMessages(maxMessageBytes), metrics);
    }

    @Override
    public ServiceName name() {
        return LineGrpcService.SERVICE_NAME;
    }

    @Override
    public Descriptors.ServiceDescriptor descriptor() {
        return LineGrpcService.SERVICE_DESCRIPTOR;
    }

    @Override
    public void bind(GrpcServer server) {
        server.callHandler(LineGrpcService.ListStations, call -> replies.answer(call, LineGrpcService.ListStations,
                this::listStations));
        server.callHandler(LineGrpcService.GetStation, call -> replies.answer(call, LineGrpcService.GetStation,
                request -> CompletableFuture.completedFuture(station(stations.named(request.getStation())))));
        server.callHandler(LineGrpcService.PrepareRecipe, call -> replies.answer(call, LineGrpcService.PrepareRecipe,
                this::prepareRecipe));
        server.callHandler(LineGrpcService.AcknowledgeResults, call -> replies.answer(call,
                LineGrpcService.AcknowledgeResults, this::acknowledge));
    }

    private CompletableFuture<ListStationsResponse> listStations(ListStationsRequest request) {
        ListStationsResponse.Builder response = ListStationsResponse.newBuilder();
        stations.all().forEach(station -> response.addStations(station(station)));
        return CompletableFuture.completedFuture(response.build());
    }

    private CompletableFuture<dev.kdedge.api.v1.Station> prepareRecipe(PrepareRecipeRequest request) {
        stations.prepareRecipe(request.getStation(), request.getProduct());
        return CompletableFuture.completedFuture(station(stations.named(request.getStation())));
    }

    private CompletableFuture<AcknowledgeResultsResponse> acknowledge(AcknowledgeResultsRequest request) {
        int acknowledged = stations.acknowledge(request.getStation(), request.getResultId());
        return CompletableFuture.completedFuture(AcknowledgeResultsResponse.newBuilder().setAcknowledged(acknowledged)
                .setStation(station(stations.named(request.getStation()))).build());
    }

    private dev.kdedge.api.v1.Station station(Station station) {
        StationResults results = station.results();
        dev.kdedge.api.v1.Station.Builder wireStation = dev.kdedge.api.v1.Station.newBuilder().setName(station.name())
                .setState(dev.kdedge.api.v1.Station.State.valueOf(stations.state(station).name()))
                .setRecipe(station.recipe()).setOverrun(results.overrun()).setBufferSize(results.capacity());
        results.latest().ifPresent(latest -> wireStation.setLatestResult(wire.record(latest)));
        results.unacknowledged().forEach(result -> wireStation.addUnacknowledged(wire.record(result)));
        return wireStation.build();
    }
}
