package dev.ferry.api;

import dev.ferry.storage.Exports;
import dev.ferry.transfer.Cancellation;
import io.vertx.core.http.HttpServerResponse;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.Provider;
import java.io.OutputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;
import org.jboss.resteasy.reactive.server.core.ResteasyReactiveRequestContext;
import org.jboss.resteasy.reactive.server.spi.ResteasyReactiveResourceInfo;
import org.jboss.resteasy.reactive.server.spi.ServerMessageBodyWriter;
import org.jboss.resteasy.reactive.server.spi.ServerRequestContext;

/**
 * A planned export as a response entity. Its writer streams the tar straight into the Vert.x response: every buffer a
 * registry download delivers is written as it is, with the response's own flow control. (A {@code Multi<Buffer>}
 * through RESTEasy Reactive copied each chunk three times — {@code getBytes}, a {@code ByteArrayOutputStream}, its
 * {@code toByteArray} — and wrote one chunk at a time, waiting for each write to complete.) A blob that fails
 * mid-stream resets the response: HTTP/1.1 closes the connection without the final chunk, so no client takes a
 * truncated tar for a whole one. A client that goes away cancels the export.
 */
public record ExportBody(Exports exports, Exports.Planned planned) {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(ExportBody.class);
    /**
     * The response's write queue (the connection's high-water mark): Netty's default of 64 KiB is one registry chunk
     * or two, so the download paused and resumed on nearly every buffer.
     */
    static final int WRITE_QUEUE_BYTES = 1 << 20;

    @Provider
    @Produces("application/x-tar")
    public static final class Writer implements ServerMessageBodyWriter<ExportBody> {
        @Override
        public boolean isWriteable(Class<?> type, Type genericType, ResteasyReactiveResourceInfo target, MediaType mediaType) {
            return type == ExportBody.class;
        }

        @Override
        public boolean isWriteable(Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType) {
            return type == ExportBody.class;
        }

        @Override
        public void writeTo(ExportBody body, Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType,
                            jakarta.ws.rs.core.MultivaluedMap<String, Object> headers, OutputStream out) {
            throw new UnsupportedOperationException("an export streams into the Vert.x response only");
        }

        @Override
        public void writeResponse(ExportBody body, Type genericType, ServerRequestContext context) {
            ResteasyReactiveRequestContext ctx = (ResteasyReactiveRequestContext) context;
            HttpServerResponse response = ctx.unwrap(HttpServerResponse.class);
            ctx.suspend();
            // (status, Content-Type and Content-Disposition are on the response already: RESTEasy encodes them first)
            response.setChunked(true);
            response.setWriteQueueMaxSize(WRITE_QUEUE_BYTES);
            Cancellation cancellation = new Cancellation();
            boolean[] over = {false};
            ctx.serverResponse().addCloseHandler(() -> {
                if (!over[0]) {
                    cancellation.cancel(); // the client went away: stop the downloads
                }
            });
            Exports.Planned p = body.planned();
            body.exports().stream(p, response, () -> reset(response), cancellation).onComplete(ar -> {
                over[0] = true;
                if (ar.failed()) {
                    LOG.warnf("export of %s failed after streaming started: %s", p.image().transportName(), ar.cause().getMessage());
                    reset(response);
                }
                ctx.resume();
            });
        }

        private static void reset(HttpServerResponse response) {
            if (!response.ended() && !response.closed()) {
                response.reset();
            }
        }
    }
}
