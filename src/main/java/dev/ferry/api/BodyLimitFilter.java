package dev.ferry.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.error.ProblemType;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Answers an announced oversized body with a 413 problem+json before it is read (Vert.x's own limit,
 * which still guards chunked bodies, answers with an empty 413).
 */
@ApplicationScoped
public class BodyLimitFilter {
    private final long limit;
    private final byte[] problem;

    public BodyLimitFilter(@ConfigProperty(name = "quarkus.http.limits.max-body-size", defaultValue = "10M") MemorySize limit,
                           ObjectMapper json) throws JsonProcessingException {
        this.limit = limit.asLongValue();
        this.problem = json.writeValueAsBytes(Problem.of(ProblemType.PAYLOAD_TOO_LARGE,
                "the request body is larger than the " + this.limit + " bytes allowed", List.of()));
    }

    void install(@Observes Router router) {
        router.route().order(-1000).handler(ctx -> {
            String length = ctx.request().getHeader("Content-Length");
            if (length != null) {
                try {
                    if (Long.parseLong(length.trim()) > limit) {
                        ctx.response().setStatusCode(413)
                                .putHeader("Content-Type", Problem.MEDIA_TYPE)
                                .putHeader("Connection", "close")
                                .end(io.vertx.core.buffer.Buffer.buffer(problem));
                        return;
                    }
                } catch (NumberFormatException e) {
                    ctx.response().setStatusCode(400).putHeader("Content-Type", Problem.MEDIA_TYPE)
                            .end("{\"type\":\"" + ProblemType.INVALID_REQUEST.uri() + "\",\"title\":\""
                                    + ProblemType.INVALID_REQUEST.title() + "\",\"status\":400,\"detail\":\"invalid Content-Length\"}");
                    return;
                }
            }
            ctx.next();
        });
    }
}
