package dev.ferry.signature;

import dev.ferry.oci.ImageReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A parsed containers-policy.json: the {@code default} requirements and per-transport scopes. Which requirements apply
 * to an image is decided as containers/image does: the most specific scope of the image's transport (the exact
 * reference, then the repository, then each parent namespace up to the host, then {@code *.domain} wildcards), then
 * the transport's {@code ""} scope, then {@code default}.
 *
 * @param source where it was read from, for messages
 */
public record Policy(String source, List<Requirement> defaults, Map<String, Map<String, List<Requirement>>> transports) {

    /** The requirements for an image, with the scope that supplied them. */
    public record Scoped(String scope, List<Requirement> requirements) {
    }

    /** For a {@code docker://} image. */
    public Scoped forDocker(ImageReference image) {
        return forTransport("docker", dockerScopes(image));
    }

    /** For an image of another transport, named by its scopes, most specific first (none: the transport's default). */
    public Scoped forTransport(String transport, List<String> scopes) {
        Map<String, List<Requirement>> scoped = transports.get(transport);
        if (scoped != null) {
            for (String scope : scopes) {
                List<Requirement> r = scoped.get(scope);
                if (r != null) {
                    return new Scoped("transports." + transport + ".\"" + scope + "\"", r);
                }
            }
            List<Requirement> r = scoped.get("");
            if (r != null) {
                return new Scoped("transports." + transport + ".\"\"", r);
            }
        }
        return new Scoped("default", defaults);
    }

    /**
     * containers/image's PolicyConfigurationIdentity then PolicyConfigurationNamespaces for a docker reference:
     * {@code host/repo:tag} (or {@code @digest}), {@code host/repo}, each parent namespace, {@code host[:port]}, then
     * {@code *.domain} for each parent domain of the host (without its port).
     */
    public static List<String> dockerScopes(ImageReference image) {
        List<String> scopes = new ArrayList<>();
        if (image.tag() != null) {
            scopes.add(image.name() + ":" + image.tag());
        }
        if (image.digest() != null) {
            scopes.add(image.name() + "@" + image.digest());
        }
        String name = image.name();
        while (true) {
            scopes.add(name);
            int slash = name.lastIndexOf('/');
            if (slash < 0) {
                break;
            }
            name = name.substring(0, slash);
        }
        int colon = name.indexOf(':');
        if (colon >= 0) {
            name = name.substring(0, colon);
        }
        int dot;
        while ((dot = name.indexOf('.')) >= 0) {
            name = name.substring(dot + 1);
            scopes.add("*." + name);
        }
        return scopes;
    }
}
