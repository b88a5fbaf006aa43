package dev.ferry.signature;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.ferry.oci.ImageReference;
import java.io.IOException;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A registries.d directory (containers-registries.d(5)): every {@code *.yaml} file's {@code docker:} namespaces and at
 * most one {@code default-docker:}. Each setting is looked up on its own, most specific namespace first (the same
 * scopes as the policy), then {@code default-docker}. Unlike containers/image, a repository with no lookaside
 * configured has none (no built-in {@code /var/lib/containers/sigstore}).
 */
public final class RegistriesD {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** One namespace's settings; null fields are unset. */
    record Entry(String lookaside, String lookasideStaging, Boolean useSigstoreAttachments) {
    }

    private final Map<String, Entry> docker;
    private final Entry defaults;

    private RegistriesD(Map<String, Entry> docker, Entry defaults) {
        this.docker = docker;
        this.defaults = defaults;
    }

    public static final RegistriesD EMPTY = new RegistriesD(Map.of(), null);

    public static RegistriesD read(Path dir) {
        Map<String, Entry> docker = new LinkedHashMap<>();
        Entry defaults = null;
        String defaultsFrom = null;
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.yaml")) {
            ds.forEach(files::add);
        } catch (IOException e) {
            throw new PolicyParser.PolicyException("cannot read the registries.d directory " + dir + ": " + e.getMessage());
        }
        files.sort(null);
        for (Path f : files) {
            JsonNode root;
            try {
                root = YAML.readTree(f.toFile());
            } catch (IOException e) {
                throw new PolicyParser.PolicyException(f + " is not valid YAML");
            }
            if (root == null || root.isNull() || root.isMissingNode()) {
                continue;
            }
            if (!root.isObject()) {
                throw new PolicyParser.PolicyException(f + " must be a YAML mapping");
            }
            for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!k.equals("docker") && !k.equals("default-docker")) {
                    throw new PolicyParser.PolicyException(f + ": unknown key " + k + " (docker and default-docker are known)");
                }
            }
            if (root.has("default-docker") && !root.get("default-docker").isNull()) {
                if (defaults != null) {
                    throw new PolicyParser.PolicyException(f + ": default-docker is also set in " + defaultsFrom);
                }
                defaults = entry(root.get("default-docker"), f + ": default-docker");
                defaultsFrom = f.toString();
            }
            JsonNode d = root.get("docker");
            if (d != null && d.isObject()) {
                for (Iterator<Map.Entry<String, JsonNode>> it = d.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    if (docker.containsKey(e.getKey())) {
                        throw new PolicyParser.PolicyException(f + ": docker namespace " + e.getKey() + " is configured twice");
                    }
                    docker.put(e.getKey(), entry(e.getValue(), f + ": docker." + e.getKey()));
                }
            }
        }
        return new RegistriesD(docker, defaults);
    }

    private static Entry entry(JsonNode n, String where) {
        if (n == null || !n.isObject()) {
            throw new PolicyParser.PolicyException(where + " must be a mapping");
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!List.of("lookaside", "lookaside-staging", "sigstore", "sigstore-staging", "use-sigstore-attachments").contains(k)) {
                throw new PolicyParser.PolicyException(where + ": unknown key " + k);
            }
        }
        String lookaside = url(n, "lookaside", "sigstore", where);
        String staging = url(n, "lookaside-staging", "sigstore-staging", where);
        JsonNode use = n.get("use-sigstore-attachments");
        return new Entry(lookaside, staging, use == null || use.isNull() ? null : use.asBoolean());
    }

    private static String url(JsonNode n, String key, String legacy, String where) {
        JsonNode v = n.has(key) ? n.get(key) : n.get(legacy);
        if (v == null || v.isNull() || v.asText().isEmpty()) {
            return null;
        }
        String s = v.asText();
        try {
            URI u = URI.create(s);
            if (!List.of("file", "http", "https").contains(String.valueOf(u.getScheme()))) {
                throw new PolicyParser.PolicyException(where + ": " + key + " must be a file://, http:// or https:// URL");
            }
        } catch (IllegalArgumentException e) {
            throw new PolicyParser.PolicyException(where + ": " + key + " is not a URL");
        }
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    /** Whether signatures of {@code ref}'s repository are read from and written to {@code sha256-<hex>.sig} tags. */
    public boolean useSigstoreAttachments(ImageReference ref) {
        for (String scope : Policy.dockerScopes(ref)) {
            Entry e = docker.get(scope);
            if (e != null && e.useSigstoreAttachments() != null) {
                return e.useSigstoreAttachments();
            }
        }
        return defaults != null && Boolean.TRUE.equals(defaults.useSigstoreAttachments());
    }

    /**
     * The lookaside store of {@code ref}'s repository, {@code BASE/REPOSITORY-PATH} (the path without the registry
     * host): where simple signatures are read from ({@code write} false) or staged to ({@code write} true:
     * lookaside-staging, else lookaside). Null when none is configured.
     */
    public String lookaside(ImageReference ref, boolean write) {
        String base = null;
        for (String scope : Policy.dockerScopes(ref)) {
            Entry e = docker.get(scope);
            if (e != null && (base = pick(e, write)) != null) {
                break;
            }
        }
        if (base == null && defaults != null) {
            base = pick(defaults, write);
        }
        return base == null ? null : base + "/" + ref.repository();
    }

    private static String pick(Entry e, boolean write) {
        if (write && e.lookasideStaging() != null) {
            return e.lookasideStaging();
        }
        return e.lookaside();
    }

    /** {@code BASE@sha256=HEX/signature-N}, N from 1: the N-th signature of a manifest in a lookaside store. */
    public static String signatureUrl(String base, dev.ferry.oci.Digest digest, int n) {
        return base + "@" + digest.algorithm() + "=" + digest.hex() + "/signature-" + n;
    }
}
