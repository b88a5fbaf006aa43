package dev.ferry.storage;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.registry.BlobStream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.Map;

/**
 * Named files of an image store read the same way whether they lie in a directory (an OCI layout) or inside a
 * tar file (an {@code oci-archive}, a {@code docker-archive}), which is read in place: never extracted.
 */
interface Entries {

    /** A small entry whole, refused when larger than {@code limit}. */
    Future<byte[]> read(String name, int limit, String what);

    /** An entry as a paused stream. */
    Future<BlobStream> open(String name, String what);

    /** The size of an entry, or -1 when absent. */
    Future<Long> size(String name);

    /** Files under a directory, confined to it. */
    static Entries directory(Path dir, LocalFiles files, StorageRoots roots) {
        return new Entries() {
            @Override
            public Future<byte[]> read(String name, int limit, String what) {
                return files.readBounded(roots.within(dir, dir.resolve(name), what), limit, what);
            }

            @Override
            public Future<BlobStream> open(String name, String what) {
                return files.openStream(roots.within(dir, dir.resolve(name), what), what);
            }

            @Override
            public Future<Long> size(String name) {
                return files.fs().props(roots.within(dir, dir.resolve(name), name).toString())
                        .map(p -> p.isRegularFile() ? p.size() : -1L).otherwise(-1L);
            }
        };
    }

    /** The regular files of a tar, indexed once (on a worker) when first needed. */
    static Entries tar(Path file, String describe, LocalFiles files, Vertx vertx) {
        return new Entries() {
            private Future<Map<String, TarIndex.Entry>> index;

            private synchronized Future<Map<String, TarIndex.Entry>> index() {
                if (index == null) {
                    index = files.exists(file).compose(there -> there
                            ? vertx.executeBlocking(() -> TarIndex.scan(file, describe), false)
                            : Future.failedFuture(new FerryException(ProblemType.IMAGE_NOT_FOUND, describe + ": no such file")));
                }
                return index;
            }

            private Future<TarIndex.Entry> entry(String name, String what) {
                return index().compose(all -> {
                    TarIndex.Entry e = all.get(name);
                    return e != null ? Future.succeededFuture(e)
                            : Future.failedFuture(new FerryException(ProblemType.BLOB_NOT_FOUND, what + ": not in the archive"));
                });
            }

            @Override
            public Future<byte[]> read(String name, int limit, String what) {
                return entry(name, what).compose(e -> {
                    if (e.size() > limit) {
                        return Future.failedFuture(new FerryException(ProblemType.REGISTRY_RESPONSE_TOO_LARGE,
                                what + ": " + e.size() + " bytes, more than the " + limit + " allowed"));
                    }
                    return files.openRange(file, e.offset(), e.size(), what).compose(s -> readAll(s, (int) e.size()));
                });
            }

            @Override
            public Future<BlobStream> open(String name, String what) {
                return entry(name, what).compose(e -> files.openRange(file, e.offset(), e.size(), what));
            }

            @Override
            public Future<Long> size(String name) {
                return index().map(all -> all.containsKey(name) ? all.get(name).size() : -1L);
            }
        };
    }

    private static Future<byte[]> readAll(BlobStream s, int size) {
        io.vertx.core.Promise<byte[]> p = io.vertx.core.Promise.promise();
        io.vertx.core.buffer.Buffer all = io.vertx.core.buffer.Buffer.buffer(size);
        s.stream().handler(all::appendBuffer);
        s.stream().exceptionHandler(p::tryFail);
        s.stream().endHandler(v -> {
            s.abort();
            p.tryComplete(all.getBytes());
        });
        s.stream().resume();
        return p.future();
    }
}
