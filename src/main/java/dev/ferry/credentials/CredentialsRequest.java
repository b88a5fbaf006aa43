package dev.ferry.credentials;

/**
 * {@code skopeo login} as JSON: {@code username} and {@code password}, or a {@code token} used as a bearer token
 * (like {@code --registry-token}). Write-only: never read back.
 */
public record CredentialsRequest(String username, String password, String token) {
    @Override
    public String toString() {
        return "CredentialsRequest[username=" + (username == null ? "none" : "***") + ", password="
                + (password == null ? "none" : "***") + ", token=" + (token == null ? "none" : "***") + "]";
    }
}
