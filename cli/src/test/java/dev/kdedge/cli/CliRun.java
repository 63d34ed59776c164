package dev.kdedge.cli;

import dev.kdedge.calibration.demo.DemoFixture;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** One {@code kdedge-calibrate} command run in this JVM as {@code main} runs it, its output captured. */
record CliRun(int exitCode, String out, String err) {
    static CliRun of(List<String> args) {
        StringWriter err = new StringWriter();
        var cli = KdedgeCalibrate.commandLine();
        cli.setErr(new PrintWriter(err));
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        PrintStream previous = System.out;
        System.setOut(new PrintStream(stdout, true));
        try {
            int code = cli.execute(args.toArray(String[]::new));
            return new CliRun(code, stdout.toString(), err.toString());
        } finally {
            System.setOut(previous);
        }
    }

    /** {@code fit} of {@code product} into {@code store} from the demo's normals and toy teacher, 1 epoch at 64 px. */
    static List<String> demoFit(Path store, String product, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("fit", "--store", store.toString(), "--product", product, "--data",
                DemoFixture.work().resolve("normal").toString(), "--teacher",
                DemoFixture.work().resolve("toy-teacher.onnx").toString(), "--epochs", "1", "--input-size", "64"));
        args.addAll(List.of(more));
        return args;
    }
}
