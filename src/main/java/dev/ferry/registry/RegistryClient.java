package dev.ferry.registry;

import dev.ferry.config.FerryConfig;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageReference;
import dev.ferry.oci.MediaType;
import dev.ferry.registry.http.RegistryCall;
import dev.ferry.registry.http.RegistryResponse;
import dev.ferry.registry.http.RegistryStream;
import dev.ferry.registry.http.RegistryTransport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.oci.Descriptor;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * Distribution operations, one method each, noun first. Registry semantics only: what a status means,
 * which digest to verify, how to follow pages. The wire is {@link RegistryTransport}.
 */
@ApplicationScoped
public class RegistryClient {
    private final RegistryTransport transport;
    private final FerryConfig config;
    private final ObjectMapper json;
    /** Tag-list pages with an ETag, revalidated with If-None-Match (a 304 reuses the page). */
    private final TagListCache tagPages = new TagListCache();

    public RegistryClient(RegistryTransport transport, FerryConfig config, ObjectMapper json) {
        this.transport = transport;
        this.config = config;
        this.json = json;
    }

    /** See {@link RegistryTransport#withinDeadline}: a synchronous call, answered within the configured deadline. */
    public <T> Future<T> withinDeadline(String what, java.util.function.Function<dev.ferry.registry.http.CallScope, Future<T>> call) {
        return transport.withinDeadline(what, call);
    }

    static String pullScope(ImageReference ref) {
        return "repository:" + ref.repository() + ":pull";
    }

    /**
     * Reads the manifest that {@code ref} names (its digest if present, else its tag), verifying the digest
     * when one was asked for. Fails with image-not-found or repository-not-found when absent.
     */
    public Future<ManifestResult> manifestGet(RegistryAccess access, ImageReference ref) {
        String reference = ref.reference();
        String action = "reading manifest " + reference + " in " + ref.name();
        RegistryCall call = RegistryCall.get("/v2/" + ref.repository() + "/manifests/" + reference, pullScope(ref), action,
                        config.limits().manifestBytes())
                .withHeader("Accept", MediaType.acceptHeader());
        return transport.exchange(access, call).compose(resp -> {
            if (!resp.isSuccess()) {
                return Future.failedFuture(RegistryErrors.failure(resp, action, ProblemType.IMAGE_NOT_FOUND));
            }
            byte[] raw = resp.body().getBytes();
            Digest actual;
            if (ref.digest() != null) {
                if (!ref.digest().matches(raw)) {
                    return Future.failedFuture(new FerryException(ProblemType.DIGEST_MISMATCH,
                            action + ": the manifest served does not match digest " + ref.digest()));
                }
                actual = ref.digest();
            } else {
                actual = Digest.sha256Of(raw);
                String announced = resp.header("Docker-Content-Digest");
                if (announced != null && announced.startsWith("sha256:") && !announced.equals(actual.toString())) {
                    return Future.failedFuture(new FerryException(ProblemType.DIGEST_MISMATCH,
                            action + ": the manifest served does not match the Docker-Content-Digest the registry announced"));
                }
            }
            return Future.succeededFuture(new ManifestResult(raw, resp.header("Content-Type"), actual));
        });
    }

    /**
     * Checks a reference that names both a tag and a digest ({@code repo:1.3@sha256:...}): the tag must point at that
     * digest (one HEAD), else it fails with reference-mismatch naming both digests. skopeo 1.9 refuses every such
     * reference; Ferry takes one whose parts agree, and never silently drops the tag. Other references pass as they are.
     */
    public Future<ImageReference> requireTagMatchesDigest(RegistryAccess access, ImageReference ref) {
        if (ref.tag() == null || ref.digest() == null) {
            return Future.succeededFuture(ref);
        }
        ImageReference byTag = ref.withDigest(null);
        return manifestHead(access, byTag).compose(head -> {
            if (head == null) {
                return Future.failedFuture(new FerryException(ProblemType.IMAGE_NOT_FOUND,
                        "checking " + ref + ": tag " + ref.tag() + " does not exist in " + ref.name()));
            }
            if (!head.digest().equals(ref.digest())) {
                return Future.failedFuture(new FerryException(ProblemType.REFERENCE_MISMATCH, "the reference " + ref
                        + " names tag " + ref.tag() + " and digest " + ref.digest() + ", but the tag points at " + head.digest()
                        + "; name the tag or the digest alone"));
            }
            return Future.succeededFuture(ref);
        });
    }

    /**
     * Asks for the manifest {@code ref} names with a HEAD: its digest and media type without its bytes, or null
     * when the registry has no such manifest (404). A registry that sends no valid Docker-Content-Digest is asked
     * with a GET instead (and the digest computed).
     */
    public Future<ManifestHead> manifestHead(RegistryAccess access, ImageReference ref) {
        String reference = ref.reference();
        String action = "checking manifest " + reference + " in " + ref.name();
        RegistryCall call = RegistryCall.head("/v2/" + ref.repository() + "/manifests/" + reference, pullScope(ref), action)
                .withHeader("Accept", MediaType.acceptHeader());
        return transport.exchange(access, call).compose(resp -> {
            if (resp.status() == 404) {
                return Future.succeededFuture(null);
            }
            if (!resp.isSuccess()) {
                return Future.failedFuture(RegistryErrors.failure(resp, action, ProblemType.IMAGE_NOT_FOUND));
            }
            String announced = resp.header("Docker-Content-Digest");
            try {
                if (announced != null) {
                    return Future.succeededFuture(new ManifestHead(Digest.parse(announced), resp.header("Content-Type")));
                }
            } catch (dev.ferry.oci.OciFormatException e) {
                // not a digest: read the manifest instead
            }
            return manifestGet(access, ref).map(m -> new ManifestHead(m.digest(), m.contentType()));
        });
    }

    /**
     * Reads a small blob (an image config) whole into memory, up to {@code limit} bytes, verifying
     * its digest. Layers are never read this way.
     */
    public Future<byte[]> blobGetBounded(RegistryAccess access, ImageReference repo, Digest digest, int limit, String what) {
        String action = "reading " + what + " " + digest + " in " + repo.name();
        RegistryCall call = RegistryCall.get("/v2/" + repo.repository() + "/blobs/" + digest, pullScope(repo), action, limit);
        return transport.exchange(access, call).compose(resp -> {
            if (!resp.isSuccess()) {
                return Future.failedFuture(RegistryErrors.failure(resp, action, ProblemType.BLOB_NOT_FOUND));
            }
            byte[] bytes = resp.body().getBytes();
            if (!digest.matches(bytes)) {
                return Future.failedFuture(new FerryException(ProblemType.DIGEST_MISMATCH,
                        action + ": the content served does not match its digest"));
            }
            return Future.succeededFuture(bytes);
        });
    }

    static String pushScope(ImageReference ref) {
        return "repository:" + ref.repository() + ":pull,push";
    }

    /** Whether the repository has blob {@code digest}: true on 200, false on 404. */
    public Future<Boolean> blobHead(RegistryAccess access, ImageReference repo, Digest digest) {
        String action = "checking blob " + digest + " in " + repo.name();
        RegistryCall call = RegistryCall.head("/v2/" + repo.repository() + "/blobs/" + digest, pullScope(repo), action);
        return transport.exchange(access, call).compose(resp -> {
            if (resp.isSuccess()) {
                return Future.succeededFuture(true);
            }
            if (resp.status() == 404) {
                return Future.succeededFuture(false);
            }
            return Future.failedFuture(RegistryErrors.failure(resp, action, ProblemType.BLOB_NOT_FOUND));
        });
    }

    /**
     * Asks the registry to link blob {@code digest} from {@code fromRepository} (same registry) into
     * {@code dstRepo} without moving bytes. True when mounted (201); false when the registry opened an
     * ordinary upload session instead (202), which is cancelled before returning.
     */
    public Future<Boolean> blobMount(RegistryAccess access, ImageReference dstRepo, Digest digest, ImageReference fromRepository) {
        String action = "mounting blob " + digest + " from " + fromRepository.repository() + " into " + dstRepo.name();
        String path = "/v2/" + dstRepo.repository() + "/blobs/uploads/?mount=" + enc(digest.toString())
                + "&from=" + enc(fromRepository.repository());
        String scope = pushScope(dstRepo) + " " + pullScope(fromRepository);
        RegistryCall call = new RegistryCall(HttpMethod.POST, path, MultiMap.caseInsensitiveMultiMap(), null, scope, action,
                config.limits().smallBodyBytes());
        return transport.exchange(access, call).compose(resp -> {
            if (resp.status() == 201) {
                return Future.succeededFuture(true);
            }
            if (resp.status() == 202) {
                String location = resp.header("Location");
                Future<Void> cancelled = location == null ? Future.succeededFuture()
                        : blobUploadCancel(access, dstRepo, URI.create(resp.url()).resolve(location).toString(), scope);
                return cancelled.map(false);
            }
            return Future.failedFuture(RegistryErrors.failure(resp, action, ProblemType.BLOB_NOT_FOUND));
        });
    }

    /**
     * Pushes a manifest exactly as given (never re-serialised) under {@code ref}'s tag, or its digest when it
     * has no tag, and checks that the registry stored it under the digest of those bytes.
     */
    public Future<Digest> manifestPut(RegistryAccess access, ImageReference ref, String mediaType, byte[] raw) {
        return manifestPutAnswered(access, ref, mediaType, raw).map(ManifestPut::digest);
    }

    /**
     * What a registry answered to a manifest push.
     *
     * @param digest     the digest the manifest is stored under
     * @param ociSubject the {@code OCI-Subject} header (OCI 1.1): present when the manifest has a {@code subject} and
     *                   the registry indexes it for its referrers API; null otherwise
     */
    public record ManifestPut(Digest digest, String ociSubject) {
    }

    /** As {@link #manifestPut}, with the registry's {@code OCI-Subject} answer. */
    public Future<ManifestPut> manifestPutAnswered(RegistryAccess access, ImageReference ref, String mediaType, byte[] raw) {
        String reference = ref.tag() != null ? ref.tag() : ref.digest().toString();
        String action = "writing manifest " + reference + " in " + ref.name();
        Digest expected = Digest.sha256Of(raw);
        if (ref.tag() == null && !ref.digest().equals(expected)) {
            return Future.failedFuture(new FerryException(ProblemType.DIGEST_MISMATCH,
                    action + ": the manifest has digest " + expected + ", not the one named"));
        }
        RegistryCall call = new RegistryCall(HttpMethod.PUT, "/v2/" + ref.repository() + "/manifests/" + reference,
                MultiMap.caseInsensitiveMultiMap().add("Content-Type", mediaType), Buffer.buffer(raw), pushScope(ref), action,
                config.limits().smallBodyBytes());
        return transport.exchange(access, call).compose(resp -> {
            if (!resp.isSuccess()) {
                return Future.failedFuture(RegistryErrors.failure(resp, action, ProblemType.IMAGE_NOT_FOUND));
            }
            String stored = resp.header("Docker-Content-Digest");
            if (stored != null && !stored.equals(expected.toString())) {
                return Future.failedFuture(new FerryException(ProblemType.DIGEST_MISMATCH,
                        action + ": the registry stored the manifest as " + stored + ", not " + expected));
            }
            return Future.succeededFuture(new ManifestPut(expected, resp.header("OCI-Subject")));
        });
    }

    /**
     * The OCI 1.1 referrers of {@code subject} in {@code repo} ({@code GET /v2/<name>/referrers/<digest>}, every page
     * followed), as the registry serves them: an image index whose {@code manifests} are the referrers' descriptors.
     * {@code artifactType} (nullable) is passed as the filter; a registry may ignore it, so callers filter too.
     * Succeeds with null when the registry has no referrers API (404, 400, 405 or 501: use the fallback tag then).
     */
    public Future<List<JsonNode>> referrersGet(RegistryAccess access, ImageReference repo, Digest subject, String artifactType) {
        String action = "listing referrers of " + subject + " in " + repo.name();
        String first = "/v2/" + repo.repository() + "/referrers/" + subject
                + (artifactType == null ? "" : "?artifactType=" + enc(artifactType));
        return referrersPage(access, repo, first, action, new ArrayList<>(), 1);
    }

    private Future<List<JsonNode>> referrersPage(RegistryAccess access, ImageReference repo, String path, String action,
                                                 List<JsonNode> found, int page) {
        RegistryCall call = RegistryCall.get(path, pullScope(repo), action + (page > 1 ? " (page " + page + ")" : ""),
                        config.limits().manifestBytes())
                .withHeader("Accept", MediaType.OCI_INDEX.value());
        return transport.exchange(access, call).compose(resp -> {
            int status = resp.status();
            if (page == 1 && (status == 404 || status == 400 || status == 405 || status == 501)) {
                return Future.succeededFuture(null);
            }
            if (!resp.isSuccess()) {
                return Future.failedFuture(RegistryErrors.failure(resp, call.action(), ProblemType.IMAGE_NOT_FOUND));
            }
            try {
                JsonNode body = json.readTree(resp.body().getBytes());
                JsonNode manifests = body == null ? null : body.get("manifests");
                if (manifests == null || !manifests.isArray()) {
                    return Future.failedFuture(invalid(call.action(), "the answer is not an image index"));
                }
                manifests.forEach(found::add);
            } catch (java.io.IOException e) {
                return Future.failedFuture(invalid(call.action(), "the answer is not JSON"));
            }
            String next = nextLink(resp);
            if (next == null) {
                return Future.succeededFuture(found);
            }
            if (page >= config.limits().tagPages()) {
                return Future.failedFuture(invalid(call.action(), "more than " + config.limits().tagPages() + " pages of referrers"));
            }
            try {
                return referrersPage(access, repo, URI.create(resp.url()).resolve(next).toString(), action, found, page + 1);
            } catch (IllegalArgumentException e) {
                return Future.failedFuture(invalid(call.action(), "invalid Link header"));
            }
        });
    }

    /**
     * Copies one blob between repositories (any registries) without holding it: opens an upload session on
     * the destination, streams the source download into it with flow control, and verifies size and digest
     * on the way. On a mismatch the upload is reset before its last bytes, the session cancelled, and the copy
     * fails with digest-mismatch; the destination never stores the wrong content. Succeeds with the bytes moved.
     */
    public Future<Long> blobCopyStream(RegistryAccess srcAccess, ImageReference srcRepo, RegistryAccess dstAccess,
                                       ImageReference dstRepo, Descriptor blob) {
        return blobCopyStream(srcAccess, srcRepo, dstAccess, dstRepo, blob, StreamWatch.NONE);
    }

    /**
     * The source blob again from {@code offset}: the registry must answer 206 with a Content-Range that starts
     * there; anything else fails (and the whole blob is tried again by the caller).
     */
    private Future<io.vertx.core.http.HttpClientResponse> reopenFrom(RegistryAccess access, RegistryCall get, long offset, String action) {
        RegistryCall ranged = get.withHeader("Range", "bytes=" + offset + "-");
        return transport.openStream(access, ranged).compose(opened -> {
            if (!opened.isSuccess()) {
                return Future.failedFuture(RegistryErrors.failure(opened.refused(), action, ProblemType.BLOB_NOT_FOUND));
            }
            io.vertx.core.http.HttpClientResponse resp = opened.response();
            String range = resp.getHeader("Content-Range");
            if (resp.statusCode() != 206 || range == null || !range.trim().startsWith("bytes " + offset + "-")) {
                resp.request().reset();
                return Future.failedFuture(new FerryException(ProblemType.REGISTRY_ERROR,
                        action + ": the download dropped and the registry cannot resume it (no range support)"));
            }
            return Future.succeededFuture(resp);
        });
    }

    /** As above, reporting bytes to {@code watch} and aborting the stream when it says so. */
    public Future<Long> blobCopyStream(RegistryAccess srcAccess, ImageReference srcRepo, RegistryAccess dstAccess,
                                       ImageReference dstRepo, Descriptor blob, StreamWatch watch) {
        String action = "copying blob " + blob.digest() + " from " + srcRepo.name() + " to " + dstRepo.name();
        String dstScope = pushScope(dstRepo);
        RegistryCall get = RegistryCall.get("/v2/" + srcRepo.repository() + "/blobs/" + blob.digest(), pullScope(srcRepo),
                action, 0);
        long chunkedFrom = config.transfer().chunkedUploadMinSize();
        if (chunkedFrom > 0 && blob.size() >= chunkedFrom) {
            return blobCopyChunked(srcAccess, dstAccess, dstRepo, blob, watch, action, get);
        }
        // The upload session and the download are opened at once (one round trip less per blob); the download
        // stays paused until the upload request exists.
        // Within one registry the download waits for the session instead: it holds one of the registry's
        // concurrent-request permits (traffic rules) until it is read, so it must not wait for another permit.
        Future<String> started = blobUploadStart(dstAccess, dstRepo, action);
        Future<RegistryStream> source = srcAccess.endpoint().equalsIgnoreCase(dstAccess.endpoint())
                ? started.compose(location -> transport.openStream(srcAccess, get))
                : transport.openStream(srcAccess, get);
        return Future.join(started, source).transform(both -> {
            if (both.failed()) {
                if (source.succeeded() && source.result().isSuccess()) {
                    source.result().response().request().reset();
                }
                Throwable why = source.failed() ? source.cause() : both.cause();
                return started.succeeded()
                        ? blobUploadCancel(dstAccess, dstRepo, started.result(), dstScope).transform(ignored -> Future.<Long>failedFuture(why))
                        : Future.<Long>failedFuture(why);
            }
            String location = started.result();
            Future<Long> copied = Future.succeededFuture(source.result()).compose(opened -> {
                if (!opened.isSuccess()) {
                    return Future.failedFuture(RegistryErrors.failure(opened.refused(), action, ProblemType.BLOB_NOT_FOUND));
                }
                BlobStream from = VerifyingPump.download(opened.response(), offset -> reopenFrom(srcAccess, get, offset, action));
                return uploadInto(dstAccess, dstRepo, location, blob, from, watch, action);
            });
            // on any failure the session is cancelled (best effort) and the original failure reported
            return copied.recover(t -> blobUploadCancel(dstAccess, dstRepo, location, dstScope)
                    .transform(ignored -> Future.failedFuture(t)));
        });
    }

    /** Where a chunked upload continues: the session's location and the bytes the registry holds. */
    private record UploadStart(String location, long offset) {
    }

    /**
     * A big blob ({@code ferry.transfer.chunked-upload-min-size} or more) copied in chunks ({@link ChunkedUpload}) so a
     * later run of the job can continue it. When an earlier run recorded a session for this blob, the registry is asked
     * how far it got (GET on the session: 204 with {@code Range: 0-LAST}); the upload continues from there, and a session
     * that is gone (404, or a registry that invalidated it) starts the blob over.
     * <p>
     * The digest still covers the whole blob, and nothing is committed (the PUT with the digest) before it matched;
     * trusting only the registry's check at the final PUT would let a registry that does not verify commit wrong content.
     * Within one run the pump clones its digest state where each chunk ends ({@link DigestSnapshots}, the few most recent
     * only): a chunk that failed in flight and is continued from the registry's offset reads the source again from that
     * offset only (a Range request) and continues the hash from the clone taken at exactly that byte. Across runs (a run
     * that takes over a killed one has no digest state: it is never stored), and within a run when no clone was kept at
     * the registry's offset or the source cannot answer the Range request, the source is read again from its first byte
     * and the bytes the registry already holds are hashed, not sent again (they cost a download, never an upload). The
     * download of an interrupted source still resumes with a Range request, as for every blob.
     */
    private Future<Long> blobCopyChunked(RegistryAccess srcAccess, RegistryAccess dstAccess, ImageReference dstRepo,
                                         Descriptor blob, StreamWatch watch, String action, RegistryCall get) {
        UploadSessions sessions = watch.sessions();
        String destination = dstAccess.registry() + "/" + dstRepo.repository();
        String scope = pushScope(dstRepo);
        Future<UploadStart> start = sessions.find(destination, blob.digest()).compose(recorded -> {
            if (recorded == null) {
                return blobUploadStart(dstAccess, dstRepo, action).map(location -> new UploadStart(location, 0));
            }
            return blobUploadStatus(dstAccess, dstRepo, recorded.location(), action).compose(status -> {
                if (status != null && status.offset() <= blob.size()) {
                    watch.uploadResumed(status.offset(), recorded.offset(), false);
                    return Future.succeededFuture(status);
                }
                watch.uploadResumed(0, recorded.offset(), true);
                return blobUploadStart(dstAccess, dstRepo, action).map(location -> new UploadStart(location, 0));
            });
        });
        DigestSnapshots snapshots = new DigestSnapshots(config.transfer().uploadChunkSize());
        return start.compose(at -> chunkedFrom(srcAccess, dstAccess, dstRepo, blob, watch, action, get, at, 0, snapshots));
    }

    /**
     * One pass of a chunked copy from {@code at}. A chunk that failed in flight (BAD-INPUT row 23: answered 416, 429 or a
     * retryable 5xx, its connection dropped, no answer within the first-byte timeout) does not start the blob over: the
     * session is asked how far it got (GET, {@code Range}) and the copy continues from there, by the same path as a run
     * that takes over a killed one, except that the source is read again only from the registry's offset when the
     * digest state at exactly that byte was kept in {@code snapshots} (else from its first byte, the bytes the registry
     * holds hashed and skipped), at most {@code ferry.transfer.chunk-resume-attempts} times per blob; then the blob fails
     * ({@link ChunkResumesSpent}, not streamed again from zero). Any other failure, or a session that is gone (404, or
     * refused: distribution cancels a session whose bytes disagree with the offset in its location), cancels the
     * session, and the caller's blob retries start it over.
     */
    private Future<Long> chunkedFrom(RegistryAccess srcAccess, RegistryAccess dstAccess, ImageReference dstRepo, Descriptor blob,
                                     StreamWatch watch, String action, RegistryCall get, UploadStart at, int resumes,
                                     DigestSnapshots snapshots) {
        UploadSessions sessions = watch.sessions();
        String destination = dstAccess.registry() + "/" + dstRepo.repository();
        String scope = pushScope(dstRepo);
        ChunkedUpload sink = new ChunkedUpload(transport, dstAccess, scope, blob, config.transfer().uploadChunkSize(),
                at.location(), at.offset(), sessions, destination, action, config.limits().smallBodyBytes());
        Future<Void> recorded = at.offset() == 0 || resumes > 0 ? sessions.record(destination, blob.digest(), at.location(), at.offset())
                : Future.succeededFuture();
        if (at.offset() > 0 && resumes == 0) {
            watch.bytes(at.offset()); // at the destination already
        }
        // the progress reported so far is at.offset() + what this pass reports; a resume within the run takes back
        // what the registry did not keep, so a failed chunk is not counted twice
        java.util.concurrent.atomic.AtomicLong reported = new java.util.concurrent.atomic.AtomicLong();
        StreamWatch counted = new StreamWatch() {
            @Override
            public void bytes(long n) {
                reported.addAndGet(n);
                watch.bytes(n);
            }

            @Override
            public void resumed(long offset, String why) {
                watch.resumed(offset, why);
            }

            @Override
            public void uploadResumed(long kept, long recorded, boolean sessionLost) {
                watch.uploadResumed(kept, recorded, sessionLost);
            }

            @Override
            public UploadSessions sessions() {
                return watch.sessions();
            }

            @Override
            public Runnable onAbort(Runnable abort) {
                return watch.onAbort(abort);
            }
        };
        // within the run, the digest state at the registry's offset may be there: the source is then read from that
        // offset only (Range); otherwise (a run that took over, no snapshot at that offset, a source that cannot do
        // Range) it is read from its first byte and the bytes the registry holds are hashed, not sent
        java.security.MessageDigest seed = resumes > 0 && at.offset() > 0 ? snapshots.at(at.offset()) : null;
        Future<BlobStream> ranged = seed == null ? Future.succeededFuture()
                : recorded.compose(v -> reopenFrom(srcAccess, get, at.offset(), action))
                        .map(resp -> VerifyingPump.download(resp, offset -> reopenFrom(srcAccess, get, offset, action)))
                        .otherwise((BlobStream) null);
        return ranged.compose(fromOffset -> {
            if (fromOffset != null) {
                return VerifyingPump.pumpSeeded(fromOffset, sink, blob, action, counted, at.offset(), seed, snapshots)
                        .map(done -> blob.size());
            }
            return recorded.compose(v -> transport.openStream(srcAccess, get)).compose(opened -> {
                if (!opened.isSuccess()) {
                    return Future.failedFuture(RegistryErrors.failure(opened.refused(), action, ProblemType.BLOB_NOT_FOUND));
                }
                BlobStream from = VerifyingPump.download(opened.response(), offset -> reopenFrom(srcAccess, get, offset, action));
                return VerifyingPump.pumpFrom(from, sink, blob, action, counted, at.offset(), snapshots).map(done -> blob.size());
            });
        }).compose(n -> sessions.forget(destination, blob.digest()).map(n)).recover(t -> {
            if (sessions.handedOver()) {
                return Future.failedFuture(t); // the job's new owner continues this session: leave it be
            }
            String why = sink.resumable();
            int allowed = config.transfer().chunkResumeAttempts();
            Future<UploadStart> again;
            if (why == null || dstAccess.scope().isAborted()) {
                again = Future.succeededFuture();
            } else if (resumes >= allowed) {
                // The session is still there and was resumed `allowed` times: streaming the blob again from zero
                // (ferry.transfer.blob-retries) would send the acknowledged chunks again to a registry that keeps
                // failing the next one. A 416 is the registry refusing the offset its own Range reports: an invalid
                // response; any other failure keeps its own type (a 5xx: registry-error, no answer: registry-timeout).
                String gaveUp = "; gave up after " + allowed + " resumed attempts (ferry.transfer.chunk-resume-attempts)";
                t = sink.rangeRefused() || !(t instanceof FerryException)
                        ? new ChunkResumesSpent(sink.rangeRefused() ? ProblemType.REGISTRY_INVALID_RESPONSE : ProblemType.REGISTRY_UNREACHABLE,
                                action + ": " + why + gaveUp, t)
                        : new ChunkResumesSpent(((FerryException) t).type(), t.getMessage() + gaveUp, t);
                again = Future.succeededFuture();
            } else {
                // a 429 or 503 with Retry-After is waited for; otherwise the session is asked at once (that GET has the
                // transport's own retries with backoff, for a registry that is restarting)
                String retryAfter = sink.retryAfter();
                Future<Void> wait = retryAfter == null ? Future.succeededFuture() : transport.backoff(dstAccess, resumes + 1, retryAfter);
                again = wait.compose(v -> blobUploadStatus(dstAccess, dstRepo, sink.location(), action)).otherwise((UploadStart) null)
                        .map(status -> status != null && status.offset() <= blob.size() ? status : null);
            }
            Throwable failure = t;
            return again.compose(status -> {
                if (status != null) {
                    watch.bytes(status.offset() - (at.offset() + reported.get()));
                    watch.uploadResumed(status.offset(), sink.acknowledged(), false);
                    return chunkedFrom(srcAccess, dstAccess, dstRepo, blob, watch, action, get, status, resumes + 1, snapshots);
                }
                return blobUploadCancel(dstAccess, dstRepo, sink.location(), scope)
                        .compose(v -> sessions.forget(destination, blob.digest()))
                        .transform(ignored -> Future.failedFuture(failure));
            });
        });
    }

    /**
     * How far an upload session got (GET on its location): its newest location and the bytes it holds, from
     * {@code Range: 0-LAST}; null when the session is gone (404) or refused (distribution cancels a session whose
     * stored bytes disagree with the offset signed into the location).
     */
    private Future<UploadStart> blobUploadStatus(RegistryAccess access, ImageReference repo, String location, String action) {
        RegistryCall call = RegistryCall.get(location, pushScope(repo), action + " (asking how far the upload got)",
                config.limits().smallBodyBytes());
        return transport.exchange(access, call).map(resp -> {
            if (resp.status() != 204 && resp.status() != 200) {
                return null;
            }
            long offset = 0;
            String range = resp.header("Range");
            if (range != null) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("^\\s*(?:bytes=)?0-(-?\\d+)\\s*$").matcher(range);
                if (!m.matches()) {
                    return null;
                }
                offset = Math.max(0, Long.parseLong(m.group(1)) + 1);
            }
            String next = resp.header("Location");
            try {
                return new UploadStart(next == null || next.isBlank() ? location : URI.create(resp.url()).resolve(next).toString(), offset);
            } catch (IllegalArgumentException e) {
                return null;
            }
        });
    }

    /** Streams {@code from} into the open upload session at {@code location} (one PUT with the digest), verified. */
    private Future<Long> uploadInto(RegistryAccess dstAccess, ImageReference dstRepo, String location, Descriptor blob,
                                    BlobStream from, StreamWatch watch, String action) {
        String put = location + (location.contains("?") ? "&" : "?") + "digest=" + enc(blob.digest().toString());
        RegistryCall call = new RegistryCall(HttpMethod.PUT, put,
                MultiMap.caseInsensitiveMultiMap().add("Content-Type", "application/octet-stream"), null, pushScope(dstRepo),
                action, config.limits().smallBodyBytes());
        return transport.upload(dstAccess, call, blob.size(),
                        request -> VerifyingPump.pump(from, VerifyingPump.upload(request), blob, action, watch))
                .recover(t -> {
                    from.abort(); // no-op once the source has ended
                    return Future.failedFuture(t);
                })
                .compose(resp -> {
                    if (!resp.isSuccess()) {
                        return Future.failedFuture(RegistryErrors.failure(resp, action, ProblemType.BLOB_NOT_FOUND));
                    }
                    String stored = resp.header("Docker-Content-Digest");
                    if (stored != null && !stored.equals(blob.digest().toString())) {
                        return Future.failedFuture(new FerryException(ProblemType.DIGEST_MISMATCH,
                                action + ": the registry stored the blob as " + stored));
                    }
                    return Future.succeededFuture(blob.size());
                });
    }

    /**
     * Uploads one blob from any stream (a file, a tar entry) into {@code dstRepo}: an upload session, then one PUT
     * with Content-Length from the descriptor, verified as it passes. A failed or mismatching stream resets the
     * request and cancels the session: the registry never stores anything for it.
     */
    public Future<Long> blobPut(RegistryAccess dstAccess, ImageReference dstRepo, Descriptor blob, BlobStream from,
                                StreamWatch watch) {
        String action = "writing blob " + blob.digest() + " to " + dstRepo.name();
        return blobUploadStart(dstAccess, dstRepo, action).recover(t -> {
            from.abort();
            return Future.failedFuture(t);
        }).compose(location -> uploadInto(dstAccess, dstRepo, location, blob, from, watch, action)
                .recover(t -> blobUploadCancel(dstAccess, dstRepo, location, pushScope(dstRepo))
                        .transform(ignored -> Future.failedFuture(t))));
    }

    /**
     * Opens blob {@code blob} of {@code repo} for reading, paused; a dropped download resumes with a Range request
     * (the reader's {@link BlobStream#reopen}). Fails with blob-not-found when absent.
     */
    public Future<BlobStream> blobOpen(RegistryAccess access, ImageReference repo, Descriptor blob) {
        String action = "reading blob " + blob.digest() + " in " + repo.name();
        RegistryCall get = RegistryCall.get("/v2/" + repo.repository() + "/blobs/" + blob.digest(), pullScope(repo), action, 0);
        return transport.openStream(access, get).compose(opened -> {
            if (!opened.isSuccess()) {
                return Future.failedFuture(RegistryErrors.failure(opened.refused(), action, ProblemType.BLOB_NOT_FOUND));
            }
            return Future.succeededFuture(VerifyingPump.download(opened.response(), offset -> reopenFrom(access, get, offset, action)));
        });
    }

    /** Opens an upload session; succeeds with its Location (absolute or registry-relative). */
    private Future<String> blobUploadStart(RegistryAccess access, ImageReference repo, String action) {
        RegistryCall call = new RegistryCall(HttpMethod.POST, "/v2/" + repo.repository() + "/blobs/uploads/",
                MultiMap.caseInsensitiveMultiMap(), null, pushScope(repo), action + " (starting the upload)",
                config.limits().smallBodyBytes());
        return transport.exchange(access, call).compose(resp -> {
            if (resp.status() != 202) {
                return Future.failedFuture(resp.isSuccess()
                        ? invalid(call.action(), "expected HTTP 202, got " + resp.status())
                        : RegistryErrors.failure(resp, call.action(), ProblemType.REPOSITORY_NOT_FOUND));
            }
            String location = resp.header("Location");
            if (location == null || location.isBlank()) {
                return Future.failedFuture(invalid(call.action(), "the upload session has no Location"));
            }
            try {
                return Future.succeededFuture(URI.create(resp.url()).resolve(location).toString());
            } catch (IllegalArgumentException e) {
                return Future.failedFuture(invalid(call.action(), "invalid upload Location"));
            }
        });
    }

    /** Cancels an upload session (DELETE on its Location); best effort, never fails. */
    private Future<Void> blobUploadCancel(RegistryAccess access, ImageReference repo, String location, String scope) {
        RegistryCall call = new RegistryCall(HttpMethod.DELETE, location, MultiMap.caseInsensitiveMultiMap(), null, scope,
                "cancelling an upload to " + repo.name(), config.limits().smallBodyBytes());
        return transport.exchange(access, call).<Void>mapEmpty().otherwiseEmpty();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /**
     * Whether the repository exists, asked with a one-tag page: false only when the registry says
     * NAME_UNKNOWN. Used to tell "no such repository" from "no such tag" after a manifest 404.
     */
    public Future<Boolean> repositoryExists(RegistryAccess access, ImageReference repo) {
        String action = "checking repository " + repo.name();
        RegistryCall call = RegistryCall.get("/v2/" + repo.repository() + "/tags/list?n=1", pullScope(repo), action,
                config.limits().smallBodyBytes());
        return transport.exchange(access, call)
                .map(resp -> !(resp.status() == 404 && "NAME_UNKNOWN".equals(RegistryErrors.code(resp))));
    }

    /** All tags of the repository, following {@code Link} pagination to the end. */
    public Future<List<String>> tagList(RegistryAccess access, ImageReference repo) {
        String action = "listing tags of " + repo.name();
        List<String> tags = new ArrayList<>();
        String first = "/v2/" + repo.repository() + "/tags/list?n=" + config.limits().tagPageSize();
        return tagPage(access, repo, first, action, tags, 1);
    }

    private Future<List<String>> tagPage(RegistryAccess access, ImageReference repo, String path, String action,
                                         List<String> tags, int page) {
        String key = TagListCache.key(access.registry(), path);
        TagListCache.Page cached = tagPages.get(key);
        RegistryCall plain = RegistryCall.get(path, pullScope(repo), action + " (page " + page + ")",
                config.limits().manifestBytes());
        RegistryCall call = cached == null ? plain : plain.withHeader("If-None-Match", cached.etag());
        return transport.exchange(access, call).compose(resp -> {
            List<String> pageTags = new ArrayList<>();
            String next;
            if (resp.status() == 304 && cached != null) {
                // the registry says the page is what it was: its tags and its next link as then
                pageTags.addAll(cached.tags());
                next = cached.next();
            } else {
                if (!resp.isSuccess()) {
                    return Future.failedFuture(RegistryErrors.failure(resp, call.action(), ProblemType.REPOSITORY_NOT_FOUND));
                }
                try {
                    JsonNode body = json.readTree(resp.body().getBytes());
                    JsonNode list = body == null ? null : body.get("tags");
                    if (list != null && list.isArray()) {
                        list.forEach(t -> {
                            if (t.isTextual()) {
                                pageTags.add(t.asText());
                            }
                        });
                    } else if (list != null && !list.isNull()) {
                        return Future.failedFuture(invalid(call.action(), "tags is not a list"));
                    }
                } catch (Exception e) {
                    return Future.failedFuture(invalid(call.action(), "the tag list is not JSON"));
                }
                next = nextLink(resp);
                String etag = resp.headers().get("ETag");
                if (etag != null && !etag.isBlank() && etag.length() <= 256 && pageTags.size() <= config.limits().tagPageSize()) {
                    tagPages.put(key, new TagListCache.Page(etag.trim(), pageTags, next));
                } else if (cached != null) {
                    tagPages.remove(key);
                }
            }
            tags.addAll(pageTags);
            if (next == null) {
                return Future.succeededFuture(tags);
            }
            if (page >= config.limits().tagPages()) {
                return Future.failedFuture(invalid(call.action(), "more than " + config.limits().tagPages() + " pages of tags"));
            }
            String nextPath;
            try {
                nextPath = URI.create(resp.url()).resolve(next).toString();
            } catch (IllegalArgumentException e) {
                return Future.failedFuture(invalid(call.action(), "invalid Link header"));
            }
            return tagPage(access, repo, nextPath, action, tags, page + 1);
        });
    }

    private static FerryException invalid(String action, String why) {
        return new FerryException(ProblemType.REGISTRY_INVALID_RESPONSE, action + ": " + why);
    }

    /** The target of {@code rel="next"} in an RFC 8288 Link header, or null. */
    static String nextLink(RegistryResponse resp) {
        List<String> links = resp.headers().getAll("Link");
        for (String header : links) {
            for (String part : header.split(",")) {
                int lt = part.indexOf('<');
                int gt = part.indexOf('>');
                if (lt >= 0 && gt > lt && part.substring(gt).replace(" ", "").contains("rel=\"next\"")) {
                    return part.substring(lt + 1, gt).trim();
                }
            }
        }
        return null;
    }

    /**
     * Deletes the manifest that {@code reference} (a digest, or a tag on registries that support deleting
     * tags alone, OCI 1.1) names. A registry with deletes disabled, or one that cannot delete a tag alone,
     * fails with its own problem type, so callers can say so.
     */
    public Future<Void> manifestDelete(RegistryAccess access, ImageReference repo, String reference) {
        String action = "deleting manifest " + reference + " in " + repo.name();
        RegistryCall call = new RegistryCall(io.vertx.core.http.HttpMethod.DELETE, "/v2/" + repo.repository() + "/manifests/" + reference,
                io.vertx.core.MultiMap.caseInsensitiveMultiMap(), null,
                "repository:" + repo.repository() + ":pull,delete", action, config.limits().smallBodyBytes());
        return transport.exchange(access, call).compose(resp -> {
            if (resp.isSuccess()) {
                return Future.succeededFuture();
            }
            String code = RegistryErrors.code(resp);
            if (resp.status() == 405) {
                return Future.failedFuture(new FerryException(ProblemType.REGISTRY_DELETE_DISABLED,
                        action + ": the registry does not allow deletes (HTTP 405" + (code == null ? "" : " " + code)
                        + "); distribution needs storage.delete.enabled: true"));
            }
            boolean byTag = !reference.contains(":");
            if (byTag && (resp.status() == 400 || resp.status() == 404) && !"MANIFEST_UNKNOWN".equals(code) && !"NAME_UNKNOWN".equals(code)) {
                return Future.failedFuture(new FerryException(ProblemType.TAG_DELETE_UNSUPPORTED,
                        action + ": the registry cannot delete a tag alone (it answered " + RegistryErrors.summary(resp)
                        + "); delete by digest instead, which removes every tag of that manifest"));
            }
            return Future.failedFuture(RegistryErrors.failure(resp, action, ProblemType.IMAGE_NOT_FOUND));
        });
    }
}
