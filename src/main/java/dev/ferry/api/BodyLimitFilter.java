package dev.ferry.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.error.ProblemType;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The refusals the HTTP layer makes before any resource runs, answered as problem+json like every other refusal
 * (Vert.x and Quarkus answer them with an empty body otherwise): a request line longer than {@link #MAX_URI} (414),
 * headers larger than {@link #MAX_HEADERS} in all (431), a body larger than {@code quarkus.http.limits.max-body-size}
 * whether announced by Content-Length or sent chunked (413, and the connection is closed), an invalid Content-Length
 * (400). Netty's own line and header limits are set above these ({@code quarkus.http.limits.max-initial-line-length},
 * {@code max-header-size}), so only a request far beyond them meets Netty's bare answer.
 */
@ApplicationScoped
public class BodyLimitFilter {
    /** Longest request line Ferry reads (method, path and query). */
    static final int MAX_URI = 8 * 1024;
    /** Most bytes of request headers in all (names, values and separators). */
    static final int MAX_HEADERS = 16 * 1024;
    /** Where an import's Content-Length is kept (see {@link #install}). */
    static final String IMPORT_LENGTH = "ferry.import.content-length";

    private final long limit;
    private final ObjectMapper json;

    public BodyLimitFilter(@ConfigProperty(name = "quarkus.http.limits.max-body-size", defaultValue = "10M") MemorySize limit,
                           ObjectMapper json) {
        this.limit = limit.asLongValue();
        this.json = json;
    }

    void install(@Observes Router router) {
        router.route().order(-1000).handler(this::check).failureHandler(this::failed);
        // a body without Content-Length (chunked) is read here, up to the limit; Quarkus REST then reads it from memory
        BodyHandler chunked = BodyHandler.create(false).setBodyLimit(limit).setHandleFileUploads(false);
        router.route().order(-999).handler(ctx -> {
            HttpServerRequest r = ctx.request();
            if (isImport(r)) {
                // The import reads its body as a stream, under its own cap (ferry.import.max-bytes). Quarkus refuses any
                // Content-Length over max-body-size at route order -2, before any resource; the length is kept for the
                // import in the routing context and the header dropped (Netty has framed the body already).
                String length = r.getHeader("Content-Length");
                if (length != null) {
                    ctx.put(IMPORT_LENGTH, length);
                    r.headers().remove("Content-Length");
                }
                ctx.next();
            } else if (r.version() != io.vertx.core.http.HttpVersion.HTTP_2 && r.getHeader("Content-Length") == null
                    && r.getHeader("Transfer-Encoding") != null) {
                chunked.handle(ctx);
            } else {
                ctx.next();
            }
        });
    }

    private void check(RoutingContext ctx) {
        HttpServerRequest r = ctx.request();
        if (r.uri().length() > MAX_URI) {
            refuse(ctx, ProblemType.URI_TOO_LONG, "the request URL is longer than the " + MAX_URI + " characters allowed", true);
            return;
        }
        long headerBytes = 0;
        for (Map.Entry<String, String> h : r.headers()) {
            headerBytes += h.getKey().length() + h.getValue().length() + 4;
        }
        if (headerBytes > MAX_HEADERS) {
            refuse(ctx, ProblemType.HEADERS_TOO_LARGE, "the request headers are larger than the " + MAX_HEADERS + " bytes allowed", true);
            return;
        }
        String length = r.getHeader("Content-Length");
        if (length != null && !isImport(r)) {
            try {
                if (Long.parseLong(length.trim()) > limit) {
                    refuse(ctx, ProblemType.PAYLOAD_TOO_LARGE, tooLarge(), true);
                    return;
                }
            } catch (NumberFormatException e) {
                refuse(ctx, ProblemType.INVALID_REQUEST, "invalid Content-Length", true);
                return;
            }
        }
        ctx.next();
    }

    /** {@code POST /api/v1/import} streams an archive of any size: ferry.import.max-bytes caps it, not this filter. */
    static boolean isImport(HttpServerRequest r) {
        if (r.method() != io.vertx.core.http.HttpMethod.POST) {
            return false;
        }
        String p = r.path();
        return ImportResource.PATH.equals(p) || (ImportResource.PATH + "/").equals(p);
    }

    private void failed(RoutingContext ctx) {
        if (ctx.statusCode() == 413) {
            refuse(ctx, ProblemType.PAYLOAD_TOO_LARGE, tooLarge(), true);
        } else {
            ctx.next();
        }
    }

    private String tooLarge() {
        return "the request body is larger than the " + limit + " bytes allowed";
    }

    private void refuse(RoutingContext ctx, ProblemType type, String detail, boolean close) {
        if (ctx.response().headWritten()) {
            ctx.request().connection().close();
            return;
        }
        byte[] body;
        try {
            body = json.writeValueAsBytes(Problem.of(type, detail, List.of()));
        } catch (JsonProcessingException e) {
            body = new byte[0];
        }
        ctx.response().setStatusCode(type.status()).putHeader("Content-Type", Problem.MEDIA_TYPE);
        if (close) {
            ctx.response().putHeader("Connection", "close");
        }
        ctx.response().end(Buffer.buffer(body));
    }
}
