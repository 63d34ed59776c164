package dev.kdedge.node.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.engine.ExecutionProvider;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.node.console.ConsoleAccounts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeConfigTest {
    @TempDir
    Path dir;

    @Test
    void shippedExampleIsValid() throws Exception {
        NodeConfig config = NodeConfig.load(Path.of(System.getProperty("kdedge.edgeConfig"), "node.yaml")).validate();
        assertEquals(50051, config.server.port);
    }

    @Test
    void everyInvalidSettingIsNamed() throws Exception {
        Path file = Files.writeString(dir.resolve("node.yaml"),
                "server:\n  port: 70000\n  sharedFrameDir: frames\nscoring:\n  workerThreads: 0\n  streamWindow: 0\n"
                        + "models:\n  maxQueuedRequests: 0\n"
                        + "shadow:\n  maxInFlight: 0\n  maxBusyShare: 0\n  maxJudged: 10\n");
        var e = assertThrows(IllegalArgumentException.class, () -> NodeConfig.load(file).validate());
        assertTrue(e.getMessage().contains("server.port"), e.getMessage());
        assertTrue(e.getMessage().contains("server.sharedFrameDir must be empty (no shared frames) or an absolute path"),
                e.getMessage());
        assertTrue(e.getMessage().contains("scoring.workerThreads"), e.getMessage());
        assertTrue(e.getMessage().contains("scoring.streamWindow"), e.getMessage());
        assertTrue(e.getMessage().contains("models.maxQueuedRequests"), e.getMessage());
        assertTrue(e.getMessage().contains("shadow.maxInFlight must be 1..64"), e.getMessage());
        assertTrue(e.getMessage().contains("shadow.maxBusyShare must be above 0 and at most 1"), e.getMessage());
        assertTrue(e.getMessage().contains("shadow.maxJudged must be at least 1000"), e.getMessage());
    }

    @Test
    void plaintextIsNeverImplied() throws Exception {
        Path file = Files.writeString(dir.resolve("node.yaml"), "store: /tmp/store\n");
        var e = assertThrows(IllegalArgumentException.class, () -> NodeConfig.load(file).validate());
        assertTrue(e.getMessage().contains("or server.plaintext must be true to serve without TLS"), e.getMessage());
        Files.writeString(file, "server:\n  plaintext: true\n");
        NodeConfig.load(file).validate();
    }

    @Test
    void accessRulesNameWhatIsWrong() throws Exception {
        Path file = Files.writeString(dir.resolve("node.yaml"), "server:\n  plaintext: true\naccess:\n"
                + "  roleFrom: O\n");
        var e = assertThrows(IllegalArgumentException.class, () -> NodeConfig.load(file).validate());
        assertTrue(e.getMessage().contains("access.roleFrom must be OU, CN, SAN_DNS or SAN_URI, not 'O'"), e.getMessage());
        Files.writeString(file, "server:\n  plaintext: true\naccess:\n  roles:\n    operator: [line-3]\n");
        e = assertThrows(IllegalArgumentException.class, () -> NodeConfig.load(file).validate());
        assertTrue(e.getMessage().contains("access: unknown role 'operator' (roles: camera, engineer, observer, line)"),
                e.getMessage());
    }

    @Test
    void anOpcUaServerNeedsItsCertificateAPortOfItsOwnAndBoundedClients() throws Exception {
        Path file = Files.writeString(dir.resolve("node.yaml"), "server:\n  plaintext: true\nopcua:\n"
                + "  enabled: true\n  port: 50051\n  maxSessions: 0\n");
        var e = assertThrows(IllegalArgumentException.class, () -> NodeConfig.load(file).validate());
        assertTrue(e.getMessage().contains("opcua.certificate and opcua.key must name PEM files"), e.getMessage());
        assertTrue(e.getMessage().contains("opcua.port must differ from server.port and metrics.port"), e.getMessage());
        assertTrue(e.getMessage().contains("opcua.maxSessions must be 1..1000"), e.getMessage());
        Files.writeString(file, "server:\n  plaintext: true\nopcua:\n  enabled: false\n  port: 50051\n");
        NodeConfig.load(file).validate();
    }

    @Test
    void aConsoleNeedsAccountsWithARoleAndABcryptHash() throws Exception {
        Path file = Files.writeString(dir.resolve("node.yaml"), "server:\n  plaintext: true\nconsole:\n"
                + "  enabled: true\n  port: 50051\n");
        var e = assertThrows(IllegalArgumentException.class, () -> NodeConfig.load(file).validate());
        assertTrue(e.getMessage().contains("console.port must differ from server.port"), e.getMessage());
        assertTrue(e.getMessage().contains("console.accounts must name at least one account"), e.getMessage());
        Files.writeString(file, "server:\n  plaintext: true\nconsole:\n  enabled: true\n  accounts:\n"
                + "    erin: {role: admin, passwordHash: secret}\n");
        e = assertThrows(IllegalArgumentException.class, () -> NodeConfig.load(file).validate());
        assertTrue(e.getMessage().contains("console.accounts.erin.role must be engineer or observer"), e.getMessage());
        assertTrue(e.getMessage().contains("console.accounts.erin.passwordHash must be a bcrypt hash"),
                e.getMessage());
        Files.writeString(file, "server:\n  plaintext: true\nconsole:\n  enabled: true\n  accounts:\n"
                + "    erin: {role: engineer, passwordHash: '"
                + ConsoleAccounts.hash("a password".toCharArray()) + "'}\n");
        NodeConfig.load(file).validate();
    }

    @Test
    void precisionsAreNamedWhenWrong() throws Exception {
        Path file = Files.writeString(dir.resolve("node.yaml"), "server:\n  plaintext: true\nprecision:\n"
                + "  default: int8\n  products:\n    line-3: int4\n");
        var e = assertThrows(IllegalArgumentException.class, () -> NodeConfig.load(file).validate());
        assertTrue(e.getMessage().contains("precision.products.line-3: unknown precision 'int4': expected one of "
                + "[fp32, int8, fp16]"), e.getMessage());
        Files.writeString(file, "server:\n  plaintext: true\nprecision:\n  default: int8\n  products:\n"
                + "    line-3: fp32\n");
        var precisions = NodeConfig.load(file).validate().precision.resolve();
        assertEquals(Precision.FP32, precisions.of("line-3"));
        assertEquals(Precision.INT8, precisions.of("line-4"));
    }

    @Test
    void providersAreNamedWhenWrongAndFp16NeedsTensorRt() throws Exception {
        Path file = Files.writeString(dir.resolve("node.yaml"), "server:\n  plaintext: true\ninference:\n"
                + "  provider: vulkan\n");
        var e = assertThrows(IllegalArgumentException.class, () -> NodeConfig.load(file).validate());
        assertTrue(e.getMessage().contains("inference.provider: unknown execution provider 'vulkan': expected one of "
                + "[cpu, cuda, tensorrt]"), e.getMessage());
        Files.writeString(file, "server:\n  plaintext: true\ninference:\n  provider: cuda\nprecision:\n"
                + "  products:\n    line-3: fp16\n");
        e = assertThrows(IllegalArgumentException.class, () -> NodeConfig.load(file).validate());
        assertTrue(e.getMessage().contains("precision.products.line-3: fp16 runs on the tensorrt provider only, not "
                + "cuda (inference.provider)"), e.getMessage());
        Files.writeString(file, "server:\n  plaintext: true\ninference:\n  provider: tensorrt\nprecision:\n"
                + "  default: int8\n");
        assertEquals(Precision.INT8, NodeConfig.load(file).validate().precision.resolve().of("line-4"),
                "tensorrt serves int8 from the variant written for it");
        Files.writeString(file, "server:\n  plaintext: true\nstore: /srv/store\ninference:\n  provider: tensorrt\n"
                + "  gpu: 1\nprecision:\n  default: fp16\n  products:\n    line-3: fp32\n");
        NodeConfig config = NodeConfig.load(file).validate();
        InferenceOptions options = config.inferenceOptions();
        assertEquals(ExecutionProvider.TENSORRT, options.provider());
        assertEquals(1, options.gpu());
        assertEquals(Optional.of(Path.of("/srv/store/engines")), options.engineCache(),
                "engines are cached under the store unless inference.engineCache says otherwise");
    }

    @Test
    void aBatchLargerThanTheWorkersIsRefusedAndTheBoundReachesTensorRt() throws Exception {
        Path file = Files.writeString(dir.resolve("node.yaml"), "server:\n  plaintext: true\nscoring:\n"
                + "  workerThreads: 2\n  batching:\n    maxBatch: 4\n");
        var e = assertThrows(IllegalArgumentException.class, () -> NodeConfig.load(file).validate());
        assertTrue(e.getMessage().contains("scoring.batching.maxBatch (4) must not exceed scoring.workerThreads (2)"),
                e.getMessage());
        Files.writeString(file, "server:\n  plaintext: true\nscoring:\n  workerThreads: 4\n  batching:\n"
                + "    maxBatch: 4\n");
        assertEquals(4, NodeConfig.load(file).validate().inferenceOptions().maxBatch());
    }

    @Test
    void unknownKeysAreRejectedWithTheirPlace() throws Exception {
        Path file = Files.writeString(dir.resolve("node.yaml"), "scoring:\n  workerThread: 2\n");
        var e = assertThrows(java.io.IOException.class, () -> NodeConfig.load(file));
        assertTrue(e.getMessage().contains("workerThread"), e.getMessage());
    }
}
