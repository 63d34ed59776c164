package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Python's grpcio (Debian's python3-grpcio) with stubs generated from our .proto by python3-grpc-tools: a client
 * from another codebase. Without those packages a test using it is skipped on a developer's machine and fails under
 * CI, where .ci/run installs them.
 */
final class PythonGrpc {
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    record Result(int exitCode, String output) {
        String lastLine() {
            return output.lines().reduce((a, b) -> b).orElse("");
        }
    }

    private PythonGrpc() {}

    /** Generates the Inspection stubs into {@code stubs}, skipping the test where grpcio is missing outside CI. */
    static void generateStubs(Path stubs) throws Exception {
        boolean available = Files.isExecutable(PYTHON)
                && run(List.of(PYTHON.toString(), "-c", "import grpc, grpc_tools"), 60).exitCode == 0;
        if (System.getenv("CI") == null) {
            assumeTrue(available, "Debian's python3-grpcio and python3-grpc-tools are not installed");
        }
        Path proto = Path.of(System.getProperty("kdedge.proto"));
        Result generated = run(List.of(PYTHON.toString(), "-m", "grpc_tools.protoc", "-I", proto.toString(),
                "--python_out=" + stubs, "--grpc_python_out=" + stubs, "kdedge/v1/inspection.proto"), 60);
        assertEquals(0, generated.exitCode, generated.output);
    }

    /** Runs {@code script} from src/test/python with {@code args}. */
    static Result runScript(String script, List<String> args) throws Exception {
        List<String> command = new ArrayList<>(List.of(PYTHON.toString(),
                Path.of(System.getProperty("kdedge.testPython"), script).toString()));
        command.addAll(args);
        return run(command, 120);
    }

    private static Result run(List<String> command, int timeoutSeconds) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return new Result(-1, "timed out: " + command);
        }
        return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes()));
    }
}
