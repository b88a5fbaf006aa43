package dev.ferry.signature;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.oci.ImageReference;
import dev.ferry.oci.OciFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;

/**
 * Reads a containers-policy.json as strictly as containers/image does: unknown fields, an empty requirement list, a
 * requirement without its key or with two kinds of key are errors (a policy that cannot be read must not let images
 * through). Keys are loaded while parsing, so a missing key file is an error at once, not at the first copy.
 */
public final class PolicyParser {
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** A policy that cannot be used, with why. */
    public static final class PolicyException extends RuntimeException {
        public PolicyException(String message) {
            super(message);
        }
    }

    private PolicyParser() {
    }

    public static Policy parse(Path file) {
        try {
            return parse(Files.readAllBytes(file), file.toString());
        } catch (IOException e) {
            throw new PolicyException("cannot read the signature policy " + file + ": " + e.getMessage());
        }
    }

    public static Policy parse(byte[] json, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new PolicyException(source + " is not valid JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (root == null || !root.isObject()) {
            throw new PolicyException(source + " must be a JSON object");
        }
        only(root, source, Set.of("default", "transports"));
        if (!root.has("default")) {
            throw new PolicyException(source + ": \"default\" is missing");
        }
        List<Requirement> defaults = requirements(root.get("default"), source + ": default");
        Map<String, Map<String, List<Requirement>>> transports = new LinkedHashMap<>();
        JsonNode t = root.get("transports");
        if (t != null && !t.isNull()) {
            if (!t.isObject()) {
                throw new PolicyException(source + ": transports must be an object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = t.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isObject()) {
                    throw new PolicyException(source + ": transports." + e.getKey() + " must be an object of scopes");
                }
                Map<String, List<Requirement>> scopes = new LinkedHashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> s = e.getValue().fields(); s.hasNext(); ) {
                    Map.Entry<String, JsonNode> scope = s.next();
                    scopes.put(scope.getKey(), requirements(scope.getValue(),
                            source + ": transports." + e.getKey() + ".\"" + scope.getKey() + "\""));
                }
                transports.put(e.getKey(), scopes);
            }
        }
        return new Policy(source, List.copyOf(defaults), transports);
    }

    private static List<Requirement> requirements(JsonNode node, String where) {
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw new PolicyException(where + " must be a non-empty list of requirements");
        }
        List<Requirement> out = new ArrayList<>();
        for (JsonNode r : node) {
            out.add(requirement(r, where));
        }
        return out;
    }

    private static Requirement requirement(JsonNode r, String where) {
        if (!r.isObject() || !r.path("type").isTextual()) {
            throw new PolicyException(where + ": each requirement must be an object with a \"type\"");
        }
        String type = r.get("type").asText();
        switch (type) {
            case "insecureAcceptAnything":
                only(r, where, Set.of("type"));
                return new Requirement.InsecureAcceptAnything();
            case "reject":
                only(r, where, Set.of("type"));
                return new Requirement.Reject();
            case "signedBy":
                return signedBy(r, where);
            case "sigstoreSigned":
                return sigstoreSigned(r, where);
            default:
                throw new PolicyException(where + ": unknown requirement type " + type);
        }
    }

    private static Requirement signedBy(JsonNode r, String where) {
        only(r, where + " (signedBy)", Set.of("type", "keyType", "keyPath", "keyPaths", "keyData", "signedIdentity"));
        String keyType = text(r, "keyType", where);
        if (!"GPGKeys".equals(keyType)) {
            throw new PolicyException(where + ": signedBy keyType " + (keyType == null ? "is missing" : keyType
                    + " is not supported") + " (GPGKeys is)");
        }
        int kinds = (r.has("keyPath") ? 1 : 0) + (r.has("keyPaths") ? 1 : 0) + (r.has("keyData") ? 1 : 0);
        if (kinds != 1) {
            throw new PolicyException(where + ": signedBy needs exactly one of keyPath, keyPaths, keyData");
        }
        List<PGPPublicKeyRing> rings = new ArrayList<>();
        List<String> names = new ArrayList<>();
        if (r.has("keyData")) {
            OpenPgp.publicKeys(base64(r, "keyData", where), where + " keyData").getKeyRings().forEachRemaining(rings::add);
            names.add("keyData");
        } else {
            List<String> paths = new ArrayList<>();
            if (r.has("keyPath")) {
                paths.add(text(r, "keyPath", where));
            } else if (r.get("keyPaths").isArray() && !r.get("keyPaths").isEmpty()) {
                r.get("keyPaths").forEach(p -> paths.add(p.asText()));
            } else {
                throw new PolicyException(where + ": keyPaths must be a non-empty list");
            }
            for (String p : paths) {
                OpenPgp.publicKeys(read(p, where), p).getKeyRings().forEachRemaining(rings::add);
                names.add(p);
            }
        }
        if (rings.isEmpty()) {
            throw new PolicyException(where + ": signedBy's keys hold no public key");
        }
        return new Requirement.SignedBy(new PGPPublicKeyRingCollection(rings), List.copyOf(names), identity(r, where));
    }

    private static Requirement sigstoreSigned(JsonNode r, String where) {
        Set<String> unsupported = Set.of("keyPaths", "keyDatas", "fulcio", "rekorPublicKeyPath", "rekorPublicKeyPaths",
                "rekorPublicKeyData", "rekorPublicKeyDatas", "pki");
        for (String u : unsupported) {
            if (r.has(u)) {
                throw new PolicyException(where + ": sigstoreSigned " + u + " is not supported by Ferry (keyPath and keyData are)");
            }
        }
        only(r, where + " (sigstoreSigned)", Set.of("type", "keyPath", "keyData", "signedIdentity"));
        if (r.has("keyPath") == r.has("keyData")) {
            throw new PolicyException(where + ": sigstoreSigned needs exactly one of keyPath, keyData");
        }
        PublicKey key;
        String name;
        if (r.has("keyPath")) {
            name = text(r, "keyPath", where);
            key = Sigstore.publicKey(read(name, where), name);
        } else {
            name = "keyData";
            key = Sigstore.publicKey(base64(r, "keyData", where), where + " keyData");
        }
        return new Requirement.SigstoreSigned(key, name, identity(r, where));
    }

    private static SignedIdentity identity(JsonNode r, String where) {
        JsonNode id = r.get("signedIdentity");
        if (id == null || id.isNull()) {
            return new SignedIdentity.MatchRepoDigestOrExact();
        }
        if (!id.isObject() || !id.path("type").isTextual()) {
            throw new PolicyException(where + ": signedIdentity must be an object with a \"type\"");
        }
        String type = id.get("type").asText();
        String w = where + " signedIdentity";
        switch (type) {
            case "matchExact":
                only(id, w, Set.of("type"));
                return new SignedIdentity.MatchExact();
            case "matchRepoDigestOrExact":
                only(id, w, Set.of("type"));
                return new SignedIdentity.MatchRepoDigestOrExact();
            case "matchRepository":
                only(id, w, Set.of("type"));
                return new SignedIdentity.MatchRepository();
            case "exactReference": {
                only(id, w, Set.of("type", "dockerReference"));
                String ref = text(id, "dockerReference", w);
                ImageReference parsed = SignedIdentity.exact(ref);
                if (parsed == null) {
                    throw new PolicyException(w + ": dockerReference must be a reference with a tag or a digest");
                }
                return new SignedIdentity.ExactReference(parsed);
            }
            case "exactRepository": {
                only(id, w, Set.of("type", "dockerRepository"));
                String repo = text(id, "dockerRepository", w);
                try {
                    return new SignedIdentity.ExactRepository(ImageReference.parseRepository(repo).name());
                } catch (OciFormatException e) {
                    throw new PolicyException(w + ": dockerRepository is not a repository: " + e.getMessage());
                }
            }
            case "remapIdentity":
                only(id, w, Set.of("type", "prefix", "signedPrefix"));
                return new SignedIdentity.RemapIdentity(text(id, "prefix", w), text(id, "signedPrefix", w));
            default:
                throw new PolicyException(w + ": unknown type " + type);
        }
    }

    private static void only(JsonNode node, String where, Set<String> allowed) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw new PolicyException(where + ": unknown field \"" + f + "\"");
            }
        }
    }

    private static String text(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            if ("keyType".equals(field)) {
                return null;
            }
            throw new PolicyException(where + ": \"" + field + "\" is missing");
        }
        if (!v.isTextual() || v.asText().isEmpty()) {
            throw new PolicyException(where + ": \"" + field + "\" must be a non-empty string");
        }
        return v.asText();
    }

    private static byte[] base64(JsonNode node, String field, String where) {
        try {
            return Base64.getDecoder().decode(text(node, field, where));
        } catch (IllegalArgumentException e) {
            throw new PolicyException(where + ": " + field + " is not base64");
        }
    }

    private static byte[] read(String path, String where) {
        try {
            return Files.readAllBytes(Path.of(path));
        } catch (IOException | RuntimeException e) {
            throw new PolicyException(where + ": cannot read key file " + path);
        }
    }
}
