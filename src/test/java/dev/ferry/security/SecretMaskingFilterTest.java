package dev.ferry.security;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SecretMaskingFilterTest {

    @Test
    void shouldMaskAuthorizationHeadersTokensAndPasswords() {
        assertEquals("Authorization: Basic ***", SecretMaskingFilter.mask("Authorization: Basic dXNlcjpwYXNz"));
        assertEquals("sent Bearer *** to x", SecretMaskingFilter.mask("sent Bearer eyJhbGciOiJSUzI1NiJ9.abc.def to x"));
        assertEquals("{\"destCreds\":\"***\"}", SecretMaskingFilter.mask("{\"destCreds\":\"robot:s3cret\"}"));
        assertEquals("url?password=***&x=1", SecretMaskingFilter.mask("url?password=hunter2&x=1"));
        assertEquals("fetching a token) from the token service", SecretMaskingFilter.mask("fetching a token) from the token service"));
    }
}
