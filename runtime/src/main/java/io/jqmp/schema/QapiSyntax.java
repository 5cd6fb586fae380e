package io.jqmp.schema;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The context-free rules of QAPI expressions, as QEMU's generator checks them before it looks
 * at any reference: keys, flags, {@code 'if'} conditions and names. Each failure is a
 * {@link SchemaException} at the expression's location whose message names the definition
 * ({@code what}). Stateless.
 */
final class QapiSyntax {
    private static final Pattern VALID_NAME = Pattern.compile("(__[a-z0-9.-]+_)?(x-)?([a-z][a-z0-9_-]*)",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern CAMEL = Pattern.compile("[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*");
    /** A name an {@code 'if'} condition may test. */
    static final Pattern IDENTIFIER = Pattern.compile("[A-Z][A-Z0-9_]*");

    private QapiSyntax() {
    }

    /** Checks an {@code 'if'} (null: none) and turns it into a {@link Condition}. */
    static Condition condition(Object cond, SourceLocation loc, String what) {
        if (cond == null) {
            return Condition.ALWAYS;
        }
        if (cond instanceof String s) {
            if (!IDENTIFIER.matcher(s).matches()) {
                throw new SchemaException(loc, "'if' condition '" + s + "' of " + what + " is not a valid identifier");
            }
            return new Condition.Defined(s);
        }
        if (!(cond instanceof Map<?, ?> m)) {
            throw new SchemaException(loc, "'if' condition of " + what + " must be a string or an object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> cm = (Map<String, Object>) m;
        checkKeys(cm, loc, "'if' condition of " + what, Set.of(), Set.of("all", "any", "not"));
        if (cm.size() != 1) {
            throw new SchemaException(loc, "'if' condition of " + what + " has conflicting keys");
        }
        if (cm.containsKey("not")) {
            return new Condition.Not(condition(cm.get("not"), loc, what));
        }
        String op = cm.containsKey("all") ? "all" : "any";
        if (!(cm.get(op) instanceof List<?> operands)) {
            throw new SchemaException(loc, "'" + op + "' condition of " + what + " must be an array");
        }
        if (operands.isEmpty()) {
            throw new SchemaException(loc, "'if' condition [] of " + what + " is useless");
        }
        List<Condition> out = new ArrayList<>();
        for (Object o : operands) {
            out.add(condition(o, loc, what));
        }
        return op.equals("all") ? new Condition.All(List.copyOf(out)) : new Condition.Any(List.copyOf(out));
    }

    static void checkKeys(Map<String, Object> x, SourceLocation loc, String what, Set<String> required,
            Set<String> optional) {
        Set<String> missing = new TreeSet<>(required);
        missing.removeAll(x.keySet());
        if (!missing.isEmpty()) {
            throw new SchemaException(loc, what + " misses key" + (missing.size() > 1 ? "s " : " ") + list(missing));
        }
        Set<String> allowed = new TreeSet<>(required);
        allowed.addAll(optional);
        Set<String> unknown = new TreeSet<>(x.keySet());
        unknown.removeAll(allowed);
        if (!unknown.isEmpty()) {
            throw new SchemaException(loc, what + " has unknown key" + (unknown.size() > 1 ? "s " : " ")
                    + list(unknown) + "; valid keys are " + list(allowed));
        }
    }

    private static String list(Set<String> names) {
        StringBuilder sb = new StringBuilder();
        for (String n : names) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append('\'').append(n).append('\'');
        }
        return sb.toString();
    }

    static void checkFlags(Map<String, Object> x, SourceLocation loc, String what) {
        for (String k : new String[] {"gen", "success-response"}) {
            if (x.containsKey(k) && !Boolean.FALSE.equals(x.get(k))) {
                throw new SchemaException(loc, "flag '" + k + "' of " + what + " may only use false value");
            }
        }
        for (String k : new String[] {"boxed", "allow-oob", "allow-preconfig", "coroutine"}) {
            if (x.containsKey(k) && !Boolean.TRUE.equals(x.get(k))) {
                throw new SchemaException(loc, "flag '" + k + "' of " + what + " may only use true value");
            }
        }
        if (x.containsKey("allow-oob") && x.containsKey("coroutine")) {
            throw new SchemaException(loc, "flags 'allow-oob' and 'coroutine' of " + what + " are incompatible");
        }
    }

    /** QEMU's c_name without keyword protection: how C sees a name; names that map alike clash. */
    static String cName(String name) {
        StringBuilder sb = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            sb.append(c < 128 && (Character.isLetterOrDigit(c) || c == '_') ? c : '_');
        }
        return sb.toString();
    }

    /** A valid name: optional {@code __RFQDN_} and {@code x-} prefixes, then a letter; returns the rest. */
    private static String nameStem(String name, SourceLocation loc, String what) {
        Matcher m = VALID_NAME.matcher(name);
        if (!m.matches() || cName(name).startsWith("q_")) {
            throw new SchemaException(loc, what + " has an invalid name");
        }
        return m.group(3);
    }

    static void checkNameLower(String name, boolean permitUpper, boolean permitUnderscore,
            SourceLocation loc, String what) {
        String stem = nameStem(name, loc, what);
        if (!permitUpper && !stem.equals(stem.toLowerCase(Locale.ROOT))
                || !permitUnderscore && stem.contains("_")) {
            throw new SchemaException(loc, "name of " + what + " must not use uppercase or '_'");
        }
    }

    static void checkDefinitionName(String name, String meta, Pragma pragma, SourceLocation loc,
            String what) {
        switch (meta) {
            case "event" -> {
                String stem = nameStem(name, loc, what);
                if (!stem.equals(stem.toUpperCase(Locale.ROOT)) || stem.contains("-")) {
                    throw new SchemaException(loc, "name of " + what + " must not use lowercase or '-'");
                }
            }
            case "command" -> checkNameLower(name, false, pragma.commandNameException(name), loc, what);
            default -> {
                if (!CAMEL.matcher(nameStem(name, loc, what)).matches()) {
                    throw new SchemaException(loc, "name of " + what + " must use CamelCase");
                }
                if (name.endsWith("List")) {
                    throw new SchemaException(loc, what + " name should not end in 'List'");
                }
            }
        }
    }

}
