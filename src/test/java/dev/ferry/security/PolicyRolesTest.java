package dev.ferry.security;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Secured mode's role decisions for policies and retries (issue 13); everything else is covered by SecuredModeTest. */
class PolicyRolesTest {
    @Test
    void shouldLetViewersReadOperatorsRunAndAdminsChangePolicies() {
        assertEquals(Role.VIEWER, ApiGuard.required("GET", "/api/v1/policies"));
        assertEquals(Role.VIEWER, ApiGuard.required("GET", "/api/v1/policies/mirror-app"));
        assertEquals(Role.VIEWER, ApiGuard.required("GET", "/api/v1/policies/mirror-app/runs"));
        assertEquals(Role.OPERATOR, ApiGuard.required("POST", "/api/v1/policies/mirror-app/runs"));
        assertEquals(Role.OPERATOR, ApiGuard.required("POST", "/api/v1/policies/mirror-app/plan"));
        assertEquals(Role.ADMIN, ApiGuard.required("POST", "/api/v1/policies"));
        assertEquals(Role.ADMIN, ApiGuard.required("PUT", "/api/v1/policies/mirror-app"));
        assertEquals(Role.ADMIN, ApiGuard.required("DELETE", "/api/v1/policies/mirror-app"));
        // a policy named "runs" is still changed by admins only
        assertEquals(Role.ADMIN, ApiGuard.required("POST", "/api/v1/policies/runs"));
        assertEquals(Role.ADMIN, ApiGuard.required("DELETE", "/api/v1/policies/x/runs"));
        assertEquals(Role.OPERATOR, ApiGuard.required("POST", "/api/v1/jobs/3f9c2a6e-8d41-4b7a-9e15-2c7d4f0a1b23/retry"));
        assertEquals(Role.VIEWER, ApiGuard.required("GET", "/api/v1/jobs/3f9c2a6e-8d41-4b7a-9e15-2c7d4f0a1b23"));
    }
}
