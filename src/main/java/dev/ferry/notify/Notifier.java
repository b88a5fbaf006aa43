package dev.ferry.notify;

import java.util.List;

/**
 * The seam between what ends a run (the job runner, a policy run) and outbound notifications.
 *
 * <p>Contract: {@link #runEnded} MUST NOT block the caller on delivery — it records what is to be delivered (so
 * nothing is lost if this replica stops) and returns; delivery, retries with backoff and the delivery log happen
 * elsewhere. It is called once per ended run, by the replica that ended it. {@code targets} are the run's own
 * (a policy's); globally configured targets are added by the implementation.
 */
public interface Notifier {
    void runEnded(RunEnded run, List<NotificationTarget> targets);
}
