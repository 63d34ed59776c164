package dev.kdedge.node.security;

import dev.kdedge.node.config.NodeConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.X509KeyManager;

/**
 * The node's certificate chain, its key and the client CA, as read from their PEM files at one moment. The node
 * serves with the contents it read, never re-reading a path, so what was checked is what is used.
 */
public record TlsFiles(String setting, Buffer certificate, Buffer key, Optional<Buffer> clientCa) {
    /**
     * Reads the files {@code tls} names, without blocking the caller.
     *
     * @param setting where {@code tls} is in node.yaml ({@code tls}, {@code metrics.tls}), for messages
     */
    public static Future<TlsFiles> read(Vertx vertx, NodeConfig.Tls tls, String setting) {
        Future<Buffer> certificate = readFile(vertx, setting + ".certificate", tls.certificate);
        Future<Buffer> key = readFile(vertx, setting + ".key", tls.key);
        Future<Optional<Buffer>> clientCa = tls.clientCa == null ? Future.succeededFuture(Optional.empty())
                : readFile(vertx, setting + ".clientCa", tls.clientCa).map(Optional::of);
        return Future.all(certificate, key, clientCa)
                .map(all -> new TlsFiles(setting, certificate.result(), key.result(), clientCa.result()));
    }

    private static Future<Buffer> readFile(Vertx vertx, String setting, String path) {
        return vertx.fileSystem().readFile(path).recover(e -> Future.failedFuture(
                new IllegalArgumentException(setting + ": cannot read " + path + ": " + e.getMessage(), e)));
    }

    /** Clients must present a certificate the client CA signed, and {@link AccessRules} apply. */
    public boolean mutual() {
        return clientCa.isPresent();
    }

    /** {@code options} serving HTTP/2 over TLS with these files. */
    public HttpServerOptions secure(HttpServerOptions options) {
        options.setSsl(true).setUseAlpn(true).setKeyCertOptions(keyCertOptions());
        clientCa.ifPresent(ca -> options.setTrustOptions(new PemTrustOptions().addCertValue(ca))
                .setClientAuth(ClientAuth.REQUIRED));
        return options;
    }

    /** {@code current} with these files in place of the ones it holds. */
    public ServerSSLOptions replacing(ServerSSLOptions current) {
        ServerSSLOptions next = current.copy().setKeyCertOptions(keyCertOptions());
        clientCa.ifPresent(ca -> next.setTrustOptions(new PemTrustOptions().addCertValue(ca)));
        return next;
    }

    private PemKeyCertOptions keyCertOptions() {
        return new PemKeyCertOptions().setCertValue(certificate).setKeyValue(key);
    }

    /**
     * Parses the files and checks that the key belongs to the certificate: a rotation caught between writing the new
     * certificate and the new key would otherwise be served, and every handshake would fail until the next reload.
     * Blocking (file parsing, a signature).
     *
     * @throws IllegalArgumentException saying what is wrong with the files
     */
    public TlsFiles verified(Vertx vertx) {
        try {
            KeyManager[] managers = keyCertOptions().getKeyManagerFactory(vertx).getKeyManagers();
            X509KeyManager keys = (X509KeyManager) managers[0];
            if (clientCa.isPresent()) {
                new PemTrustOptions().addCertValue(clientCa.get()).getTrustManagerFactory(vertx);
            }
            for (String keyType : new String[] {"RSA", "EC", "EdDSA", "Ed25519"}) {
                String[] aliases = keys.getServerAliases(keyType, null);
                if (aliases != null && aliases.length > 0) {
                    X509Certificate leaf = keys.getCertificateChain(aliases[0])[0];
                    if (!KeyPairs.signsFor(keys.getPrivateKey(aliases[0]), leaf.getPublicKey())) {
                        throw new IllegalArgumentException(setting + ".key is not the key of " + setting + ".certificate (" +
                                leaf.getSubjectX500Principal().getName() + ")");
                    }
                    return this;
                }
            }
            throw new IllegalArgumentException(setting + ".certificate holds no RSA, EC or EdDSA certificate");
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalArgumentException(setting + " files cannot be used: " + e.getMessage(), e);
        }
    }
}
