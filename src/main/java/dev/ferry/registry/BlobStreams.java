package dev.ferry.registry;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;

/** Small blobs (image configs) read whole from a {@link BlobStream}, bounded and verified. */
public final class BlobStreams {
    private BlobStreams() {
    }

    /** The blob's bytes; fails (and aborts the stream) past {@code limit} or when size or digest do not match. */
    public static Future<byte[]> readVerified(BlobStream stream, Descriptor blob, int limit, String what) {
        if (blob.size() > limit) {
            stream.abort();
            return Future.failedFuture(new FerryException(ProblemType.REGISTRY_RESPONSE_TOO_LARGE,
                    "reading " + what + ": " + blob.size() + " bytes, more than the " + limit + " allowed"));
        }
        Promise<byte[]> done = Promise.promise();
        Buffer all = Buffer.buffer((int) blob.size());
        stream.stream().exceptionHandler(done::tryFail);
        stream.stream().handler(b -> {
            if (all.length() + b.length() > blob.size()) {
                stream.abort();
                done.tryFail(new FerryException(ProblemType.DIGEST_MISMATCH, "reading " + what + ": more bytes than its descriptor states"));
                return;
            }
            all.appendBuffer(b);
        });
        stream.stream().endHandler(v -> {
            byte[] bytes = all.getBytes();
            if (bytes.length != blob.size() || !blob.digest().matches(bytes)) {
                done.tryFail(new FerryException(ProblemType.DIGEST_MISMATCH, "reading " + what + ": the content does not match its digest"));
            } else {
                done.tryComplete(bytes);
            }
            stream.abort();
        });
        stream.stream().resume();
        return done.future();
    }
}
