package dev.ferry.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Secured mode's decisions for the hook and notification endpoints: only a delivery is outside caller authentication. */
class HookRoutesTest {
    @Test
    void shouldLeaveOnlyDeliveriesOutsideCallerAuthentication() {
        assertFalse(ApiGuard.guarded("POST", "/api/v1/hooks/staging-push"), "a delivery carries the hook's own secret");
        assertTrue(ApiGuard.guarded("POST", "/api/v1/hooks"), "creating a hook");
        assertTrue(ApiGuard.guarded("GET", "/api/v1/hooks"));
        assertTrue(ApiGuard.guarded("GET", "/api/v1/hooks/staging-push"));
        assertTrue(ApiGuard.guarded("PUT", "/api/v1/hooks/staging-push"));
        assertTrue(ApiGuard.guarded("DELETE", "/api/v1/hooks/staging-push"));
        assertTrue(ApiGuard.guarded("POST", "/api/v1/hooks/a/b"), "nothing below a hook's path is a delivery");
        assertTrue(ApiGuard.guarded("GET", "/api/v1/notifications/deliveries"));
    }

    @Test
    void shouldRequireTheAdminRoleToManageHooksAndReadTheDeliveryLog() {
        for (String[] call : new String[][] {{"POST", "/api/v1/hooks"}, {"GET", "/api/v1/hooks"}, {"GET", "/api/v1/hooks/x"},
                {"PUT", "/api/v1/hooks/x"}, {"DELETE", "/api/v1/hooks/x"}, {"GET", "/api/v1/notifications/deliveries"}}) {
            assertEquals(Role.ADMIN, ApiGuard.required(call[0], call[1]), call[0] + " " + call[1]);
        }
    }
}
