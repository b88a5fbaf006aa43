package dev.ferry.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * All of Ferry's own configuration, one tree under {@code ferry.}. Every property has a default,
 * so Ferry runs with no configuration at all; the README's configuration reference lists the same.
 */
@ConfigMapping(prefix = "ferry")
public interface FerryConfig {

    /** Platform chosen from a multi-platform image when the request does not override it (skopeo uses the host's). */
    DefaultPlatform platform();

    /** Which registries Ferry may contact at all. */
    RegistryPolicy registryPolicy();

    /** Per-registry settings, keyed by exact host[:port] (quote keys that contain a colon). */
    Map<String, RegistrySettings> registries();

    /**
     * containers auth.json / docker config.json to read credentials from, as skopeo's --authfile.
     * When unset: $REGISTRY_AUTH_FILE, then $XDG_RUNTIME_DIR/containers/auth.json, then ~/.docker/config.json.
     */
    Optional<String> authFile();

    /** Outbound HTTP behaviour towards registries. */
    Http http();

    /** Caps on what is read into memory from a registry. */
    Limits limits();

    /**
     * Where Ferry keeps its embedded job store ({@code DATA_DIR/ferry.mv.db}): an absolute path, or a relative
     * one starting with {@code ./} (the embedded database refuses bare relative paths).
     */
    @WithDefault("./data")
    String dataDir();

    /** How blobs move. */
    Transfer transfer();

    interface Transfer {
        /**
         * Times one blob is streamed again after a failed attempt (a dropped download is first resumed in place
         * with a Range request; this covers uploads the destination refused).
         */
        @WithDefault("5")
        int blobRetries();

        /**
         * Blobs of at least this many bytes copied registry to registry are pushed in chunks (PATCH with
         * Content-Range, then a PUT with the digest) instead of one streamed PUT, so that a job taken over by another
         * replica (its owner killed) continues the upload where the registry's session stopped instead of from zero.
         * Job runs record each acknowledged chunk's upload location (one row per blob, updated per chunk). 0: never.
         */
        @WithDefault("67108864")
        long chunkedUploadMinSize();

        /**
         * Bytes per PATCH of a chunked upload: at most this much is sent again after a kill (a kill during a chunk's
         * body loses the session on distribution 2.8, see the README), and one store write per chunk.
         */
        @WithDefault("33554432")
        long uploadChunkSize();

        /**
         * How many times, per blob and run, a chunked upload whose chunk was answered 416 (or whose connection dropped
         * during a chunk) asks the session how far it got and continues from its Range, before the blob fails
         * (BAD-INPUT row 23). 0: fail at once.
         */
        @WithDefault("3")
        int chunkResumeAttempts();
    }

    /** Copy, delete and sync jobs. */
    Jobs jobs();

    interface Jobs {
        /** Jobs that run at once; more wait in the queue. */
        @WithDefault("4")
        int maxRunning();

        /** How often a running job emits a progress event (only when something moved). */
        @WithDefault("500ms")
        Duration progressInterval();

        /** Longest wait that {@code Prefer: wait=N} may ask for. */
        @WithDefault("300s")
        Duration maxWait();

        /**
         * Event streams ({@code GET /api/v1/jobs/ID/events}) one caller may hold open at once on this replica: the
         * token's subject in secured mode, the client's address in local mode. One more answers 429
         * {@code too-many-event-streams}; a stream that ends or whose client goes away frees its place at once.
         */
        @WithDefault("64")
        int maxEventStreamsPerCaller();
    }

    /**
     * Webhooks that promote images: {@code POST /api/v1/hooks/NAME} receives registry events (CNCF distribution
     * notifications, Harbor webhooks, or plain {@code {registry, repository, tag, digest}}) and starts a copy job
     * per pushed tag that a rule matches. Keyed by the hook's name (letters, digits, '.', '_' or '-'). No hooks
     * are configured by default. Hook endpoints authenticate with their own secret, not with Ferry's caller
     * identity.
     */
    Map<String, Hook> hooks();

    interface Hook {
        /**
         * Verify deliveries by HMAC-SHA256 of the raw body, sent as {@code X-Hub-Signature-256: sha256=<hex>}
         * (GitHub style). Exactly one of hmac-secret, hmac-secret-file, bearer-secret, bearer-secret-file must be
         * set. Prefer the file, or a property expression such as {@code ${PROMOTE_HOOK_SECRET}}.
         */
        Optional<String> hmacSecret();

        /** File whose first line is the HMAC secret. */
        Optional<String> hmacSecretFile();

        /**
         * Verify deliveries by a static {@code Authorization: Bearer <secret>} header, which is what distribution's
         * {@code notifications.endpoints[].headers} and Harbor's webhook auth header can send.
         */
        Optional<String> bearerSecret();

        /** File whose first line is the bearer secret. */
        Optional<String> bearerSecretFile();

        /**
         * The registry host[:port] that events of this hook come from, overriding what the event says
         * (distribution's {@code request.host}, Harbor's {@code resource_url}, the plain event's {@code registry}).
         * Set it when the registry is reached under another name than the one its pushers use.
         */
        Optional<String> registry();

        /** Largest delivery body read; larger ones are answered 413 (quarkus.http.limits.max-body-size caps all bodies). */
        @WithDefault("1048576")
        int maxBodyBytes();

        /** What to promote, checked in order; the first rule that matches a pushed tag decides, others are not used. */
        List<HookRule> rules();
    }

    interface HookRule {
        /**
         * {@code registry/repository} glob that the pushed image must match, e.g. {@code staging.example.com/team/*};
         * {@code *} matches any run of characters, '/' included.
         */
        String source();

        /** Regular expression that the whole pushed tag must match. */
        @WithDefault(".*")
        String tagRegex();

        /**
         * Where to copy the pushed image, e.g. {@code prod.example.com/{repository}:{tag}}. Placeholders:
         * {@code {registry}}, {@code {repository}}, {@code {name}} (the repository's last path element),
         * {@code {tag}}, {@code {digest}}. The copy always goes by digest from the source and includes every
         * platform, so the destination has the pushed digest.
         */
        String destination();

        /** skopeo's --src-tls-verify for the copy (false also permits plain http). */
        @WithDefault("true")
        boolean srcTlsVerify();

        /** skopeo's --dest-tls-verify for the copy (false also permits plain http). */
        @WithDefault("true")
        boolean destTlsVerify();
    }

    interface DefaultPlatform {
        /** Operating system, like skopeo's --override-os. */
        @WithDefault("linux")
        String os();

        /** CPU architecture, like skopeo's --override-arch. */
        @WithDefault("amd64")
        String arch();

        /** Architecture variant, like skopeo's --override-variant. */
        Optional<String> variant();
    }

    interface RegistryPolicy {
        /** host[:port] glob patterns ({@code *} matches any run of characters) that may be contacted. */
        @WithDefault("*")
        List<String> allow();

        /** host[:port] glob patterns that may never be contacted; deny wins over allow. */
        Optional<List<String>> deny();
    }

    interface RegistrySettings {
        /** User name for this registry (used when the request carries no credentials). */
        Optional<String> username();

        /** Password for this registry. Prefer password-file or an environment variable. */
        Optional<String> password();

        /** File whose first line is the password. */
        Optional<String> passwordFile();

        /** PEM file with the CA certificates that this registry's TLS certificate chains to. */
        Optional<String> caFile();

        /**
         * Jobs touching this registry (as source or destination) that run at once across all replicas on the same
         * store; more wait in the queue. Unset: no cap. Set the same value on every replica.
         */
        java.util.OptionalInt maxConcurrentJobs();

        /**
         * Traffic rule: HTTP requests to this registry in flight at once, across the replicas of one store (each live
         * replica takes its share, {@code dev.ferry.limit.ClusterShare}; the embedded store is one replica) (from sending the request to the
         * end of the answer's body, so a blob download holds its request until it is read). Applies to every request
         * of every job and call (policy runs and one-off jobs alike) below everything, in the registry client.
         * Streamed blob uploads are not counted (their bytes come from a download that holds its own request; counting
         * both could stall a copy within one registry). Unset: no cap.
         */
        java.util.OptionalInt maxConcurrentRequests();

        /**
         * Traffic rule: requests per second sent to this registry, across the replicas of one store (each live replica
         * gets this rate divided by their number): a token bucket of
         * {@code request-burst} tokens refilled at this rate; a request waits for its token (it is not refused), so in
         * any interval of T seconds at most {@code request-burst + requests-per-second * T} requests start. Unset: no cap.
         */
        java.util.OptionalDouble requestsPerSecond();

        /** Requests that may start at once above {@code requests-per-second} (the bucket's size). */
        @WithDefault("1")
        int requestBurst();

        /**
         * Traffic rule for registries that announce their pull quota (Docker Hub: {@code RateLimit-Remaining: N;w=SECONDS}):
         * when an answer says fewer than this many requests remain, the next requests to this registry wait until
         * the window resets ({@code RateLimit-Reset} seconds if sent, else the window {@code w}), at most
         * {@code rate-limit-max-wait}, instead of running into 429s; the wait is logged. Unset: not watched.
         */
        java.util.OptionalInt rateLimitFloor();

        /** Longest wait for a registry's quota window ({@code rate-limit-floor}); then requests go ahead (a 429's Retry-After still applies). */
        @WithDefault("15m")
        Duration rateLimitMaxWait();
    }

    interface Http {
        /** Time allowed to open a connection. */
        @WithDefault("10s")
        Duration connectTimeout();

        /**
         * Time allowed for a TLS handshake. With tlsVerify=false Ferry tries https first and falls back to
         * http (as skopeo does), so a plain-http server that never answers a TLS hello costs this much once.
         */
        @WithDefault("10s")
        Duration tlsHandshakeTimeout();

        /** A request fails if no byte moves for this long. */
        @WithDefault("60s")
        Duration idleTimeout();

        /** Pooled connections per registry host (Vert.x's default of 5 is too small for parallel work). */
        @WithDefault("32")
        int maxConnectionsPerHost();

        /**
         * Retries after the first attempt for connection errors, 408, 429, 500, 502, 503 and 504. Five rides out
         * ordinary faults: at 15% failed requests, six failures in a row happen about once in 90,000 requests.
         */
        @WithDefault("5")
        int retries();

        /** First backoff delay; doubles per retry, with full jitter. */
        @WithDefault("200ms")
        Duration retryDelay();

        /** Longest wait between attempts, also the cap for a registry's Retry-After. */
        @WithDefault("10s")
        Duration maxRetryDelay();

        /** How long a registry's discovered scheme and auth challenge are remembered. */
        @WithDefault("5m")
        Duration pingCacheTtl();

        /**
         * A request fails (and is retried like any timeout) when the registry sends no response headers this long
         * after the request was sent; with {@link #idleTimeout()} between chunks and {@link #connectTimeout()}, it
         * bounds how long a registry that accepts connections but never answers can hold a job.
         */
        @WithDefault("30s")
        Duration firstByteTimeout();

        /**
         * The deadline of every synchronous call (inspect, list-tags, the planning step of a delete): however the
         * registry misbehaves, the caller gets an answer within this time, a 504 registry-timeout naming the
         * registry and the step it was waiting for, and every request of the call is aborted.
         */
        @WithDefault("30s")
        Duration synchronousDeadline();
    }

    interface Limits {
        /** Largest manifest read into memory (containers/image uses 4 MiB). */
        @WithDefault("4194304")
        int manifestBytes();

        /** Largest image config read into memory. */
        @WithDefault("4194304")
        int configBytes();

        /** Largest token or error body read into memory. */
        @WithDefault("1048576")
        int smallBodyBytes();

        /** Tags asked for per tag-list page ({@code n}); the registry may send fewer and a Link to the next page. */
        @WithDefault("1000")
        int tagPageSize();

        /** Most tag-list pages followed for one repository. */
        @WithDefault("10000")
        int tagPages();
    }

    /** Secured mode (an OpenID Connect provider is configured): roles, repository policy, outbound safety, abuse limits. */
    Security security();

    interface Security {
        /**
         * Secured mode only: host[:port] globs ({@code *} matches any run of characters) of the registries that may be
         * contacted. Loopback, private, link-local, CGNAT and unspecified addresses are refused unless the host is
         * listed exactly (no wildcard), whatever name resolves to them.
         */
        @WithDefault("*")
        List<String> allowedRegistries();

        /** Names of the three roles, as they appear in the token's realm roles or groups. */
        Roles roles();

        /**
         * Per-repository rules, keyed by any name: which roles or groups may do which actions on which repositories.
         * With no rules at all, the role alone decides.
         */
        Map<String, Rule> rules();

        /** Per-caller request rate (secured mode). */
        RateLimit rateLimit();

        /** Queued plus running jobs one caller may have at once (secured mode); 0 = no cap. */
        @WithDefault("10")
        int maxActiveJobsPerCaller();

        interface Roles {
            /** Inspect, list-tags, manifest-digest, read own jobs. */
            @WithDefault("ferry-viewer")
            String viewer();

            /** Also copy and sync, and cancel own jobs. */
            @WithDefault("ferry-operator")
            String operator();

            /** Also delete, every caller's jobs, and the hooks listing. */
            @WithDefault("ferry-admin")
            String admin();
        }

        interface Rule {
            /** Role or group names this rule applies to. */
            List<String> subjects();

            /** registry/repository globs, e.g. {@code registry.example.com/team/*} ({@code *} also crosses {@code /}). */
            Optional<List<String>> repositories();

            /**
             * Server-side locations this rule grants, as case-sensitive globs ({@code *} also crosses {@code /}): the
             * resolved absolute path of an {@code oci:}, {@code oci-archive:}, {@code dir:} or {@code docker-archive:}
             * location (e.g. {@code /srv/images/team-a/*}), or {@code docker-daemon:NAME:TAG} for the daemon
             * (e.g. {@code docker-daemon:team-a/*}). A rule needs repositories, paths or both.
             */
            Optional<List<String>> paths();

            /** Any of read, write, delete. */
            List<String> actions();
        }

        interface RateLimit {
            /** Sustained requests per second per caller (token bucket refill); 0 = no limit. */
            @WithDefault("20")
            double requestsPerSecond();

            /** Requests a caller may make at once above the sustained rate (bucket size). */
            @WithDefault("40")
            int burst();
        }
    }

    /** Server-side files and directories: the {@code oci:}, {@code oci-archive:}, {@code dir:} and {@code docker-archive:} transports. */
    Storage storage();

    interface Storage {
        /**
         * Directories under which image paths are accepted ({@code FERRY_STORAGE_ROOTS}, comma-separated). A path is
         * resolved (symlinks followed) and must lie inside one of them; {@code ..} is refused. None by default: the
         * path transports are off until an administrator names a root. A relative path is taken inside the first root.
         */
        Optional<List<String>> roots();
    }

    /** The web dashboard at {@code /}. */
    Dashboard dashboard();

    interface Dashboard {
        /**
         * Secured mode: the OpenID Connect client the dashboard signs in with (authorization code + PKCE), a public
         * client of the provider in {@code quarkus.oidc.auth-server-url} whose redirect URI is Ferry's {@code /} and
         * whose web origin is Ferry's. Unset: the dashboard asks for a pasted access token instead.
         */
        Optional<String> oidcClientId();

        /** Scopes the dashboard asks for when it signs in. */
        @WithDefault("openid")
        String oidcScope();
    }

    /**
     * Where jobs, their events and their leases are kept. The embedded H2 file under {@code data-dir} is the
     * default and needs no database server (one replica). PostgreSQL lets several replicas share one queue.
     */
    Store store();

    interface Store {
        /**
         * {@code h2} (embedded, the default) or {@code postgresql}; environment {@code FERRY_STORE}. Pool sizes:
         * {@code quarkus.datasource.jdbc.max-size} (H2, default 16) and
         * {@code quarkus.datasource."postgresql".jdbc.max-size} (default 16 per replica).
         */
        @WithDefault("h2")
        String kind();

        /** PostgreSQL only: e.g. {@code jdbc:postgresql://db:5432/ferry}; environment {@code FERRY_STORE_JDBC_URL}. */
        Optional<String> jdbcUrl();

        /** PostgreSQL user; environment {@code FERRY_STORE_USERNAME}. */
        Optional<String> username();

        /** PostgreSQL password; environment {@code FERRY_STORE_PASSWORD}. Prefer {@code password-file}. */
        Optional<String> password();

        /** File whose first line is the PostgreSQL password; environment {@code FERRY_STORE_PASSWORD_FILE}. */
        Optional<String> passwordFile();

        /**
         * This replica's name in job records ({@code owner}); default: host name plus a random suffix, new at
         * every start (a restarted replica never mistakes an old lease for its own).
         */
        Optional<String> replicaId();

        /** How long a claimed job stays this replica's without a heartbeat; then any replica may take it over. */
        @WithDefault("30s")
        Duration lease();

        /** How often a replica renews the leases of the jobs it runs (well under {@code lease}). */
        @WithDefault("5s")
        Duration heartbeat();

        /**
         * How often a replica looks for queued jobs it could run, expired leases, and cancel requests made on other
         * replicas (jobs accepted by this replica start at once).
         */
        @WithDefault("1s")
        Duration pollInterval();

        /** Runs a job may start (the first included) before it is failed: a job that keeps killing its owner stops. */
        @WithDefault("5")
        int maxAttempts();

        /**
         * On shutdown (SIGTERM): how long running jobs may go on to finish; the rest are handed back to the queue at
         * once, for another replica (or this one after its restart) to resume.
         */
        @WithDefault("20s")
        Duration shutdownGrace();

        /**
         * AES key (base64 of 16, 24 or 32 bytes) that encrypts the credentials of a job's request at rest, so that
         * any replica holding the same key can resume it; environment {@code FERRY_STORE_SECRET_KEY}. Without a key
         * credentials are never stored and such a job cannot be resumed ({@code job-not-resumable}).
         */
        Optional<String> secretKey();

        /** File whose first line is {@code secret-key}; environment {@code FERRY_STORE_SECRET_KEY_FILE}. */
        Optional<String> secretKeyFile();

        /**
         * Earlier keys, still accepted to decrypt (base64, comma-separated), for key rotation: put the new key in
         * {@code secret-key}, the old one here, roll every replica, and drop it once old jobs have ended.
         */
        Optional<List<String>> previousSecretKeys();

        /** Finished jobs (and their events) are purged this long after they ended. */
        @WithDefault("7d")
        Duration retention();
    }
}
