package dev.ferry.signature;

import dev.ferry.oci.ImageReference;
import dev.ferry.oci.OciFormatException;

/**
 * containers-policy.json's {@code signedIdentity}: which docker reference a signature must vouch for, given the image
 * being read (containers/image {@code policy_reference_match.go}). A signature reference that names neither a tag
 * nor a digest never matches.
 */
public sealed interface SignedIdentity {

    /** Whether a signature claiming {@code signatureReference} is good for {@code image} (null: no docker reference). */
    boolean matches(ImageReference image, String signatureReference);

    /** How policy.json spells it, for messages. */
    String describe();

    /** The default: a digested image needs a signature for its repository, a tagged one for exactly that tag. */
    record MatchRepoDigestOrExact() implements SignedIdentity {
        @Override
        public boolean matches(ImageReference image, String sig) {
            ImageReference s = exact(sig);
            if (image == null || s == null) {
                return false;
            }
            if (image.tag() != null) {
                return s.tag() != null && s.digest() == null && image.name().equals(s.name()) && image.tag().equals(s.tag());
            }
            return image.digest() != null && s.name().equals(image.name());
        }

        @Override
        public String describe() {
            return "matchRepoDigestOrExact";
        }
    }

    /** The signature names the image's reference exactly. */
    record MatchExact() implements SignedIdentity {
        @Override
        public boolean matches(ImageReference image, String sig) {
            ImageReference s = exact(sig);
            return image != null && s != null && (image.tag() != null || image.digest() != null)
                    && text(s).equals(text(image));
        }

        @Override
        public String describe() {
            return "matchExact";
        }
    }

    /** The signature names the image's repository (any tag or digest). */
    record MatchRepository() implements SignedIdentity {
        @Override
        public boolean matches(ImageReference image, String sig) {
            ImageReference s = exact(sig);
            return image != null && s != null && s.name().equals(image.name());
        }

        @Override
        public String describe() {
            return "matchRepository";
        }
    }

    /** The signature names exactly {@code reference}, whatever the image. */
    record ExactReference(ImageReference reference) implements SignedIdentity {
        @Override
        public boolean matches(ImageReference image, String sig) {
            ImageReference s = exact(sig);
            return s != null && text(s).equals(text(reference));
        }

        @Override
        public String describe() {
            return "exactReference " + text(reference);
        }
    }

    /** The signature names repository {@code repository}, whatever the image. */
    record ExactRepository(String repository) implements SignedIdentity {
        @Override
        public boolean matches(ImageReference image, String sig) {
            ImageReference s = exact(sig);
            return s != null && s.name().equals(repository);
        }

        @Override
        public String describe() {
            return "exactRepository " + repository;
        }
    }

    /**
     * An image whose reference starts with {@code prefix} is matched as if it started with {@code signedPrefix}
     * (mirrors), then as {@link MatchRepoDigestOrExact}.
     */
    record RemapIdentity(String prefix, String signedPrefix) implements SignedIdentity {
        @Override
        public boolean matches(ImageReference image, String sig) {
            if (image == null) {
                return false;
            }
            String name = text(image);
            ImageReference intended = image;
            if (name.startsWith(prefix) && (name.length() == prefix.length() || prefixBoundary(name, prefix.length()))) {
                try {
                    intended = ImageReference.parse(signedPrefix + name.substring(prefix.length()));
                } catch (OciFormatException e) {
                    return false;
                }
            }
            return new MatchRepoDigestOrExact().matches(intended, sig);
        }

        private boolean prefixBoundary(String name, int at) {
            char c = name.charAt(at);
            return prefix.endsWith("/") || c == '/' || c == ':' || c == '@';
        }

        @Override
        public String describe() {
            return "remapIdentity " + prefix + " -> " + signedPrefix;
        }
    }

    /** {@code name:tag} or {@code name@digest}, as docker's reference.String() (a tag wins when both are present). */
    static String text(ImageReference r) {
        return r.tag() != null ? r.name() + ":" + r.tag() : r.name() + "@" + r.digest();
    }

    /** A signature's reference, or null when it is not one, or names neither tag nor digest (never defaulted). */
    static ImageReference exact(String s) {
        if (s == null || s.isEmpty()) {
            return null;
        }
        String last = s.substring(s.lastIndexOf('/') + 1);
        if (!last.contains(":") && !last.contains("@")) {
            return null;
        }
        try {
            ImageReference r = ImageReference.parse(s);
            return r.tag() != null && r.digest() != null ? null : r;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
