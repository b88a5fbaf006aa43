package dev.ferry.signature;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageReference;
import dev.ferry.registry.ManifestResult;
import dev.ferry.registry.RegistryAccess;
import dev.ferry.registry.RegistryClient;
import dev.ferry.transfer.CopyListener;
import dev.ferry.transfer.ImageDestination;
import dev.ferry.transfer.ImageSource;
import dev.ferry.transfer.RegistryDestination;
import dev.ferry.transfer.RegistrySource;
import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.openpgp.PGPSecretKey;

/**
 * The signature gate of every copy (see {@link SignatureGate} for the contract): containers-policy.json evaluated on
 * the source before anything is written, and signing at the destination after the image is there. The policy file
 * and the registries.d directory are re-read when they change (as each skopeo run reads them), so an admin can
 * tighten the policy without a restart.
 */
@ApplicationScoped
public class ImageSignatures implements SignatureGate {
    static final String CREATOR = "Ferry";

    private final SignaturesConfig config;
    private final Vertx vertx;
    private final SigningKeys keys;
    private final SigstoreAttachments attachments;
    private final Object loading = new Object();
    private Cached<Policy> policy;
    private Cached<RegistriesD> registries;

    private record Cached<T>(String stamp, T value, RuntimeException failure) {
    }

    /** What one requirement decided. */
    private record Outcome(boolean accepted, String requirement, String keys, String reason, String by) {
    }

    public ImageSignatures(SignaturesConfig config, Vertx vertx, SigningKeys keys, RegistryClient registry) {
        this.config = config;
        this.vertx = vertx;
        this.keys = keys;
        this.attachments = new SigstoreAttachments(registry);
    }

    void started(@Observes StartupEvent e) {
        if (config.policy().isEmpty()) {
            Log.info("signatures: no policy configured (ferry.signatures.policy / FERRY_SIGNATURES_POLICY): images are copied "
                    + "without signature verification");
            return;
        }
        try {
            Policy p = policy();
            Log.infof("signatures: every copy is verified against %s (%d transport scopes)", p.source(),
                    p.transports().values().stream().mapToInt(Map::size).sum());
        } catch (RuntimeException failure) {
            Log.errorf("signatures: the policy %s cannot be used, every copy will fail until it is fixed: %s",
                    config.policy().get(), failure.getMessage());
        }
        try {
            registries();
        } catch (RuntimeException failure) {
            Log.errorf("signatures: %s", failure.getMessage());
        }
    }

    /** Whether a policy is configured at all. */
    public boolean enforcing() {
        return config.policy().isPresent();
    }

    // ------------------------------------------------------------------ admit

    @Override
    public Future<Void> admit(ImageSource source, ManifestResult top, CopyListener listener) {
        if (config.policy().isEmpty()) {
            return Future.succeededFuture();
        }
        RegistrySource rs = source instanceof RegistrySource r ? r : null;
        ImageReference ref = rs == null ? null : rs.reference();
        long started = System.nanoTime();
        return vertx.executeBlocking(() -> {
            Policy p = policy();
            RegistriesD rd = registries();
            Policy.Scoped scoped = ref != null ? p.forDocker(ref) : p.forTransport(transport(source.describe()), List.of());
            boolean gpg = scoped.requirements().stream().anyMatch(q -> q instanceof Requirement.SignedBy);
            String lookaside = gpg && ref != null ? rd.lookaside(ref, false) : null;
            List<byte[]> simple = lookaside == null ? List.of() : LookasideStore.read(lookaside, top.digest());
            boolean sigstore = ref != null && rd.useSigstoreAttachments(ref)
                    && scoped.requirements().stream().anyMatch(q -> q instanceof Requirement.SigstoreSigned);
            return new Object[] {scoped, simple, lookaside, sigstore};
        }, false).compose(state -> {
            Policy.Scoped scoped = (Policy.Scoped) state[0];
            @SuppressWarnings("unchecked") List<byte[]> simple = (List<byte[]>) state[1];
            String lookaside = (String) state[2];
            Future<List<SigstoreAttachments.Attached>> attached = (Boolean) state[3]
                    ? attachments.read(rs.access(), ref, top.digest()) : Future.succeededFuture(List.of());
            return attached.compose(sigs -> vertx.executeBlocking(() -> {
                List<Outcome> outcomes = new ArrayList<>();
                for (Requirement r : scoped.requirements()) {
                    Outcome o = evaluate(r, ref, top, simple, lookaside, sigs);
                    outcomes.add(o);
                    if (!o.accepted()) {
                        break;
                    }
                }
                return outcomes;
            }, false).compose(outcomes -> decide(scoped, outcomes, source.describe(), started, listener)));
        });
    }

    private static Future<Void> decide(Policy.Scoped scoped, List<Outcome> outcomes, String image, long started,
                                       CopyListener listener) {
        Outcome last = outcomes.get(outcomes.size() - 1);
        Map<String, String> details = new LinkedHashMap<>();
        // how long the check took (reading signatures included): what the policy adds to a copy
        details.put("durationMs", String.format(java.util.Locale.ROOT, "%.2f", (System.nanoTime() - started) / 1e6));
        details.put("image", image);
        details.put("scope", scoped.scope());
        details.put("requirement", last.requirement());
        if (last.keys() != null) {
            details.put("keys", last.keys());
        }
        if (last.accepted()) {
            if (last.by() != null) {
                details.put("signedBy", last.by());
            }
            listener.signature("accepted", details);
            return Future.succeededFuture();
        }
        details.put("reason", last.reason());
        listener.signature("rejected", details);
        return Future.failedFuture(new FerryException(ProblemType.SIGNATURE_REJECTED, "the signature policy rejected " + image
                + ": scope " + scoped.scope() + ", requirement " + last.requirement()
                + (last.keys() != null ? " (keys " + last.keys() + ")" : "") + ": " + last.reason()));
    }

    private static Outcome evaluate(Requirement r, ImageReference ref, ManifestResult top, List<byte[]> simple,
                                    String lookaside, List<SigstoreAttachments.Attached> sigs) {
        if (r instanceof Requirement.InsecureAcceptAnything) {
            return new Outcome(true, "insecureAcceptAnything", null, null, null);
        }
        if (r instanceof Requirement.Reject) {
            return new Outcome(false, "reject", null, "the policy rejects every image in this scope", null);
        }
        if (r instanceof Requirement.SignedBy s) {
            String keyNames = describe(s);
            if (simple.isEmpty()) {
                return new Outcome(false, "signedBy", keyNames, "a signature was required, but none exists"
                        + (lookaside == null ? " (no lookaside store is configured for this repository in registries.d)"
                        : " in " + lookaside), null);
            }
            String why = null;
            for (byte[] sig : simple) {
                try {
                    OpenPgp.Verified v = OpenPgp.verify(sig, s.keys());
                    SimpleSigning.Claims c = SimpleSigning.parse(v.payload(), SimpleSigning.GPG_TYPE);
                    String mismatch = claimsMismatch(c, ref, top, s.identity());
                    if (mismatch == null) {
                        return new Outcome(true, "signedBy", keyNames, null, v.fingerprint());
                    }
                    why = why == null ? "signature by " + v.fingerprint() + ": " + mismatch : why;
                } catch (OpenPgp.InvalidSignature e) {
                    why = why == null ? e.getMessage() : why;
                }
            }
            return new Outcome(false, "signedBy", keyNames, "none of the " + simple.size() + " signatures is acceptable; first: " + why, null);
        }
        Requirement.SigstoreSigned s = (Requirement.SigstoreSigned) r;
        String keyName = s.keyName() + " [" + keyFingerprint(s.key()) + "]";
        if (sigs.isEmpty()) {
            return new Outcome(false, "sigstoreSigned", keyName, "a signature was required, but none exists"
                    + (ref == null ? "" : " (no " + ref.name() + ":" + SigstoreAttachments.tag(top.digest())
                    + ", or use-sigstore-attachments is not enabled for it in registries.d)"), null);
        }
        String why = null;
        for (SigstoreAttachments.Attached a : sigs) {
            String problem;
            if (!Sigstore.PAYLOAD_MEDIA_TYPE.equals(a.mediaType())) {
                problem = "a layer of media type " + a.mediaType() + " is not a sigstore signature";
            } else if (!a.annotations().containsKey(Sigstore.SIGNATURE_ANNOTATION)) {
                problem = "a layer has no " + Sigstore.SIGNATURE_ANNOTATION + " annotation";
            } else if (!Sigstore.verify(a.payload(), a.annotations().get(Sigstore.SIGNATURE_ANNOTATION), s.key())) {
                problem = "a signature does not verify with " + s.keyName();
            } else {
                try {
                    SimpleSigning.Claims c = SimpleSigning.parse(a.payload(), SimpleSigning.SIGSTORE_TYPE);
                    problem = claimsMismatch(c, ref, top, s.identity());
                } catch (OpenPgp.InvalidSignature e) {
                    problem = e.getMessage();
                }
                if (problem == null) {
                    return new Outcome(true, "sigstoreSigned", keyName, null, keyName);
                }
            }
            why = why == null ? problem : why;
        }
        return new Outcome(false, "sigstoreSigned", keyName, "none of the " + sigs.size() + " signatures is acceptable; first: " + why, null);
    }

    /** Null when a verified payload's claims fit the image, else why not. */
    static String claimsMismatch(SimpleSigning.Claims c, ImageReference ref, ManifestResult top, SignedIdentity identity) {
        if (!ManifestDigests.matches(top.raw(), c.manifestDigest())) {
            return "it signs manifest " + c.manifestDigest() + ", not " + top.digest();
        }
        if (!identity.matches(ref, c.dockerReference())) {
            return "it vouches for " + c.dockerReference() + ", which " + identity.describe() + " does not accept for "
                    + (ref == null ? "this image" : ref.toString());
        }
        return null;
    }

    private static String describe(Requirement.SignedBy s) {
        List<String> fprs = new ArrayList<>();
        s.keys().getKeyRings().forEachRemaining(r -> fprs.add(OpenPgp.fingerprint(r.getPublicKey())));
        return String.join(", ", s.keyNames()) + " " + fprs;
    }

    static String keyFingerprint(java.security.PublicKey key) {
        return "sha256:" + Digest.sha256Of(key.getEncoded()).hex().substring(0, 16);
    }

    private static String transport(String describe) {
        int colon = describe.indexOf(':');
        return colon < 0 ? "docker" : describe.substring(0, colon);
    }

    // ------------------------------------------------------------------ sign

    @Override
    public Future<Void> sign(ImageSource source, ImageDestination destination, Digest pushed, SigningRequest request,
                             CopyListener listener) {
        SigningRequest r = request == null ? SigningRequest.NONE : request;
        return carry(source, destination, pushed, r, listener).compose(v -> r.none() ? Future.succeededFuture()
                : signNew(destination, pushed, r, listener));
    }

    /**
     * The source's simple signatures of the manifest now at the destination, copied from the source repository's
     * lookaside store to the destination's staging store (as skopeo copy does unless --remove-signatures). Sigstore
     * attachments travel as attached artifacts (the referrers step), not here.
     */
    private Future<Void> carry(ImageSource source, ImageDestination destination, Digest pushed, SigningRequest request,
                               CopyListener listener) {
        if (request.removeSignatures() || config.registriesD().isEmpty() || !(source instanceof RegistrySource rs)
                || !(destination instanceof RegistryDestination rd)) {
            return Future.succeededFuture();
        }
        return vertx.executeBlocking(() -> {
            RegistriesD d = registries();
            String from = d.lookaside(rs.reference(), false);
            String to = d.lookaside(rd.reference(), true);
            if (from == null || to == null || from.equals(to)) {
                return null;
            }
            List<byte[]> sigs = LookasideStore.read(from, pushed);
            if (sigs.isEmpty()) {
                return null;
            }
            for (byte[] sig : sigs) {
                LookasideStore.write(to, pushed, sig);
            }
            Map<String, String> details = new LinkedHashMap<>();
            details.put("kind", "gpg");
            details.put("count", Integer.toString(sigs.size()));
            details.put("digest", pushed.toString());
            details.put("from", from);
            details.put("stored", to);
            return details;
        }, false).onSuccess(details -> {
            if (details != null) {
                listener.signature("carried", details);
            }
        }).mapEmpty();
    }

    private Future<Void> signNew(ImageDestination destination, Digest pushed, SigningRequest request, CopyListener listener) {
        if (!(destination instanceof RegistryDestination rd)) {
            return Future.failedFuture(new FerryException(ProblemType.SIGNING_FAILED,
                    "signing needs a docker:// destination; " + destination.describe() + " holds no signatures"));
        }
        ImageReference to = rd.reference();
        String identity = request.signIdentity() != null ? request.signIdentity()
                : to.tag() != null ? to.name() + ":" + to.tag() : to.name() + "@" + pushed;
        Future<Void> chain = Future.succeededFuture();
        if (request.signBy() != null) {
            chain = chain.compose(v -> vertx.executeBlocking(() -> {
                PGPSecretKey key = keys.gpgKey(request.signBy());
                String base = registries().lookaside(to, true);
                if (base == null) {
                    throw new FerryException(ProblemType.SIGNING_FAILED, "signBy: no lookaside-staging (or lookaside) is "
                            + "configured for " + to.name() + " in registries.d (ferry.signatures.registries-d)");
                }
                byte[] payload = SimpleSigning.payload(SimpleSigning.GPG_TYPE, identity, pushed.toString(), CREATOR,
                        System.currentTimeMillis() / 1000);
                byte[] sig;
                try {
                    sig = OpenPgp.sign(payload, key, keys.gpgPassphrase(), new Date());
                } catch (org.bouncycastle.openpgp.PGPException e) {
                    throw new FerryException(ProblemType.SIGNING_KEY_UNAVAILABLE, "signBy: the key " + OpenPgp.fingerprint(key.getPublicKey())
                            + " cannot sign (wrong passphrase in ferry.signatures.gpg-passphrase-file?)");
                }
                String stored = LookasideStore.write(base, pushed, sig);
                Map<String, String> d = new LinkedHashMap<>();
                d.put("kind", "gpg");
                d.put("fingerprint", OpenPgp.fingerprint(key.getPublicKey()));
                d.put("identity", identity);
                d.put("digest", pushed.toString());
                d.put("stored", stored);
                return d;
            }, false).onSuccess(d -> listener.signature("signed", d)).mapEmpty());
        }
        if (request.signBySigstorePrivateKey() != null) {
            String name = request.signBySigstorePrivateKey();
            chain = chain.compose(v -> vertx.executeBlocking(() -> {
                PrivateKey key = keys.sigstoreKey(name);
                byte[] payload = SimpleSigning.payload(SimpleSigning.SIGSTORE_TYPE, identity, pushed.toString(), CREATOR,
                        System.currentTimeMillis() / 1000);
                return new SigstoreAttachments.Attached(Sigstore.PAYLOAD_MEDIA_TYPE, payload,
                        Map.of(Sigstore.SIGNATURE_ANNOTATION, Sigstore.sign(payload, key)));
            }, false).compose(a -> attachments.append(rd.access(), to, pushed, a)).onSuccess(stored -> {
                Map<String, String> d = new LinkedHashMap<>();
                d.put("kind", "sigstore");
                d.put("key", name);
                d.put("identity", identity);
                d.put("digest", pushed.toString());
                d.put("stored", stored);
                listener.signature("signed", d);
            }).mapEmpty());
        }
        return chain;
    }

    // ------------------------------------------------------------------ configuration files

    /** The policy, re-read when the file changed. Blocking. */
    Policy policy() {
        Path file = Path.of(config.policy().orElseThrow());
        String stamp = stamp(file);
        synchronized (loading) {
            if (policy == null || !policy.stamp().equals(stamp)) {
                try {
                    policy = new Cached<>(stamp, PolicyParser.parse(file), null);
                } catch (PolicyParser.PolicyException e) {
                    policy = new Cached<>(stamp, null, new FerryException(ProblemType.SIGNATURE_POLICY_INVALID,
                            "the signature policy cannot be used: " + e.getMessage()));
                }
            }
            if (policy.failure() != null) {
                throw policy.failure();
            }
            return policy.value();
        }
    }

    /** registries.d, re-read when a file in it changed. Blocking. */
    RegistriesD registries() {
        if (config.registriesD().isEmpty()) {
            return RegistriesD.EMPTY;
        }
        Path dir = Path.of(config.registriesD().get());
        StringBuilder stamp = new StringBuilder(stamp(dir));
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.yaml")) {
            for (Path p : ds) {
                stamp.append('|').append(p.getFileName()).append(stamp(p));
            }
        } catch (IOException e) {
            stamp.append("|unreadable");
        }
        synchronized (loading) {
            if (registries == null || !registries.stamp().contentEquals(stamp)) {
                try {
                    registries = new Cached<>(stamp.toString(), RegistriesD.read(dir), null);
                } catch (PolicyParser.PolicyException e) {
                    registries = new Cached<>(stamp.toString(), null, new FerryException(ProblemType.SIGNATURE_POLICY_INVALID,
                            "registries.d cannot be used: " + e.getMessage()));
                }
            }
            if (registries.failure() != null) {
                throw registries.failure();
            }
            return registries.value();
        }
    }

    private static String stamp(Path p) {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
            return a.lastModifiedTime().toMillis() + ":" + a.size() + ":" + a.fileKey();
        } catch (IOException e) {
            return "missing";
        }
    }
}
