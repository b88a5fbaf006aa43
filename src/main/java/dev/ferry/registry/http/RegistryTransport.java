package dev.ferry.registry.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.config.FerryConfig;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.registry.Credentials;
import dev.ferry.registry.RegistryAccess;
import dev.ferry.security.OutboundGuard;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * The wire to registries: endpoint discovery (https first, plain http only when TLS verification is off,
 * as skopeo does), authentication (basic, bearer tokens with the narrowest scope, cached per registry +
 * credentials + scope, one re-authentication on 401), retries with backoff and Retry-After, redirects
 * without credentials to other hosts, and bounded body reads. Registry semantics live in
 * {@link dev.ferry.registry.RegistryClient}, not here.
 *
 * <p>Threads: every public call may be made from any thread, and runs its whole request chain on a Vert.x event loop
 * ({@link #onEventLoop}). Vert.x delivers a response's body chunks to the handler set at that moment and drops them
 * when none is set yet; a chain built on another thread (the job claimer, a worker) can set its handler after the
 * first chunks were delivered, and a manifest then arrives short of bytes. On the event loop, the response and the
 * handler that reads it are set in the same tick.
 */
@ApplicationScoped
public class RegistryTransport {
    private static final int MAX_REDIRECTS = 5;

    private final Vertx vertx;
    private final FerryConfig config;
    private final ObjectMapper json;
    private final HttpClients clients;
    private final RetryPolicy retryPolicy;
    private final OutboundGuard outbound;
    private final TokenCache tokens = new TokenCache();
    private final TrafficRules traffic;
    private final Map<String, Future<String>> tokenFetches = new ConcurrentHashMap<>();
    private final Map<String, CachedEndpoint> endpoints = new ConcurrentHashMap<>();
    /** ferry_registry_request_seconds, retries and 429s, client spans (dev.ferry.metrics). */
    @jakarta.inject.Inject
    dev.ferry.metrics.RegistryMetrics metrics;

    /** Where a registry answers and what it asked for at {@code /v2/}. */
    record Endpoint(String baseUrl, List<Challenge> challenges) {
    }

    private record CachedEndpoint(Future<Endpoint> endpoint, Instant expiresAt) {
    }

    /** Applies this replica's share of every registry's traffic rules as the live replicas change. */
    @jakarta.inject.Inject
    void followClusterShare(dev.ferry.limit.ClusterShare share) {
        share.onChange((rank, members) -> traffic.share(rank, members));
        if (share.members() > 1) {
            traffic.share(share.rank(), share.members());
        }
    }

    public RegistryTransport(Vertx vertx, FerryConfig config, ObjectMapper json, OutboundGuard outbound) {
        this.vertx = vertx;
        this.outbound = outbound;
        this.config = config;
        this.json = json;
        this.clients = new HttpClients(vertx, config);
        this.retryPolicy = new RetryPolicy(config.http().retryDelay(), config.http().maxRetryDelay());
        this.traffic = new TrafficRules(config.registries(), System::nanoTime,
                (nanos, task) -> vertx.setTimer(Math.max(1, (nanos + 999_999) / 1_000_000), id -> task.run()));
    }

    /**
     * Opens a request, in secured mode to the address that {@link OutboundGuard} resolved and checked (the URL's host
     * still names the server for the Host header, SNI and certificate checks): a name cannot be re-resolved to a
     * refused address between the check and the connection. Every request of this class goes through here.
     */
    private Future<HttpClientRequest> request(HttpClient client, RequestOptions options, URI target, String action, RegistryAccess access,
                                              boolean streamedBody) {
        CallScope scope = access.scope();
        if (scope.isAborted()) {
            return Future.failedFuture(scope.cause());
        }
        scope.step(action, target.getRawAuthority());
        // the registry's traffic rules (ferry.registries."HOST".*): a streamed upload takes no concurrency permit
        TrafficRules.Host rules = traffic.rulesFor(target.getRawAuthority(), access.registry(), access.endpoint());
        Future<Runnable> admitted = traffic.admit(rules, !streamedBody);
        admitted.onSuccess(release -> {
            if (scope.isAborted()) {
                release.run();
            }
        });
        return scope.guard(admitted).compose(release -> {
            if (scope.isAborted()) {
                release.run();
                return Future.failedFuture(scope.cause());
            }
            long start = System.nanoTime();
            return scope.guard(outbound.connectAddress(target, action).compose(server -> {
                if (server != null) {
                    options.setServer(server);
                }
                Future<HttpClientRequest> opened = client.request(options);
                return metrics == null ? opened : metrics.timed(target, options.getMethod().name(), opened, start);
            })).onFailure(t -> release.run()).compose(req -> {
                if (scope.isAborted()) {
                    req.reset(0, scope.cause());
                    release.run();
                    return Future.failedFuture(scope.cause());
                }
                Runnable untrack = scope.track(req);
                req.response().onFailure(t -> {
                    untrack.run();
                    release.run();
                }).onSuccess(resp -> {
                    // A failure of the body is reported through end() and the reader's own handler (set after this
                    // one, replacing it); without any handler Vert.x logs an ERROR with a stack trace for a connection
                    // Ferry itself closed on purpose (a cancel, a verified-bad blob, a body nobody reads).
                    resp.exceptionHandler(ignored -> { });
                    if (streamedBody) {
                        // the answer to an upload can come before the body is all written (an early refusal); its
                        // reader is set only then, and Vert.x drops chunks that no handler takes: hold them until read()
                        resp.pause();
                    }
                    traffic.observe(rules, resp.getHeader("RateLimit-Remaining"), resp.getHeader("RateLimit-Reset"));
                    resp.end().onComplete(ended -> {
                        untrack.run();
                        release.run();
                    });
                });
                if (!streamedBody) {
                    awaitAnswer(req, action, target.getRawAuthority());
                }
                return Future.succeededFuture(req);
            });
        });
    }

    /**
     * Starts the first-byte timeout of a request whose body is sent: without response headers within
     * {@code ferry.http.first-byte-timeout} the request is reset (and retried like any timeout).
     */
    private void awaitAnswer(HttpClientRequest req, String action, String host) {
        Duration limit = config.http().firstByteTimeout();
        long timer = vertx.setTimer(Math.max(1, limit.toMillis()), id -> req.reset(0, new TimeoutException(
                action + ": " + host + " sent no response within " + limit.toMillis() + " ms (ferry.http.first-byte-timeout)")));
        req.response().onComplete(ar -> vertx.cancelTimer(timer));
    }

    /**
     * Runs a synchronous call ({@code what}, e.g. "inspect 127.0.0.1:5000/lab/app:1") in a scope with the
     * synchronous-call deadline ({@code ferry.http.synchronous-deadline}): {@code call} MUST make every registry
     * request through accesses {@link RegistryAccess#within within} the scope it is given. When the deadline passes
     * first, the result is a 504 registry-timeout that names the registry and the step, and the requests are reset.
     */
    public <T> Future<T> withinDeadline(String what, java.util.function.Function<CallScope, Future<T>> call) {
        CallScope scope = CallScope.withDeadline(vertx, config.http().synchronousDeadline(), what, "ferry.http.synchronous-deadline");
        Future<T> result;
        try {
            result = scope.guard(call.apply(scope));
        } catch (RuntimeException e) {
            scope.close();
            throw e;
        }
        return result.onComplete(ar -> scope.close());
    }

    @PreDestroy
    void close() {
        clients.close();
    }

    /**
     * Sends {@code call} to the registry of {@code access}: authenticated, retried, redirects followed.
     * Succeeds with any final HTTP status (the caller gives it meaning); fails with a {@link FerryException}
     * when the registry cannot be reached or a body exceeds its cap.
     */
    public Future<RegistryResponse> exchange(RegistryAccess access, RegistryCall call) {
        return onEventLoop(() -> {
            access.scope().step(call.action(), access.endpoint());
            return access.scope().guard(endpoint(access, call.action()).compose(ep -> authorizedExchange(ep, access, call, false)));
        });
    }

    /** The base URL ({@code scheme://host[:port]}) that the registry answers on. */
    public Future<String> baseUrl(RegistryAccess access, String action) {
        return onEventLoop(() -> access.scope().guard(endpoint(access, action).map(Endpoint::baseUrl)));
    }

    /**
     * Runs {@code chain} on an event loop: at once when called on one, else on a new event-loop context (Vert.x
     * spreads those over its loops). The answer may then be taken on any thread: a body read into memory is whole,
     * and a stream comes back paused.
     */
    <T> Future<T> onEventLoop(java.util.function.Supplier<Future<T>> chain) {
        if (io.vertx.core.Context.isOnEventLoopThread()) {
            return chain.get();
        }
        Promise<T> answer = Promise.promise();
        ((io.vertx.core.impl.VertxInternal) vertx).createEventLoopContext().runOnContext(v -> {
            try {
                chain.get().onComplete(answer);
            } catch (RuntimeException e) {
                answer.fail(e);
            }
        });
        return answer.future();
    }

    private Future<RegistryResponse> authorizedExchange(Endpoint ep, RegistryAccess access, RegistryCall call, boolean reauthenticated) {
        String url = absolute(ep, call);
        return authorization(ep.challenges(), access, call.scope(), call.action()).compose(auth ->
                sendWithRetries(access, call, url, auth, 0).compose(resp -> {
                    Reauthentication again = reauthentication(ep, access, call, auth, resp, reauthenticated);
                    return again == null ? Future.succeededFuture(resp)
                            : authorizedExchange(again.endpoint(), access, again.call(), true);
                }));
    }

    /** What to send after a 401, or null when the 401 is final. */
    private record Reauthentication(Endpoint endpoint, RegistryCall call) {
    }

    private Reauthentication reauthentication(Endpoint ep, RegistryAccess access, RegistryCall call, String auth,
                                              RegistryResponse resp, boolean reauthenticated) {
        if (resp.status() != 401 || reauthenticated || access.credentials() instanceof Credentials.RegistryToken) {
            return null;
        }
        List<Challenge> challenges = Challenge.parse(resp.header("WWW-Authenticate"));
        Optional<Challenge> bearer = challenges.stream().filter(Challenge::isBearer).findFirst();
        boolean basicWorthTrying = challenges.stream().anyMatch(Challenge::isBasic)
                && access.credentials() instanceof Credentials.Basic && auth == null;
        if (bearer.isEmpty() && !basicWorthTrying) {
            return null;
        }
        String scope = call.scope();
        if (bearer.isPresent()) {
            Challenge b = bearer.get();
            tokens.invalidate(tokenKey(b, access, scope));
            if ("insufficient_scope".equals(b.params().get("error")) && b.params().get("scope") != null) {
                scope = mergeScopes(scope, b.params().get("scope"));
            }
        }
        Endpoint refreshed = new Endpoint(ep.baseUrl(), challenges);
        endpoints.computeIfPresent(endpointKey(access), (k, c) -> new CachedEndpoint(Future.succeededFuture(refreshed), c.expiresAt()));
        return new Reauthentication(refreshed,
                new RegistryCall(call.method(), call.path(), call.headers(), call.body(), scope, call.action(), call.bodyLimit()));
    }

    private static String mergeScopes(String a, String b) {
        Set<String> all = new LinkedHashSet<>();
        if (a != null) {
            all.addAll(List.of(a.split(" ")));
        }
        all.addAll(List.of(b.split(" ")));
        all.remove("");
        return String.join(" ", all);
    }

    private String absolute(Endpoint ep, RegistryCall call) {
        String path = call.path();
        if (path.startsWith("http://") || path.startsWith("https://")) {
            URI target = URI.create(path);
            URI base = URI.create(ep.baseUrl());
            if (!target.getScheme().equals(base.getScheme()) || !target.getAuthority().equals(base.getAuthority())) {
                throw new FerryException(ProblemType.REGISTRY_INVALID_RESPONSE,
                        call.action() + ": the registry pointed to another host (" + target.getAuthority() + ")");
            }
            return path;
        }
        return ep.baseUrl() + path;
    }

    // ---- endpoint discovery -------------------------------------------------------------------------

    private static String endpointKey(RegistryAccess access) {
        return access.endpoint() + '|' + access.tlsVerify();
    }

    private Future<Endpoint> endpoint(RegistryAccess access, String action) {
        String key = endpointKey(access);
        Instant now = Instant.now();
        CachedEndpoint cached = endpoints.get(key);
        if (cached != null && now.isBefore(cached.expiresAt()) && !cached.endpoint().failed()) {
            return cached.endpoint();
        }
        Future<Endpoint> discovered = ping(access, action);
        CachedEndpoint entry = new CachedEndpoint(discovered, now.plus(config.http().pingCacheTtl()));
        endpoints.put(key, entry);
        discovered.onFailure(t -> endpoints.remove(key, entry));
        return discovered;
    }

    private Future<Endpoint> ping(RegistryAccess access, String action) {
        String https = "https://" + access.endpoint();
        if (access.tlsVerify()) {
            return pingAt(https, access, access.retries(), action);
        }
        return pingAt(https, access, 0, action)
                .recover(tlsFailed -> pingAt("http://" + access.endpoint(), access, access.retries(), action));
    }

    private Future<Endpoint> pingAt(String base, RegistryAccess access, int retries, String action) {
        RegistryCall ping = RegistryCall.get("/v2/", null, action, config.limits().smallBodyBytes());
        RegistryAccess pingAccess = new RegistryAccess(access.registry(), access.endpoint(), Credentials.ANONYMOUS, access.tlsVerify(),
                retries, access.retryDelay());
        return sendWithRetries(pingAccess, ping, base + "/v2/", null, 0).compose(resp -> {
            if (resp.status() == 401) {
                return Future.succeededFuture(new Endpoint(base, Challenge.parse(resp.header("WWW-Authenticate"))));
            }
            if (resp.isSuccess() || resp.status() == 403) {
                return Future.succeededFuture(new Endpoint(base, List.of()));
            }
            return Future.failedFuture(new FerryException(ProblemType.REGISTRY_INVALID_RESPONSE,
                    action + ": " + access.endpoint() + " does not answer as a registry (GET /v2/ gave HTTP " + resp.status() + ")"));
        });
    }

    // ---- authentication -----------------------------------------------------------------------------

    private Future<String> authorization(List<Challenge> challenges, RegistryAccess access, String scope, String action) {
        Credentials credentials = access.credentials();
        if (credentials instanceof Credentials.RegistryToken t) {
            return Future.succeededFuture("Bearer " + t.token());
        }
        for (Challenge c : challenges) {
            if (c.isBearer()) {
                return access.scope().guard(bearerToken(c, access, scope, action)).map(token -> "Bearer " + token);
            }
        }
        if (credentials instanceof Credentials.Basic basic && challenges.stream().anyMatch(Challenge::isBasic)) {
            return Future.succeededFuture(basic.authorizationHeader());
        }
        return Future.succeededFuture(null);
    }

    private static String tokenKey(Challenge c, RegistryAccess access, String scope) {
        return TokenCache.key(c.params().getOrDefault("realm", ""), c.params().getOrDefault("service", ""),
                access.credentials().cacheKey(), scope == null ? "" : scope);
    }

    private Future<String> bearerToken(Challenge challenge, RegistryAccess access, String scope, String action) {
        String key = tokenKey(challenge, access, scope);
        String cached = tokens.get(key, Instant.now());
        if (cached != null) {
            return Future.succeededFuture(cached);
        }
        Future<String> inFlight = tokenFetches.get(key);
        if (inFlight != null) {
            return inFlight;
        }
        Promise<String> promise = Promise.promise();
        Future<String> existing = tokenFetches.putIfAbsent(key, promise.future());
        if (existing != null) {
            return existing;
        }
        fetchToken(challenge, access, scope, action, key).onComplete(ar -> {
            tokenFetches.remove(key);
            promise.handle(ar);
        });
        return promise.future();
    }

    private Future<String> fetchToken(Challenge challenge, RegistryAccess access, String scope, String action, String key) {
        String realm = challenge.params().get("realm");
        if (realm == null || !(realm.startsWith("https://") || realm.startsWith("http://"))) {
            return Future.failedFuture(new FerryException(ProblemType.REGISTRY_INVALID_RESPONSE,
                    action + ": the registry's bearer challenge has no usable realm"));
        }
        URI realmUri;
        try {
            realmUri = URI.create(realm);
        } catch (IllegalArgumentException e) {
            return Future.failedFuture(new FerryException(ProblemType.REGISTRY_INVALID_RESPONSE,
                    action + ": the registry's bearer challenge has an invalid realm"));
        }
        if (!outbound.realmAllowed(realmUri, access.endpoint())) {
            // checked before anything (credentials above all) is sent to the realm
            return Future.failedFuture(new FerryException(ProblemType.REGISTRY_NOT_ALLOWED, action + ": the token realm "
                    + realmUri.getScheme() + "://" + realmUri.getRawAuthority()
                    + " is neither https nor on the registry's own host; no connection made"));
        }
        StringBuilder url = new StringBuilder(realm).append(realm.contains("?") ? '&' : '?');
        List<String> params = new ArrayList<>();
        challenge.param("service").ifPresent(s -> params.add("service=" + enc(s)));
        if (scope != null) {
            for (String s : scope.split(" ")) {
                if (!s.isEmpty()) {
                    params.add("scope=" + enc(s));
                }
            }
        }
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        if (access.credentials() instanceof Credentials.Basic basic) {
            params.add("account=" + enc(basic.username()));
        }
        url.append(String.join("&", params));
        String tokenAuth = access.credentials() instanceof Credentials.Basic basic ? basic.authorizationHeader() : null;
        RegistryCall call = new RegistryCall(HttpMethod.GET, url.toString(), headers, null, null,
                action + " (fetching a token)", config.limits().smallBodyBytes());
        // shared by every caller asking for this token at once: no one caller's abort may end it
        return sendWithRetries(access.within(CallScope.NONE), call, url.toString(), tokenAuth, 0).compose(resp -> {
            if (resp.status() == 401 || resp.status() == 403) {
                return Future.failedFuture(new FerryException(ProblemType.REGISTRY_UNAUTHORIZED,
                        action + ": the registry's token service refused the credentials (HTTP " + resp.status() + ")"));
            }
            if (!resp.isSuccess()) {
                return Future.failedFuture(new FerryException(ProblemType.REGISTRY_ERROR,
                        action + ": the registry's token service answered HTTP " + resp.status()));
            }
            try {
                JsonNode body = json.readTree(resp.body().getBytes());
                String token = text(body, "token");
                if (token == null) {
                    token = text(body, "access_token");
                }
                if (token == null || token.isEmpty()) {
                    return Future.failedFuture(new FerryException(ProblemType.REGISTRY_INVALID_RESPONSE,
                            action + ": the registry's token service sent no token"));
                }
                long expiresIn = body.path("expires_in").asLong(60);
                if (expiresIn < 60) {
                    expiresIn = 60; // the token spec's minimum
                }
                Instant expires = Instant.now().plusSeconds(expiresIn - Math.min(30, expiresIn / 10));
                tokens.put(key, new TokenCache.Token(token, expires));
                return Future.succeededFuture(token);
            } catch (IOException e) {
                return Future.failedFuture(new FerryException(ProblemType.REGISTRY_INVALID_RESPONSE,
                        action + ": the registry's token service sent invalid JSON"));
            }
        });
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    // ---- streaming: unbuffered downloads and uploads --------------------------------------------------

    /**
     * Like {@link #exchange} (authenticated, retried, redirects followed without credentials to other hosts),
     * but a 2xx body is not read: the response comes back paused, for the caller to pipe somewhere with flow
     * control. The caller MUST consume it (resume) or abort it ({@code response.request().reset()}).
     * A non-2xx answer comes back as {@link RegistryStream#refused()} with its bounded error body.
     */
    public Future<RegistryStream> openStream(RegistryAccess access, RegistryCall call) {
        return onEventLoop(() -> {
            access.scope().step(call.action(), access.endpoint());
            return access.scope().guard(endpoint(access, call.action()).compose(ep -> authorizedOpen(ep, access, call, false)));
        });
    }

    private Future<RegistryStream> authorizedOpen(Endpoint ep, RegistryAccess access, RegistryCall call, boolean reauthenticated) {
        String url = absolute(ep, call);
        return authorization(ep.challenges(), access, call.scope(), call.action()).compose(auth ->
                openWithRetries(access, call, url, auth, 0).compose(opened -> {
                    if (opened.isSuccess()) {
                        return Future.succeededFuture(opened);
                    }
                    Reauthentication again = reauthentication(ep, access, call, auth, opened.refused(), reauthenticated);
                    return again == null ? Future.succeededFuture(opened)
                            : authorizedOpen(again.endpoint(), access, again.call(), true);
                }));
    }

    private Future<RegistryStream> openWithRetries(RegistryAccess access, RegistryCall call, String url, String auth, int attempt) {
        return retrying(access, call, url, attempt,
                () -> openFollowingRedirects(access, call, url, auth, URI.create(url).getRawAuthority(), 0),
                opened -> opened.isSuccess() ? null : opened.refused());
    }

    private Future<RegistryStream> openFollowingRedirects(RegistryAccess access, RegistryCall call, String url, String auth,
                                                          String originAuthority, int hops) {
        URI target = URI.create(url);
        boolean sameHost = originAuthority.equals(target.getRawAuthority());
        HttpClient client = clients.forHost(target.getRawAuthority(), access.tlsVerify());
        return request(client, requestOptions(call, url, auth != null && sameHost ? auth : null), target, call.action(),
                access, false)
                .compose(req -> call.body() == null ? req.send() : req.send(call.body()))
                .compose(resp -> {
                    int s = resp.statusCode();
                    if (s >= 200 && s < 300) {
                        resp.pause(); // nothing flows until the caller has somewhere to put it
                        return Future.succeededFuture(new RegistryStream(resp, null));
                    }
                    return read(resp, call, url).compose(refused -> {
                        String next = redirectTarget(refused, target, call);
                        if (next == null) {
                            return Future.succeededFuture(new RegistryStream(null, refused));
                        }
                        if (hops >= MAX_REDIRECTS) {
                            return Future.failedFuture(new FerryException(ProblemType.REGISTRY_INVALID_RESPONSE,
                                    call.action() + ": too many redirects"));
                        }
                        return openFollowingRedirects(access, call, next, auth, originAuthority, hops + 1);
                    });
                });
    }

    /** The absolute URL a redirect points to, or null when {@code resp} is not a redirect. */
    private static String redirectTarget(RegistryResponse resp, URI from, RegistryCall call) {
        int s = resp.status();
        String location = resp.header("Location");
        if (!(s == 301 || s == 302 || s == 303 || s == 307 || s == 308) || location == null) {
            return null;
        }
        String next;
        try {
            next = from.resolve(location).toString();
        } catch (IllegalArgumentException e) {
            throw new FerryException(ProblemType.REGISTRY_INVALID_RESPONSE, call.action() + ": the registry sent an invalid redirect");
        }
        if (!next.startsWith("https://") && !next.startsWith("http://")) {
            throw new FerryException(ProblemType.REGISTRY_INVALID_RESPONSE,
                    call.action() + ": the registry redirected to a non-HTTP location");
        }
        return next;
    }

    private RequestOptions requestOptions(RegistryCall call, String url, String auth) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(call.headers());
        if (auth != null) {
            headers.set("Authorization", auth);
        }
        headers.set("User-Agent", "ferry/0.1");
        return new RequestOptions()
                .setMethod(call.method())
                .setAbsoluteURI(url)
                .setHeaders(headers)
                .setIdleTimeout(config.http().idleTimeout().toMillis());
    }

    /** Writes a request body: MUST end the request when all is written, or reset it and fail. */
    @FunctionalInterface
    public interface BodyWriter {
        Future<Void> write(HttpClientRequest request);
    }

    /**
     * Sends {@code call} with a streamed body of exactly {@code contentLength} bytes written by {@code body}.
     * Authenticated from the token cache (the caller has just talked to the same scope), never retried and
     * never redirected: a streamed body cannot be replayed. Succeeds with the registry's answer (bounded);
     * fails with the writer's failure if it gave up (the request is then reset, so the registry never sees a
     * complete body).
     */
    public Future<RegistryResponse> upload(RegistryAccess access, RegistryCall call, long contentLength, BodyWriter body) {
        return onEventLoop(() -> uploadOnLoop(access, call, contentLength, body));
    }

    private Future<RegistryResponse> uploadOnLoop(RegistryAccess access, RegistryCall call, long contentLength, BodyWriter body) {
        return access.scope().guard(endpoint(access, call.action())).compose(ep -> {
            String url = absolute(ep, call);
            return authorization(ep.challenges(), access, call.scope(), call.action()).compose(auth -> {
                RequestOptions options = requestOptions(call, url, auth);
                options.putHeader("Content-Length", Long.toString(contentLength));
                HttpClient client = clients.forHost(URI.create(url).getRawAuthority(), access.tlsVerify());
                return request(client, options, URI.create(url), call.action(), access, true).compose(req -> {
                    Future<HttpClientResponse> answer = req.response();
                    return access.scope().guard(body.write(req))
                            .compose(written -> {
                                awaitAnswer(req, call.action(), URI.create(url).getRawAuthority());
                                return answer;
                            })
                            .compose(resp -> read(resp, call, url));
                });
            }).recover(t -> Future.failedFuture(access.scope().isAborted() ? access.scope().cause() : describe(t, call.action(), url)));
        });
    }

    // ---- sending: retries, redirects, bounded reads ------------------------------------------------

    private Future<RegistryResponse> sendWithRetries(RegistryAccess access, RegistryCall call, String url, String auth, int attempt) {
        return retrying(access, call, url, attempt,
                () -> sendFollowingRedirects(access, call, url, auth, URI.create(url).getRawAuthority(), 0),
                resp -> resp);
    }

    /**
     * Runs {@code once} again (after a delay) while it fails with a retryable error or answers with a
     * retryable status ({@code refusal} extracts the answer to judge, or null for a success), up to the
     * access's retries.
     */
    private <T> Future<T> retrying(RegistryAccess access, RegistryCall call, String url, int attempt,
                                   java.util.function.Supplier<Future<T>> once,
                                   java.util.function.Function<T, RegistryResponse> refusal) {
        CallScope scope = access.scope();
        return once.get().transform(ar -> {
            if (scope.isAborted()) {
                return Future.failedFuture(scope.cause());
            }
            if (ar.succeeded()) {
                RegistryResponse refused = refusal.apply(ar.result());
                if (refused != null && RetryPolicy.isRetryableStatus(refused.status()) && attempt < access.retries()) {
                    if (metrics != null) {
                        metrics.retried(url, refused.status());
                    }
                    Duration wait = retryDelay(access, attempt + 1, refused.header("Retry-After"));
                    return scope.delay(vertx, wait).compose(v -> retrying(access, call, url, attempt + 1, once, refusal));
                }
                return Future.succeededFuture(ar.result());
            }
            Throwable failure = ar.cause();
            if (isRetryable(failure) && attempt < access.retries()) {
                if (metrics != null) {
                    metrics.retried(url, -1);
                }
                Duration wait = retryDelay(access, attempt + 1, null);
                return scope.delay(vertx, wait).compose(v -> retrying(access, call, url, attempt + 1, once, refusal));
            }
            return Future.failedFuture(describe(failure, call.action(), url));
        });
    }

    private Future<RegistryResponse> sendFollowingRedirects(RegistryAccess access, RegistryCall call, String url, String auth,
                                                            String originAuthority, int hops) {
        URI target = URI.create(url);
        boolean sameHost = originAuthority.equals(target.getRawAuthority());
        HttpClient client = clients.forHost(target.getRawAuthority(), access.tlsVerify());
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(call.headers());
        if (auth != null && sameHost) {
            headers.set("Authorization", auth);
        }
        headers.set("User-Agent", "ferry/0.1");
        RequestOptions options = new RequestOptions()
                .setMethod(call.method())
                .setAbsoluteURI(url)
                .setHeaders(headers)
                .setIdleTimeout(config.http().idleTimeout().toMillis());
        return request(client, options, target, call.action(), access, false)
                .compose(req -> call.body() == null ? req.send() : req.send(call.body()))
                .compose(resp -> read(resp, call, url))
                .compose(resp -> {
                    int s = resp.status();
                    String location = resp.header("Location");
                    boolean redirect = (s == 301 || s == 302 || s == 303 || s == 307 || s == 308) && location != null;
                    if (!redirect) {
                        return Future.succeededFuture(resp);
                    }
                    if (hops >= MAX_REDIRECTS) {
                        return Future.failedFuture(new FerryException(ProblemType.REGISTRY_INVALID_RESPONSE,
                                call.action() + ": too many redirects"));
                    }
                    String next;
                    try {
                        next = target.resolve(location).toString();
                    } catch (IllegalArgumentException e) {
                        return Future.failedFuture(new FerryException(ProblemType.REGISTRY_INVALID_RESPONSE,
                                call.action() + ": the registry sent an invalid redirect"));
                    }
                    if (!next.startsWith("https://") && !next.startsWith("http://")) {
                        return Future.failedFuture(new FerryException(ProblemType.REGISTRY_INVALID_RESPONSE,
                                call.action() + ": the registry redirected to a non-HTTP location"));
                    }
                    RegistryCall followed = s == 303 && call.method() != HttpMethod.HEAD
                            ? new RegistryCall(HttpMethod.GET, call.path(), call.headers(), null, call.scope(), call.action(), call.bodyLimit())
                            : call;
                    return sendFollowingRedirects(access, followed, next, auth, originAuthority, hops + 1);
                });
    }

    private Future<RegistryResponse> read(HttpClientResponse resp, RegistryCall call, String url) {
        int status = resp.statusCode();
        boolean success = status >= 200 && status < 300;
        int cap = success ? call.bodyLimit() : config.limits().smallBodyBytes();
        Promise<RegistryResponse> promise = Promise.promise();
        String length = resp.getHeader("Content-Length");
        if (success && length != null && call.method() != HttpMethod.HEAD) {
            try {
                long announced = Long.parseLong(length.trim());
                if (announced > cap) {
                    FerryException tooLarge = tooLarge(call, announced, cap);
                    resp.request().reset();
                    return Future.failedFuture(tooLarge);
                }
            } catch (NumberFormatException ignored) {
                // validated by the registry client where it matters
            }
        }
        io.vertx.core.buffer.Buffer body = io.vertx.core.buffer.Buffer.buffer();
        resp.handler(chunk -> {
            if (promise.future().isComplete()) {
                return;
            }
            if (body.length() + chunk.length() > cap) {
                // settle first: resetting the stream reports a reset to the exception handler
                if (success) {
                    promise.tryFail(tooLarge(call, -1, cap));
                } else {
                    promise.tryComplete(new RegistryResponse(status, resp.headers(), body, url));
                }
                resp.request().reset();
                return;
            }
            body.appendBuffer(chunk);
        });
        resp.exceptionHandler(promise::tryFail);
        long expected = announcedLength(resp, call);
        resp.endHandler(v -> {
            if (expected >= 0 && body.length() != expected) {
                // HTTP/1.1 framing makes this impossible on the wire: bytes went missing in this process, and a
                // short body must never pass for the whole one
                promise.tryFail(new FerryException(ProblemType.REGISTRY_INVALID_RESPONSE, call.action() + ": read "
                        + body.length() + " bytes of the " + expected + " the registry announced"));
                return;
            }
            promise.tryComplete(new RegistryResponse(status, resp.headers(), body, url));
        });
        resp.resume(); // an upload's answer waits paused for this reader (request()); every handler is set by now
        return promise.future();
    }

    /** The Content-Length of a body that is read whole (not a HEAD's, not a 204's or 304's), or -1. */
    private static long announcedLength(HttpClientResponse resp, RegistryCall call) {
        String length = resp.getHeader("Content-Length");
        int status = resp.statusCode();
        if (length == null || call.method() == HttpMethod.HEAD || status == 204 || status == 304 || status < 200) {
            return -1;
        }
        try {
            return Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static FerryException tooLarge(RegistryCall call, long announced, int cap) {
        String size = announced >= 0 ? announced + " bytes" : "more bytes";
        return new FerryException(ProblemType.REGISTRY_RESPONSE_TOO_LARGE,
                call.action() + ": the registry sent " + size + ", more than the " + cap + " allowed");
    }

    /** The registry's Retry-After if it sent one, else the caller's fixed retry delay, else backoff with jitter. */
    /**
     * Waits as a retry of {@code access} would before attempt {@code retry} (1-based), honouring the registry's
     * {@code Retry-After} (capped by {@code ferry.http.max-retry-delay}); fails when the access's scope aborts meanwhile.
     */
    public Future<Void> backoff(RegistryAccess access, int retry, String retryAfter) {
        return access.scope().delay(vertx, retryDelay(access, retry, retryAfter));
    }

    private Duration retryDelay(RegistryAccess access, int retry, String retryAfter) {
        if ((retryAfter == null || retryAfter.isBlank()) && access.retryDelay() != null) {
            return access.retryDelay();
        }
        return retryPolicy.delay(retry, retryAfter, Instant.now());
    }

    private static boolean isRetryable(Throwable t) {
        if (t instanceof FerryException || t instanceof SSLException || t instanceof UnknownHostException) {
            return false;
        }
        Throwable cause = t.getCause();
        return !(cause instanceof SSLException || cause instanceof UnknownHostException);
    }

    private FerryException describe(Throwable t, String action, String url) {
        if (t instanceof FerryException fe) {
            return fe;
        }
        String host = URI.create(url).getRawAuthority();
        if (isTimeout(t)) {
            return new FerryException(ProblemType.REGISTRY_TIMEOUT, timeoutDetail(t, action, host), t);
        }
        String why;
        if (t instanceof ConnectException || t.getCause() instanceof ConnectException) {
            why = "connection refused";
        } else if (t instanceof UnknownHostException || t.getCause() instanceof UnknownHostException) {
            why = "unknown host";
        } else if (t instanceof SSLException || t.getCause() instanceof SSLException) {
            why = "TLS handshake failed (for a registry without TLS, set tlsVerify to false)";
        } else {
            why = "connection failed" + reason(t);
        }
        return new FerryException(ProblemType.REGISTRY_UNREACHABLE, action + ": cannot reach " + host + ": " + why, t);
    }

    /** What went wrong in words, never a Java class name: " (connection reset)", or "" when unknown. */
    private static String reason(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = c.getMessage();
            if (m != null && !m.isBlank() && m.length() <= 120 && !m.matches("(?s).*\\b[a-z]+(\\.[a-z0-9_]+)+\\.[A-Z]\\w*.*")
                    && !m.contains("Exception")) {
                return " (" + m.trim().toLowerCase(java.util.Locale.ROOT) + ")";
            }
        }
        return "";
    }

    /** Which timeout fired, in the words of its configuration property. */
    private String timeoutDetail(Throwable t, String action, String host) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof TimeoutException && c.getMessage() != null && c.getMessage().contains("(ferry.http.")) {
                return c.getMessage();
            }
            if (c.getClass().getSimpleName().contains("ConnectTimeout")) {
                return action + ": " + host + " accepted no connection within " + config.http().connectTimeout().toMillis()
                        + " ms (ferry.http.connect-timeout)";
            }
        }
        return action + ": " + host + " did not answer in time: nothing arrived for " + config.http().idleTimeout().toMillis()
                + " ms (ferry.http.idle-timeout)";
    }

    private static boolean isTimeout(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof TimeoutException || c.getClass().getSimpleName().contains("Timeout")) {
                return true;
            }
        }
        return false;
    }
}
