package dev.ferry.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.ferry.testing.PostgresCluster;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@link JobRepository} contract, on both stores: the embedded H2 file and a real PostgreSQL cluster started
 * for this test. Time is passed in, never read from a clock: leases expire because the test says so.
 */
class JobRepositoryContractTest {
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration LEASE = Duration.ofSeconds(30);
    private static PostgresCluster pg;
    private static JobRepository h2;
    private static JobRepository postgres;

    @BeforeAll
    static void stores() throws Exception {
        org.h2.jdbcx.JdbcDataSource h = new org.h2.jdbcx.JdbcDataSource();
        h.setURL("jdbc:h2:mem:contract-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        h2 = migrated(h);
        pg = PostgresCluster.start();
        org.postgresql.ds.PGSimpleDataSource p = new org.postgresql.ds.PGSimpleDataSource();
        p.setURL(pg.jdbcUrl());
        p.setUser(pg.username());
        postgres = migrated(p);
    }

    @AfterAll
    static void stop() throws Exception {
        if (pg != null) {
            pg.close();
        }
    }

    private static JobRepository migrated(DataSource ds) {
        Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
        return new JdbcJobRepository(ds, JSON);
    }

    static Stream<Named<JobRepository>> repositories() {
        return Stream.of(Named.of("h2", h2), Named.of("postgresql", postgres));
    }

    /** A queued job created at T0 + {@code n} ms (so claim order is known). */
    private static Job queued(JobRepository repo, int n, String caller, String key) {
        Job job = new Job(UUID.randomUUID().toString(), "copy", JobState.QUEUED, T0.plusMillis(n), null, null,
                JSON.createObjectNode().put("source", "a/b:" + n), Progress.ZERO, null, null);
        repo.insert(job, caller, key, new JobEvent(job.id(), 1, "job", JSON.valueToTree(job)), null);
        return job;
    }

    private static List<JobRepository.Claimed> claimAll(JobRepository repo, String owner, Instant now) {
        return repo.claim(owner, now, now.plus(LEASE), 1000, 3);
    }

    private static void drain(JobRepository repo) {
        // earlier tests' leftovers must not be claimed by later ones
        for (JobRepository.Claimed c : claimAll(repo, "drain", T0.plus(Duration.ofDays(3650)))) {
            repo.finish(c.lease(), JobState.CANCELLED, Progress.ZERO, null, null, T0, List.of());
        }
    }

    @ParameterizedTest
    @MethodSource("repositories")
    void shouldStoreAJobWithItsFirstEventAndRefuseAReusedIdempotencyKey(JobRepository repo) {
        drain(repo);
        String caller = "c-" + UUID.randomUUID();
        Job job = queued(repo, 1, caller, "key-1");
        JobRepository.Stored s = repo.find(job.id()).orElseThrow();
        assertEquals(JobState.QUEUED, s.job().state());
        assertEquals(caller, s.caller());
        assertEquals(1, repo.lastEventSeq(job.id()));
        assertEquals(job.id(), repo.findByIdempotencyKey(caller, "key-1").orElseThrow().job().id());
        assertThrows(JobRepository.DuplicateKeyException.class, () -> queued(repo, 2, caller, "key-1"));
        queued(repo, 3, caller, null);
        JobRepository.Page page = repo.list(new JobRepository.Filter(null, null, caller), 0, 1);
        assertEquals(1, page.items().size());
        assertEquals(2, page.total(), "the total counts every matching job, not the page");
        assertEquals(2, repo.countActive(caller));
    }

    @ParameterizedTest
    @MethodSource("repositories")
    void shouldGiveEachJobToOneClaimerEvenWhenTheyClaimAtOnce(JobRepository repo) throws Exception {
        drain(repo);
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            ids.add(queued(repo, i, "race", null).id());
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<List<String>>> claimers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            String owner = "replica-" + t;
            claimers.add(pool.submit(() -> {
                List<String> mine = new ArrayList<>();
                for (int round = 0; round < 40; round++) {
                    for (JobRepository.Claimed c : repo.claim(owner, T0, T0.plus(LEASE), 2, 3)) {
                        mine.add(c.lease().jobId());
                    }
                }
                return mine;
            }));
        }
        List<String> all = new ArrayList<>();
        for (Future<List<String>> f : claimers) {
            all.addAll(f.get());
        }
        pool.shutdown();
        // SKIP LOCKED promises that no two claimers get one job, not that a claimer sees rows another one had
        // locked at that moment: a job the racing claimers happened to miss is claimed by the next claim.
        for (JobRepository.Claimed c : claimAll(repo, "sweeper", T0)) {
            all.add(c.lease().jobId());
        }
        assertEquals(ids.size(), all.size(), "every job claimed exactly once: " + all.size());
        assertEquals(ids, new HashSet<>(all));
        assertTrue(claimAll(repo, "late", T0.plusSeconds(1)).isEmpty(), "a live lease is never claimed");
    }

    @ParameterizedTest
    @MethodSource("repositories")
    void shouldFenceEveryWriteOfAnOwnerWhoseLeaseExpiredAndWasTakenOver(JobRepository repo) {
        drain(repo);
        Job job = queued(repo, 1, "fence", null);
        JobRepository.Claimed a = claimAll(repo, "A", T0).get(0);
        assertEquals("A", repo.find(job.id()).orElseThrow().owner());
        assertEquals(1, a.lastSeq());
        assertTrue(repo.appendEvents(a.lease(), List.of(new JobEvent(job.id(), 2, "blob", JSON.createObjectNode()))));
        assertEquals(JobRepository.Renewal.HELD, repo.renew(a.lease(), T0.plusSeconds(40)));
        assertTrue(claimAll(repo, "B", T0.plusSeconds(35)).isEmpty(), "renewed until T0+40");

        JobRepository.Claimed b = claimAll(repo, "B", T0.plusSeconds(41)).get(0);
        assertEquals(job.id(), b.lease().jobId());
        assertTrue(b.lease().version() > a.lease().version());
        assertEquals(2, b.lastSeq(), "the new owner numbers its events after the recorded ones");
        assertEquals(JobRepository.Renewal.LOST, repo.renew(a.lease(), T0.plusSeconds(70)));
        assertFalse(repo.saveProgress(a.lease(), Progress.ZERO));
        assertFalse(repo.appendEvents(a.lease(), List.of(new JobEvent(job.id(), 3, "blob", JSON.createObjectNode()))));
        assertFalse(repo.finish(a.lease(), JobState.FAILED, Progress.ZERO, null, null, T0.plusSeconds(42), List.of()));
        assertFalse(repo.release(a.lease(), null));

        assertTrue(repo.finish(b.lease(), JobState.SUCCEEDED, Progress.ZERO, JSON.createObjectNode().put("ok", true), null,
                T0.plusSeconds(43), List.of(new JobEvent(job.id(), 3, "job", JSON.createObjectNode().put("state", "succeeded")))));
        assertFalse(repo.finish(b.lease(), JobState.SUCCEEDED, Progress.ZERO, null, null, T0.plusSeconds(44), List.of()),
                "ending twice is refused");
        JobRepository.Stored end = repo.find(job.id()).orElseThrow();
        assertEquals(JobState.SUCCEEDED, end.job().state());
        assertEquals(3, repo.lastEventSeq(job.id()));
        List<JobRepository.Attempt> attempts = repo.attempts(job.id());
        assertEquals(List.of("A", "B"), attempts.stream().map(JobRepository.Attempt::owner).toList());
        assertEquals("lease-expired", attempts.get(0).outcome());
        assertEquals("succeeded", attempts.get(1).outcome());
        assertFalse(attempts.get(0).endedAt().isAfter(attempts.get(1).claimedAt()), "the runs did not overlap");
    }

    @ParameterizedTest
    @MethodSource("repositories")
    void shouldFailAJobWhoseOwnerDiedMaxAttemptsTimes(JobRepository repo) {
        drain(repo);
        Job job = queued(repo, 1, "dies", null);
        Instant now = T0;
        for (int run = 1; run <= 3; run++) {
            List<JobRepository.Claimed> c = claimAll(repo, "r" + run, now);
            assertEquals(1, c.size(), "run " + run);
            now = now.plus(LEASE).plusSeconds(1);
        }
        assertTrue(claimAll(repo, "r4", now).isEmpty(), "not tried a fourth time");
        JobRepository.Stored s = repo.find(job.id()).orElseThrow();
        assertEquals(JobState.FAILED, s.job().state());
        assertEquals("urn:ferry:problem:job-abandoned", s.job().error().type());
        List<JobEvent> events = repo.events(job.id(), 0);
        assertTrue(events.get(events.size() - 1).isTerminal(), "a terminal event tells followers");
    }

    @ParameterizedTest
    @MethodSource("repositories")
    void shouldHandAJobBackForAnyReplicaWithoutCountingTheRun(JobRepository repo) {
        drain(repo);
        Job job = queued(repo, 1, "back", null);
        JobRepository.Claimed a = claimAll(repo, "A", T0).get(0);
        assertTrue(repo.release(a.lease(), new JobEvent(job.id(), 2, "job", JSON.createObjectNode().put("state", "queued"))));
        JobRepository.Stored s = repo.find(job.id()).orElseThrow();
        assertEquals(JobState.QUEUED, s.job().state());
        assertEquals(0, s.runs());
        JobRepository.Claimed b = claimAll(repo, "B", T0.plusSeconds(1)).get(0);
        assertEquals(job.id(), b.lease().jobId(), "claimable at once, no lease to wait for");
        assertEquals(2, b.lastSeq());
    }

    @ParameterizedTest
    @MethodSource("repositories")
    void shouldCancelAQueuedJobAtOnceAndAskTheOwnerOfARunningOne(JobRepository repo) {
        drain(repo);
        Job waiting = queued(repo, 1, "cancel", null);
        JobRepository.Stored c = repo.cancelQueued(waiting.id(), T0).orElseThrow();
        assertEquals(JobState.CANCELLED, c.job().state());
        assertTrue(repo.events(waiting.id(), 0).get(1).isTerminal());

        Job running = queued(repo, 2, "cancel", null);
        JobRepository.Claimed a = claimAll(repo, "A", T0).get(0);
        assertEquals(JobState.RUNNING, repo.cancelQueued(running.id(), T0).orElseThrow().job().state(), "a running job is not ended by others");
        assertTrue(repo.requestCancel(running.id()));
        assertEquals(List.of(running.id()), repo.cancelRequested("A"));
        assertEquals(JobRepository.Renewal.CANCEL_REQUESTED, repo.renew(a.lease(), T0.plusSeconds(10)));
        assertFalse(repo.requestCancel(waiting.id()), "an ended job has nothing to cancel");
    }

    @ParameterizedTest
    @MethodSource("repositories")
    void shouldRefuseAnEventNumberRecordedAlready(JobRepository repo) {
        drain(repo);
        Job job = queued(repo, 1, "seq", null);
        JobRepository.Claimed a = claimAll(repo, "A", T0).get(0);
        assertTrue(repo.appendEvents(a.lease(), List.of(new JobEvent(job.id(), 2, "blob", JSON.createObjectNode()),
                new JobEvent(job.id(), 3, "blob", JSON.createObjectNode()))));
        assertThrows(StoreException.class, () -> repo.appendEvents(a.lease(), List.of(new JobEvent(job.id(), 4, "blob", JSON.createObjectNode()),
                new JobEvent(job.id(), 3, "blob", JSON.createObjectNode()))));
        assertEquals(List.of(2L, 3L), repo.events(job.id(), 1).stream().map(JobEvent::seq).toList(), "all or nothing");
    }

    @ParameterizedTest
    @MethodSource("repositories")
    void shouldPurgeJobsThatEndedBeforeTheCutoffWithTheirEvents(JobRepository repo) {
        drain(repo);
        Job old = queued(repo, 1, "purge", null);
        Job recent = queued(repo, 2, "purge", null);
        Job waiting = queued(repo, 3, "purge", null);
        repo.cancelQueued(old.id(), T0);
        repo.cancelQueued(recent.id(), T0.plus(Duration.ofDays(8)));
        int purged = repo.purgeEndedBefore(T0.plus(Duration.ofDays(7)));
        assertTrue(purged >= 1);
        assertTrue(repo.find(old.id()).isEmpty());
        assertTrue(repo.events(old.id(), 0).isEmpty());
        assertTrue(repo.find(recent.id()).isPresent());
        assertTrue(repo.find(waiting.id()).isPresent(), "jobs that have not ended are kept");
        assertEquals(Collections.emptyList(), repo.events(old.id(), 0));
    }

    @ParameterizedTest
    @MethodSource("repositories")
    void shouldKeepJobsOfACappedRegistryWithinItsCapAcrossReplicas(JobRepository repo) {
        drain(repo);
        String capped = "capped-" + UUID.randomUUID().toString().substring(0, 8) + ".example:5000";
        java.util.Map<String, Integer> caps = java.util.Map.of(capped, 2);
        List<String> onCapped = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Job job = new Job(UUID.randomUUID().toString(), "copy", JobState.QUEUED, T0.plusMillis(i), null, null,
                    JSON.createObjectNode().put("destination", capped + "/x:" + i), Progress.ZERO, null, null);
            repo.insert(job, "caps", null, new JobEvent(job.id(), 1, "job", JSON.valueToTree(job)), null, Set.of(capped, "src.example"));
            onCapped.add(job.id());
        }
        Job other = queued(repo, 10, "caps", null);
        List<JobRepository.Claimed> a = repo.claim("A", T0, T0.plus(LEASE), 1, 3, caps);
        List<JobRepository.Claimed> b = repo.claim("B", T0, T0.plus(LEASE), 10, 3, caps);
        List<String> claimed = new ArrayList<>();
        a.forEach(c -> claimed.add(c.lease().jobId()));
        b.forEach(c -> claimed.add(c.lease().jobId()));
        assertEquals(2, claimed.stream().filter(onCapped::contains).count(), "2 at once across both replicas, not 2 each: " + claimed);
        assertTrue(claimed.contains(other.id()), "jobs on other registries are not held back");
        assertTrue(repo.claim("C", T0.plusSeconds(1), T0.plus(LEASE), 10, 3, caps).isEmpty());
        JobRepository.Claimed first = a.get(0).lease().jobId().equals(other.id()) ? b.get(0) : a.get(0);
        repo.finish(first.lease(), JobState.SUCCEEDED, Progress.ZERO, null, null, T0.plusSeconds(2), List.of());
        assertEquals(1, repo.claim("C", T0.plusSeconds(3), T0.plus(LEASE), 10, 3, caps).size(), "a slot freed, one more runs");
    }

    @ParameterizedTest
    @MethodSource("repositories")
    void shouldExpireEveryLeaseForAStoreThatOneProcessHolds(JobRepository repo) {
        drain(repo);
        Job job = queued(repo, 1, "restart", null);
        claimAll(repo, "before-restart", T0);
        assertTrue(claimAll(repo, "after-restart", T0.plusSeconds(1)).isEmpty());
        assertTrue(repo.expireLeases(T0.plusSeconds(1)) >= 1);
        assertEquals(job.id(), claimAll(repo, "after-restart", T0.plusSeconds(1)).get(0).lease().jobId());
        assertTrue(repo.reachable());
    }

    @ParameterizedTest
    @MethodSource("repositories")
    void shouldKeepOneUploadSessionPerBlobFencedByTheLeaseAndHandItToTheNextOwner(JobRepository repo) {
        drain(repo);
        Job job = queued(repo, 1, "uploads", null);
        JobRepository.Lease first = claimAll(repo, "replica-a", T0).get(0).lease();
        String dest = "127.0.0.1:5000/lab/big";
        String digest = "sha256:" + "a".repeat(64);
        for (long offset = 0; offset <= 3; offset++) {
            assertTrue(repo.saveUpload(first, new JobRepository.UploadSession(job.id(), dest, digest, "http://r/u?_state=" + offset,
                    offset * 1024, T0)));
        }
        JobRepository.UploadSession u = repo.findUpload(job.id(), dest, digest).orElseThrow();
        assertEquals(3 * 1024, u.offset(), "the last write wins: one row per blob, updated in place");
        assertEquals("http://r/u?_state=3", u.location());
        assertTrue(repo.findUpload(job.id(), dest + "-other", digest).isEmpty());

        // the lease expires; another replica takes the job over and finds the session
        JobRepository.Lease second = claimAll(repo, "replica-b", T0.plus(LEASE).plusSeconds(1)).get(0).lease();
        assertEquals(3 * 1024, repo.findUpload(job.id(), dest, digest).orElseThrow().offset());
        assertFalse(repo.saveUpload(first, new JobRepository.UploadSession(job.id(), dest, digest, "http://r/stale", 99, T0)),
                "the old owner can no longer write");
        assertFalse(repo.dropUpload(first, dest, digest));
        assertEquals("http://r/u?_state=3", repo.findUpload(job.id(), dest, digest).orElseThrow().location());
        assertTrue(repo.saveUpload(second, new JobRepository.UploadSession(job.id(), dest, digest, "http://r/u?_state=4", 4096, T0)));
        assertTrue(repo.dropUpload(second, dest, digest));
        assertTrue(repo.findUpload(job.id(), dest, digest).isEmpty());

        assertTrue(repo.saveUpload(second, new JobRepository.UploadSession(job.id(), dest, digest, "http://r/u", 1, T0)));
        assertTrue(repo.finish(second, JobState.SUCCEEDED, Progress.ZERO, null, null, T0.plus(LEASE).plusSeconds(2), List.of()));
        assertTrue(repo.findUpload(job.id(), dest, digest).isEmpty(), "the job's end takes its sessions");
    }

    @ParameterizedTest
    @MethodSource("repositories")
    void shouldListTheLiveReplicasInOneOrderForAll(JobRepository repo) {
        String a = "m-a-" + UUID.randomUUID();
        String b = "m-b-" + UUID.randomUUID();
        Instant now = T0.plus(Duration.ofDays(1));
        repo.heartbeatReplica(a, now, now.minus(LEASE), now.minus(LEASE.multipliedBy(20)));
        List<String> seenByB = repo.heartbeatReplica(b, now.plusSeconds(1), now.minus(LEASE), now.minus(LEASE.multipliedBy(20)));
        assertTrue(seenByB.indexOf(a) >= 0 && seenByB.indexOf(b) >= 0, seenByB.toString());
        assertTrue(seenByB.indexOf(a) < seenByB.indexOf(b), "ranked by id");
        List<String> seenByA = repo.heartbeatReplica(a, now.plusSeconds(2), now.minus(LEASE), now.minus(LEASE.multipliedBy(20)));
        assertEquals(seenByB, seenByA, "every replica computes the same ranks");

        // b stops beating: after a lease it is no longer live, for a
        Instant later = now.plus(LEASE).plusSeconds(5);
        List<String> afterB = repo.heartbeatReplica(a, later, later.minus(LEASE), later.minus(LEASE.multipliedBy(20)));
        assertTrue(afterB.contains(a) && !afterB.contains(b), afterB.toString());
        repo.leaveReplicas(a);
        List<String> seenByC = repo.heartbeatReplica("m-c-" + UUID.randomUUID(), later, later.minus(LEASE), later.minus(LEASE.multipliedBy(20)));
        assertFalse(seenByC.contains(a), "a replica that left is gone at once");
    }
}
