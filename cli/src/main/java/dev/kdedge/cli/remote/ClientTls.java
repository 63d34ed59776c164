package dev.kdedge.cli.remote;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** How a command reaches a node: plaintext, TLS, or mutual TLS with the engineer's or camera's certificate. */
public final class ClientTls {
    @Option(names = "--tls-ca", description = "CA certificate (PEM) the node's certificate must chain to; "
            + "connects with TLS. Without it and without --tls-cert the connection is plaintext.")
    Path ca;

    @Option(names = "--tls-cert", description = "Client certificate chain (PEM) for a node that requires mutual TLS; "
            + "its role (camera, engineer, observer) decides what this command may do there.")
    Path certificate;

    @Option(names = "--tls-key", description = "Private key (PEM, PKCS#8) of --tls-cert.")
    Path key;

    /** A channel to {@code address}; the caller shuts it down. */
    public ManagedChannel channel(String address) {
        return Grpc.newChannelBuilder(address, credentials()).build();
    }

    private ChannelCredentials credentials() {
        if (ca == null && certificate == null) {
            return InsecureChannelCredentials.create();
        }
        if ((certificate == null) != (key == null)) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together");
        }
        try {
            TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder();
            if (ca != null) {
                tls.trustManager(ca.toFile());
            }
            if (certificate != null) {
                tls.keyManager(certificate.toFile(), key.toFile());
            }
            return tls.build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the TLS files: " + e.getMessage(), e);
        }
    }
}
