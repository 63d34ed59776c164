package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateBuilder;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateGenerator;

/**
 * A PLC from another codebase: node-opcua's client ({@code src/test/opcua/plc.js}, installed from npm on first use)
 * in its own process, connected to one station of the node, answering the commands the test sends it.
 */
final class TestPlc implements AutoCloseable {
    private static final Path CLIENT = Path.of("src/test/opcua").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Writer commands;
    private final BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
    private final List<String> errors = new ArrayList<>();

    /** An OPC UA application certificate (RSA 2048, SHA-256) naming its application by URI, and its key. */
    record Application(String uri, X509Certificate certificate, KeyPair keys) {
        static Application of(String name, String organizationalUnit) throws Exception {
            KeyPair keys = SelfSignedCertificateGenerator.generateRsaKeyPair(2048);
            String uri = "urn:kdedge:test:" + name;
            X509Certificate certificate = new SelfSignedCertificateBuilder(keys).setCommonName(name)
                    .setOrganizationalUnit(organizationalUnit).setOrganization("Plant 7").setApplicationUri(uri)
                    .addDnsName("localhost").addIpAddress("127.0.0.1").build();
            return new Application(uri, certificate, keys);
        }

        Path certificatePem(Path dir) throws Exception {
            return Files.writeString(dir.resolve(name() + ".crt"), pem("CERTIFICATE", certificate.getEncoded()));
        }

        Path keyPem(Path dir) throws Exception {
            return Files.writeString(dir.resolve(name() + ".key"), pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
        }

        /** Puts the certificate where the node's trust list looks (opcua.pki/trusted/certs). */
        void trustedBy(Path pki) throws Exception {
            Path trusted = Files.createDirectories(pki.resolve("trusted/certs"));
            Files.write(trusted.resolve(name() + ".der"), certificate.getEncoded());
        }

        private String name() {
            return uri.substring(uri.lastIndexOf(':') + 1);
        }
    }

    /** Connects {@code plc} to {@code station} with SignAndEncrypt and Basic256Sha256, trusting {@code node}. */
    static TestPlc connect(int port, String station, Application plc, Application node, Path dir) throws Exception {
        return connect(port, station, plc, node, dir, "SignAndEncrypt", "Basic256Sha256");
    }

    static TestPlc connect(int port, String station, Application plc, Application node, Path dir, String mode,
            String policy) throws Exception {
        installed();
        Path own = Files.createDirectories(dir.resolve("plc-" + System.nanoTime()));
        return new TestPlc(new ProcessBuilder("node", CLIENT.resolve("plc.js").toString(),
                "opc.tcp://localhost:" + port + "/kdedge", station, plc.certificatePem(own).toString(),
                plc.keyPem(own).toString(), plc.uri(), node.certificatePem(own).toString(),
                own.resolve("pki").toString(), mode, policy).directory(CLIENT.toFile()).start());
    }

    private TestPlc(Process process) {
        this.process = process;
        this.commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(() -> {
            try (BufferedReader out = process.inputReader(StandardCharsets.UTF_8)) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    if (line.startsWith("{")) {
                        messages.add(JSON.readTree(line));
                    } else {
                        noted(line); // node-opcua's own warnings
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "test-plc-out");
        reader.setDaemon(true);
        reader.start();
        Thread stderr = new Thread(() -> process.errorReader(StandardCharsets.UTF_8).lines().forEach(this::noted),
                "test-plc-err");
        stderr.setDaemon(true);
        stderr.start();
    }

    /** The next message the PLC prints that matches, within {@code seconds}. */
    JsonNode next(Predicate<JsonNode> wanted, int seconds) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<JsonNode> passed = new ArrayList<>();
        for (JsonNode message = messages.poll(seconds, TimeUnit.SECONDS); message != null;
                message = messages.poll(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS)) {
            if (wanted.test(message)) {
                return message;
            }
            passed.add(message);
        }
        throw new AssertionError("the PLC printed nothing expected within " + seconds + " s, but " + passed
                + "; its stderr: " + stderr());
    }

    JsonNode next(String event, int seconds) throws InterruptedException {
        return next(message -> event.equals(message.path("event").asText()), seconds);
    }

    /** The PLC's first word: connected, or refused with the client's reason. */
    JsonNode greeting() throws InterruptedException {
        return next(message -> List.of("connected", "refused", "failed").contains(message.path("event").asText()),
                60);
    }

    JsonNode connected() throws InterruptedException {
        JsonNode greeting = greeting();
        assertEquals("connected", greeting.path("event").asText(), greeting + "; stderr: " + stderr());
        return greeting;
    }

    /** Sends a command and waits for its answer. */
    JsonNode ask(ObjectNode command) throws Exception {
        commands.write(JSON.writeValueAsString(command) + "\n");
        commands.flush();
        JsonNode answer = next(message -> "answer".equals(message.path("event").asText()), 60);
        assertTrue(answer.path("error").isMissingNode(), "the PLC's " + command + " failed: " + answer);
        return answer;
    }

    static ObjectNode command(String name) {
        return JSON.createObjectNode().put("cmd", name);
    }

    JsonNode subscribe(int publishingMillis) throws Exception {
        return ask(command("subscribe").put("publishingInterval", publishingMillis));
    }

    JsonNode read(String... names) throws Exception {
        ObjectNode command = command("read");
        for (String name : names) {
            command.withArray("names").add(name);
        }
        return ask(command).path("values");
    }

    /** Calls a method of the station; each argument a pair of its OPC UA type and its value. */
    JsonNode call(String method, String... typesAndValues) throws Exception {
        ObjectNode command = command("call").put("method", method);
        command.putArray("args");
        for (int i = 0; i < typesAndValues.length; i += 2) {
            command.withArray("args").addArray().add(typesAndValues[i]).add(typesAndValues[i + 1]);
        }
        return ask(command);
    }

    private void noted(String line) {
        synchronized (errors) {
            errors.add(line);
        }
    }

    String stderr() {
        synchronized (errors) {
            return String.join("\n", errors);
        }
    }

    /** The PLC loses power: its process ends without closing its session. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            try {
                commands.write("{\"cmd\":\"close\"}\n");
                commands.flush();
            } catch (IOException ended) {
                // it has gone already
            }
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * node-opcua from npm, as package-lock.json pins it; installed once per checkout. Without Node.js and npm the test
     * is skipped, except in CI, where it fails.
     */
    private static synchronized void installed() throws Exception {
        if (System.getenv("CI") == null) {
            assumeTrue(runs("node") && runs("npm"), "Node.js and npm are not installed (README \"Tests\")");
        }
        if (Files.isDirectory(CLIENT.resolve("node_modules/node-opcua-client"))) {
            return;
        }
        Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
                .directory(CLIENT.toFile()).redirectErrorStream(true).start();
        String output = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(npm.waitFor(10, TimeUnit.MINUTES) && npm.exitValue() == 0,
                "npm ci in " + CLIENT + " failed (Node.js and npm are needed, README \"Tests\"): " + output);
    }

    private static boolean runs(String command) {
        try {
            return new ProcessBuilder(command, "--version").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
