package dev.ferry.api;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import jakarta.inject.Singleton;
import jakarta.ws.rs.ext.ContextResolver;
import jakarta.ws.rs.ext.Provider;
import java.lang.reflect.RecordComponent;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one reader of request input: every JSON body (Quarkus REST asks this resolver for its mapper) and the query
 * parameters of the YAML sync form. What is not exactly what the schema says is refused with a 400, never coerced:
 * a number where a string is expected ({@code "image":123}), a number or string where a boolean is expected
 * ({@code "tlsVerify":0}, {@code "False"}), a string or fraction where an integer is expected ({@code "3"}, {@code 1.5}),
 * unknown fields, duplicate keys, anything after the JSON value, and nesting deeper than {@link #MAX_DEPTH}.
 * Responses are written as by Quarkus's own mapper (this is a copy of it).
 */
@Provider
@Singleton
public class StrictJson implements ContextResolver<ObjectMapper> {
    /** Deepest nesting of a request body; Ferry's requests are at most a few levels deep. */
    static final int MAX_DEPTH = 32;

    private final ObjectMapper strict;

    public StrictJson(ObjectMapper json) {
        this.strict = strict(json);
    }

    static ObjectMapper strict(ObjectMapper base) {
        ObjectMapper m = base.copy();
        m.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build());
        m.getFactory().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION.mappedFeature());
        m.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES,
                DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
        m.disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT, DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY);
        Map<LogicalType, Set<CoercionInputShape>> refused = Map.of(
                LogicalType.Boolean, Set.of(CoercionInputShape.Integer, CoercionInputShape.Float, CoercionInputShape.String,
                        CoercionInputShape.EmptyString),
                LogicalType.Integer, Set.of(CoercionInputShape.Float, CoercionInputShape.String, CoercionInputShape.Boolean,
                        CoercionInputShape.EmptyString),
                LogicalType.Float, Set.of(CoercionInputShape.String, CoercionInputShape.Boolean, CoercionInputShape.EmptyString),
                LogicalType.Textual, Set.of(CoercionInputShape.Integer, CoercionInputShape.Float, CoercionInputShape.Boolean),
                LogicalType.Collection, Set.of(CoercionInputShape.String, CoercionInputShape.EmptyString),
                LogicalType.POJO, Set.of(CoercionInputShape.String, CoercionInputShape.EmptyString));
        refused.forEach((type, shapes) -> shapes.forEach(shape -> m.coercionConfigFor(type).setCoercion(shape, CoercionAction.Fail)));
        return m;
    }

    @Override
    public ObjectMapper getContext(Class<?> type) {
        return strict;
    }

    public ObjectMapper mapper() {
        return strict;
    }

    /**
     * Query parameters read as the fields {@code allowed} of record {@code type}, by the same reader as a body: the
     * value of a string field is that string, any other value is read as the JSON scalar it must be ({@code true},
     * {@code 3}); any other parameter, a repeated one or a value of the wrong type is refused with a 400 naming it.
     */
    public <T extends Record> T queryParameters(Map<String, List<String>> query, Class<T> type, Set<String> allowed)
            throws JsonProcessingException {
        ObjectNode node = strict.createObjectNode();
        for (Map.Entry<String, List<String>> e : query.entrySet()) {
            String name = e.getKey();
            if (!allowed.contains(name)) {
                String lower = name.toLowerCase(java.util.Locale.ROOT);
                boolean secret = lower.contains("cred") || lower.contains("token") || lower.contains("password");
                throw new FerryException(ProblemType.INVALID_REQUEST, "unknown query parameter \"" + name + "\""
                        + (secret ? "; credentials never go in a URL: put them in the YAML document" : ""),
                        List.of(new FerryException.FieldError(name, "unknown query parameter; known ones are "
                                + allowed.stream().sorted().toList())), null);
            }
            if (e.getValue().size() != 1) {
                throw FerryException.invalidField(name, "must be given once");
            }
            String value = e.getValue().get(0);
            if (componentType(type, name) == String.class) {
                node.put(name, value);
            } else {
                try {
                    node.set(name, strict.readTree(value));
                } catch (JsonProcessingException notJson) {
                    throw FerryException.invalidField(name, "must be " + (componentType(type, name) == Boolean.class
                            ? "true or false" : "an integer") + ", not \"" + value + "\"");
                }
            }
        }
        return strict.treeToValue(node, type);
    }

    private static Class<?> componentType(Class<?> record, String name) {
        for (RecordComponent c : record.getRecordComponents()) {
            if (c.getName().equals(name)) {
                return c.getType();
            }
        }
        throw new IllegalArgumentException(record.getSimpleName() + " has no component " + name);
    }
}
