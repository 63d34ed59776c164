package dev.kdedge.cli;

import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.cli.journal.JournalCommand;
import dev.kdedge.cli.remote.LineCommand;
import dev.kdedge.cli.remote.RemoteCommand;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The field engineer's tool: fit products offline, and drive a node over gRPC. */
@Command(name = "kdedge-calibrate", mixinStandardHelpOptions = true, version = "kdedge-calibrate 0.1.0",
        description = "Fit KD-Edge products from normal images and talk to a running node.",
        subcommands = {FitCommand.class, DemoCommand.class, EvaluateCommand.class, ScoreCommand.class,
            LatencyCommand.class, DoctorCommand.class, RemoteCommand.class, LineCommand.class, JournalCommand.class,
            SynthesizeCommand.class, MosaicCommand.class, RemaskCommand.class})
public final class KdedgeCalibrate {
    public static void main(String[] args) {
        // The node and this tool never download anything: DJL's natives come from the Maven jars on the class path.
        System.setProperty("ai.djl.offline", "true");
        System.exit(commandLine().execute(args));
    }

    /** The command line as {@code main} runs it: a failure prints one line naming what was wrong and exits 1. */
    public static CommandLine commandLine() {
        return new CommandLine(new KdedgeCalibrate()).registerConverter(Extent.class, Extent::parse)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
            String message = e.getMessage() != null ? e.getMessage() : e.toString();
            if (e instanceof StatusRuntimeException call && call.getStatus().getCode() == Status.Code.UNAVAILABLE) {
                message += " (is a node listening there, and does it require TLS: --tls-ca, with mutual TLS also "
                        + "--tls-cert and --tls-key?)";
            }
            cmd.getErr().println("error: " + message);
            return 1;
        });
    }
}
