package dev.kdedge.node.opcua;

import dev.kdedge.node.security.AccessRules;
import dev.kdedge.node.security.CallKind;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.Set;
import org.eclipse.milo.opcua.sdk.server.Session;
import org.eclipse.milo.opcua.sdk.server.identity.AnonymousIdentityValidator;
import org.eclipse.milo.opcua.sdk.server.identity.Identity;
import org.eclipse.milo.opcua.sdk.server.identity.IdentityValidator;
import org.eclipse.milo.opcua.stack.core.StatusCodes;
import org.eclipse.milo.opcua.stack.core.UaException;
import org.eclipse.milo.opcua.stack.core.types.enumerated.UserTokenType;
import org.eclipse.milo.opcua.stack.core.types.structured.SignatureData;
import org.eclipse.milo.opcua.stack.core.types.structured.UserIdentityToken;
import org.eclipse.milo.opcua.stack.core.types.structured.UserTokenPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an OPC UA session may do, judged as the gRPC side judges a call: by the roles its client's application
 * certificate grants (node.yaml {@code access}). A PLC is its application, so the session's user token is anonymous;
 * a session whose certificate grants no role that may read results is refused when it activates. Only the None
 * endpoint that {@code opcua.allowInsecure} adds has sessions without a certificate, and they may do what the line
 * role may, as plaintext gRPC calls may.
 */
final class SessionAccess implements IdentityValidator {
    private static final Logger LOG = LoggerFactory.getLogger(SessionAccess.class);

    private final AccessRules rules;

    SessionAccess(AccessRules rules) {
        this.rules = rules;
    }

    @Override
    public Identity validateIdentityToken(Session session, UserIdentityToken token, UserTokenPolicy policy,
            SignatureData signature) throws UaException {
        Identity identity = AnonymousIdentityValidator.INSTANCE.validateIdentityToken(session, token, policy,
                signature);
        Optional<String> refusal = refusal(session, CallKind.READ_RESULTS, "an OPC UA session");
        if (refusal.isPresent()) {
            LOG.warn("OPC UA session from {} refused: {}", session.getClientAddress(), refusal.get());
            throw new UaException(StatusCodes.Bad_UserAccessDenied, refusal.get());
        }
        return identity;
    }

    @Override
    public Set<UserTokenType> getSupportedTokenTypes() {
        return AnonymousIdentityValidator.INSTANCE.getSupportedTokenTypes();
    }

    /** Why {@code session} may not do {@code action}, a call of {@code kind}, or empty when it may. */
    Optional<String> refusal(Session session, CallKind kind, String action) {
        X509Certificate certificate = session.getSecurityConfiguration().getClientCertificate();
        return certificate == null ? Optional.empty() : rules.refusal(kind, action, certificate);
    }
}
