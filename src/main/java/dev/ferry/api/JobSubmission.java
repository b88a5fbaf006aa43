package dev.ferry.api;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.job.Job;
import dev.ferry.job.JobService;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The HTTP side of accepting a job: Idempotency-Key, {@code Prefer: wait=N} (RFC 7240), and the
 * 202 Accepted / 200 OK answer with a Location.
 */
final class JobSubmission {
    private static final Pattern WAIT = Pattern.compile("(?:^|[,;\\s])wait\\s*=\\s*\"?(\\d{1,6})\"?", Pattern.CASE_INSENSITIVE);
    private static final Pattern KEY = Pattern.compile("[\\x21-\\x7e]{1,200}");

    private JobSubmission() {
    }

    static String idempotencyKey(String header) {
        if (header == null) {
            return null;
        }
        if (!KEY.matcher(header).matches()) {
            throw new FerryException(ProblemType.INVALID_REQUEST,
                    "Idempotency-Key must be 1 to 200 visible ASCII characters");
        }
        return header;
    }

    static Duration wait(String prefer, Duration max) {
        if (prefer == null) {
            return Duration.ZERO;
        }
        Matcher m = WAIT.matcher(prefer);
        if (!m.find()) {
            return Duration.ZERO;
        }
        Duration asked = Duration.ofSeconds(Long.parseLong(m.group(1)));
        return asked.compareTo(max) > 0 ? max : asked;
    }

    /** 200 with the finished job if it ended within the wait, else 202 Accepted; Location either way. */
    static Response answer(JobService jobs, JobService.Submitted submitted, Duration wait) {
        Job job = submitted.job();
        if (!wait.isZero() && !job.state().isTerminal()) {
            job = jobs.await(job, wait);
        }
        Response.ResponseBuilder r = Response.status(job.state().isTerminal() ? 200 : 202)
                .location(URI.create("/api/v1/jobs/" + job.id()))
                .entity(job);
        if (!wait.isZero()) {
            r.header("Preference-Applied", "wait=" + wait.toSeconds());
        }
        return r.build();
    }
}
