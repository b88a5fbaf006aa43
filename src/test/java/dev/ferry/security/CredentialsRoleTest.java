package dev.ferry.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Stored registry credentials are an admin's business in secured mode: listing, login and logout alike. */
class CredentialsRoleTest {
    @Test
    void shouldRequireTheAdminRoleForEveryCredentialsEndpoint() {
        assertEquals(Role.ADMIN, ApiGuard.required("GET", "/api/v1/credentials"));
        assertEquals(Role.ADMIN, ApiGuard.required("PUT", "/api/v1/credentials/registry.example.com"));
        assertEquals(Role.ADMIN, ApiGuard.required("DELETE", "/api/v1/credentials/registry.example.com"));
        assertTrue(ApiGuard.guarded("PUT", "/api/v1/credentials/registry.example.com"));
    }
}
