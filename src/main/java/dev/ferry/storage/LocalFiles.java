package dev.ferry.storage;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.registry.BlobSink;
import dev.ferry.registry.BlobStream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.CopyOptions;
import io.vertx.core.file.FileSystem;
import io.vertx.core.file.OpenOptions;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Non-blocking file access for the path transports (Vert.x's file system, so nothing blocks an event loop): bounded
 * reads of small files, blobs as paused streams, and writes that become visible only once complete (a temp file
 * next to the target, renamed over it), so a failed write leaves nothing that could be taken for the content.
 */
final class LocalFiles {
    /** Read buffer for streamed files: large enough that hashing and writing are not dominated by per-chunk costs. */
    static final int READ_BUFFER = 256 * 1024;

    private final Vertx vertx;

    LocalFiles(Vertx vertx) {
        this.vertx = vertx;
    }

    FileSystem fs() {
        return vertx.fileSystem();
    }

    Future<Boolean> exists(Path p) {
        return fs().exists(p.toString());
    }

    /** The whole file, refused when larger than {@code limit} (manifests, index.json, configs). */
    Future<byte[]> readBounded(Path p, int limit, String what) {
        return fs().props(p.toString()).recover(t -> Future.failedFuture(new FerryException(ProblemType.IMAGE_NOT_FOUND,
                "reading " + what + ": it does not exist"))).compose(props -> {
            if (!props.isRegularFile()) {
                return Future.failedFuture(new FerryException(ProblemType.INVALID_ARCHIVE, "reading " + what + ": not a regular file"));
            }
            if (props.size() > limit) {
                return Future.failedFuture(new FerryException(ProblemType.REGISTRY_RESPONSE_TOO_LARGE,
                        "reading " + what + ": " + props.size() + " bytes, more than the " + limit + " allowed"));
            }
            return fs().readFile(p.toString()).map(Buffer::getBytes);
        });
    }

    /** The file as a paused stream of large chunks. */
    Future<BlobStream> openStream(Path p, String what) {
        return fs().open(p.toString(), new OpenOptions().setRead(true).setWrite(false).setCreate(false))
                .recover(t -> Future.failedFuture(new FerryException(ProblemType.BLOB_NOT_FOUND, "reading " + what + ": it does not exist")))
                .map(file -> {
                    file.pause();
                    file.setReadBufferSize(READ_BUFFER);
                    return BlobStream.of(file, () -> file.close());
                });
    }

    /** A part of a file ({@code offset}, {@code length}) as a paused stream: an entry inside a tar. */
    Future<BlobStream> openRange(Path p, long offset, long length, String what) {
        return fs().open(p.toString(), new OpenOptions().setRead(true).setWrite(false).setCreate(false))
                .recover(t -> Future.failedFuture(new FerryException(ProblemType.BLOB_NOT_FOUND, "reading " + what + ": it does not exist")))
                .map(file -> {
                    file.pause();
                    file.setReadBufferSize(READ_BUFFER);
                    file.setReadPos(offset);
                    file.setReadLength(length);
                    return BlobStream.of(file, () -> file.close());
                });
    }

    /**
     * A sink writing a temp file next to {@code target}; ending it renames the temp file to {@code target}, resetting it
     * deletes the temp file.
     */
    Future<BlobSink> createAtomically(Path target) {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".ferry-" + UUID.randomUUID() + ".tmp");
        return fs().mkdirs(target.getParent().toString())
                .compose(v -> fs().open(tmp.toString(), new OpenOptions().setWrite(true).setCreateNew(true)))
                .map(file -> sink(file, tmp, target));
    }

    private BlobSink sink(AsyncFile file, Path tmp, Path target) {
        return new BlobSink() {
            @Override
            public io.vertx.core.streams.WriteStream<Buffer> stream() {
                return file;
            }

            @Override
            public Future<Void> end(Buffer last) {
                Future<Void> closed = last == null ? file.end() : file.end(last);
                return closed.compose(v -> fs().move(tmp.toString(), target.toString(),
                        new CopyOptions().setReplaceExisting(true).setAtomicMove(true)));
            }

            @Override
            public void reset() {
                Future<Void> closed;
                try {
                    closed = file.close();
                } catch (IllegalStateException alreadyClosed) {
                    closed = Future.succeededFuture();
                }
                closed.onComplete(ar -> fs().delete(tmp.toString()));
            }
        };
    }

    /** Writes {@code bytes} to {@code target} through a temp file and a rename. */
    Future<Void> writeAtomically(Path target, byte[] bytes) {
        return createAtomically(target).compose(sink -> sink.end(Buffer.buffer(bytes)).onFailure(t -> sink.reset()));
    }
}
