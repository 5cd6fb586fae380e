package io.jqmp.internal.mapping;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.jr.ob.JSON;
import com.fasterxml.jackson.jr.ob.JSONObjectException;
import com.fasterxml.jackson.jr.ob.JacksonJrExtension;
import com.fasterxml.jackson.jr.ob.api.ExtensionContext;
import com.fasterxml.jackson.jr.ob.api.ReaderWriterModifier;
import com.fasterxml.jackson.jr.ob.api.ReaderWriterProvider;
import com.fasterxml.jackson.jr.ob.api.ValueReader;
import com.fasterxml.jackson.jr.ob.api.ValueWriter;
import com.fasterxml.jackson.jr.ob.impl.BeanPropertyIntrospector;
import com.fasterxml.jackson.jr.ob.impl.JSONReader;
import com.fasterxml.jackson.jr.ob.impl.JSONWriter;
import com.fasterxml.jackson.jr.ob.impl.POJODefinition;
import io.jqmp.internal.wire.JsonWriter;
import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Maps records, beans and enums to and from the value model of {@code io.jqmp.protocol} with
 * Jackson Jr, configured for QMP:
 *
 * <ul>
 * <li>member names: a component or property {@code maxBandwidth} is the member
 *     {@code max-bandwidth}; names without capitals ({@code thread_id}) stay as they are;</li>
 * <li>enums: read case-insensitively with {@code -} and {@code _} alike ({@code dark-blue} and
 *     {@code DARK_BLUE} read {@code DARK_BLUE}), or by {@code toString()}; written as
 *     {@code toString()} when a constant overrides it, else as the name in lower case with
 *     {@code -} for {@code _};</li>
 * <li>scalars are strict: no text for numbers, no fractions or overflow for integers, no numbers
 *     for text or booleans; a mismatch is a {@link MappingException} with QEMU's text;</li>
 * <li>{@code Object} and {@code Map} members hold the value model ({@code Long}, not
 *     {@code Integer}); absent members leave components null, 0 or false; unknown members are
 *     ignored; null components are not written.</li>
 * </ul>
 *
 * <p>What Jackson Jr does not do by itself, and this class adds through its extension API: a
 * naming strategy, strict scalar coercion (it reads {@code "one"} into an {@code int} as 0 and
 * {@code 1.5} as 1), QAPI enum values and reading into this value model.
 *
 * <p>Threading: stateless; all methods are thread-safe.
 */
public final class Mapping {
    private static final JSON JSON_MAPPER = JSON.builder()
            .register(new QmpConventions())
            .build()
            .with(JSON.Feature.WRITE_RECORD_FIELDS_IN_DECLARATION_ORDER, JSON.Feature.FAIL_ON_UNKNOWN_TYPE_WRITE)
            .without(JSON.Feature.FAIL_ON_UNKNOWN_BEAN_PROPERTY, JSON.Feature.WRITE_NULL_PROPERTIES);

    private Mapping() {
    }

    /**
     * Maps a value of the value model onto {@code type}: a record, a bean, an enum, a scalar
     * type, {@code Map}, {@code List} or {@code Object} (the value as it is).
     *
     * @throws MappingException         the value does not fit the type (QEMU's text)
     * @throws IllegalArgumentException the type cannot be mapped at all (no usable constructor,
     *                                  an unsupported component type)
     */
    public static <T> T fromValue(Object value, Class<T> type) {
        if (value == null ? !type.isPrimitive() : type.isInstance(value)) {
            return type.cast(value); // already of the value model: a Map, a String, a Long, ...
        }
        try {
            return JSON_MAPPER.beanFrom(type, JsonWriter.toJson(value));
        } catch (Mismatch m) {
            throw new MappingException(m.getOriginalMessage());
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot map a value onto " + type.getName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The value model of {@code object}: values of the model are returned as they are (maps and
     * lists are copied only where they hold records or beans), anything else is written by
     * Jackson Jr and read back.
     *
     * @throws IllegalArgumentException {@code object} cannot be written as JSON
     */
    public static Object toValue(Object object) {
        if (isPlainValue(object)) {
            return object;
        }
        try {
            try (JsonParser p = JSON_MAPPER.getStreamingFactory().createParser(JSON_MAPPER.asString(object))) {
                p.nextToken();
                return ValueModelReader.readTree(p);
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot write " + object.getClass().getName() + " as JSON: "
                    + e.getMessage(), e);
        }
    }

    /** Whether {@code v} is entirely of the value model, so {@link #toValue} can return it unchanged. */
    private static boolean isPlainValue(Object v) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Integer
                || v instanceof Short || v instanceof Byte || v instanceof Double || v instanceof Float
                || v instanceof BigInteger) {
            return true;
        }
        if (v instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String) || !isPlainValue(e.getValue())) {
                    return false;
                }
            }
            return true;
        }
        if (v instanceof List<?> l) {
            for (Object o : l) {
                if (!isPlainValue(o)) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    /** {@code maxBandwidth} → {@code max-bandwidth}. */
    static String hyphenate(String camel) {
        StringBuilder sb = new StringBuilder(camel.length() + 4);
        for (int i = 0; i < camel.length(); i++) {
            char ch = camel.charAt(i);
            if (Character.isUpperCase(ch)) {
                if (i > 0) {
                    sb.append('-');
                }
                sb.append(Character.toLowerCase(ch));
            } else {
                sb.append(ch);
            }
        }
        return sb.toString();
    }

    /** The member name an enum constant is written as. */
    static String wireName(Enum<?> constant) {
        String s = constant.toString();
        return s.equals(constant.name()) ? s.toLowerCase(Locale.ROOT).replace('_', '-') : s;
    }

    // ---------------------------------------------------------------------------------------------

    /** A mismatch found while reading; an IOException so that Jackson Jr passes it through. */
    private static final class Mismatch extends JSONObjectException {
        private static final long serialVersionUID = 1L;

        Mismatch(String qemuText) {
            super(qemuText);
        }
    }

    /** QEMU's {@code full_name()} of the value the parser is at: {@code a.b}, {@code a[0]}. */
    private static String fullName(JsonParser p) {
        StringBuilder sb = new StringBuilder();
        append(sb, p.getParsingContext());
        return sb.isEmpty() ? "<anonymous>" : sb.toString();
    }

    private static void append(StringBuilder sb, JsonStreamContext c) {
        if (c == null || c.inRoot()) {
            return;
        }
        append(sb, c.getParent());
        if (c.inObject()) {
            if (!sb.isEmpty()) {
                sb.append('.');
            }
            sb.append(c.getCurrentName());
        } else {
            sb.append('[').append(c.getCurrentIndex()).append(']');
        }
    }

    /** The bare name QEMU's sized-integer and enum checks print: {@code null} for list elements. */
    private static String bareName(JsonParser p) {
        JsonStreamContext c = p.getParsingContext();
        return c != null && c.inObject() && c.getCurrentName() != null ? c.getCurrentName() : "null";
    }

    private static Mismatch typeError(JsonParser p, String expected) {
        return new Mismatch("Invalid parameter type for '" + fullName(p) + "', expected: " + expected);
    }

    // ---------------------------------------------------------------------------------------------

    /** Registers the naming modifier and the strict readers and enum writers. */
    private static final class QmpConventions extends JacksonJrExtension {
        @Override
        protected void register(ExtensionContext ctxt) {
            ctxt.insertModifier(new HyphenatedNames());
            ctxt.insertProvider(new StrictValues());
        }
    }

    /** Renames every property {@code fooBar} to {@code foo-bar}, reading and writing. */
    private static final class HyphenatedNames extends ReaderWriterModifier {
        @Override
        public POJODefinition pojoDefinitionForDeserialization(JSONReader reader, Class<?> type) {
            return rename(BeanPropertyIntrospector.instance().pojoDefinitionForDeserialization(reader, type));
        }

        @Override
        public POJODefinition pojoDefinitionForSerialization(JSONWriter writer, Class<?> type) {
            POJODefinition def = BeanPropertyIntrospector.instance().pojoDefinitionForSerialization(writer, type);
            if (def.getProperties().isEmpty() && !type.isRecord()) {
                // Most likely a class whose state is in private fields: {} would hide the mistake.
                throw new IllegalArgumentException(type.getName() + " has no record components and no public getters");
            }
            return rename(def);
        }

        @Override
        public ValueReader modifyValueReader(JSONReader reader, Class<?> type, ValueReader standard) {
            return type == Object.class ? new ValueModelReader() : standard;
        }

        @Override
        public ValueWriter overrideStandardValueWriter(JSONWriter writer, Class<?> type, int stdTypeId) {
            return type.isEnum() ? new EnumWriter(type) : null;
        }

        private static POJODefinition rename(POJODefinition def) {
            List<POJODefinition.Prop> props = new ArrayList<>();
            for (POJODefinition.Prop p : def.getProperties()) {
                // No alias for the Java name: Jackson Jr then drops a record's property.
                props.add(new POJODefinition.Prop(hyphenate(p.name), p.originalName(), p.field, p.setter, p.getter,
                        p.isGetter, List.of()));
            }
            return def.withProperties(props);
        }
    }

    /** Strict readers for scalars and enums, and QAPI-style enum writers. */
    private static final class StrictValues extends ReaderWriterProvider {
        @Override
        public ValueReader findValueReader(JSONReader reader, Class<?> type) {
            if (type == long.class || type == Long.class) {
                return new IntegerReader(type, Long.MIN_VALUE, Long.MAX_VALUE, null);
            }
            if (type == int.class || type == Integer.class) {
                return new IntegerReader(type, Integer.MIN_VALUE, Integer.MAX_VALUE, "int32");
            }
            if (type == short.class || type == Short.class) {
                return new IntegerReader(type, Short.MIN_VALUE, Short.MAX_VALUE, "int16");
            }
            if (type == byte.class || type == Byte.class) {
                return new IntegerReader(type, Byte.MIN_VALUE, Byte.MAX_VALUE, "int8");
            }
            if (type == double.class || type == Double.class || type == float.class || type == Float.class) {
                return new NumberReader(type);
            }
            if (type == boolean.class || type == Boolean.class) {
                return new BooleanReader(type);
            }
            if (type == String.class) {
                return new StringReader();
            }
            if (type == BigInteger.class) {
                return new BigIntegerReader();
            }
            if (type.isEnum()) {
                return new EnumReader(type);
            }
            return null;
        }

        @Override
        public ValueWriter findValueWriter(JSONWriter writer, Class<?> type) {
            return type.isEnum() ? new EnumWriter(type) : null;
        }
    }

    /** Null is fine for boxes and references, a type error for primitives. */
    private static Object nullFor(JsonParser p, Class<?> type, String expected) throws Mismatch {
        if (type.isPrimitive()) {
            throw typeError(p, expected);
        }
        return null;
    }

    private static final class IntegerReader extends ValueReader {
        private final long min;
        private final long max;
        private final String cType;

        IntegerReader(Class<?> type, long min, long max, String cType) {
            super(type);
            this.min = min;
            this.max = max;
            this.cType = cType;
        }

        @Override
        public Object read(JSONReader reader, JsonParser p) throws IOException {
            JsonToken t = p.currentToken();
            if (t == JsonToken.VALUE_NULL) {
                return nullFor(p, _valueType, "integer");
            }
            if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                throw typeError(p, "integer");
            }
            long v = p.getLongValue();
            if (v < min || v > max) {
                throw new Mismatch("Parameter '" + bareName(p) + "' expects " + cType);
            }
            if (_valueType == int.class || _valueType == Integer.class) {
                return (int) v;
            }
            if (_valueType == short.class || _valueType == Short.class) {
                return (short) v;
            }
            if (_valueType == byte.class || _valueType == Byte.class) {
                return (byte) v;
            }
            return v;
        }
    }

    private static final class NumberReader extends ValueReader {
        NumberReader(Class<?> type) {
            super(type);
        }

        @Override
        public Object read(JSONReader reader, JsonParser p) throws IOException {
            JsonToken t = p.currentToken();
            if (t == JsonToken.VALUE_NULL) {
                return nullFor(p, _valueType, "number");
            }
            if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
                throw typeError(p, "number");
            }
            double d = p.getDoubleValue();
            return _valueType == float.class || _valueType == Float.class ? (Object) (float) d : (Object) d;
        }
    }

    private static final class BooleanReader extends ValueReader {
        BooleanReader(Class<?> type) {
            super(type);
        }

        @Override
        public Object read(JSONReader reader, JsonParser p) throws IOException {
            return switch (p.currentToken()) {
                case VALUE_TRUE -> Boolean.TRUE;
                case VALUE_FALSE -> Boolean.FALSE;
                case VALUE_NULL -> nullFor(p, _valueType, "boolean");
                default -> throw typeError(p, "boolean");
            };
        }
    }

    private static final class StringReader extends ValueReader {
        StringReader() {
            super(String.class);
        }

        @Override
        public Object read(JSONReader reader, JsonParser p) throws IOException {
            return switch (p.currentToken()) {
                case VALUE_STRING -> p.getText();
                case VALUE_NULL -> null;
                default -> throw typeError(p, "string");
            };
        }
    }

    private static final class BigIntegerReader extends ValueReader {
        BigIntegerReader() {
            super(BigInteger.class);
        }

        @Override
        public Object read(JSONReader reader, JsonParser p) throws IOException {
            return switch (p.currentToken()) {
                case VALUE_NUMBER_INT -> p.getBigIntegerValue();
                case VALUE_NULL -> null;
                default -> throw typeError(p, "integer");
            };
        }
    }

    private static final class EnumReader extends ValueReader {
        EnumReader(Class<?> type) {
            super(type);
        }

        @Override
        public Object read(JSONReader reader, JsonParser p) throws IOException {
            JsonToken t = p.currentToken();
            if (t == JsonToken.VALUE_NULL) {
                return null;
            }
            if (t != JsonToken.VALUE_STRING) {
                throw typeError(p, "string");
            }
            String s = p.getText();
            String normal = s.replace('-', '_');
            for (Object c : _valueType.getEnumConstants()) {
                Enum<?> e = (Enum<?>) c;
                if (e.toString().equals(s) || e.name().equalsIgnoreCase(normal)) {
                    return e;
                }
            }
            throw new Mismatch("Parameter '" + bareName(p) + "' does not accept value '" + s + "'");
        }
    }

    private static final class EnumWriter implements ValueWriter {
        private final Class<?> type;

        EnumWriter(Class<?> type) {
            this.type = type;
        }

        @Override
        public void writeValue(JSONWriter context, com.fasterxml.jackson.core.JsonGenerator g, Object value)
                throws IOException {
            g.writeString(wireName((Enum<?>) value));
        }

        @Override
        public Class<?> valueType() {
            return type;
        }
    }

    /** Reads any JSON value into the value model (LinkedHashMap, ArrayList, Long, BigInteger, Double, ...). */
    private static final class ValueModelReader extends ValueReader {
        ValueModelReader() {
            super(Object.class);
        }

        @Override
        public Object read(JSONReader reader, JsonParser p) throws IOException {
            return readTree(p);
        }

        static Object readTree(JsonParser p) throws IOException {
            JsonToken t = p.currentToken();
            if (t == null) {
                throw new IOException("no JSON value");
            }
            return switch (t) {
                case START_OBJECT -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String name = p.currentName();
                        p.nextToken();
                        m.put(name, readTree(p));
                    }
                    yield m;
                }
                case START_ARRAY -> {
                    List<Object> l = new ArrayList<>();
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        l.add(readTree(p));
                    }
                    yield l;
                }
                case VALUE_STRING -> p.getText();
                case VALUE_NUMBER_INT -> p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                        ? p.getBigIntegerValue() : (Object) p.getLongValue();
                case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
                case VALUE_TRUE -> Boolean.TRUE;
                case VALUE_FALSE -> Boolean.FALSE;
                case VALUE_NULL -> null;
                default -> throw new IOException("unexpected token " + t);
            };
        }
    }
}
