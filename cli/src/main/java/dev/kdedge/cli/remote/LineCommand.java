package dev.kdedge.cli.remote;

import dev.kdedge.api.v1.AcknowledgeResultsRequest;
import dev.kdedge.api.v1.AcknowledgeResultsResponse;
import dev.kdedge.api.v1.InspectionRecord;
import dev.kdedge.api.v1.LineGrpc;
import dev.kdedge.api.v1.ListStationsRequest;
import dev.kdedge.api.v1.PrepareRecipeRequest;
import dev.kdedge.api.v1.Station;
import io.grpc.ManagedChannel;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The line's stations on a running node (its kdedge.v1.Line service), as a line PLC's gateway sees them. */
@Command(name = "line", mixinStandardHelpOptions = true,
        description = "A running node's stations: their recipes, states and results, as a line PLC sees them.",
        subcommands = {LineCommand.Stations.class, LineCommand.Prepare.class, LineCommand.Acknowledge.class})
public final class LineCommand {
    static LineGrpc.LineBlockingStub line(ManagedChannel channel) {
        return LineGrpc.newBlockingStub(channel).withDeadlineAfter(RemoteCall.DEADLINE_SECONDS, TimeUnit.SECONDS);
    }

    @Command(name = "stations", mixinStandardHelpOptions = true,
            description = "Each station's state, recipe, latest part and unacknowledged results.")
    static final class Stations extends RemoteCall {
        @Override
        int run(ManagedChannel channel) {
            line(channel).listStations(ListStationsRequest.getDefaultInstance()).getStationsList()
                    .forEach(station -> System.out.print(describe(station)));
            return 0;
        }
    }

    @Command(name = "prepare-recipe", mixinStandardHelpOptions = true,
            description = "Score the station's following frames against this product.")
    static final class Prepare extends RemoteCall {
        @Option(names = "--station", required = true, description = "Station name.")
        String station;

        @Option(names = "--product", required = true, description = "Product id.")
        String product;

        @Override
        int run(ManagedChannel channel) {
            System.out.print(describe(line(channel).prepareRecipe(PrepareRecipeRequest.newBuilder()
                    .setStation(station).setProduct(product).build())));
            return 0;
        }
    }

    @Command(name = "acknowledge", mixinStandardHelpOptions = true,
            description = "Acknowledge the station's results up to a result id (they stay in the journal).")
    static final class Acknowledge extends RemoteCall {
        @Option(names = "--station", required = true, description = "Station name.")
        String station;

        @Option(names = "--result-id", required = true, description = "The last result id to acknowledge.")
        long resultId;

        @Override
        int run(ManagedChannel channel) {
            AcknowledgeResultsResponse response = line(channel).acknowledgeResults(AcknowledgeResultsRequest
                    .newBuilder().setStation(station).setResultId(resultId).build());
            System.out.printf("%d acknowledged%n", response.getAcknowledged());
            System.out.print(describe(response.getStation()));
            return 0;
        }
    }

    static String describe(Station station) {
        StringBuilder text = new StringBuilder(String.format("%s: %s, recipe %s, %d of %d unacknowledged%s%n",
                station.getName(), station.getState(), station.getRecipe().isEmpty() ? "(none)" : station.getRecipe(),
                station.getUnacknowledgedCount(), station.getBufferSize(), station.getOverrun() ? ", OVERRUN" : ""));
        if (station.hasLatestResult()) {
            text.append("  latest ").append(part(station.getLatestResult()));
        }
        station.getUnacknowledgedList().forEach(result -> text.append("  unacknowledged ").append(part(result)));
        return text.toString();
    }

    private static String part(InspectionRecord result) {
        return String.format(Locale.ROOT, "result %d, part %s: %s (%.3f), %s v%d, %s%n", result.getResultId(),
                result.getPartId(), result.getEvaluation(), result.getNormalizedScore(), result.getProduct(),
                result.getModelVersion(), result.getRecordedAt());
    }
}
