package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
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

    /**
     * Generates the Inspection and Results stubs into {@code stubs}, skipping the test where grpcio is missing outside
     * CI.
     */
    static void generateStubs(Path stubs) throws Exception {
        generate(Path.of(System.getProperty("kdedge.proto")), List.of("kdedge/v1/inspection.proto",
                "kdedge/v1/results.proto"), stubs);
    }

    /**
     * Generates the standard {@code grpc.health.v1} stubs into {@code stubs} from the health.proto grpc-java ships
     * (Debian packages no Python health stubs), as the module {@code grpc_health_v1}: under its own path,
     * {@code grpc/health/v1}, Python would look for it inside grpcio's {@code grpc} package.
     */
    static void generateHealthStubs(Path stubs) throws Exception {
        String resource = "grpc/health/v1/health.proto";
        String file = "grpc_health_v1/health.proto";
        Path protos = stubs.resolve("proto");
        Files.createDirectories(protos.resolve(file).getParent());
        try (InputStream in = PythonGrpc.class.getClassLoader().getResourceAsStream(resource)) {
            assertNotNull(in, resource + " is not on the test classpath (io.grpc:grpc-services)");
            Files.copy(in, protos.resolve(file));
        }
        generate(protos, List.of(file), stubs);
    }

    private static void generate(Path protos, List<String> files, Path stubs) throws Exception {
        requireModules("grpc, grpc_tools", "python3-grpcio and python3-grpc-tools");
        List<String> command = new ArrayList<>(List.of(PYTHON.toString(), "-m", "grpc_tools.protoc", "-I",
                protos.toString(), "--python_out=" + stubs, "--grpc_python_out=" + stubs));
        command.addAll(files);
        Result generated = run(command, 60);
        assertEquals(0, generated.exitCode, generated.output);
    }

    /**
     * Skips the test where Debian's {@code packages} do not provide the Python {@code modules} outside CI; in CI
     * (which installs them) a missing one fails the test where it is used.
     */
    static void requireModules(String modules, String packages) throws Exception {
        boolean available = Files.isExecutable(PYTHON)
                && run(List.of(PYTHON.toString(), "-c", "import " + modules), 60).exitCode == 0;
        if (System.getenv("CI") == null) {
            assumeTrue(available, "Debian's " + packages + " are not installed");
        }
    }

    /** Starts {@code script} from src/test/python with {@code args}, its output merged, for a test to read as it goes. */
    static Process startScript(String script, List<String> args) throws IOException {
        return new ProcessBuilder(command(script, args)).redirectErrorStream(true).start();
    }

    /** Runs {@code script} from src/test/python with {@code args}. */
    static Result runScript(String script, List<String> args) throws Exception {
        return run(command(script, args), 120);
    }

    private static List<String> command(String script, List<String> args) {
        List<String> command = new ArrayList<>(List.of(PYTHON.toString(),
                Path.of(System.getProperty("kdedge.testPython"), script).toString()));
        command.addAll(args);
        return command;
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
