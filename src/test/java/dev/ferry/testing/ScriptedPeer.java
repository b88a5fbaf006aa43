package dev.ferry.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A scripted HTTP peer for wire cases a real registry will not produce (429 with Retry-After, oversized
 * manifests, malformed challenges, cross-host redirects). Every request is recorded.
 */
public final class ScriptedPeer implements AutoCloseable {

    /** One recorded request. */
    public record Seen(String method, String path, String authorization) {
    }

    /** Decides the answer to one request. */
    @FunctionalInterface
    public interface Script {
        void answer(HttpExchange exchange, int count) throws IOException;
    }

    /** The exchange attribute holding the request body a script is called with (byte[]). */
    public static final String BODY = "scripted-peer.body";

    public static byte[] body(HttpExchange exchange) {
        return (byte[]) exchange.getAttribute(BODY);
    }

    private final HttpServer server;
    private final List<Seen> seen = new CopyOnWriteArrayList<>();

    private ScriptedPeer(Script script) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/", exchange -> {
            try (exchange) {
                try (InputStream in = exchange.getRequestBody()) {
                    exchange.setAttribute(BODY, in.readAllBytes());
                }
                seen.add(new Seen(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                        exchange.getRequestHeaders().getFirst("Authorization")));
                script.answer(exchange, seen.size());
            }
        });
        server.start();
    }

    public static ScriptedPeer start(Script script) throws IOException {
        return new ScriptedPeer(script);
    }

    public String hostPort() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    public List<Seen> seen() {
        return seen;
    }

    public long count(String pathPrefix) {
        return seen.stream().filter(s -> s.path().startsWith(pathPrefix)).count();
    }

    public static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
        if (contentType != null) {
            ex.getResponseHeaders().set("Content-Type", contentType);
        }
        boolean head = "HEAD".equals(ex.getRequestMethod());
        ex.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** Streams {@code size} bytes chunked (no Content-Length), for caps that must hold without one. */
    public static void sendChunked(HttpExchange ex, int status, String contentType, long size) throws IOException {
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.sendResponseHeaders(status, 0);
        byte[] chunk = new byte[64 * 1024];
        java.util.Arrays.fill(chunk, (byte) ' ');
        try (OutputStream out = ex.getResponseBody()) {
            for (long sent = 0; sent < size; sent += chunk.length) {
                out.write(chunk);
            }
        } catch (IOException clientWentAway) {
            // expected: the client stops reading at its cap
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
