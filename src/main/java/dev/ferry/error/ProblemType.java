package dev.ferry.error;

/**
 * Every problem Ferry can report, with its stable type URI, HTTP status and title.
 * This is the single table that maps internal failures to HTTP (as Apicurio's HttpStatusCodeMap does);
 * the README and openapi/ferry.yaml document the same list.
 */
public enum ProblemType {
    INVALID_REQUEST("invalid-request", 400, "The request is invalid"),
    INVALID_REFERENCE("invalid-reference", 400, "The image reference is invalid"),
    UNSUPPORTED_TRANSPORT("unsupported-transport", 400, "The transport is not supported"),
    INVALID_MANIFEST("invalid-manifest", 400, "The manifest is invalid"),
    REFERENCE_MISMATCH("reference-mismatch", 409, "The tag and the digest of the reference disagree"),
    NOT_FOUND("not-found", 404, "Not found"),
    JOB_NOT_FOUND("job-not-found", 404, "No such job"),
    JOB_FINISHED("job-finished", 409, "The job has already finished"),
    JOB_NOT_RESUMABLE("job-not-resumable", 409, "The job was interrupted and cannot resume"),
    IDEMPOTENCY_KEY_REUSED("idempotency-key-reused", 422, "The Idempotency-Key was used for a different request"),
    DELETE_WOULD_REMOVE_TAGS("delete-would-remove-tags", 409, "Deleting the manifest would remove other tags"),
    REGISTRY_DELETE_DISABLED("registry-delete-disabled", 405, "The registry does not allow deletes"),
    TAG_DELETE_UNSUPPORTED("tag-delete-unsupported", 422, "The registry cannot delete a tag alone"),
    STORE_UNAVAILABLE("store-unavailable", 503, "The job store is unavailable"),
    REGISTRY_NOT_ALLOWED("registry-not-allowed", 403, "The registry is not allowed by policy"),
    IMAGE_NOT_FOUND("image-not-found", 404, "The image was not found"),
    REPOSITORY_NOT_FOUND("repository-not-found", 404, "The repository was not found"),
    BLOB_NOT_FOUND("blob-not-found", 404, "The blob was not found"),
    PLATFORM_NOT_FOUND("platform-not-found", 404, "No image for the requested platform"),
    METHOD_NOT_ALLOWED("method-not-allowed", 405, "Method not allowed"),
    NOT_ACCEPTABLE("not-acceptable", 406, "Not acceptable"),
    PAYLOAD_TOO_LARGE("payload-too-large", 413, "The request body is too large"),
    UNSUPPORTED_MEDIA_TYPE("unsupported-media-type", 415, "Unsupported media type"),
    URI_TOO_LONG("uri-too-long", 414, "The request URL is too long"),
    HEADERS_TOO_LARGE("headers-too-large", 431, "The request headers are too large"),
    REGISTRY_UNAUTHORIZED("registry-unauthorized", 401, "The registry refused the credentials"),
    REGISTRY_FORBIDDEN("registry-forbidden", 403, "The registry denied access"),
    UNSUPPORTED_MANIFEST("unsupported-manifest", 422, "The manifest is of a kind Ferry does not handle"),
    REGISTRY_ERROR("registry-error", 502, "The registry answered with an error"),
    REGISTRY_INVALID_RESPONSE("registry-invalid-response", 502, "The registry sent an invalid response"),
    REGISTRY_RESPONSE_TOO_LARGE("registry-response-too-large", 502, "The registry sent a response larger than allowed"),
    DIGEST_MISMATCH("digest-mismatch", 502, "Content from the registry does not match its digest"),
    REGISTRY_UNREACHABLE("registry-unreachable", 502, "The registry could not be reached"),
    REGISTRY_TIMEOUT("registry-timeout", 504, "The registry did not answer in time"),
    HOOK_NOT_FOUND("hook-not-found", 404, "No such webhook"),
    HOOK_UNAUTHORIZED("hook-unauthorized", 401, "The webhook delivery is not authenticated"),
    UNAUTHENTICATED("unauthenticated", 401, "A valid bearer token is required"),
    ACCESS_DENIED("access-denied", 403, "Access denied"),
    TOO_MANY_REQUESTS("too-many-requests", 429, "Too many requests"),
    TOO_MANY_ACTIVE_JOBS("too-many-active-jobs", 429, "Too many active jobs"),
    TOO_MANY_EVENT_STREAMS("too-many-event-streams", 429, "Too many open event streams"),
    JOB_ABANDONED("job-abandoned", 500, "The job was given up after its replica stopped too many times"),
    STORAGE_DISABLED("storage-disabled", 403, "Server-side paths are not enabled"),
    PATH_NOT_ALLOWED("path-not-allowed", 403, "The path is outside the storage roots"),
    INVALID_ARCHIVE("invalid-archive", 400, "The archive is invalid"),
    DIGESTS_WOULD_CHANGE("digests-would-change", 422, "The copy would change digests"),
    // attached artifacts and managed credentials (issue 12, referrers/ and registry/CredentialResolver)
    REFERRERS_INCOMPLETE("referrers-incomplete", 502, "Artifacts attached to the image were not all copied"),
    CREDENTIALS_NEED_SECRET_KEY("credentials-need-secret-key", 409, "Stored credentials need the store's secret key"),
    CREDENTIALS_NOT_FOUND("credentials-not-found", 404, "No stored credentials for that registry"),
    CREDENTIAL_HELPER_FAILED("credential-helper-failed", 502, "The credential helper failed"),
    // issue-13-traffic: outbound notifications, stored hooks
    INVALID_NOTIFICATION_URL("invalid-notification-url", 400, "The notification URL is invalid"),
    NOTIFICATION_URL_NOT_ALLOWED("notification-url-not-allowed", 403, "The notification URL is not allowed by the outbound rules"),
    HOOK_READ_ONLY("hook-read-only", 409, "The webhook is configured, not stored: it cannot be changed through the API"),
    HOOK_EXISTS("hook-exists", 409, "A webhook of that name exists already"),
    // image signatures (dev.ferry.signature)
    SIGNATURE_REJECTED("signature-rejected", 403, "The signature policy rejected the image"),
    SIGNATURE_POLICY_INVALID("signature-policy-invalid", 503, "The signature policy cannot be used"),
    SIGNING_KEY_UNKNOWN("signing-key-unknown", 400, "Ferry holds no such signing key"),
    SIGNING_KEY_UNAVAILABLE("signing-key-unavailable", 503, "The signing key cannot be used"),
    SIGNING_FAILED("signing-failed", 502, "The signature could not be stored"),
    SIGNATURE_INVALID("signature-invalid", 422, "The signature does not verify"),
    // ---- policies, runs and retries (issue 13: dev.ferry.policy) ----
    POLICY_NOT_FOUND("policy-not-found", 404, "No such policy"),
    POLICY_EXISTS("policy-exists", 409, "A policy with this name exists already"),
    POLICY_RUN_ACTIVE("policy-run-active", 409, "A run of this policy is still active"),
    JOB_NOT_RETRYABLE("job-not-retryable", 409, "The job cannot be retried"),
    // ---- layer recompression (issue 10: destCompressFormat, transfer/LayerRecompressor) ----
    INVALID_LAYER("invalid-layer", 422, "A layer cannot be decompressed"),
    COMPRESS_SPOOL_LIMIT("compress-spool-limit", 507, "The recompressed layer is larger than the spool allows"),
    // issue 13 platform subsets (transfer/PlatformChoice)
    SPARSE_INDEX_REFUSED("sparse-index-refused", 422, "The destination refused an index whose other platforms were not copied"),
    INTERNAL("internal", 500, "Internal error");

    private static final String PREFIX = "urn:ferry:problem:";
    private final String slug;
    private final int status;
    private final String title;

    ProblemType(String slug, int status, String title) {
        this.slug = slug;
        this.status = status;
        this.title = title;
    }

    /** The stable, documented identifier, e.g. {@code urn:ferry:problem:image-not-found}. */
    public String uri() {
        return PREFIX + slug;
    }

    public String slug() {
        return slug;
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }
}
