package dev.ferry.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Pushes {@link TestImages.Image}s byte-exact to a registry (Docker Registry HTTP API v2).
 * Handles anonymous, HTTP Basic and Bearer token auth (token fetched from the challenge's realm, with Basic creds if
 * configured). Not thread-safe; use one per thread.
 */
public final class RegistryPusher {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CHALLENGE_PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    private final String baseUrl;
    private final HttpClient http;
    private String user;
    private String password;
    /** Current Authorization header value, or null. */
    private String authorization;

    public RegistryPusher(String baseUrl) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    public RegistryPusher withBasic(String user, String pass) {
        this.user = user;
        this.password = pass;
        return this;
    }

    // ------------------------------------------------------------------ push API

    /** Pushes blobs (skipping present ones), then for an index its children by digest, then the manifest under tag. */
    public void push(String repository, String tag, TestImages.Image image) {
        pushContent(repository, image);
        pushManifest(repository, tag, image.mediaType(), image.manifest());
    }

    /** Pushes an image's blobs and children (but not its own manifest). */
    private void pushContent(String repository, TestImages.Image image) {
        for (TestImages.Image child : image.children()) {
            pushContent(repository, child);
            pushManifest(repository, child.digest(), child.mediaType(), child.manifest());
        }
        for (TestImages.Blob b : image.blobs()) {
            pushBlob(repository, b);
        }
    }

    /** Pushes a manifest by digest only (children too); no tag. */
    public void pushByDigest(String repository, TestImages.Image image) {
        push(repository, image.digest(), image);
    }

    public boolean blobExists(String repo, String digest) {
        HttpResponse<byte[]> r = send(() -> HttpRequest.newBuilder(uri("/v2/" + repo + "/blobs/" + digest))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
        if (r.statusCode() == 200) {
            return true;
        }
        if (r.statusCode() == 404) {
            return false;
        }
        throw fail("HEAD blob " + digest, r);
    }

    public void pushBlob(String repo, TestImages.Blob b) {
        if (blobExists(repo, b.digest())) {
            return;
        }
        HttpResponse<byte[]> start = send(() -> HttpRequest.newBuilder(uri("/v2/" + repo + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()));
        if (start.statusCode() != 202) {
            throw fail("POST blob upload for " + b.digest(), start);
        }
        String location = start.headers().firstValue("Location")
                .orElseThrow(() -> new IllegalStateException("blob upload 202 without Location"));
        URI loc = URI.create(baseUrl + "/").resolve(location);
        String sep = loc.getRawQuery() == null ? "?" : "&";
        URI put = URI.create(loc + sep + "digest=" + URLEncoder.encode(b.digest(), StandardCharsets.UTF_8));
        HttpResponse<byte[]> done = send(() -> HttpRequest.newBuilder(put)
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(b.bytes())));
        if (done.statusCode() != 201) {
            throw fail("PUT blob " + b.digest(), done);
        }
        String got = done.headers().firstValue("Docker-Content-Digest").orElse(b.digest());
        if (!got.equals(b.digest())) {
            throw new IllegalStateException("registry stored blob as " + got + ", expected " + b.digest());
        }
    }

    public void pushManifest(String repo, String reference, String mediaType, byte[] bytes) {
        HttpResponse<byte[]> r = send(() -> HttpRequest.newBuilder(uri("/v2/" + repo + "/manifests/" + reference))
                .header("Content-Type", mediaType)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)));
        if (r.statusCode() != 201) {
            throw fail("PUT manifest " + repo + ":" + reference, r);
        }
        String expected = TestImages.sha256(bytes);
        String got = r.headers().firstValue("Docker-Content-Digest").orElse(expected);
        if (!got.equals(expected)) {
            throw new IllegalStateException("registry stored manifest as " + got + ", expected " + expected);
        }
    }

    /** PUTs the existing manifest bytes of {@code image} under another tag. */
    public void tag(String repo, String tag, TestImages.Image image) {
        pushManifest(repo, tag, image.mediaType(), image.manifest());
    }

    /** GET manifest; {@code accept} may be null (then all common manifest types are accepted). */
    public byte[] getManifest(String repo, String reference, String accept) {
        String acc = accept != null ? accept : String.join(", ", List.of(TestImages.OCI_MANIFEST,
                TestImages.OCI_INDEX, TestImages.DOCKER_MANIFEST, TestImages.DOCKER_MANIFEST_LIST));
        HttpResponse<byte[]> r = send(() -> HttpRequest.newBuilder(uri("/v2/" + repo + "/manifests/" + reference))
                .header("Accept", acc).GET());
        if (r.statusCode() != 200) {
            throw fail("GET manifest " + repo + ":" + reference, r);
        }
        return r.body();
    }

    /** DELETE a manifest by digest (registry must have delete enabled); returns the HTTP status. */
    public int deleteManifest(String repo, String digest) {
        return send(() -> HttpRequest.newBuilder(uri("/v2/" + repo + "/manifests/" + digest)).DELETE()).statusCode();
    }

    /** Raw authenticated request helper for tests: {@code path} like "/v2/repo/tags/list". */
    public HttpResponse<byte[]> get(String path, Map<String, String> headers) {
        return send(() -> {
            HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).GET();
            headers.forEach(b::header);
            return b;
        });
    }

    // ------------------------------------------------------------------ auth + transport

    private URI uri(String path) {
        return URI.create(baseUrl + path);
    }

    private HttpResponse<byte[]> send(Supplier<HttpRequest.Builder> req) {
        HttpResponse<byte[]> r = sendOnce(req.get());
        if (r.statusCode() != 401) {
            return r;
        }
        String challenge = r.headers().firstValue("WWW-Authenticate").orElse("");
        if (challenge.regionMatches(true, 0, "Bearer", 0, 6)) {
            authorization = "Bearer " + fetchToken(challenge);
        } else if (challenge.regionMatches(true, 0, "Basic", 0, 5) && user != null) {
            authorization = basic();
        } else {
            return r;
        }
        return sendOnce(req.get());
    }

    private HttpResponse<byte[]> sendOnce(HttpRequest.Builder b) {
        b.timeout(Duration.ofSeconds(30));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new IllegalStateException("HTTP request to " + baseUrl + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private String fetchToken(String challenge) {
        Map<String, String> params = new LinkedHashMap<>();
        Matcher m = CHALLENGE_PARAM.matcher(challenge);
        while (m.find()) {
            params.put(m.group(1).toLowerCase(), m.group(2));
        }
        String realm = params.get("realm");
        if (realm == null) {
            throw new IllegalStateException("Bearer challenge without realm: " + challenge);
        }
        StringBuilder q = new StringBuilder();
        if (params.containsKey("service")) {
            q.append("service=").append(URLEncoder.encode(params.get("service"), StandardCharsets.UTF_8));
        }
        if (params.containsKey("scope")) {
            for (String s : params.get("scope").split(" ")) {
                q.append(q.length() > 0 ? "&" : "").append("scope=").append(URLEncoder.encode(s, StandardCharsets.UTF_8));
            }
        }
        URI tokenUri = URI.create(realm + (q.length() == 0 ? "" : (realm.contains("?") ? "&" : "?") + q));
        HttpRequest.Builder b = HttpRequest.newBuilder(tokenUri).timeout(Duration.ofSeconds(30)).GET();
        if (user != null) {
            b.header("Authorization", basic());
        }
        HttpResponse<byte[]> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new IllegalStateException("token request to " + tokenUri + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        if (r.statusCode() != 200) {
            throw fail("GET token " + tokenUri, r);
        }
        try {
            JsonNode n = JSON.readTree(r.body());
            String token = n.path("token").asText(null);
            if (token == null || token.isEmpty()) {
                token = n.path("access_token").asText(null);
            }
            if (token == null || token.isEmpty()) {
                throw new IllegalStateException("token response without token: " + new String(r.body(), StandardCharsets.UTF_8));
            }
            return token;
        } catch (IOException e) {
            throw new IllegalStateException("bad token response", e);
        }
    }

    private String basic() {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static IllegalStateException fail(String what, HttpResponse<byte[]> r) {
        String body = r.body() == null ? "" : new String(r.body(), StandardCharsets.UTF_8);
        if (body.length() > 2000) {
            body = body.substring(0, 2000) + "...";
        }
        return new IllegalStateException(what + " -> HTTP " + r.statusCode() + " "
                + r.headers().firstValue("WWW-Authenticate").map(h -> "[WWW-Authenticate: " + h + "] ").orElse("")
                + body);
    }
}
