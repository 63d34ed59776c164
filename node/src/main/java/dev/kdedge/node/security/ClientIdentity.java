package dev.kdedge.node.security;

import io.vertx.core.http.HttpConnection;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;

/** Who is calling, as far as the connection tells. */
public final class ClientIdentity {
    private ClientIdentity() {}

    /** The client's certificate, verified by the handshake, when TLS is mutual. */
    public static Optional<X509Certificate> certificate(HttpConnection connection) {
        if (!connection.isSsl()) {
            return Optional.empty();
        }
        try {
            List<Certificate> chain = connection.peerCertificates();
            return chain.isEmpty() || !(chain.get(0) instanceof X509Certificate leaf) ? Optional.empty()
                    : Optional.of(leaf);
        } catch (SSLPeerUnverifiedException withoutClientCertificates) {
            return Optional.empty();
        }
    }

    /**
     * The key the node shares its queue by: the certificate's subject with mutual TLS, so a camera's calls over
     * several connections count as one client; the connection otherwise.
     */
    public static Object of(HttpConnection connection) {
        return certificate(connection).<Object>map(X509Certificate::getSubjectX500Principal).orElse(connection);
    }

    /**
     * The key a client's conduct is judged by across its connections: the certificate's subject with mutual TLS, the
     * remote address otherwise (clients behind one address, a NAT, share it).
     */
    public static Object acrossConnections(HttpConnection connection) {
        return certificate(connection).<Object>map(X509Certificate::getSubjectX500Principal)
                .orElseGet(() -> connection.remoteAddress().hostAddress());
    }
}
