package io.jqmp.server;

import java.security.cert.X509Certificate;
import java.util.List;
import javax.security.auth.x500.X500Principal;

/**
 * QEMU's {@code tls-authz} for one TLS listener: an allow-list of client certificate subjects, each
 * a distinguished name ({@code CN=admin,O=Example}, compared as X.500 names compare) or a bare
 * common name ({@code admin}). Immutable; any thread.
 */
record TlsAuthz(List<String> allowed) {

    /** Null when {@code client} may be served, else why not (for the log). */
    String refusal(X509Certificate client) {
        if (allowed.isEmpty()) {
            return null;
        }
        if (client == null) {
            return "the TLS client presented no certificate, and only named clients are allowed (tls-authz)";
        }
        X500Principal subject = client.getSubjectX500Principal();
        String cn = commonName(subject);
        for (String name : allowed) {
            if (name.contains("=") ? sameName(name, subject) : name.equals(cn)) {
                return null;
            }
        }
        return "the TLS client's certificate names " + subject.getName() + ", which is not on the allow-list (tls-authz)";
    }

    private static boolean sameName(String dn, X500Principal subject) {
        try {
            return new X500Principal(dn).equals(subject);
        } catch (IllegalArgumentException e) {
            return false; // validated when the server was built; unreachable for a checked list
        }
    }

    /**
     * The value of the subject's CN attribute (the most specific one), or null. RFC 2253 form
     * escapes a separator inside a value with a backslash, so a plain scan finds the attributes.
     */
    private static String commonName(X500Principal subject) {
        String dn = subject.getName(X500Principal.RFC2253);
        StringBuilder value = new StringBuilder();
        int start = 0;
        boolean escaped = false;
        for (int i = 0; i <= dn.length(); i++) {
            char c = i < dn.length() ? dn.charAt(i) : ',';
            if (escaped) {
                escaped = false;
                continue;
            }
            if (c == '\\') {
                escaped = true;
            } else if (c == ',' || c == '+') {
                String attribute = dn.substring(start, i);
                if (attribute.regionMatches(true, 0, "CN=", 0, 3)) {
                    return unescape(attribute.substring(3), value);
                }
                start = i + 1;
            }
        }
        return null;
    }

    private static String unescape(String v, StringBuilder out) {
        out.setLength(0);
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\\' && i + 1 < v.length()) {
                c = v.charAt(++i);
            }
            out.append(c);
        }
        return out.toString();
    }

    /** Checks that every entry that looks like a distinguished name is one. */
    static void validate(List<String> names) {
        for (String name : names) {
            if (name.isBlank()) {
                throw new IllegalArgumentException("an empty name in the TLS allow-list (tls-authz)");
            }
            if (name.contains("=")) {
                try {
                    new X500Principal(name);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("'" + name + "' in the TLS allow-list is not a distinguished name "
                            + "(e.g. CN=admin,O=Example): " + e.getMessage());
                }
            }
        }
    }
}
