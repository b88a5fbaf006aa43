package dev.ferry.credentials;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.ImageReference;
import dev.ferry.oci.OciFormatException;
import dev.ferry.registry.Credentials;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/** login / logout / the listing: the checks between the REST edge and the {@link CredentialStore}. */
@ApplicationScoped
public class Logins {
    static final int MAX_USERNAME = 256;
    static final int MAX_SECRET = 8192;
    private final CredentialStore store;

    public Logins(CredentialStore store) {
        this.store = store;
    }

    /** The outcome of a login: what the listing now shows, and whether it is new. */
    public record LoggedIn(StoredCredential credential, boolean created) {
    }

    public LoggedIn login(String host, CredentialsRequest r, String caller) {
        String h = host(host);
        Credentials c = credentials(r);
        boolean created = store.put(h, c, caller);
        StoredCredential shown = store.list().stream().filter(s -> s.host().equals(h)).findFirst()
                .orElseThrow(() -> new FerryException(ProblemType.STORE_UNAVAILABLE, "the stored credentials were not read back"));
        return new LoggedIn(shown, created);
    }

    public void logout(String host) {
        String h = host(host);
        if (!store.delete(h)) {
            throw new FerryException(ProblemType.CREDENTIALS_NOT_FOUND, "no credentials are stored for " + h);
        }
    }

    public List<StoredCredential> list() {
        return store.list();
    }

    /** A registry host[:port] exactly as image references name it (docker.io for Docker Hub). */
    static String host(String host) {
        String why = "must be a registry host[:port] as image names start with it, e.g. registry.example.com:5000";
        if (host == null || host.isBlank() || host.length() > 253 || host.contains("/")) {
            throw FerryException.invalidField("host", why);
        }
        try {
            String normalised = ImageReference.parse(host + "/probe:latest").registry();
            if (!normalised.equals(host)) {
                throw FerryException.invalidField("host", "images name this registry " + normalised + ": store the credentials under that name");
            }
            return host;
        } catch (OciFormatException e) {
            throw FerryException.invalidField("host", why);
        }
    }

    static Credentials credentials(CredentialsRequest r) {
        if (r == null) {
            throw new FerryException(ProblemType.INVALID_REQUEST, "a body with username and password, or token, is required");
        }
        if (r.token() != null) {
            if (r.username() != null || r.password() != null) {
                throw FerryException.invalidField("token", "give either token, or username and password");
            }
            if (r.token().isBlank() || r.token().length() > MAX_SECRET || r.token().chars().anyMatch(ch -> ch < 0x21 || ch > 0x7e)) {
                throw FerryException.invalidField("token", "must be 1 to " + MAX_SECRET + " visible ASCII characters");
            }
            return new Credentials.RegistryToken(r.token());
        }
        if (r.username() == null || r.username().isBlank() || r.username().length() > MAX_USERNAME
                || r.username().contains(":") || r.username().chars().anyMatch(ch -> ch < 0x20)) {
            throw FerryException.invalidField("username", "must be 1 to " + MAX_USERNAME + " characters, without ':' or control characters");
        }
        if (r.password() == null || r.password().isEmpty() || r.password().length() > MAX_SECRET
                || r.password().chars().anyMatch(ch -> ch < 0x20)) {
            throw FerryException.invalidField("password", "must be 1 to " + MAX_SECRET + " characters, without control characters");
        }
        return new Credentials.Basic(r.username(), r.password());
    }
}
