package dev.ferry.signature;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A lookaside signature store (containers-signature-protocols(5)): the N-th simple signature of manifest D of
 * repository R is {@code BASE/R@sha256=HEX/signature-N}, N from 1, read until the first one missing. Reads
 * {@code file://} and {@code http(s)://} stores; writes (staging) only {@code file://}, as containers/image does.
 * Blocking: call from a worker thread.
 */
final class LookasideStore {
    /** containers/image stops after this many signatures of one manifest. */
    static final int MAX_SIGNATURES = 128;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NORMAL).build();

    private LookasideStore() {
    }

    /** The signatures stored for {@code digest} under {@code base} (the repository's lookaside URL). */
    static List<byte[]> read(String base, Digest digest) {
        List<byte[]> out = new ArrayList<>();
        for (int n = 1; n <= MAX_SIGNATURES; n++) {
            byte[] sig = fetch(RegistriesD.signatureUrl(base, digest, n));
            if (sig == null) {
                break;
            }
            out.add(sig);
        }
        return out;
    }

    /**
     * Stores {@code signature} as the next {@code signature-N} for {@code digest} (nothing when an identical one is
     * there already); returns the URL it is stored at.
     */
    static String write(String base, Digest digest, byte[] signature) {
        URI root = URI.create(base);
        if (!"file".equals(root.getScheme())) {
            throw new FerryException(ProblemType.SIGNING_FAILED, "writing signatures to " + root.getScheme()
                    + ":// is not supported; configure a file:// lookaside-staging (as skopeo requires)");
        }
        for (int n = 1; n <= MAX_SIGNATURES; n++) {
            String url = RegistriesD.signatureUrl(base, digest, n);
            Path file = Path.of(URI.create(url));
            try {
                byte[] existing = Files.readAllBytes(file);
                if (Arrays.equals(existing, signature)) {
                    return url;
                }
            } catch (NoSuchFileException e) {
                try {
                    Files.createDirectories(file.getParent());
                    Path tmp = Files.createTempFile(file.getParent(), ".signature-", ".tmp");
                    Files.write(tmp, signature);
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
                    return url;
                } catch (IOException w) {
                    throw new FerryException(ProblemType.SIGNING_FAILED, "cannot write the signature to " + url);
                }
            } catch (IOException e) {
                throw new FerryException(ProblemType.SIGNING_FAILED, "cannot read " + url);
            }
        }
        throw new FerryException(ProblemType.SIGNING_FAILED, "the manifest already has " + MAX_SIGNATURES + " signatures in " + base);
    }

    /** One signature, or null when absent (a missing file, or 404). */
    private static byte[] fetch(String url) {
        URI u = URI.create(url);
        if ("file".equals(u.getScheme())) {
            Path p = Path.of(u);
            try {
                if (Files.size(p) > OpenPgp.MAX_SIGNATURE_BYTES) {
                    throw new FerryException(ProblemType.SIGNATURE_REJECTED, url + " is larger than a signature may be");
                }
                return Files.readAllBytes(p);
            } catch (NoSuchFileException e) {
                return null;
            } catch (IOException e) {
                throw new FerryException(ProblemType.REGISTRY_ERROR, "cannot read the signature " + url);
            }
        }
        try {
            HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(u).timeout(Duration.ofSeconds(30)).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = r.body()) {
                if (r.statusCode() == 404) {
                    return null;
                }
                if (r.statusCode() != 200) {
                    throw new FerryException(ProblemType.REGISTRY_ERROR, "reading the signature " + url + ": HTTP " + r.statusCode());
                }
                byte[] b = in.readNBytes(OpenPgp.MAX_SIGNATURE_BYTES + 1);
                if (b.length > OpenPgp.MAX_SIGNATURE_BYTES) {
                    throw new FerryException(ProblemType.SIGNATURE_REJECTED, url + " is larger than a signature may be");
                }
                return b;
            }
        } catch (IOException e) {
            throw new FerryException(ProblemType.REGISTRY_UNREACHABLE, "reading the signature " + url + ": " + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FerryException(ProblemType.REGISTRY_UNREACHABLE, "reading the signature " + url + ": interrupted");
        }
    }
}
