package dev.ferry.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Minimal Docker registry token server (distribution "token auth" spec) on 127.0.0.1.
 * RS256 JWTs whose header carries the self-signed cert in {@code x5c}; the cert PEM is at {@link #certBundlePath()}
 * and is meant as {@code auth.token.rootcertbundle} of a {@link RegistryProcess#tokenAuth(TokenServer)}.
 *
 * <p>Endpoint {@code GET /token?service=..&scope=..} (also OAuth2-style {@code POST /token} with form fields
 * grant_type=password, username, password, service, scope). Wrong credentials → 401; valid user → all requested
 * actions; no credentials → only {@code pull} if {@link #setAnonymousPull(boolean)} is on, else an empty access list.
 */
public final class TokenServer implements AutoCloseable {

    public static final String ISSUER = "ferry-test-issuer";
    public static final String SERVICE = "ferry-test-registry";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
    private static final int EXPIRES_IN = 300;

    private final Map<String, String> users;
    private final HttpServer server;
    private final ExecutorService executor;
    private final Path tempDir;
    private final Path certBundle;
    private final PrivateKey privateKey;
    private final String x5cLeaf;
    private final AtomicInteger tokenRequests = new AtomicInteger();
    private final List<String> requestedScopes = new CopyOnWriteArrayList<>();
    private final SecureRandom random = new SecureRandom();
    private volatile boolean anonymousPull;
    private volatile int expiresInSeconds = EXPIRES_IN;

    private TokenServer(Map<String, String> users) throws Exception {
        this.users = Map.copyOf(users);
        this.tempDir = Files.createTempDirectory("ferry-token-");
        Path p12 = tempDir.resolve("token.p12");
        String storePass = "ferry-test-store";
        runKeytool("-genkeypair", "-alias", "token", "-keyalg", "RSA", "-keysize", "2048", "-sigalg", "SHA256withRSA",
                "-validity", "3650", "-dname", "CN=ferry-test-token-signer", "-storetype", "PKCS12",
                "-keystore", p12.toString(), "-storepass", storePass, "-keypass", storePass);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, storePass.toCharArray());
        }
        this.privateKey = (PrivateKey) ks.getKey("token", storePass.toCharArray());
        X509Certificate cert = (X509Certificate) ks.getCertificate("token");
        byte[] der = cert.getEncoded();
        this.x5cLeaf = Base64.getEncoder().encodeToString(der);
        this.certBundle = tempDir.resolve("token-ca.pem");
        String pem = "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END CERTIFICATE-----\n";
        Files.writeString(certBundle, pem, StandardCharsets.US_ASCII);

        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 50);
        this.executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "ferry-token-server");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/token", this::handle);
        server.start();
    }

    public static TokenServer start(Map<String, String> users) {
        try {
            return new TokenServer(users);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("cannot start TokenServer: " + e, e);
        }
    }

    // ------------------------------------------------------------------ accessors

    public String realm() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    public String service() {
        return SERVICE;
    }

    public String issuer() {
        return ISSUER;
    }

    public Path certBundlePath() {
        return certBundle;
    }

    public void setAnonymousPull(boolean anonymousPull) {
        this.anonymousPull = anonymousPull;
    }

    public boolean isAnonymousPull() {
        return anonymousPull;
    }

    /** Lifetime of issued tokens (default 300 s). Values below 60 make the registry reject tokens sooner. */
    public void setExpiresInSeconds(int seconds) {
        this.expiresInSeconds = seconds;
    }

    /** Number of token requests received (any outcome, including 401). */
    public int tokenRequests() {
        return tokenRequests.get();
    }

    /** Every {@code scope} value received, in arrival order (one entry per scope). */
    public List<String> requestedScopes() {
        return Collections.unmodifiableList(new ArrayList<>(requestedScopes));
    }

    /** Zeroes {@link #tokenRequests()} and clears {@link #requestedScopes()}. */
    public void resetCounters() {
        tokenRequests.set(0);
        requestedScopes.clear();
    }

    /** Issue a token directly (no HTTP), e.g. for tests that need a valid bearer token in hand. */
    public String issueToken(String subject, List<String> scopes) {
        return jwt(subject == null ? "" : subject, grant(scopes, subject != null));
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        RegistryProcess.deleteRecursively(tempDir);
    }

    // ------------------------------------------------------------------ handler

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            tokenRequests.incrementAndGet();
            String method = ex.getRequestMethod();
            Map<String, List<String>> params = parseQuery(ex.getRequestURI().getRawQuery());
            String user = null;
            String pass = null;
            if ("POST".equals(method)) {
                String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                parseQuery(body).forEach((k, v) -> params.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
                if (params.containsKey("username")) {
                    user = first(params, "username");
                    pass = first(params, "password");
                }
            } else if (!"GET".equals(method)) {
                send(ex, 405, "{\"errors\":[{\"code\":\"UNSUPPORTED\",\"message\":\"method not allowed\"}]}");
                return;
            }
            String authz = ex.getRequestHeaders().getFirst("Authorization");
            if (user == null && authz != null && authz.regionMatches(true, 0, "Basic ", 0, 6)) {
                String decoded;
                try {
                    decoded = new String(Base64.getDecoder().decode(authz.substring(6).trim()), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    decoded = "";
                }
                int colon = decoded.indexOf(':');
                user = colon < 0 ? decoded : decoded.substring(0, colon);
                pass = colon < 0 ? "" : decoded.substring(colon + 1);
            }
            List<String> scopes = new ArrayList<>();
            for (String s : params.getOrDefault("scope", List.of())) {
                for (String part : s.split(" ")) {
                    if (!part.isBlank()) {
                        scopes.add(part);
                    }
                }
            }
            requestedScopes.addAll(scopes);
            String service = first(params, "service");
            if (service != null && !service.equals(SERVICE)) {
                send(ex, 400, "{\"errors\":[{\"code\":\"INVALID_REQUEST\",\"message\":\"unknown service\"}]}");
                return;
            }
            boolean authenticated = false;
            if (user != null) {
                String expected = users.get(user);
                if (expected == null || !expected.equals(pass)) {
                    ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"ferry-test-token\"");
                    send(ex, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"invalid credentials\"}]}");
                    return;
                }
                authenticated = true;
            }
            String token = jwt(authenticated ? user : "", grant(scopes, authenticated));
            ObjectNode resp = JSON.createObjectNode();
            resp.put("token", token);
            resp.put("access_token", token);
            resp.put("expires_in", expiresInSeconds);
            resp.put("issued_at", Instant.now().toString());
            send(ex, 200, JSON.writeValueAsString(resp));
        } catch (RuntimeException e) {
            send(ex, 500, "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":" + JSON.writeValueAsString(e.toString()) + "}]}");
        }
    }

    private ArrayNode grant(List<String> scopes, boolean authenticated) {
        // merge duplicate type/name pairs, keep requested order
        Map<String, Set<String>> byResource = new LinkedHashMap<>();
        for (String scope : scopes) {
            int first = scope.indexOf(':');
            int last = scope.lastIndexOf(':');
            if (first < 0 || last <= first) {
                continue;
            }
            String key = scope.substring(0, last);
            Set<String> actions = byResource.computeIfAbsent(key, k -> new LinkedHashSet<>());
            for (String a : scope.substring(last + 1).split(",")) {
                a = a.trim();
                if (a.isEmpty()) {
                    continue;
                }
                if (authenticated || (anonymousPull && a.equals("pull"))) {
                    actions.add(a);
                }
            }
        }
        ArrayNode access = JSON.createArrayNode();
        byResource.forEach((key, actions) -> {
            if (actions.isEmpty()) {
                return;
            }
            int colon = key.indexOf(':');
            ObjectNode entry = access.addObject();
            entry.put("type", key.substring(0, colon));
            entry.put("name", key.substring(colon + 1));
            ArrayNode acts = entry.putArray("actions");
            actions.forEach(acts::add);
        });
        return access;
    }

    private String jwt(String subject, ArrayNode access) {
        try {
            ObjectNode header = JSON.createObjectNode();
            header.put("typ", "JWT");
            header.put("alg", "RS256");
            header.putArray("x5c").add(x5cLeaf);
            long now = Instant.now().getEpochSecond();
            byte[] jti = new byte[16];
            random.nextBytes(jti);
            ObjectNode claims = JSON.createObjectNode();
            claims.put("iss", ISSUER);
            claims.put("sub", subject);
            claims.put("aud", SERVICE);
            claims.put("exp", now + expiresInSeconds);
            claims.put("nbf", now - 30);
            claims.put("iat", now);
            claims.put("jti", HexFormat.of().formatHex(jti));
            claims.set("access", access);
            String signingInput = B64URL.encodeToString(JSON.writeValueAsBytes(header)) + "."
                    + B64URL.encodeToString(JSON.writeValueAsBytes(claims));
            Signature sig = Signature.getInstance("SHA256withRSA");
            sig.initSign(privateKey);
            sig.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + B64URL.encodeToString(sig.sign());
        } catch (Exception e) {
            throw new IllegalStateException("cannot sign token", e);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(bytes);
        }
    }

    private static String first(Map<String, List<String>> params, String key) {
        List<String> v = params.get(key);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    static Map<String, List<String>> parseQuery(String raw) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return out;
    }

    private static void runKeytool(String... args) throws IOException, InterruptedException {
        String javaHome = System.getProperty("java.home");
        Path keytool = Path.of(javaHome, "bin", "keytool");
        List<String> cmd = new ArrayList<>();
        cmd.add(Files.isExecutable(keytool) ? keytool.toString() : "keytool");
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("ferry-keytool-", ".log");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("keytool timed out");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("keytool failed (" + p.exitValue() + "): " + Files.readString(out));
            }
        } finally {
            try {
                Files.deleteIfExists(out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
