package dev.ferry.registry.http;

import dev.ferry.config.FerryConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.PemTrustOptions;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One pooled Vert.x HTTP client per TLS profile: verified with the JVM's trust store, verified with a
 * registry's own CA bundle, or unverified (skopeo's --tls-verify=false).
 */
final class HttpClients {
    private final Vertx vertx;
    private final FerryConfig config;
    private final Map<String, HttpClient> clients = new ConcurrentHashMap<>();

    HttpClients(Vertx vertx, FerryConfig config) {
        this.vertx = vertx;
        this.config = config;
    }

    /** The client to use for {@code host} (host[:port]); {@code tlsVerify=false} trusts any certificate. */
    HttpClient forHost(String host, boolean tlsVerify) {
        if (!tlsVerify) {
            return clients.computeIfAbsent("insecure", k -> create(options().setTrustAll(true).setVerifyHost(false)));
        }
        FerryConfig.RegistrySettings settings = config.registries().get(host);
        if (settings != null && settings.caFile().isPresent()) {
            String ca = settings.caFile().get();
            return clients.computeIfAbsent("ca:" + ca, k -> create(options().setTrustOptions(new PemTrustOptions().addCertPath(ca))));
        }
        return clients.computeIfAbsent("verified", k -> create(options()));
    }

    /** Largest body chunk the decoder hands over at once (its default is 8 KiB). */
    static final int MAX_CHUNK = 256 * 1024;

    private HttpClientOptions options() {
        FerryConfig.Http http = config.http();
        return new HttpClientOptions()
                .setKeepAlive(true)
                .setConnectTimeout((int) http.connectTimeout().toMillis())
                .setSslHandshakeTimeout(http.tlsHandshakeTimeout().toMillis())
                .setSslHandshakeTimeoutUnit(java.util.concurrent.TimeUnit.MILLISECONDS)
                .setTryUseCompression(false)
                .setMaxInitialLineLength(8192)
                .setMaxHeaderSize(64 * 1024)
                // a body arrives as Netty reads it (up to 64 KiB at a time), not cut into Netty's default 8 KiB chunks:
                // each chunk costs a copy into a Vert.x buffer, a hash call, a write and a flush on the upload side
                .setMaxChunkSize(MAX_CHUNK)
                .setName("ferry-registry");
    }

    private HttpClient create(HttpClientOptions options) {
        return vertx.createHttpClient(options,
                new PoolOptions().setHttp1MaxSize(config.http().maxConnectionsPerHost()).setMaxWaitQueueSize(-1));
    }

    void close() {
        clients.values().forEach(HttpClient::close);
        clients.clear();
    }
}
