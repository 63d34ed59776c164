package dev.kdedge.node;

import dev.kdedge.cli.KdedgeCalibrate;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;

/** {@code kdedge-calibrate} run in the test's JVM as a user runs it, with what it prints. */
final class CalibrateCli {
    record Run(int exitCode, String out, String err) {}

    private CalibrateCli() {}

    static Run run(String... args) {
        StringWriter err = new StringWriter();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream errStream = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(errStream, true));
        try {
            int code = KdedgeCalibrate.commandLine().setErr(new PrintWriter(err)).execute(args);
            return new Run(code, out.toString(), err + errStream.toString());
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
    }
}
