package dev.ferry.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OutboundGuardTest {

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.1.2.3", "::1", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",
            "169.254.169.254", "fe80::1", "fc00::1", "fd12:3456::1", "0.0.0.0", "::", "100.64.0.1", "100.127.255.255",
            "::ffff:10.0.0.1", "::ffff:169.254.169.254", "224.0.0.1", "255.255.255.255"})
    void shouldRefuseInternalAddresses(String address) throws Exception {
        assertNotNull(OutboundGuard.refusal(InetAddress.getByName(address)), address);
    }

    @ParameterizedTest
    @ValueSource(strings = {"8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.1", "172.32.0.1", "2606:4700::1111"})
    void shouldAllowPublicAddresses(String address) throws Exception {
        assertNull(OutboundGuard.refusal(InetAddress.getByName(address)), address);
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET /api/v1/jobs", "GET /api/v1/jobs/x", "POST /api/v1/inspect", "POST /api/v1/list-tags",
            "POST /api/v1/manifest-digest"})
    void shouldLetViewersRead(String call) {
        String[] c = call.split(" ");
        assertEquals(Role.VIEWER, ApiGuard.required(c[0], c[1]));
    }

    @ParameterizedTest
    @ValueSource(strings = {"POST /api/v1/delete", "GET /api/v1/hooks", "POST /api/v1/something-new", "PUT /api/v1/jobs/x"})
    void shouldNeedAdminForDeletesAndAnythingUnknown(String call) {
        String[] c = call.split(" ");
        assertEquals(Role.ADMIN, ApiGuard.required(c[0], c[1]));
    }
}
