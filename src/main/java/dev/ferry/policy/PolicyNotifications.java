package dev.ferry.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.job.Job;
import dev.ferry.job.JobEnded;
import dev.ferry.notify.Notifier;
import dev.ferry.notify.RunEnded;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.ObservesAsync;
import jakarta.enterprise.inject.Instance;

/**
 * When a policy run ends (on the replica that ended it, once), hands it to {@link Notifier} with the policy's targets.
 * The notifier is another module's bean: while none is deployed, nothing is sent (and nothing fails).
 */
@ApplicationScoped
public class PolicyNotifications {
    private final PolicyService policies;
    private final Instance<Notifier> notifier;
    private final ObjectMapper json;

    public PolicyNotifications(PolicyService policies, Instance<Notifier> notifier, ObjectMapper json) {
        this.policies = policies;
        this.notifier = notifier;
        this.json = json;
    }

    void onEnded(@ObservesAsync JobEnded ended) {
        String policy = ended.link().policy();
        if (policy == null || !notifier.isResolvable()) {
            return;
        }
        try {
            Job j = ended.job();
            RunEnded run = dev.ferry.notify.JobRuns.of(j);
            JsonNode result = j.result();
            boolean changed = run.changed() || (result != null && result.path("pruned").asInt(0) > 0);
            notifier.get().runEnded(new RunEnded(run.jobId(), run.jobType(), policy, run.state(), changed, run.summary(), run.endedAt()),
                    policies.targets(policy));
        } catch (RuntimeException e) {
            Log.warnf("policy %s: notifying the end of run %s failed: %s", policy, ended.job().id(), e.getMessage());
        }
    }
}
