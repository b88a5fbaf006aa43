package dev.ferry.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.ferry.job.JdbcJobRepository;
import dev.ferry.job.Job;
import dev.ferry.job.JobEvent;
import dev.ferry.job.JobRepository;
import dev.ferry.job.JobState;
import dev.ferry.job.Progress;
import dev.ferry.testing.PostgresCluster;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fence a schedule relies on, on both stores (embedded H2 and a real PostgreSQL): of many transactions that each
 * record a run job and move {@code next_due} from the same due time, exactly one commits — by the conditional update
 * alone (the racers' jobs carry no due time here, so the unique (policy, due_at) key cannot be what stops them);
 * with a due time, the unique key refuses a second run too; an admission that says no records nothing.
 */
class PolicyFenceContractTest {
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    private static final Instant DUE = Instant.parse("2026-12-01T23:00:00Z");
    private static PostgresCluster pg;
    private static DataSource h2;
    private static DataSource postgres;

    @BeforeAll
    static void start() throws Exception {
        org.h2.jdbcx.JdbcDataSource h = new org.h2.jdbcx.JdbcDataSource();
        h.setURL("jdbc:h2:mem:fence-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000");
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

    private static DataSource migrated(DataSource ds) {
        Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
        return ds;
    }

    static Stream<Named<DataSource>> stores() {
        return Stream.of(Named.of("h2", h2), Named.of("postgresql", postgres));
    }

    private static String policy(DataSource ds, Instant due) throws Exception {
        String name = "p-" + UUID.randomUUID().toString().substring(0, 8);
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO policies (name, caller, spec, next_due, created_at, updated_at) VALUES (?,?,?,?,?,?)")) {
            ps.setString(1, name);
            ps.setString(2, "local");
            ps.setString(3, "{}");
            ps.setTimestamp(4, Timestamp.from(due));
            ps.setTimestamp(5, Timestamp.from(due));
            ps.setTimestamp(6, Timestamp.from(due));
            ps.executeUpdate();
        }
        return name;
    }

    private static Job job() {
        return new Job(UUID.randomUUID().toString(), "sync", JobState.QUEUED, DUE, null, null,
                JSON.createObjectNode().put("source", "a/b"), Progress.ZERO, null, null);
    }

    private static boolean insert(JobRepository repo, String policy, Instant linkDue, JobRepository.Admission admission) {
        Job j = job();
        return repo.insertLinked(j, "local", new JobEvent(j.id(), 1, "job", JSON.valueToTree(j)), null, Set.of(),
                new JobRepository.Link(policy, linkDue, null), admission);
    }

    @ParameterizedTest
    @MethodSource("stores")
    void shouldLetExactlyOneOfManyRacersFireADueTime(DataSource ds) throws Exception {
        JobRepository repo = new JdbcJobRepository(ds, JSON);
        String name = policy(ds, DUE);
        Instant next = DUE.plus(Duration.ofMinutes(1));
        int racers = 8;
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Boolean>> tries = new ArrayList<>();
            for (int i = 0; i < racers; i++) {
                tries.add(pool.submit(() -> {
                    go.await();
                    // no due time on the job: only the fenced update can keep the others out
                    return insert(repo, name, null, (c, id) -> PolicyStore.fire(c, name, DUE, next)
                            && PolicyStore.activeRun(c, name, id).isEmpty());
                }));
            }
            go.countDown();
            int recorded = 0;
            for (Future<Boolean> f : tries) {
                recorded += f.get(60, TimeUnit.SECONDS) ? 1 : 0;
            }
            assertEquals(1, recorded, "one racer fires the due time");
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, repo.listByPolicy(name, 0, 10).total(), "the others' jobs rolled back with their updates");
        JobRepository.Stored run = repo.listByPolicy(name, 0, 10).items().get(0);
        assertEquals(name, repo.link(run.job().id()).orElseThrow().policy());
        // the next due time, while that run is still queued: the run check refuses
        assertFalse(insert(repo, name, null, (c, id) -> PolicyStore.fire(c, name, next, next.plusSeconds(60))
                && PolicyStore.activeRun(c, name, id).isEmpty()), "never overlapping a queued run");
        assertEquals(1, repo.listByPolicy(name, 0, 10).total());
    }

    @ParameterizedTest
    @MethodSource("stores")
    void shouldRefuseASecondRunForTheSameDueTimeByKeyAndRecordNothingWhenRefused(DataSource ds) throws Exception {
        JobRepository repo = new JdbcJobRepository(ds, JSON);
        String name = policy(ds, DUE);
        assertTrue(insert(repo, name, DUE, JobRepository.Admission.ALWAYS));
        assertThrows(JobRepository.DuplicateKeyException.class, () -> insert(repo, name, DUE, JobRepository.Admission.ALWAYS));
        assertFalse(insert(repo, name, DUE.plusSeconds(1), (c, id) -> false));
        assertEquals(1, repo.listByPolicy(name, 0, 10).total());
        // one-off jobs (no policy, no due time) never collide
        assertTrue(insert(repo, null, null, JobRepository.Admission.ALWAYS));
        assertTrue(insert(repo, null, null, JobRepository.Admission.ALWAYS));
    }
}
