package dev.kdedge.node;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Certificate authorities and the certificates they issue, generated for a test and written as PEM files. */
final class TestPki {
    private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

    private TestPki() {}

    /** A certificate and its key pair. */
    record Issued(X509Certificate certificate, KeyPair keys) {
        /** Writes {@code name}.crt and {@code name}.key (PKCS#8) into {@code dir}. */
        PemFiles written(Path dir, String name) throws Exception {
            Path crt = Files.writeString(dir.resolve(name + ".crt"), pem("CERTIFICATE", certificate.getEncoded()));
            Path key = Files.writeString(dir.resolve(name + ".key"), pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
            return new PemFiles(crt, key);
        }
    }

    record PemFiles(Path certificate, Path key) {}

    /** A self-signed CA that issues server and client certificates valid from an hour ago for a day. */
    static final class Authority {
        final Issued root;

        Authority(String name) throws Exception {
            KeyPair keys = keyPair();
            X500Name subject = new X500Name("CN=" + name);
            X509v3CertificateBuilder builder = builder(subject, subject, keys, Instant.now().minus(Duration.ofHours(1)),
                    Instant.now().plus(Duration.ofDays(1)));
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            root = new Issued(sign(builder, keys), keys);
        }

        Path writeCertificate(Path file) throws Exception {
            return Files.writeString(file, pem("CERTIFICATE", root.certificate.getEncoded()));
        }

        /** A server certificate for localhost and 127.0.0.1. */
        Issued server() throws Exception {
            return issue("CN=kdedge-node", KeyPurposeId.id_kp_serverAuth, Instant.now().minus(Duration.ofHours(1)),
                    Instant.now().plus(Duration.ofDays(1)),
                    new GeneralNames(new GeneralName[] {new GeneralName(GeneralName.dNSName, "localhost"),
                            new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
        }

        /** A client certificate whose subject has {@code ou} as its organizational unit. */
        Issued client(String ou) throws Exception {
            return client(ou, Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(1)));
        }

        /** A client certificate whose subject has each of {@code ous} as an organizational unit. */
        Issued clientOfUnits(String... ous) throws Exception {
            return issue("CN=" + ous[0] + "-client," + String.join(",", Arrays.stream(ous).map(ou -> "OU=" + ou)
                    .toList()) + ",O=Plant 7", KeyPurposeId.id_kp_clientAuth, Instant.now().minus(Duration.ofHours(1)),
                    Instant.now().plus(Duration.ofDays(1)), null);
        }

        Issued client(String ou, Instant notBefore, Instant notAfter) throws Exception {
            return issue("CN=" + ou + "-client,OU=" + ou + ",O=Plant 7", KeyPurposeId.id_kp_clientAuth, notBefore,
                    notAfter, null);
        }

        private Issued issue(String subject, KeyPurposeId purpose, Instant notBefore, Instant notAfter,
                GeneralNames alternativeNames) throws Exception {
            KeyPair keys = keyPair();
            X509v3CertificateBuilder builder = builder(new X500Name(root.certificate.getSubjectX500Principal().getName()),
                    new X500Name(subject), keys, notBefore, notAfter);
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
            if (alternativeNames != null) {
                builder.addExtension(Extension.subjectAlternativeName, false, alternativeNames);
            }
            return new Issued(sign(builder, root.keys), keys);
        }
    }

    private static KeyPair keyPair() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys, Instant notBefore,
            Instant notAfter) {
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIALS.incrementAndGet()),
                Date.from(notBefore), Date.from(notAfter), subject, keys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair signer) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + new String(Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encode(der),
                        StandardCharsets.US_ASCII)
                + "\n-----END " + type + "-----\n";
    }
}
