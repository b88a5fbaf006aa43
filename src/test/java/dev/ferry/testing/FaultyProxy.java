package dev.ferry.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP proxy in front of a real registry that misbehaves on purpose: a share of requests answered
 * 503 or 429 (with Retry-After) without reaching the registry, and a share of blob downloads cut off
 * halfway. Location headers are rewritten so clients keep coming through the proxy. Seeded: repeatable.
 */
public final class FaultyProxy implements AutoCloseable {
    private static final Set<String> RESTRICTED = Set.of("connection", "content-length", "expect", "host", "upgrade",
            "transfer-encoding", "keep-alive");

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(16);
    private final HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private final String target;
    private final Random random;
    private final double errorRate;
    private final double dropRate;
    public final AtomicInteger errors = new AtomicInteger();
    public final AtomicInteger drops = new AtomicInteger();
    public final AtomicInteger forwarded = new AtomicInteger();

    /**
     * @param targetHostPort the registry behind the proxy
     * @param errorRate      share of requests answered 503/429 directly
     * @param dropRate       share of blob GETs cut off after half the body
     */
    public FaultyProxy(String targetHostPort, double errorRate, double dropRate, long seed) throws IOException {
        this.target = targetHostPort;
        this.errorRate = errorRate;
        this.dropRate = dropRate;
        this.random = new Random(seed);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    public String hostPort() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    private synchronized double roll() {
        return random.nextDouble();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            String path = ex.getRequestURI().toString();
            if (!path.equals("/v2/") && roll() < errorRate) {
                errors.incrementAndGet();
                boolean tooMany = roll() < 0.5;
                ex.getResponseHeaders().set("Retry-After", "0");
                ex.sendResponseHeaders(tooMany ? 429 : 503, -1);
                return;
            }
            HttpRequest.Builder req = HttpRequest.newBuilder(URI.create("http://" + target + path))
                    .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(body));
            for (Map.Entry<String, List<String>> h : ex.getRequestHeaders().entrySet()) {
                if (!RESTRICTED.contains(h.getKey().toLowerCase())) {
                    for (String v : h.getValue()) {
                        req.header(h.getKey(), v);
                    }
                }
            }
            HttpResponse<byte[]> resp;
            try {
                resp = client.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ex.sendResponseHeaders(502, -1);
                return;
            }
            forwarded.incrementAndGet();
            resp.headers().map().forEach((k, vs) -> {
                if (!RESTRICTED.contains(k.toLowerCase()) && !k.startsWith(":")) {
                    for (String v : vs) {
                        ex.getResponseHeaders().add(k, v.replace(target, hostPort()));
                    }
                }
            });
            byte[] out = resp.body();
            boolean head = "HEAD".equals(ex.getRequestMethod());
            if (head) {
                resp.headers().firstValue("Content-Length").ifPresent(l -> ex.getResponseHeaders().set("Content-Length", l));
                ex.sendResponseHeaders(resp.statusCode(), -1);
                return;
            }
            boolean blob = path.contains("/blobs/sha256:") && "GET".equals(ex.getRequestMethod()) && resp.statusCode() == 200;
            ex.sendResponseHeaders(resp.statusCode(), out.length == 0 ? -1 : out.length);
            if (out.length == 0) {
                return;
            }
            OutputStream os = ex.getResponseBody();
            if (blob && out.length > 1024 && roll() < dropRate) {
                drops.incrementAndGet();
                os.write(out, 0, out.length / 2);
                os.flush();
                throw new IOException("dropping the connection mid-blob on purpose");
            }
            os.write(out);
            os.close();
        } catch (IOException e) {
            // a dropped connection, on purpose or because the client went away
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
