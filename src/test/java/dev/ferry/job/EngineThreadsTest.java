package dev.ferry.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.oci.ImageReference;
import dev.ferry.registry.AccessOptions;
import dev.ferry.registry.ManifestResult;
import dev.ferry.registry.RegistryAccess;
import dev.ferry.registry.RegistryAccessFactory;
import dev.ferry.registry.RegistryClient;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Context;
import io.vertx.core.Future;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Which threads the engine runs on. Vert.x hands a response's body chunks to the handler set at that moment and drops
 * them when none is set yet, so a request chain built on a thread other than an event loop can lose a manifest's
 * bytes (a copy-bench warm-up copy failed that way: "the manifest served does not match the Docker-Content-Digest the
 * registry announced", on an unchanged source). The engine therefore starts every job on an event loop, and the
 * registry transport moves a call made on any other thread onto one.
 */
@QuarkusTest
class EngineThreadsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    JobService jobs;
    @Inject
    RegistryClient registry;
    @Inject
    RegistryAccessFactory access;

    @Test
    void shouldStartAJobsWorkOnAnEventLoopNotOnTheThreadThatClaimedIt() {
        CompletableFuture<String> seen = new CompletableFuture<>();
        JobWork work = ctx -> {
            seen.complete((Context.isOnEventLoopThread() ? "event-loop " : "not an event loop ") + Thread.currentThread().getName());
            ObjectNode result = JSON.createObjectNode();
            return Future.succeededFuture(result);
        };
        ObjectNode request = JSON.createObjectNode().put("source", "docker://127.0.0.1:1/threads/probe:v1")
                .put("destination", "docker://127.0.0.1:1/threads/probe-copy:v1");
        JobService.Submitted submitted = jobs.submit("copy", dev.ferry.security.Callers.LOCAL, null, request, work);
        Job ended = jobs.await(submitted.job(), Duration.ofSeconds(30));
        assertEquals(JobState.SUCCEEDED, ended.state(), "the probe job ended " + ended.state());
        String thread = seen.getNow("never run");
        assertTrue(thread.startsWith("event-loop vert.x-eventloop-thread-"), "the job's work ran on: " + thread);
    }

    @Test
    void shouldReadEveryManifestWholeWhenCalledFromAThreadThatIsNoEventLoop() throws Exception {
        SharedRegistries r = SharedRegistries.get();
        TestImages.Image image = new TestImages(77).ociImage(12, 512, "linux", "amd64", null);
        new RegistryPusher(r.anonymous().baseUrl()).push("threads/manifest", "v1", image);
        ImageReference ref = ImageReference.parse(r.anonymous().hostPort() + "/threads/manifest:v1");
        RegistryAccess a = access.forReference(ref, new AccessOptions(null, null, null, false, 0, null), "");
        // a plain thread, as the job claimer and the REST worker threads are: each read's answer must be whole
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            assertTrue(!Context.isOnVertxThread());
            ManifestResult m = registry.manifestGet(a, ref).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            if (!m.digest().toString().equals(image.digest())) {
                wrong.add(i + ": " + m.digest());
            }
        }
        assertEquals(List.of(), wrong, "manifests read with another digest than " + image.digest());
    }
}
