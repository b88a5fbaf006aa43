package dev.ferry.api;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;
import java.util.function.Supplier;

/** Bridges Vert.x futures to the Mutiny types that Quarkus REST resources return. */
final class Futures {
    private Futures() {
    }

    /** Runs {@code start} when subscribed; failures thrown while starting become failed Unis. */
    static <T> Uni<T> uni(Supplier<Future<T>> start) {
        return Uni.createFrom().emitter(em -> {
            Future<T> f;
            try {
                f = start.get();
            } catch (RuntimeException e) {
                em.fail(e);
                return;
            }
            f.onComplete(ar -> {
                if (ar.succeeded()) {
                    em.complete(ar.result());
                } else {
                    em.fail(ar.cause());
                }
            });
        });
    }
}
