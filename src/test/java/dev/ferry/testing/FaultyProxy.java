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
    /** Bytes of blob bodies sent to the client (a resumed download counts only what was sent again). */
    public final java.util.concurrent.atomic.AtomicLong blobBytesSent = new java.util.concurrent.atomic.AtomicLong();
    /** {@link #blobBytesSent} per blob path (the request's path, without the query). */
    private final Map<String, java.util.concurrent.atomic.AtomicLong> blobBytesByPath = new java.util.concurrent.ConcurrentHashMap<>();

    /** Bytes of blob bodies sent to the client for the blob {@code digest} (any repository), as {@link #blobBytesSent}. */
    public long blobBytesSent(String digest) {
        return blobBytesByPath.entrySet().stream().filter(e -> e.getKey().endsWith("/blobs/" + digest))
                .mapToLong(e -> e.getValue().get()).sum();
    }

    private void sent(String path, long n) {
        blobBytesSent.addAndGet(n);
        blobBytesByPath.computeIfAbsent(path, k -> new java.util.concurrent.atomic.AtomicLong()).addAndGet(n);
    }
    private volatile Rule rule = (method, path, nth) -> null;
    private final Map<String, AtomicInteger> seen = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * Random faults never hit one kind of request (method and path, upload sessions folded) more than this many
     * times in a row: a client that retries is guaranteed to get through, so a soak's outcome does not depend on
     * which request happens to draw which number when many run at once (the order varies with the machine's speed).
     */
    static final int MAX_FAULT_STREAK = 2;
    private final Map<String, AtomicInteger> faultStreak = new java.util.concurrent.ConcurrentHashMap<>();

    /** What to do to one request, or null to forward it as the random faults decide. */
    public sealed interface Fault {
        /** Answer {@code status} with {@code headers}, without asking the registry. */
        record Status(int status, Map<String, String> headers) implements Fault {
        }

        /** Forward, then send only {@code fraction} of the body (announcing all of it) and drop the connection. */
        record CutAt(double fraction) implements Fault {
        }

        /** Forward, then send {@code fraction} of the body and stop sending, holding the connection open. */
        record StallAt(double fraction) implements Fault {
        }

        /** Forward, with one byte of the body changed. */
        record CorruptByte(int index) implements Fault {
        }

        /** A Range request answered 206 with a Content-Range that starts {@code shift} bytes off, or 200 when 0. */
        record WrongRange(long shift) implements Fault {
        }

        /** Read the request (an upload) and drop the connection without answering. */
        record DropBeforeAnswer() implements Fault {
        }

        /** Read the request and never answer, holding the connection open: the client's first-byte timeout must end it. */
        record StallBeforeAnswer() implements Fault {
        }

        /** Forward the request (the registry acts on it), then drop the connection instead of passing the answer on. */
        record DropAnswer() implements Fault {
        }

        /** Forward, and add these headers to the registry's answer (e.g. Docker Hub's RateLimit-Remaining). */
        record AddHeaders(Map<String, String> headers) implements Fault {
        }
    }

    /** Decides the fault for the {@code nth} request (1-based) with this method and path. */
    @FunctionalInterface
    public interface Rule {
        Fault decide(String method, String path, int nth);
    }

    /** Scripted faults, checked before the random ones (which a rule of 0 rates turns off). */
    public FaultyProxy rule(Rule r) {
        this.rule = r;
        return this;
    }

    /**
     * @param targetHostPort the registry behind the proxy
     * @param errorRate      share of requests answered 503/429 directly
     * @param dropRate       share of blob GETs cut off after half the body
     */
    public FaultyProxy(String targetHostPort, double errorRate, double dropRate, long seed) throws IOException {
        this(targetHostPort, errorRate, dropRate, seed, 0);
    }

    /** As above, listening on {@code port} (0: any free port), for a test whose configuration must name it first. */
    public FaultyProxy(String targetHostPort, double errorRate, double dropRate, long seed, int port) throws IOException {
        this.target = targetHostPort;
        this.errorRate = errorRate;
        this.dropRate = dropRate;
        this.random = new Random(seed);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 100);
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

    /**
     * Bytes of blob upload bodies (PATCH and PUT to an upload session) that reached the proxy whole. The proxy reads a
     * body whole before it forwards it (as nginx does by default), so a body cut off by a killed client never reaches
     * the registry and is not counted.
     */
    public final java.util.concurrent.atomic.AtomicLong uploadBytes = new java.util.concurrent.atomic.AtomicLong();

    /** Requests being handled now, and the most at once so far (from the request's headers to the answer's end). */
    public final AtomicInteger inFlight = new AtomicInteger();
    public final AtomicInteger maxInFlight = new AtomicInteger();

    private void handle(HttpExchange ex) throws IOException {
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        try {
            forward(ex);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private void forward(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            String path = ex.getRequestURI().toString();
            String method = ex.getRequestMethod();
            if (("PATCH".equals(method) || "PUT".equals(method)) && path.contains("/blobs/uploads/")) {
                uploadBytes.addAndGet(body.length);
            }
            String kind = method + " " + ex.getRequestURI().getPath();
            Fault fault = rule.decide(method, ex.getRequestURI().getPath(),
                    seen.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet());
            if (fault instanceof Fault.Status st) {
                errors.incrementAndGet();
                st.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
                ex.sendResponseHeaders(st.status(), -1);
                return;
            }
            if (fault instanceof Fault.DropBeforeAnswer) {
                drops.incrementAndGet();
                throw new IOException("dropping the upload's connection on purpose");
            }
            if (fault instanceof Fault.StallBeforeAnswer) {
                drops.incrementAndGet();
                try {
                    Thread.sleep(60_000); // never answers; the client's first-byte timeout must end this
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IOException("never answering on purpose");
            }
            String key = kind.replaceAll("/uploads/[^/]+", "/uploads/*");
            AtomicInteger streak = faultStreak.computeIfAbsent(key, k -> new AtomicInteger());
            if (fault == null && !path.equals("/v2/") && streak.get() < MAX_FAULT_STREAK && roll() < errorRate) {
                streak.incrementAndGet();
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
            streak.set(0);
            if (fault instanceof Fault.DropAnswer) {
                drops.incrementAndGet();
                throw new IOException("dropping the registry's answer on purpose");
            }
            resp.headers().map().forEach((k, vs) -> {
                if (!RESTRICTED.contains(k.toLowerCase()) && !k.startsWith(":")) {
                    for (String v : vs) {
                        ex.getResponseHeaders().add(k, v.replace(target, hostPort()));
                    }
                }
            });
            if (fault instanceof Fault.AddHeaders added) {
                added.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
            }
            byte[] out = resp.body();
            boolean head = "HEAD".equals(ex.getRequestMethod());
            if (head) {
                resp.headers().firstValue("Content-Length").ifPresent(l -> ex.getResponseHeaders().set("Content-Length", l));
                ex.sendResponseHeaders(resp.statusCode(), -1);
                return;
            }
            boolean blob = path.contains("/blobs/sha256:") && "GET".equals(ex.getRequestMethod())
                    && (resp.statusCode() == 200 || resp.statusCode() == 206);
            if (fault instanceof Fault.WrongRange wrong && resp.statusCode() == 206) {
                String range = resp.headers().firstValue("Content-Range").orElse("bytes 0-0/0");
                long start = Long.parseLong(range.replaceAll("bytes (\\d+)-.*", "$1"));
                if (wrong.shift() == 0) {
                    // a registry that ignores Range: the whole blob, from byte 0, as 200
                    HttpResponse<byte[]> whole;
                    try {
                        whole = client.send(HttpRequest.newBuilder(URI.create("http://" + target + path)).GET().build(),
                                HttpResponse.BodyHandlers.ofByteArray());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    ex.getResponseHeaders().remove("Content-Range");
                    ex.sendResponseHeaders(200, whole.body().length);
                    ex.getResponseBody().write(whole.body());
                    sent(ex.getRequestURI().getPath(), whole.body().length);
                    ex.getResponseBody().close();
                    return;
                }
                long end = start + wrong.shift() + out.length - 1;
                ex.getResponseHeaders().set("Content-Range", "bytes " + (start + wrong.shift()) + "-" + end + "/" + (end + 1));
            }
            ex.sendResponseHeaders(resp.statusCode(), out.length == 0 ? -1 : out.length);
            if (out.length == 0) {
                return;
            }
            OutputStream os = ex.getResponseBody();
            if (blob && fault instanceof Fault.CorruptByte c) {
                out = out.clone();
                out[Math.min(c.index(), out.length - 1)] ^= 0x01;
            }
            if (blob && (fault instanceof Fault.CutAt || fault instanceof Fault.StallAt)) {
                double fraction = fault instanceof Fault.CutAt cut ? cut.fraction() : ((Fault.StallAt) fault).fraction();
                int n = (int) Math.max(1, Math.min(out.length - 1, out.length * fraction));
                drops.incrementAndGet();
                os.write(out, 0, n);
                os.flush();
                sent(ex.getRequestURI().getPath(), n);
                if (fault instanceof Fault.StallAt) {
                    try {
                        Thread.sleep(60_000); // never sends the rest; the client's idle timeout must end this
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                throw new IOException("cutting the body off on purpose");
            }
            if (blob) {
                sent(ex.getRequestURI().getPath(), out.length);
            }
            if (blob && fault == null && out.length > 1024 && roll() < dropRate) {
                drops.incrementAndGet();
                os.write(out, 0, out.length / 2);
                os.flush();
                sent(ex.getRequestURI().getPath(), out.length / 2 - out.length); // counted in full above
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
