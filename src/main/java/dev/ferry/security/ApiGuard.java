package dev.ferry.security;

import dev.ferry.api.ProblemMapper;
import dev.ferry.config.FerryConfig;
import dev.ferry.error.ProblemType;
import dev.ferry.job.JobService;
import dev.ferry.job.JobState;
import io.quarkus.security.identity.CurrentIdentityAssociation;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Secured mode, for every resource under {@code /api} except webhook deliveries ({@code POST /api/v1/hooks/NAME}:
 * they carry their own secrets; creating, replacing and deleting hooks needs the admin role): a valid bearer token (else 401), the role the endpoint needs (else 403), the caller's request rate
 * (else 429) and, for new jobs, the caller's active-job cap (else 429). Deny by default: an endpoint not in
 * {@link #required} needs the admin role. In local mode it does nothing.
 */
public class ApiGuard {
    static final String HOOKS = "/api/v1/hooks/";
    private static final Set<String> READS = Set.of("/api/v1/inspect", "/api/v1/list-tags", "/api/v1/manifest-digest",
            "/api/v1/standalone-verify");
    private static final Set<String> JOB_CREATING = Set.of("/api/v1/copy", "/api/v1/sync", "/api/v1/delete",
            "/api/v1/import");

    private final SecurityMode mode;
    private final CurrentIdentityAssociation identities;
    private final CurrentCaller current;
    private final FerryConfig.Security config;
    private final JobService jobs;
    private final RateLimiter rate;
    private final RateClock clock;

    public ApiGuard(SecurityMode mode, CurrentIdentityAssociation identities, CurrentCaller current, FerryConfig config,
                    JobService jobs, RateClock clock) {
        this.clock = clock;
        this.mode = mode;
        this.identities = identities;
        this.current = current;
        this.config = config.security();
        this.jobs = jobs;
        this.rate = new RateLimiter(this.config.rateLimit().requestsPerSecond(), this.config.rateLimit().burst());
    }

    /** The role an API call needs; anything not listed here needs admin. */
    static Role required(String method, String path) {
        if ("POST".equals(method) && READS.contains(path)) {
            return Role.VIEWER;
        }
        // policies (issue 13): reading them and their runs is a viewer's; running one (or its dry-run plan) and
        // retrying a job's failed images an operator's; creating, replacing and deleting them an admin's
        if (path.equals("/api/v1/policies") || path.startsWith("/api/v1/policies/")) {
            if ("GET".equals(method)) {
                return Role.VIEWER;
            }
            boolean run = "POST".equals(method) && (path.endsWith("/runs") || path.endsWith("/plan"))
                    && path.chars().filter(ch -> ch == '/').count() == 5;
            return run ? Role.OPERATOR : Role.ADMIN;
        }
        if ("POST".equals(method) && path.startsWith("/api/v1/jobs/") && path.endsWith("/retry")) {
            return Role.OPERATOR;
        }
        if (path.equals("/api/v1/jobs") || path.startsWith("/api/v1/jobs/")) {
            return "GET".equals(method) ? Role.VIEWER : "DELETE".equals(method) ? Role.OPERATOR : Role.ADMIN;
        }
        if ("POST".equals(method) && (path.equals("/api/v1/copy") || path.equals("/api/v1/sync") || path.equals("/api/v1/import")
                || path.equals("/api/v1/standalone-sign"))) {
            return Role.OPERATOR;
        }
        return Role.ADMIN;
    }

    /** Everything under /api except a webhook delivery ({@code POST /api/v1/hooks/NAME}): managing hooks is guarded. */
    static boolean guarded(String method, String path) {
        boolean delivery = "POST".equals(method) && path.startsWith(HOOKS) && path.indexOf('/', HOOKS.length()) < 0;
        return (path.equals("/api") || path.startsWith("/api/")) && !delivery;
    }

    private static String path(ContainerRequestContext ctx) {
        String p = URI.create("/").resolve(ctx.getUriInfo().getRequestUri().getRawPath()).normalize().getPath();
        return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    @ServerRequestFilter(nonBlocking = true, priority = Priorities.AUTHENTICATION)
    public Uni<Response> authenticate(ContainerRequestContext ctx) {
        if (!mode.secured()) {
            return Uni.createFrom().nullItem();
        }
        String path = path(ctx);
        if (!guarded(ctx.getMethod(), path)) {
            return Uni.createFrom().nullItem();
        }
        return identities.getDeferredIdentity().onItemOrFailure().transform((identity, failure) -> {
            if (failure != null) {
                return unauthenticated("the bearer token is not valid here (expired, wrong issuer or audience, or a bad signature)");
            }
            if (identity == null || identity.isAnonymous()) {
                return unauthenticated("this Ferry requires a bearer token: send Authorization: Bearer <token>");
            }
            Caller caller = callerOf(identity);
            current.set(caller);
            ctx.setProperty(Caller.class.getName(), caller);
            Role needed = required(ctx.getMethod(), path);
            if (!caller.level().atLeast(needed)) {
                return ProblemMapper.response(ProblemType.ACCESS_DENIED, "access denied: " + ctx.getMethod() + " " + path
                        + " needs the role " + roleName(needed), List.of());
            }
            long wait = rate.acquire(caller.id(), clock.nanoTime());
            if (wait > 0) {
                return tooMany(ProblemType.TOO_MANY_REQUESTS, wait, "more than " + config.rateLimit().requestsPerSecond()
                        + " requests per second (burst " + config.rateLimit().burst() + "); retry after " + wait + " s");
            }
            return null;
        });
    }

    /** Runs on the endpoint's worker thread (job submission is blocking anyway): counts the caller's active jobs. */
    @ServerRequestFilter(priority = Priorities.AUTHORIZATION + 10)
    public Response activeJobCap(ContainerRequestContext ctx) {
        int cap = config.maxActiveJobsPerCaller();
        if (!mode.secured() || cap <= 0 || !"POST".equals(ctx.getMethod()) || !JOB_CREATING.contains(path(ctx))) {
            return null;
        }
        Caller caller = ctx.getProperty(Caller.class.getName()) instanceof Caller c ? c : current.caller();
        if (caller == null) {
            io.quarkus.logging.Log.debugf("no caller for %s %s", ctx.getMethod(), path(ctx));
            return null;
        }
        int active = ownActive(JobState.QUEUED, caller, cap) + ownActive(JobState.RUNNING, caller, cap);
        if (active >= cap) {
            return tooMany(ProblemType.TOO_MANY_ACTIVE_JOBS, 10, "you have " + active + " queued or running jobs, the most "
                    + "allowed (ferry.security.max-active-jobs-per-caller); wait for one to finish or cancel one");
        }
        return null;
    }

    /** Most policy runs that can be active at once: one per policy ({@code ferry.policies.max} is 500 by default). */
    static final int POLICY_RUNS_BOUND = 1000;

    /**
     * The caller's jobs in {@code state} that count toward the cap: policy runs do not. Each policy has at most one
     * active run (its own lock: policy-run-active), and a scheduled run belongs to the policy's creator though nobody
     * asked for it then: counting them would lock a creator with many schedules out of one-off jobs. So the cap is
     * on what a caller starts by hand (copy, sync, delete, import).
     */
    private int ownActive(JobState state, Caller caller, int cap) {
        return (int) jobs.list(state, null, caller.id(), 0, cap + POLICY_RUNS_BOUND).stream()
                .filter(j -> j.request() == null || !j.request().hasNonNull("policy")).count();
    }

    private Caller callerOf(SecurityIdentity identity) {
        String subject = identity.getPrincipal() instanceof JsonWebToken jwt && jwt.getSubject() != null
                ? jwt.getSubject() : identity.getPrincipal().getName();
        Set<String> roles = new HashSet<>(identity.getRoles());
        FerryConfig.Security.Roles names = config.roles();
        Role level = roles.contains(names.admin()) ? Role.ADMIN
                : roles.contains(names.operator()) ? Role.OPERATOR
                : roles.contains(names.viewer()) ? Role.VIEWER : Role.NONE;
        return new Caller("oidc:" + subject, roles, level);
    }

    private String roleName(Role role) {
        return switch (role) {
            case VIEWER, NONE -> config.roles().viewer();
            case OPERATOR -> config.roles().operator();
            case ADMIN -> config.roles().admin();
        };
    }

    private static Response unauthenticated(String detail) {
        Response r = ProblemMapper.response(ProblemType.UNAUTHENTICATED, detail, List.of());
        return Response.fromResponse(r).header("WWW-Authenticate", "Bearer").build();
    }

    private static Response tooMany(ProblemType type, long retryAfter, String detail) {
        Response r = ProblemMapper.response(type, detail, List.of());
        return Response.fromResponse(r).header("Retry-After", Long.toString(retryAfter)).build();
    }
}
