package dev.ferry.dashboard;

import dev.ferry.testing.FerryProcess;
import dev.ferry.testing.RegistryProcess;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.ScriptedPeer;
import dev.ferry.testing.TestImages;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard in a real browser against the packaged Ferry and real registries (local mode): a copy from the form
 * to 100 %, a policy run from the Policies view with its history and notification deliveries, a failed job's problem, a streaming blob's bar moving and a cancel, inspect, keyboard and labels.
 */
class DashboardBrowserIT {
    private static final TestImages IMAGES = new TestImages(1111);

    @TempDir
    Path data;

    @Test
    void shouldWorkInABrowser() throws Exception {
        TestImages.Image image = IMAGES.ociImage(3, 2 * 1024 * 1024, "linux", "amd64", null);
        TestImages.Image slow = IMAGES.ociImage(1, 16 * 1024 * 1024, "linux", "amd64", null);
        TestImages.Blob layer = slow.layers().get(0);
        try (RegistryProcess src = RegistryProcess.anonymous(); RegistryProcess dest = RegistryProcess.anonymous();
             ScriptedPeer peer = ScriptedPeer.start((ex, n) -> trickle(ex, slow, layer));
             // a notification receiver (the peer reads each request's body and closes the exchange)
             ScriptedPeer receiver = ScriptedPeer.start((ex, n) -> ScriptedPeer.send(ex, 204, null, new byte[0]));
             FerryProcess ferry = FerryProcess.start(data, null, Path.of("target", "dashboard-browser-it.log"),
                     // the policy's notification secret is stored sealed
                     Map.of("FERRY_STORE_SECRET_KEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="))) {
            new RegistryPusher(src.baseUrl()).push("lab/app", "1", image);
            BrowserRun.run("local", Map.of(
                    "FERRY_URL", ferry.baseUrl(),
                    "SRC_IMAGE", "docker://" + src.hostPort() + "/lab/app:1",
                    "DEST_IMAGE", "docker://" + dest.hostPort() + "/prod/app:1",
                    "MISSING_IMAGE", "docker://" + src.hostPort() + "/lab/app:does-not-exist",
                    "SLOW_IMAGE", "docker://" + peer.hostPort() + "/slow/app:v1",
                    "SLOW_DEST", "docker://" + dest.hostPort() + "/prod/slow:v1",
                    "POLICY_SOURCE", "docker://" + src.hostPort() + "/lab/app",
                    "POLICY_DEST", "docker://" + dest.hostPort() + "/policy-mirror",
                    "NOTIFY_URL", "http://" + receiver.hostPort() + "/ferry"));
        }
    }

    /** A registry whose one big layer arrives at about 640 KiB/s (long enough to watch it and cancel it). */
    private static void trickle(com.sun.net.httpserver.HttpExchange ex, TestImages.Image slow, TestImages.Blob layer)
            throws java.io.IOException {
        String path = ex.getRequestURI().getPath();
        if (path.equals("/v2/")) {
            ScriptedPeer.send(ex, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
        } else if (path.endsWith("/manifests/v1")) {
            ScriptedPeer.send(ex, 200, slow.mediaType(), slow.manifest());
        } else if (path.endsWith(slow.config().digest())) {
            ScriptedPeer.send(ex, 200, "application/octet-stream", slow.config().bytes());
        } else if (path.endsWith(layer.digest())) {
            ex.sendResponseHeaders(200, layer.bytes().length);
            try (var out = ex.getResponseBody()) {
                for (int off = 0; off < layer.bytes().length; off += 64 * 1024) {
                    out.write(layer.bytes(), off, Math.min(64 * 1024, layer.bytes().length - off));
                    out.flush();
                    Thread.sleep(100);
                }
            } catch (Exception clientGone) {
                // the copy was cancelled
            }
        } else {
            ScriptedPeer.send(ex, 404, null, new byte[0]);
        }
    }
}
