package dev.ferry.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.config.FerryConfig;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** AES-GCM at rest: round trip, bound to its job, rotation, and nothing without a key. */
class SecretBoxTest {
    private static final String K1 = Base64.getEncoder().encodeToString(new byte[32]);
    private static final String K2 = Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());

    /** A FerryConfig whose store group has these keys (everything else unused here). */
    private static FerryConfig config(String key, List<String> previous) {
        FerryConfig.Store store = (FerryConfig.Store) Proxy.newProxyInstance(SecretBoxTest.class.getClassLoader(),
                new Class<?>[] {FerryConfig.Store.class}, (p, m, a) -> switch (m.getName()) {
                    case "secretKey" -> Optional.ofNullable(key);
                    case "secretKeyFile" -> Optional.empty();
                    case "previousSecretKeys" -> Optional.ofNullable(previous);
                    case "lease" -> Duration.ofSeconds(30);
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        return (FerryConfig) Proxy.newProxyInstance(SecretBoxTest.class.getClassLoader(), new Class<?>[] {FerryConfig.class},
                (p, m, a) -> {
                    if (m.getName().equals("store")) {
                        return store;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }

    @Test
    void shouldOpenWhatItSealedForThatJobOnly() {
        SecretBox box = new SecretBox(config(K1, null));
        assertTrue(box.enabled());
        String sealed = box.seal("job-1", "{\"destCreds\":\"u:s3cret\"}");
        assertFalse(sealed.contains("s3cret"));
        assertNotEquals(sealed, box.seal("job-1", "{\"destCreds\":\"u:s3cret\"}"), "a fresh nonce each time");
        assertEquals("{\"destCreds\":\"u:s3cret\"}", box.open("job-1", sealed).orElseThrow());
        assertTrue(box.open("job-2", sealed).isEmpty(), "bound to its job: cannot be moved to another");
        String tampered = sealed.substring(0, sealed.length() - 4) + (sealed.endsWith("AAAA") ? "BBBB" : "AAAA");
        assertTrue(box.open("job-1", tampered).isEmpty());
    }

    @Test
    void shouldStillOpenWithAPreviousKeyAfterRotation() {
        String sealedWithOld = new SecretBox(config(K1, null)).seal("job-1", "x");
        SecretBox rotated = new SecretBox(config(K2, List.of(K1)));
        assertEquals("x", rotated.open("job-1", sealedWithOld).orElseThrow());
        assertTrue(rotated.seal("job-1", "y").startsWith(rotated.seal("job-2", "z").substring(0, 9)), "new seals use the new key");
        assertTrue(new SecretBox(config(K2, null)).open("job-1", sealedWithOld).isEmpty(), "a dropped key opens nothing");
    }

    @Test
    void shouldBeOffWithoutAKeyAndRefuseABadOne() {
        assertFalse(new SecretBox(config(null, null)).enabled());
        assertThrows(IllegalStateException.class, () -> new SecretBox(config("not base64!", null)));
        assertThrows(IllegalStateException.class, () -> new SecretBox(config(Base64.getEncoder().encodeToString(new byte[7]), null)));
    }

    @Test
    void shouldPutStoredSecretsBackAndStrikeThemFromRedacted() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode stored = json.createObjectNode().put("source", "a/b:1");
        stored.putArray("redacted").add("srcCreds").add("REGISTRY.credentials");
        ObjectNode secrets = json.createObjectNode().put("srcCreds", "u:p");
        ObjectNode back = StoredRequests.withSecrets(stored, secrets);
        assertEquals("u:p", back.get("srcCreds").asText());
        assertEquals(1, back.get("redacted").size(), "what was not kept stays listed");
        assertFalse(stored.has("srcCreds"), "the stored request is not changed");
    }
}
