package dev.kdedge.node.opcua;

import dev.kdedge.node.config.NodeConfig;
import dev.kdedge.node.line.Stations;
import dev.kdedge.node.results.ResultJournal;
import dev.kdedge.node.security.AccessRules;
import dev.kdedge.node.security.KeyPairs;
import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.eclipse.milo.opcua.sdk.server.EndpointConfig;
import org.eclipse.milo.opcua.sdk.server.OpcUaServer;
import org.eclipse.milo.opcua.sdk.server.OpcUaServerConfig;
import org.eclipse.milo.opcua.sdk.server.OpcUaServerConfigLimits;
import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.UaException;
import org.eclipse.milo.opcua.stack.core.security.CertificateStore;
import org.eclipse.milo.opcua.stack.core.security.DefaultApplicationGroup;
import org.eclipse.milo.opcua.stack.core.security.DefaultCertificateManager;
import org.eclipse.milo.opcua.stack.core.security.DefaultServerCertificateValidator;
import org.eclipse.milo.opcua.stack.core.security.FileBasedCertificateQuarantine;
import org.eclipse.milo.opcua.stack.core.security.FileBasedTrustListManager;
import org.eclipse.milo.opcua.stack.core.security.MemoryCertificateStore;
import org.eclipse.milo.opcua.stack.core.security.RsaSha256CertificateFactory;
import org.eclipse.milo.opcua.stack.core.security.SecurityPolicy;
import org.eclipse.milo.opcua.stack.core.transport.TransportProfile;
import org.eclipse.milo.opcua.stack.core.types.builtin.DateTime;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.UInteger;
import org.eclipse.milo.opcua.stack.core.types.enumerated.MessageSecurityMode;
import org.eclipse.milo.opcua.stack.core.types.structured.BuildInfo;
import org.eclipse.milo.opcua.stack.core.util.CertificateUtil;
import org.eclipse.milo.opcua.stack.transport.server.tcp.OpcTcpServerTransport;
import org.eclipse.milo.opcua.stack.transport.server.tcp.OpcTcpServerTransportConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.uint;

/**
 * The node's OPC UA server (Eclipse Milo): the stations' handshake for PLCs ({@link LineNamespace}), with message
 * security from the node's application certificate, client certificates trusted from a folder and the roles of
 * node.yaml's {@code access}. A door around the stations, like the gRPC Line service.
 */
public final class OpcUaLineServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OpcUaLineServer.class);
    private static final String PATH = "/kdedge";
    private static final List<SecurityPolicy> POLICIES = List.of(SecurityPolicy.Basic256Sha256,
            SecurityPolicy.Aes128_Sha256_RsaOaep, SecurityPolicy.Aes256_Sha256_RsaPss);

    private final OpcUaServer server;
    private final LineNamespace namespace;
    private final FileBasedTrustListManager trustList;

    private OpcUaLineServer(OpcUaServer server, LineNamespace namespace, FileBasedTrustListManager trustList) {
        this.server = server;
        this.namespace = namespace;
        this.trustList = trustList;
    }

    /**
     * Reads the certificate and the trust list and starts listening. Blocking (files, a bind): not on an event loop.
     *
     * @throws IllegalArgumentException saying what is wrong with the configured files
     */
    public static OpcUaLineServer start(NodeConfig.OpcUa settings, Stations stations, Optional<ResultJournal> journal,
            AccessRules rules) throws Exception {
        X509Certificate[] chain = certificateChain(Path.of(settings.certificate));
        PrivateKey key = privateKey(Path.of(settings.key));
        if (!KeyPairs.signsFor(key, chain[0].getPublicKey())) {
            throw new IllegalArgumentException("opcua.key is not the key of opcua.certificate ("
                    + chain[0].getSubjectX500Principal().getName() + ")");
        }
        String applicationUri = CertificateUtil.getSanUri(chain[0]).orElseThrow(() -> new IllegalArgumentException(
                "opcua.certificate has no URI in its SubjectAltName: OPC UA names the application by it (see "
                        + "README \"OPC UA\" for how to make one)"));
        Path pki = Path.of(settings.pki);
        FileBasedTrustListManager trustList = FileBasedTrustListManager.createAndInitialize(pki);
        try {
            FileBasedCertificateQuarantine rejected = FileBasedCertificateQuarantine.create(pki.resolve("rejected")
                    .resolve("certs"));
            MemoryCertificateStore store = new MemoryCertificateStore();
            store.set(NodeIds.RsaSha256ApplicationCertificateType, new CertificateStore.Entry(key, chain));
            KeyPair keys = new KeyPair(chain[0].getPublicKey(), key);
            DefaultApplicationGroup group = DefaultApplicationGroup.createAndInitialize(trustList, store,
                    new ConfiguredCertificate(keys, chain), new DefaultServerCertificateValidator(trustList,
                            rejected));
            SessionAccess access = new SessionAccess(rules);
            OpcUaServerConfig config = OpcUaServerConfig.builder().setApplicationUri(applicationUri)
                    .setApplicationName(LocalizedText.english("KD-Edge node")).setProductUri("urn:kdedge:node")
                    .setBuildInfo(new BuildInfo("urn:kdedge:node", "KD-Edge", "KD-Edge node",
                            OpcUaServer.SDK_VERSION, "1", DateTime.now()))
                    .setEndpoints(endpoints(settings, chain[0]))
                    .setCertificateManager(new DefaultCertificateManager(rejected, group))
                    .setIdentityValidator(access).setLimits(limits(settings)).build();
            OpcUaServer server = new OpcUaServer(config, profile -> new OpcTcpServerTransport(
                    OpcTcpServerTransportConfig.newBuilder().build()));
            LineNamespace namespace = new LineNamespace(server, stations, journal, access,
                    settings.minPublishingIntervalMillis);
            namespace.startup();
            server.startup().get(30, TimeUnit.SECONDS);
            server.getBoundEndpoints().stream().map(EndpointConfig::getEndpointUrl).filter(url -> url.endsWith(PATH))
                    .distinct().forEach(url -> LOG.info("OPC UA: {} ({} stations; trusted clients in {})", url,
                            stations.all().size(), pki.resolve("trusted").resolve("certs")));
            return new OpcUaLineServer(server, namespace, trustList);
        } catch (Exception e) {
            trustList.close();
            throw e;
        }
    }

    private static Set<EndpointConfig> endpoints(NodeConfig.OpcUa settings, X509Certificate certificate)
            throws UnknownHostException {
        EndpointConfig.Builder base = EndpointConfig.newBuilder().setTransportProfile(TransportProfile.TCP_UASC_UABINARY)
                .setBindAddress(settings.host).setBindPort(settings.port)
                .setHostname(settings.hostname.isEmpty() ? InetAddress.getLocalHost().getHostName() : settings.hostname)
                .setPath(PATH).setCertificate(certificate)
                .addTokenPolicies(OpcUaServerConfig.USER_TOKEN_POLICY_ANONYMOUS);
        Set<EndpointConfig> endpoints = new LinkedHashSet<>();
        for (SecurityPolicy policy : POLICIES) {
            for (MessageSecurityMode mode : List.of(MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt)) {
                endpoints.add(base.copy().setSecurityPolicy(policy).setSecurityMode(mode).build());
            }
        }
        // None is also what clients discover the endpoints through; without allowInsecure it opens no session
        endpoints.add(base.copy().setPath(settings.allowInsecure ? PATH : PATH + "/discovery")
                .setSecurityPolicy(SecurityPolicy.None).setSecurityMode(MessageSecurityMode.None).build());
        return endpoints;
    }

    private static OpcUaServerConfigLimits limits(NodeConfig.OpcUa settings) {
        return new OpcUaServerConfigLimits() {
            @Override
            public UInteger getMaxSessions() {
                return uint(settings.maxSessions);
            }

            @Override
            public UInteger getMaxSubscriptionsPerSession() {
                return uint(settings.maxSubscriptionsPerSession);
            }

            @Override
            public UInteger getMaxSubscriptions() {
                return uint(settings.maxSessions * settings.maxSubscriptionsPerSession);
            }

            @Override
            public UInteger getMaxMonitoredItemsPerSession() {
                return uint(settings.maxMonitoredItemsPerSession);
            }

            @Override
            public UInteger getMaxMonitoredItems() {
                return uint(settings.maxSessions * settings.maxMonitoredItemsPerSession);
            }

            @Override
            public Double getMinPublishingInterval() {
                return settings.minPublishingIntervalMillis;
            }

            @Override
            public Double getMinSupportedSampleRate() {
                return settings.minPublishingIntervalMillis;
            }
        };
    }

    /** The leaf first, as the PEM file lists them. */
    private static X509Certificate[] certificateChain(Path file) throws IOException, UaException {
        try (var in = Files.newInputStream(file)) {
            List<X509Certificate> chain = CertificateUtil.decodeCertificates(in);
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("opcua.certificate " + file + " holds no certificate");
            }
            return chain.toArray(X509Certificate[]::new);
        }
    }

    private static PrivateKey privateKey(Path file) throws IOException {
        try (Reader reader = Files.newBufferedReader(file); PEMParser parser = new PEMParser(reader)) {
            Object key = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (key instanceof PEMKeyPair pair) {
                return converter.getKeyPair(pair).getPrivate();
            }
            if (key instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            throw new IllegalArgumentException("opcua.key " + file + " holds no unencrypted PEM private key");
        }
    }

    /** The configured certificate; Milo asks its factory only when the store has none, which it always has. */
    private static final class ConfiguredCertificate extends RsaSha256CertificateFactory {
        private final KeyPair keys;
        private final X509Certificate[] chain;

        ConfiguredCertificate(KeyPair keys, X509Certificate[] chain) {
            this.keys = keys;
            this.chain = chain;
        }

        @Override
        protected KeyPair createRsaSha256KeyPair() {
            return keys;
        }

        @Override
        protected X509Certificate[] createRsaSha256CertificateChain(KeyPair keyPair) {
            return chain;
        }
    }

    /** Closes every session and the port; the stations are the node's and stay. */
    @Override
    public void close() throws Exception {
        namespace.shutdown();
        server.shutdown().get(10, TimeUnit.SECONDS);
        trustList.close();
    }
}
