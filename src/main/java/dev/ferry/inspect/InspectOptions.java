package dev.ferry.inspect;

import dev.ferry.oci.ImageReference;
import dev.ferry.oci.Platform;
import dev.ferry.registry.RegistryAccess;

/** One inspect, as skopeo's {@code inspect [--raw] [--config] [--no-tags] [--override-*]} would run it. */
public record InspectOptions(ImageReference image, RegistryAccess access, boolean raw, boolean config, boolean noTags,
                             Platform platform) {
}
