package dev.ferry.policy;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.testing.FaultyProxy;
import dev.ferry.testing.RegistryProcess;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Stored policies against real registries, with skopeo as the oracle: CRUD and bad input, a manual run and its
 * history, a schedule driven tick by tick (each due time fires once however many ticks race, a due time is skipped
 * while a run is active), a 2-second interval picking up a pushed tag, prune (dry run, then for real), and a retry
 * of only the images that failed.
 */
@QuarkusTest
class PolicyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TestImages IMAGES = new TestImages(1313);
    private static RegistryProcess source;
    private static RegistryProcess dest;
    private static RegistryPusher pusher;

    @Inject
    PolicyScheduler scheduler;

    @BeforeAll
    static void registries() {
        source = RegistryProcess.anonymous();
        dest = RegistryProcess.anonymous();
        pusher = new RegistryPusher(source.baseUrl());
    }

    @AfterAll
    static void stop() {
        source.close();
        dest.close();
    }

    static Map<String, Object> policy(String name, String repo, String destNs, Map<String, Object> extra, Object triggers) {
        Map<String, Object> sync = new java.util.HashMap<>(Map.of("source", source.hostPort() + "/" + repo,
                "destination", dest.hostPort() + "/" + destNs, "srcTlsVerify", false, "destTlsVerify", false));
        sync.putAll(extra);
        Map<String, Object> p = new java.util.HashMap<>(Map.of("name", name, "sync", sync));
        if (triggers != null) {
            p.put("triggers", triggers);
        }
        return p;
    }

    static JsonNode create(Map<String, Object> body) throws Exception {
        Response r = given().contentType("application/json").body(body).post("/api/v1/policies");
        assertEquals(201, r.statusCode(), r.asString());
        return JSON.readTree(r.asString());
    }

    static JsonNode runNow(String name, boolean dryRun) throws Exception {
        Response r = given().contentType("application/json").header("Prefer", "wait=60").body(Map.of("dryRun", dryRun))
                .post("/api/v1/policies/" + name + "/runs");
        assertEquals(200, r.statusCode(), r.asString());
        return JSON.readTree(r.asString());
    }

    static JsonNode runs(String name) throws Exception {
        Response r = given().get("/api/v1/policies/" + name + "/runs");
        assertEquals(200, r.statusCode(), r.asString());
        return JSON.readTree(r.asString());
    }

    static JsonNode awaitEnd(String jobId) throws Exception {
        for (int i = 0; i < 600; i++) {
            JsonNode j = JSON.readTree(given().get("/api/v1/jobs/" + jobId).asString());
            String s = j.get("state").asText();
            if (!s.equals("queued") && !s.equals("running")) {
                return j;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("job " + jobId + " did not end");
    }

    static TreeSet<String> tags(String repo) {
        TreeSet<String> out = new TreeSet<>();
        Skopeo.Result r = Skopeo.run("list-tags", "--tls-verify=false", "docker://" + repo);
        if (!r.ok()) {
            return out;
        }
        try {
            JSON.readTree(r.stdout()).get("Tags").forEach(t -> out.add(t.asText()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    @Test
    void shouldCreateReadReplaceAndDeleteAPolicyAndRefuseBadOnes() throws Exception {
        JsonNode created = create(policy("crud-app", "crud/app", "mirror", Map.of("tagRegex", "^v"), Map.of("cron", "*/5 * * * *")));
        assertEquals("crud-app", created.get("name").asText());
        assertTrue(created.get("enabled").asBoolean());
        assertEquals("*/5 * * * *", created.at("/triggers/cron").asText());
        Instant due = Instant.parse(created.get("nextDue").asText());
        assertEquals(0, due.getEpochSecond() % 300, "a */5 cron is due on a multiple of five minutes: " + due);
        assertEquals("^v", created.at("/sync/tagRegex").asText());

        assertEquals(409, given().contentType("application/json").body(policy("crud-app", "crud/app", "mirror", Map.of(), null))
                .post("/api/v1/policies").statusCode());
        JsonNode list = JSON.readTree(given().get("/api/v1/policies").asString());
        assertTrue(list.get("items").toString().contains("\"crud-app\""), list.toString());

        Response replaced = given().contentType("application/json")
                .body(policy("crud-app", "crud/app", "mirror", Map.of(), Map.of("interval", "10m"))).put("/api/v1/policies/crud-app");
        assertEquals(200, replaced.statusCode(), replaced.asString());
        JsonNode r = JSON.readTree(replaced.asString());
        assertEquals(2, r.get("revision").asInt());
        assertEquals("10m", r.at("/triggers/interval").asText());
        assertFalse(r.at("/sync").has("tagRegex"));

        // disabled: no schedule
        Map<String, Object> off = policy("crud-app", "crud/app", "mirror", Map.of(), Map.of("interval", "10m"));
        off.put("enabled", false);
        JsonNode disabled = JSON.readTree(given().contentType("application/json").body(off).put("/api/v1/policies/crud-app").asString());
        assertFalse(disabled.has("nextDue"), disabled.toString());

        assertEquals(204, given().delete("/api/v1/policies/crud-app").statusCode());
        Response gone = given().get("/api/v1/policies/crud-app");
        assertEquals(404, gone.statusCode());
        assertTrue(gone.asString().contains("urn:ferry:problem:policy-not-found"), gone.asString());
        assertEquals(404, given().get("/api/v1/policies/..%2Fetc").statusCode());
        assertEquals(404, given().contentType("application/json").body(Map.of()).post("/api/v1/policies/nope/runs").statusCode());
    }

    @Test
    void shouldRefuseMalformedPoliciesNamingTheField() {
        record Case(Map<String, Object> body, String field) {
        }
        List<Case> cases = new ArrayList<>();
        cases.add(new Case(policy("Upper", "x/app", "m", Map.of(), null), "name"));
        cases.add(new Case(policy("ok", "x/app", "m", Map.of(), Map.of("cron", "61 * * * *")), "triggers.cron"));
        cases.add(new Case(policy("ok", "x/app", "m", Map.of(), Map.of("cron", "* * * *")), "triggers.cron"));
        cases.add(new Case(policy("ok", "x/app", "m", Map.of(), Map.of("interval", "soon")), "triggers.interval"));
        cases.add(new Case(policy("ok", "x/app", "m", Map.of(), Map.of("interval", "10ms")), "triggers.interval"));
        cases.add(new Case(policy("ok", "x/app", "m", Map.of(), Map.of("interval", "5m", "cron", "* * * * *")), "triggers"));
        cases.add(new Case(policy("ok", "x/app", "m", Map.of("latest", 0), null), "latest"));
        cases.add(new Case(policy("ok", "x/app", "m", Map.of("latestBy", "size", "latest", 3), null), "latestBy"));
        cases.add(new Case(policy("ok", "x/app", "m", Map.of("excludeRegex", "(("), null), "excludeRegex"));
        cases.add(new Case(policy("ok", "x/app", "m", Map.of("maxAge", "P1M"), null), "maxAge"));
        cases.add(new Case(policy("ok", "x/app", "m", Map.of("pruneMax", 5), null), "pruneMax"));
        cases.add(new Case(policy("ok", "x/app", "m", Map.of("immutableTags", List.of("[")), null), "immutableTags"));
        cases.add(new Case(policy("ok", "x/app", "m", Map.of("srcCreds", "u:p"), null), "sync"));
        Map<String, Object> badUrl = policy("ok", "x/app", "m", Map.of(), null);
        badUrl.put("notifications", List.of(Map.of("url", "ftp://example.com/x")));
        cases.add(new Case(badUrl, "notifications[0].url"));
        Map<String, Object> badOn = policy("ok", "x/app", "m", Map.of(), null);
        badOn.put("notifications", List.of(Map.of("url", "https://example.com/x", "on", "sometimes")));
        cases.add(new Case(badOn, "notifications[0].on"));
        Map<String, Object> noSync = new java.util.HashMap<>(Map.of("name", "ok"));
        cases.add(new Case(noSync, "sync"));
        for (Case c : cases) {
            Response r = given().contentType("application/json").body(c.body()).post("/api/v1/policies");
            assertEquals(400, r.statusCode(), c + " -> " + r.asString());
            assertTrue(r.contentType().startsWith("application/problem+json"), r.contentType());
            assertTrue(r.asString().contains("\"field\":\"" + c.field() + "\""), c.field() + ": " + r.asString());
            assertFalse(r.asString().contains("u:p"), r.asString());
        }
        Response unknown = given().contentType("application/json").body(Map.of("name", "ok", "isAdmin", true)).post("/api/v1/policies");
        assertEquals(400, unknown.statusCode(), unknown.asString());
        assertEquals(400, given().contentType("application/json").body("[]").post("/api/v1/policies").statusCode());
        assertEquals(400, given().contentType("application/json").body("null").post("/api/v1/policies").statusCode());
        assertEquals(404, given().get("/api/v1/policies/ok").statusCode(), "nothing was stored");
    }

    @Test
    void shouldRunAPolicyByHandAndShowTheRunInItsHistory() throws Exception {
        TestImages.Image img = IMAGES.ociImage(1, 2048, "linux", "amd64", null);
        pusher.push("manual/app", "1.0.0", img);
        pusher.tag("manual/app", "1.1.0", img);
        create(policy("manual-app", "manual/app", "manual", Map.of(), null));

        JsonNode job = runNow("manual-app", false);
        assertEquals("succeeded", job.get("state").asText(), job.toString());
        assertEquals("manual-app", job.at("/request/policy").asText());
        assertEquals("manual", job.at("/request/trigger").asText());
        assertEquals(new TreeSet<>(List.of("1.0.0", "1.1.0")), tags(dest.hostPort() + "/manual/app"));

        JsonNode again = runNow("manual-app", false);
        assertEquals(2, again.at("/result/skipped").asInt(), again.toString());
        JsonNode runs = runs("manual-app");
        assertEquals(2, runs.get("total").asInt(), runs.toString());
        JsonNode newest = runs.get("items").get(0);
        assertEquals(again.get("id").asText(), newest.get("id").asText());
        assertEquals("succeeded", newest.get("state").asText());
        assertEquals("manual", newest.get("trigger").asText());
        assertEquals(2, newest.get("skipped").asInt());
        assertEquals(2, runs.get("items").get(1).get("copied").asInt(), runs.toString());
    }

    @Test
    void shouldFireEachDueTimeOnceHoweverManyTicksRace() throws Exception {
        pusher.push("tick/app", "1", IMAGES.ociImage(1, 1024, "linux", "amd64", null));
        JsonNode p = create(policy("tick-app", "tick/app", "tick", Map.of(), Map.of("interval", "1h")));
        Instant due = Instant.parse(p.get("nextDue").asText());
        assertEquals(0, scheduler.tick(due.minusMillis(1)), "nothing is due a millisecond early");

        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> ticks = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                ticks.add(pool.submit(() -> {
                    start.await();
                    return scheduler.tick(due);
                }));
            }
            start.countDown();
            for (Future<Integer> f : ticks) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        JsonNode runs = runs("tick-app");
        assertEquals(1, runs.get("total").asInt(), "one run for one due time: " + runs);
        JsonNode run = runs.get("items").get(0);
        assertEquals("interval", run.get("trigger").asText());
        assertEquals(due, Instant.parse(run.get("dueAt").asText()));
        awaitEnd(run.get("id").asText());
        JsonNode after = JSON.readTree(given().get("/api/v1/policies/tick-app").asString());
        assertEquals(due.plus(Duration.ofHours(1)), Instant.parse(after.get("nextDue").asText()), "the grid moved one interval on");

        // the next due time, two hours late: one run, and the grid stays on the hour
        scheduler.tick(due.plus(Duration.ofHours(3)).plusSeconds(5));
        JsonNode later = runs("tick-app");
        assertEquals(2, later.get("total").asInt(), later.toString());
        assertEquals(due.plus(Duration.ofHours(1)), Instant.parse(later.get("items").get(0).get("dueAt").asText()));
        awaitEnd(later.get("items").get(0).get("id").asText());
        JsonNode moved = JSON.readTree(given().get("/api/v1/policies/tick-app").asString());
        assertEquals(due.plus(Duration.ofHours(4)), Instant.parse(moved.get("nextDue").asText()));
    }

    @Test
    void shouldSkipADueTimeWhileTheLastRunIsStillActiveAndRefuseAManualRun() throws Exception {
        pusher.push("busy/app", "1", IMAGES.ociImage(1, 1024, "linux", "amd64", null));
        AtomicBoolean hold = new AtomicBoolean(true);
        CountDownLatch release = new CountDownLatch(1);
        try (FaultyProxy proxy = new FaultyProxy(source.hostPort(), 0, 0, 1).rule((method, path, nth) -> {
            if (path.contains("/tags/list") && hold.get()) {
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return null;
        })) {
            Map<String, Object> body = policy("busy-app", "busy/app", "busy", Map.of(), Map.of("interval", "1h"));
            @SuppressWarnings("unchecked")
            Map<String, Object> sync = (Map<String, Object>) body.get("sync");
            sync.put("source", proxy.hostPort() + "/busy/app");
            JsonNode p = create(body);
            Instant due = Instant.parse(p.get("nextDue").asText());
            scheduler.tick(due);
            JsonNode first = runs("busy-app").get("items").get(0);
            assertNotNull(first, "the first due time started a run");

            // the run hangs on the tag list: the next due time is skipped, and recorded as such
            scheduler.tick(due.plus(Duration.ofHours(1)));
            JsonNode runs = runs("busy-app");
            assertEquals(1, runs.get("total").asInt(), runs.toString());
            JsonNode skipped = runs.get("skipped").get(0);
            assertEquals(due.plus(Duration.ofHours(1)), Instant.parse(skipped.get("dueAt").asText()));
            assertEquals(first.get("id").asText(), skipped.get("runningJob").asText());
            Response manual = given().contentType("application/json").body(Map.of()).post("/api/v1/policies/busy-app/runs");
            assertEquals(409, manual.statusCode(), manual.asString());
            assertTrue(manual.asString().contains("policy-run-active") && manual.asString().contains(first.get("id").asText()), manual.asString());

            hold.set(false);
            release.countDown();
            assertEquals("succeeded", awaitEnd(first.get("id").asText()).get("state").asText());
            // the end reaches the store a moment after the API shows it: due times until then are skipped too
            int total = 1;
            for (int h = 2; h < 50 && total == 1; h++) {
                scheduler.tick(due.plus(Duration.ofHours(h)));
                total = runs("busy-app").get("total").asInt();
                if (total == 1) {
                    Thread.sleep(100);
                }
            }
            assertEquals(2, total, "runs again once the last one ended");
        }
    }

    @Test
    void shouldPickUpATagPushedToTheSourceWithinATwoSecondInterval() throws Exception {
        TestImages.Image img = IMAGES.ociImage(1, 1024, "linux", "amd64", null);
        pusher.push("live/app", "1", img);
        create(policy("live-app", "live/app", "live", Map.of(), Map.of("interval", "2s")));
        String mirror = dest.hostPort() + "/live/app";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!tags(mirror).contains("1") && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(tags(mirror).contains("1"), "the schedule ran by itself");

        Skopeo.Result pushed = Skopeo.copy("docker://" + source.hostPort() + "/live/app:1", "docker://" + source.hostPort() + "/live/app:2");
        assertTrue(pushed.ok(), pushed.stderr());
        long pushedAt = System.nanoTime();
        while (!tags(mirror).contains("2") && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        long tookMs = (System.nanoTime() - pushedAt) / 1_000_000;
        assertTrue(tags(mirror).contains("2"), "the pushed tag reached the mirror");
        given().contentType("application/json").body(Map.of("name", "live-app", "sync", Map.of("source", source.hostPort() + "/live/app",
                "destination", dest.hostPort() + "/live", "srcTlsVerify", false, "destTlsVerify", false), "enabled", false))
                .put("/api/v1/policies/live-app").then().statusCode(200);
        JsonNode runs = runs("live-app");
        // a run started after the push copied it, and it was the first interval run to start after the push
        JsonNode copier = null;
        for (JsonNode r : runs.get("items")) {
            if (r.path("copied").asInt() == 1 && "interval".equals(r.get("trigger").asText())) {
                copier = r;
            }
        }
        assertNotNull(copier, runs.toString());
        System.out.printf("policy 2s interval: tag 2 on the mirror %d ms after the push (run %s)%n", tookMs, copier.get("id").asText());
        for (JsonNode r : runs.get("items")) {
            if (r.get("state").asText().matches("queued|running")) {
                awaitEnd(r.get("id").asText());
            }
        }
    }

    @Test
    void shouldPruneOnlyTagsTheSourceNoLongerHasAfterShowingThePlan() throws Exception {
        TestImages.Image a = IMAGES.ociImage(1, 1024, "linux", "amd64", null);
        TestImages.Image b = IMAGES.ociImage(1, 1024, "linux", "amd64", null);
        TestImages.Image c = IMAGES.ociImage(1, 1024, "linux", "amd64", null);
        pusher.push("prune/app", "v1", a);
        pusher.push("prune/app", "v2", b);
        pusher.push("prune/app", "v3", c);
        RegistryPusher destPusher = new RegistryPusher(dest.baseUrl());
        create(policy("prune-app", "prune/app", "pruned", Map.of("tagRegex", "^v", "prune", true, "pruneMax", 1), null));
        assertEquals("succeeded", runNow("prune-app", false).get("state").asText());
        String mirror = dest.hostPort() + "/pruned/app";
        // outside the scope (no v): never pruned; "keep-b" shares v2's manifest
        destPusher.tag("pruned/app", "keep-b", b);
        destPusher.push("pruned/app", "other", IMAGES.ociImage(1, 512, "linux", "amd64", null));
        assertEquals(new TreeSet<>(List.of("keep-b", "other", "v1", "v2", "v3")), tags(mirror));

        // the source drops v1, v2 and v3... but keeps a v4
        for (String t : List.of("v1", "v2", "v3")) {
            String digest = t.equals("v1") ? a.digest() : t.equals("v2") ? b.digest() : c.digest();
            assertEquals(202, pusher.deleteManifest("prune/app", digest));
        }
        pusher.push("prune/app", "v4", IMAGES.ociImage(1, 1024, "linux", "amd64", null));

        JsonNode plan = runNow("prune-app", true);
        assertEquals("succeeded", plan.get("state").asText(), plan.toString());
        Map<String, JsonNode> byTag = new java.util.TreeMap<>();
        plan.at("/result/prune").forEach(o -> byTag.put(o.get("image").asText().replaceAll(".*:", ""), o));
        assertEquals(new TreeSet<>(List.of("v1", "v2", "v3")), byTag.keySet(), plan.toString());
        assertEquals("kept", byTag.get("v2").get("state").asText());
        assertTrue(byTag.get("v2").get("reason").asText().contains("keep-b"), byTag.toString());
        long planned = byTag.values().stream().filter(o -> o.get("state").asText().equals("planned")).count();
        assertEquals(1, planned, "pruneMax 1: " + byTag);
        assertTrue(byTag.values().stream().anyMatch(o -> o.get("reason") != null && o.get("reason").asText().contains("pruneMax")), byTag.toString());
        assertEquals(new TreeSet<>(List.of("keep-b", "other", "v1", "v2", "v3")), tags(mirror), "a dry run deletes nothing");

        JsonNode pruned = runNow("prune-app", false);
        assertEquals("succeeded", pruned.get("state").asText(), pruned.toString());
        assertEquals(1, pruned.at("/result/pruned").asInt(), pruned.toString());
        assertEquals(new TreeSet<>(List.of("keep-b", "other", "v2", "v3", "v4")), tags(mirror), "v1 went first (pruneMax 1)");
        JsonNode second = runNow("prune-app", false);
        assertEquals(1, second.at("/result/pruned").asInt(), second.toString());
        assertEquals(new TreeSet<>(List.of("keep-b", "other", "v2", "v4")), tags(mirror), "v2 stays: keep-b points at its manifest");
        JsonNode runs = runs("prune-app");
        assertEquals(1, runs.get("items").get(0).get("pruned").asInt());
    }

    @Test
    void shouldRetryAOneOffSyncFromItsStoredRequestAndRefuseOtherJobs() throws Exception {
        pusher.push("oneoff/app", "a", IMAGES.ociImage(1, 1024, "linux", "amd64", null));
        pusher.push("oneoff/app", "b", IMAGES.ociImage(1, 1024, "linux", "amd64", null));
        AtomicBoolean broken = new AtomicBoolean(true);
        try (FaultyProxy proxy = new FaultyProxy(source.hostPort(), 0, 0, 1).rule((method, path, nth) ->
                broken.get() && path.endsWith("/oneoff/app/manifests/a") ? new FaultyProxy.Fault.Status(404, Map.of()) : null)) {
            Response r = given().contentType("application/json").header("Prefer", "wait=60").body(Map.of("source", proxy.hostPort()
                    + "/oneoff/app", "destination", dest.hostPort() + "/oneoff", "srcTlsVerify", false, "destTlsVerify", false,
                    "keepGoing", true)).post("/api/v1/sync");
            JsonNode failed = JSON.readTree(r.asString());
            assertEquals("failed", failed.get("state").asText(), r.asString());
            broken.set(false);
            Response retried = given().contentType("application/json").header("Prefer", "wait=60").body("{}")
                    .post("/api/v1/jobs/" + failed.get("id").asText() + "/retry");
            assertEquals(200, retried.statusCode(), retried.asString());
            JsonNode retry = JSON.readTree(retried.asString());
            assertEquals("succeeded", retry.get("state").asText(), retry.toString());
            assertEquals(failed.get("id").asText(), retry.at("/request/retryOf").asText());
            assertFalse(retry.get("request").has("policy"), retry.toString());
            assertEquals(1, retry.at("/result/images").size(), retry.toString());
            assertEquals(new TreeSet<>(List.of("a", "b")), tags(dest.hostPort() + "/oneoff/app"));

            Response bad = given().contentType("application/json").body("{\"isAdmin\":true}")
                    .post("/api/v1/jobs/" + failed.get("id").asText() + "/retry");
            assertEquals(400, bad.statusCode(), bad.asString());
        }
        Response copy = given().contentType("application/json").header("Prefer", "wait=60").body(Map.of("source",
                source.hostPort() + "/oneoff/app:a", "destination", dest.hostPort() + "/oneoff/copied:a", "srcTlsVerify", false,
                "destTlsVerify", false)).post("/api/v1/copy");
        String copyId = JSON.readTree(copy.asString()).get("id").asText();
        Response notSync = given().post("/api/v1/jobs/" + copyId + "/retry");
        assertEquals(409, notSync.statusCode(), notSync.asString());
        assertTrue(notSync.asString().contains("job-not-retryable"), notSync.asString());
    }

    @Test
    void shouldRetryOnlyTheImagesThatFailedAsANewLinkedJob() throws Exception {
        pusher.push("retry/app", "a", IMAGES.ociImage(1, 1024, "linux", "amd64", null));
        pusher.push("retry/app", "b", IMAGES.ociImage(1, 1024, "linux", "amd64", null));
        pusher.push("retry/app", "c", IMAGES.ociImage(1, 1024, "linux", "amd64", null));
        AtomicBoolean broken = new AtomicBoolean(true);
        try (FaultyProxy proxy = new FaultyProxy(source.hostPort(), 0, 0, 1).rule((method, path, nth) ->
                broken.get() && path.endsWith("/retry/app/manifests/b") ? new FaultyProxy.Fault.Status(404, Map.of()) : null)) {
            Map<String, Object> body = policy("retry-app", "retry/app", "retried", Map.of("keepGoing", true), null);
            @SuppressWarnings("unchecked")
            Map<String, Object> sync = (Map<String, Object>) body.get("sync");
            sync.put("source", proxy.hostPort() + "/retry/app");
            create(body);
            JsonNode failed = runNow("retry-app", false);
            assertEquals("failed", failed.get("state").asText(), failed.toString());
            assertEquals(2, failed.at("/result/copied").asInt());
            assertEquals(1, failed.at("/result/failed").asInt());

            broken.set(false);
            Response r = given().header("Prefer", "wait=60").post("/api/v1/jobs/" + failed.get("id").asText() + "/retry");
            assertEquals(200, r.statusCode(), r.asString());
            JsonNode retry = JSON.readTree(r.asString());
            assertEquals("succeeded", retry.get("state").asText(), retry.toString());
            assertEquals(failed.get("id").asText(), retry.at("/request/retryOf").asText());
            assertEquals("retry-app", retry.at("/request/policy").asText());
            assertEquals(1, retry.at("/result/images").size(), "only the failed image: " + retry);
            assertTrue(retry.at("/result/images/0/source").asText().endsWith("/retry/app:b"));
            assertEquals(new TreeSet<>(List.of("a", "b", "c")), tags(dest.hostPort() + "/retried/app"));
            JsonNode newest = runs("retry-app").get("items").get(0);
            assertEquals("retry", newest.get("trigger").asText());
            assertEquals(failed.get("id").asText(), newest.get("retryOf").asText());

            Response nothing = given().post("/api/v1/jobs/" + retry.get("id").asText() + "/retry");
            assertEquals(409, nothing.statusCode(), nothing.asString());
            assertTrue(nothing.asString().contains("job-not-retryable"), nothing.asString());
            assertEquals(404, given().post("/api/v1/jobs/00000000-0000-0000-0000-000000000000/retry").statusCode());
            assertEquals(404, given().post("/api/v1/jobs/not-a-job/retry").statusCode());
        }
    }
}
