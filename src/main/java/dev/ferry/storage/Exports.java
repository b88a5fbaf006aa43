package dev.ferry.storage;

import dev.ferry.error.FerryException;
import dev.ferry.oci.ImageLocation;
import dev.ferry.registry.AccessOptions;
import dev.ferry.transfer.Cancellation;
import dev.ferry.transfer.CopyListener;
import dev.ferry.transfer.CopyOptions;
import dev.ferry.transfer.CopyPlan;
import dev.ferry.transfer.CopyPlanner;
import dev.ferry.transfer.CopyResult;
import dev.ferry.transfer.ImageCopier;
import dev.ferry.transfer.ImageDestination;
import dev.ferry.transfer.ImageSource;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.function.Supplier;

/**
 * An image as an archive streamed to a caller ({@code GET /api/v1/export}): the source is planned first (a missing
 * image or platform is an ordinary error, before a byte is sent), then the tar streams out as the blobs stream in,
 * each verified as it passes; nothing touches the server's disk.
 */
@ApplicationScoped
public class Exports {
    private final Transports transports;
    private final ImageCopier copier;

    public Exports(Transports transports, ImageCopier copier) {
        this.transports = transports;
        this.copier = copier;
    }

    /** A planned export: what will be streamed, and the name the archive should get. */
    public record Planned(ImageLocation image, ImageSource source, CopyPlan plan, String format, CopyOptions options) {
        public String fileName() {
            String base = image instanceof ImageLocation.Docker d
                    ? d.reference().repository().replace('/', '_') + "_" + (d.reference().tag() != null ? d.reference().tag()
                            : d.reference().digest().hex().substring(0, 12))
                    : "image";
            return base + ("docker-archive".equals(format) ? ".docker.tar" : ".oci.tar");
        }
    }

    /** Validates and plans; every refusal here is a 4xx (or the source's own error) before streaming starts. */
    public Future<Planned> plan(String imageField, String image, String format, AccessOptions access, CopyOptions options) {
        if (!"oci-archive".equals(format) && !"docker-archive".equals(format)) {
            throw FerryException.invalidField("format", "must be oci-archive or docker-archive");
        }
        if (options.all() && "docker-archive".equals(format)) {
            throw FerryException.invalidField("all", "a docker-archive holds one image: export one platform, or use oci-archive");
        }
        ImageLocation location = Transports.parse(imageField, image);
        Supplier<ImageSource> source = transports.source(imageField, location, access, "");
        ImageSource s = source.get();
        return CopyPlanner.plan(s, options.all(), copier.platform(options))
                .map(plan -> new Planned(location, s, plan, format, options))
                .onFailure(t -> s.close());
    }

    /** Streams the planned image as a tar into {@code out}; {@code abort} cuts the stream off when a blob fails. */
    public Future<CopyResult> stream(Planned p, WriteStream<Buffer> out, Runnable abort, Cancellation cancellation) {
        List<String> tags = Transports.repoTags(null, p.image());
        ImageDestination tar = transports.tarStream(out, abort, p.format(), tags, "the " + p.format() + " export of "
                + p.image().transportName());
        return copier.copy(Future.succeededFuture(p.plan()), p.source(), tar, p.options(), CopyListener.NONE, cancellation);
    }
}
