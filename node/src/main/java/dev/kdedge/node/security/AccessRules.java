package dev.kdedge.node.security;

import dev.kdedge.calibration.text.Echo;
import dev.kdedge.node.config.NodeConfig;
import dev.kdedge.node.config.NodeConfig.Access.RoleField;
import dev.kdedge.node.config.Role;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

/**
 * Which roles a client certificate grants and which roles each {@link CallKind} needs, from node.yaml's
 * {@code access} section. They apply with mutual TLS only: without a client certificate there is nothing to read a
 * role from.
 */
public final class AccessRules {
    private static final int SAN_DNS_TYPE = 2;
    private static final int SAN_URI_TYPE = 6;

    private final RoleField roleFrom;
    private final Map<String, Set<Role>> rolesByValue;
    private final Map<CallKind, Set<Role>> allowed = new EnumMap<>(CallKind.class);

    private AccessRules(RoleField roleFrom, Map<String, Set<Role>> rolesByValue, Set<Role> reads) {
        this.roleFrom = roleFrom;
        this.rolesByValue = rolesByValue;
        allowed.put(CallKind.INSPECT, EnumSet.of(Role.CAMERA, Role.ENGINEER));
        allowed.put(CallKind.CHANGE_STORE, EnumSet.of(Role.ENGINEER));
        // a camera sees its own results in its replies, not those of the others
        allowed.put(CallKind.READ_RESULTS, EnumSet.of(Role.OBSERVER, Role.ENGINEER, Role.LINE));
        allowed.put(CallKind.LINE_CONTROL, EnumSet.of(Role.ENGINEER, Role.LINE));
        allowed.put(CallKind.READ, reads);
    }

    /** @throws IllegalArgumentException naming the setting that is wrong */
    public static AccessRules of(NodeConfig.Access access) {
        return new AccessRules(access.roleField(), access.rolesByValue(), access.readRoles());
    }

    /** Why the holder of {@code certificate} may not call {@code fullMethodName}, or empty when it may. */
    public Optional<String> refusal(String fullMethodName, X509Certificate certificate) {
        return refusal(CallKind.of(fullMethodName), fullMethodName.substring(fullMethodName.lastIndexOf('/') + 1),
                certificate);
    }

    /**
     * Why the holder of {@code certificate} may not do {@code action}, a call of {@code kind} (by any door), or empty
     * when it may.
     */
    public Optional<String> refusal(CallKind kind, String action, X509Certificate certificate) {
        Set<Role> needed = allowed.get(kind);
        List<String> values = values(roleFrom, certificate);
        Set<Role> held = EnumSet.noneOf(Role.class);
        values.forEach(value -> held.addAll(rolesByValue.getOrDefault(value, Set.of())));
        if (held.stream().anyMatch(needed::contains)) {
            return Optional.empty();
        }
        String need = needed.isEmpty() ? action + " is open to no role (access.reads is empty)"
                : action + " needs role " + names(needed);
        String has = held.isEmpty()
                ? "this client's certificate grants no role (" + roleFrom + ": "
                        + values.stream().map(Echo::quoted).collect(Collectors.joining(", ", "[", "]")) + ")"
                : "this client's certificate grants role " + names(held);
        return Optional.of(need + "; " + has);
    }

    private static String names(Set<Role> roles) {
        return roles.stream().map(Role::configName).collect(Collectors.joining(" or "));
    }

    /** The values of {@code field} in {@code certificate}; a field may hold several, each may grant roles. */
    private static List<String> values(RoleField field, X509Certificate certificate) {
        return switch (field) {
            case OU, CN -> subjectValues(certificate, field.name());
            case SAN_DNS -> alternativeNames(certificate, SAN_DNS_TYPE);
            case SAN_URI -> alternativeNames(certificate, SAN_URI_TYPE);
        };
    }

    private static List<String> subjectValues(X509Certificate certificate, String type) {
        try {
            List<String> values = new ArrayList<>();
            for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName(X500Principal.RFC2253))
                    .getRdns()) {
                if (rdn.getType().equalsIgnoreCase(type)) {
                    values.add(rdn.getValue().toString());
                }
            }
            return values;
        } catch (InvalidNameException e) {
            return List.of();
        }
    }

    private static List<String> alternativeNames(X509Certificate certificate, int type) {
        try {
            Collection<List<?>> names = certificate.getSubjectAlternativeNames();
            if (names == null) {
                return List.of();
            }
            return names.stream().filter(name -> ((Integer) name.get(0)) == type)
                    .map(name -> name.get(1).toString()).toList();
        } catch (CertificateParsingException e) {
            return List.of();
        }
    }
}
