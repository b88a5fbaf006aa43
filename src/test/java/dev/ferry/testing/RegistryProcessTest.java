package dev.ferry.testing;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RegistryProcessTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    static HttpResponse<String> get(String url, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).GET();
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String basic(String u, String p) {
        return "Basic " + Base64.getEncoder().encodeToString((u + ":" + p).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void anonymousStartsAnswersAndStopsCleanly() throws Exception {
        RegistryProcess reg = RegistryProcess.anonymous();
        Path log = reg.logFile();
        Path dir = log.getParent();
        try {
            assertTrue(reg.isRunning());
            assertEquals("http://" + reg.hostPort(), reg.baseUrl());
            assertTrue(reg.hostPort().startsWith("127.0.0.1:"));
            HttpResponse<String> r = get(reg.baseUrl() + "/v2/", null);
            assertEquals(200, r.statusCode());
            assertEquals("registry/2.0", r.headers().firstValue("Docker-Distribution-Api-Version").orElse(""));
            assertTrue(Files.exists(log));
        } finally {
            reg.close();
        }
        assertFalse(reg.isRunning());
        assertFalse(Files.exists(dir), "temp dir deleted");
        reg.stop(); // idempotent
        try (Socket s = new Socket()) {
            assertThrows(IOException.class, () -> s.connect(new InetSocketAddress("127.0.0.1", reg.port()), 500));
        }
    }

    @Test
    void deleteEnabledIsConfigurable() {
        TestImages.Image img = new TestImages(11).ociImage(1, 128);
        try (RegistryProcess off = RegistryProcess.anonymous(false)) {
            RegistryPusher p = new RegistryPusher(off.baseUrl());
            p.push("del/test", "v1", img);
            assertEquals(405, p.deleteManifest("del/test", img.digest()));
        }
        RegistryProcess on = SharedRegistries.get().anonymous();
        RegistryPusher p = new RegistryPusher(on.baseUrl());
        p.push("del/test", "v1", img);
        assertEquals(202, p.deleteManifest("del/test", img.digest()));
    }

    @Test
    void htpasswdRequiresBasicAuth() throws Exception {
        RegistryProcess reg = SharedRegistries.get().htpasswd();
        HttpResponse<String> anon = get(reg.baseUrl() + "/v2/", null);
        assertEquals(401, anon.statusCode());
        assertTrue(anon.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic realm="));
        assertEquals(401, get(reg.baseUrl() + "/v2/", basic("ferry", "wrong")).statusCode());
        assertEquals(200, get(reg.baseUrl() + "/v2/", basic(SharedRegistries.USER, SharedRegistries.PASSWORD))
                .statusCode());
    }

    @Test
    void tokenRegistryChallengesWithBearer() throws Exception {
        SharedRegistries s = SharedRegistries.get();
        HttpResponse<String> r = get(s.token().baseUrl() + "/v2/", null);
        assertEquals(401, r.statusCode());
        String challenge = r.headers().firstValue("WWW-Authenticate").orElse("");
        assertTrue(challenge.startsWith("Bearer realm=\"" + s.tokenServer().realm() + "\""), challenge);
        assertTrue(challenge.contains("service=\"" + s.tokenServer().service() + "\""), challenge);
    }

    @Test
    void failedStartReportsLogTail() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> RegistryProcess.custom(true, "auth:\n  no-such-auth-backend: {}\n"));
        assertTrue(e.getMessage().contains("log tail"), e.getMessage());
        assertTrue(e.getMessage().contains("no-such-auth-backend"), e.getMessage());
    }
}
