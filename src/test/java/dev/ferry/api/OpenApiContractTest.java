package dev.ferry.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.ferry.error.ProblemType;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.MatrixParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * openapi/ferry.yaml is the source of truth of the HTTP API; this test fails whenever it and the code disagree:
 * the served document is the file, every resource method is documented (and nothing else under /api),
 * request and response records match their schemas field for field, and every problem type is listed.
 */
@QuarkusTest
class OpenApiContractTest {
    private static final java.nio.file.Path DOCUMENT = java.nio.file.Path.of("openapi", "ferry.yaml");
    private static final String API_PACKAGE = "dev.ferry.api";
    private static final Set<String> HTTP_METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");
    private static final Set<Class<? extends Annotation>> NON_BODY = Set.of(PathParam.class, QueryParam.class,
            HeaderParam.class, CookieParam.class, MatrixParam.class, FormParam.class, BeanParam.class, Context.class);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static JsonNode document;

    @BeforeAll
    static void readDocument() throws IOException {
        assertTrue(Files.isRegularFile(DOCUMENT), DOCUMENT.toAbsolutePath() + " is missing");
        document = new ObjectMapper(new YAMLFactory()).readTree(DOCUMENT.toFile());
    }

    /** One JAX-RS resource method: HTTP method (lowercase), full path and the Java method. */
    record Endpoint(String method, String path, Method java) {
        String key() {
            return method.toUpperCase(Locale.ROOT) + " " + path;
        }
    }

    @Test
    void shouldServeTheDocumentInOpenapiFolder() throws IOException {
        String body = given().queryParam("format", "json").get("/q/openapi")
                .then().statusCode(200).extract().asString();
        JsonNode served = JSON.readTree(body);
        for (String part : List.of("paths", "components")) {
            List<String> differences = new ArrayList<>();
            diff("/" + part, document.path(part), served.path(part), differences);
            assertTrue(differences.isEmpty(), "/q/openapi differs from " + DOCUMENT + " in " + part + ":\n  "
                    + String.join("\n  ", differences.subList(0, Math.min(20, differences.size()))));
        }
        assertEquals(document.path("openapi").asText(), served.path("openapi").asText(), "OpenAPI version served");
        assertEquals(document.path("info").path("title").asText(), served.path("info").path("title").asText());
        assertEquals(document.path("info").path("version").asText(), served.path("info").path("version").asText());
    }

    @Test
    void shouldDocumentEveryResourceMethodOfTheCode() {
        List<String> missing = new ArrayList<>();
        for (Endpoint e : endpoints()) {
            if (document.path("paths").path(e.path()).path(e.method()).isMissingNode()) {
                missing.add(e.key() + " (" + e.java().getDeclaringClass().getSimpleName() + "." + e.java().getName() + ")");
            }
        }
        assertTrue(missing.isEmpty(), "resource methods missing from " + DOCUMENT + ": " + missing);
    }

    @Test
    void shouldOnlyDocumentApiOperationsThatExistInTheCode() {
        Set<String> inCode = endpoints().stream().map(Endpoint::key).collect(Collectors.toSet());
        Set<String> extra = new TreeSet<>();
        document.path("paths").fields().forEachRemaining(path -> {
            if (!path.getKey().startsWith("/api/")) {
                return; // /q/... belongs to Quarkus (health, metrics)
            }
            path.getValue().fieldNames().forEachRemaining(m -> {
                if (HTTP_METHODS.contains(m) && !inCode.contains(m.toUpperCase(Locale.ROOT) + " " + path.getKey())) {
                    extra.add(m.toUpperCase(Locale.ROOT) + " " + path.getKey());
                }
            });
        });
        assertTrue(extra.isEmpty(), DOCUMENT + " documents operations the code lacks: " + extra);
    }

    @Test
    void shouldDescribeEachRequestRecordWithExactlyItsComponents() {
        int records = 0;
        for (Endpoint e : endpoints()) {
            Class<?> body = bodyType(e.java());
            if (body == null || !body.isRecord()) {
                continue;
            }
            records++;
            JsonNode op = document.path("paths").path(e.path()).path(e.method());
            JsonNode schemaRef = op.path("requestBody").path("content").path("application/json").path("schema");
            assertEquals("#/components/schemas/" + body.getSimpleName(), schemaRef.path("$ref").asText(null),
                    e.key() + " takes a " + body.getSimpleName() + " as application/json");
            JsonNode schema = schema(body.getSimpleName());
            assertEquals(jsonNames(body), propertyNames(schema),
                    "properties of schema " + body.getSimpleName() + " vs the record's components");
            assertFalse(schema.path("additionalProperties").asBoolean(true),
                    "schema " + body.getSimpleName() + " must say additionalProperties: false (unknown fields are rejected)");
            schema.path("required").forEach(r -> assertTrue(schema.path("properties").has(r.asText()),
                    body.getSimpleName() + " requires an undeclared property " + r));
            assertTrue(op.path("requestBody").path("content").path("application/json").has("examples")
                    || op.path("requestBody").path("content").path("application/json").has("example"),
                    e.key() + " has no request example");
        }
        assertTrue(records >= 2, "expected the request records InspectRequest and ListTagsRequest, found " + records);
    }

    @Test
    void shouldDescribeEachResponseRecordWithExactlyItsJsonFields() {
        for (Endpoint e : endpoints()) {
            Class<?> answer = answerType(e.java());
            if (answer == null || !answer.isRecord() || !producesJson(e.java())) {
                continue; // a record written as another media type (the export's tar body) has no JSON schema
            }
            JsonNode ok = document.path("paths").path(e.path()).path(e.method()).path("responses").path("200")
                    .path("content").path("application/json").path("schema");
            assertEquals("#/components/schemas/" + answer.getSimpleName(), ok.path("$ref").asText(null),
                    e.key() + " answers a " + answer.getSimpleName());
            assertEquals(jsonNames(answer), propertyNames(schema(answer.getSimpleName())),
                    "properties of schema " + answer.getSimpleName() + " vs the record's JSON fields");
        }
        assertEquals(jsonNames(Problem.class), propertyNames(schema("Problem")), "properties of schema Problem");
    }

    @Test
    void shouldListEveryProblemTypeWithItsStatusAndTitle() {
        JsonNode problem = schema("Problem");
        Set<String> documented = new TreeSet<>();
        problem.path("properties").path("type").path("enum").forEach(t -> documented.add(t.asText()));
        Set<String> inCode = Arrays.stream(ProblemType.values()).map(ProblemType::uri).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(inCode, documented, "enum of Problem.type vs ProblemType");

        String table = problem.path("description").asText();
        for (ProblemType t : ProblemType.values()) {
            String row = "| `" + t.uri() + "` | " + t.status() + " | " + t.title() + " |";
            assertTrue(table.contains(row), "the Problem description lacks the row " + row);
        }
    }

    @Test
    void shouldAnswerEveryErrorOfAnApiOperationAsProblemJson() {
        List<String> wrong = new ArrayList<>();
        for (Endpoint e : endpoints()) {
            JsonNode responses = document.path("paths").path(e.path()).path(e.method()).path("responses");
            assertTrue(responses.has("500"), e.key() + " does not list 500");
            responses.fields().forEachRemaining(r -> {
                if (r.getKey().startsWith("4") || r.getKey().startsWith("5")) {
                    JsonNode response = resolve(r.getValue());
                    JsonNode content = response.path("content");
                    if (content.size() != 1 || !content.has(Problem.MEDIA_TYPE)
                            || !"#/components/schemas/Problem".equals(content.path(Problem.MEDIA_TYPE).path("schema").path("$ref").asText())) {
                        wrong.add(e.key() + " " + r.getKey());
                    }
                }
            });
        }
        assertTrue(wrong.isEmpty(), "error responses not described as application/problem+json Problem: " + wrong);
    }

    // --- the code side ---

    private static List<Endpoint> endpoints() {
        List<Endpoint> all = new ArrayList<>();
        for (Class<?> resource : resourceClasses()) {
            String base = resource.getAnnotation(Path.class).value();
            for (Method m : resource.getMethods()) {
                String http = httpMethod(m);
                Path sub = m.getAnnotation(Path.class);
                if (http == null) {
                    assertTrue(sub == null, "sub-resource locator " + m + " is not supported by this test");
                    continue;
                }
                all.add(new Endpoint(http.toLowerCase(Locale.ROOT), join(base, sub == null ? "" : sub.value()), m));
            }
        }
        assertFalse(all.isEmpty(), "no resource methods found in " + API_PACKAGE);
        return all;
    }

    /** The classes of {@code dev.ferry.api} annotated with {@code @Path}, found on disk next to ReadResource. */
    private static List<Class<?>> resourceClasses() {
        URL self = ReadResource.class.getResource(ReadResource.class.getSimpleName() + ".class");
        assertTrue(self != null && "file".equals(self.getProtocol()), "cannot list the classes of " + API_PACKAGE + " from " + self);
        java.nio.file.Path dir;
        try {
            dir = java.nio.file.Path.of(self.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        List<Class<?>> resources = new ArrayList<>();
        try (Stream<java.nio.file.Path> files = Files.list(dir)) {
            for (java.nio.file.Path f : files.sorted().toList()) {
                String file = f.getFileName().toString();
                if (!file.endsWith(".class") || file.contains("$")) {
                    continue;
                }
                Class<?> c = Class.forName(API_PACKAGE + "." + file.substring(0, file.length() - ".class".length()),
                        false, ReadResource.class.getClassLoader());
                if (c.isAnnotationPresent(Path.class)) {
                    resources.add(c);
                }
            }
        } catch (IOException | ClassNotFoundException e) {
            throw new IllegalStateException("cannot list the classes of " + API_PACKAGE, e);
        }
        assertTrue(resources.contains(ReadResource.class), "ReadResource not found among " + resources);
        return resources;
    }

    private static String httpMethod(Method m) {
        for (Annotation a : m.getAnnotations()) {
            HttpMethod h = a.annotationType().getAnnotation(HttpMethod.class);
            if (h != null) {
                return h.value();
            }
        }
        return null;
    }

    /** Joins JAX-RS paths; {@code {name: regex}} templates become {@code {name}} as in OpenAPI. */
    private static String join(String base, String sub) {
        String path = ("/" + base + "/" + sub).replaceAll("/+", "/");
        if (path.length() > 1 && path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return path.replaceAll("\\{\\s*([^}:\\s]+)\\s*:[^}]*}", "{$1}");
    }

    private static Class<?> bodyType(Method m) {
        Class<?> body = null;
        for (Parameter p : m.getParameters()) {
            if (Arrays.stream(p.getAnnotations()).noneMatch(a -> NON_BODY.contains(a.annotationType()))) {
                assertTrue(body == null, m + " has two body parameters");
                body = p.getType();
            }
        }
        return body;
    }

    /** The entity type a resource method answers, looking through {@code Uni<T>} and the like. */
    /** Whether the method answers JSON: its own {@code @Produces}, else its class's, else JSON by default. */
    private static boolean producesJson(Method m) {
        jakarta.ws.rs.Produces p = m.getAnnotation(jakarta.ws.rs.Produces.class);
        if (p == null) {
            p = m.getDeclaringClass().getAnnotation(jakarta.ws.rs.Produces.class);
        }
        return p == null || java.util.Arrays.stream(p.value()).anyMatch(v -> v.contains("json"));
    }

    private static Class<?> answerType(Method m) {
        Type t = m.getGenericReturnType();
        while (t instanceof ParameterizedType p && p.getActualTypeArguments().length == 1
                && !(p.getRawType() instanceof Class<?> raw && Iterable.class.isAssignableFrom(raw))) {
            t = p.getActualTypeArguments()[0];
        }
        return t instanceof Class<?> c ? c : null;
    }

    /** The JSON field names of a record as Jackson reads and writes it (components, @JsonProperty names and getters). */
    private static Set<String> jsonNames(Class<?> record) {
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        Set<String> names = new TreeSet<>();
        mapper.getSerializationConfig().introspect(mapper.constructType(record)).findProperties()
                .forEach(p -> names.add(p.getName()));
        return names;
    }

    // --- the document side ---

    private static JsonNode schema(String name) {
        JsonNode s = document.path("components").path("schemas").path(name);
        assertFalse(s.isMissingNode(), "components.schemas." + name + " is missing from " + DOCUMENT);
        return s;
    }

    private static Set<String> propertyNames(JsonNode schema) {
        Set<String> names = new TreeSet<>();
        schema.path("properties").fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static JsonNode resolve(JsonNode node) {
        String ref = node.path("$ref").asText(null);
        if (ref == null) {
            return node;
        }
        assertTrue(ref.startsWith("#/"), "only local references are supported: " + ref);
        JsonNode target = document.at(ref.substring(1));
        assertFalse(target.isMissingNode(), "dangling reference " + ref);
        return resolve(target);
    }

    /** Collects the JSON pointers where two trees differ (numbers compared by value). */
    private static void diff(String at, JsonNode expected, JsonNode actual, List<String> out) {
        if (expected.isNumber() && actual.isNumber()) {
            if (expected.decimalValue().compareTo(actual.decimalValue()) != 0) {
                out.add(at + ": file " + expected + ", served " + actual);
            }
            return;
        }
        if (expected.isObject() && actual.isObject()) {
            Set<String> keys = new LinkedHashSet<>();
            expected.fieldNames().forEachRemaining(keys::add);
            actual.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                String p = at + "/" + k.replace("~", "~0").replace("/", "~1");
                if (!expected.has(k)) {
                    out.add(p + ": only served (" + abbreviate(actual.get(k)) + ")");
                } else if (!actual.has(k)) {
                    out.add(p + ": only in the file (" + abbreviate(expected.get(k)) + ")");
                } else {
                    diff(p, expected.get(k), actual.get(k), out);
                }
            }
            return;
        }
        if (expected.isArray() && actual.isArray() && expected.size() == actual.size()) {
            Iterator<JsonNode> e = expected.elements();
            Iterator<JsonNode> a = actual.elements();
            for (int i = 0; e.hasNext(); i++) {
                diff(at + "/" + i, e.next(), a.next(), out);
            }
            return;
        }
        if (!expected.equals(actual)) {
            out.add(at + ": file " + abbreviate(expected) + ", served " + abbreviate(actual));
        }
    }

    private static String abbreviate(JsonNode n) {
        String s = String.valueOf(n);
        return s.length() > 120 ? s.substring(0, 120) + "…" : s;
    }
}
