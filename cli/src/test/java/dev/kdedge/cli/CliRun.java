package dev.kdedge.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
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
}
