package dev.ferry.signature;

import dev.ferry.error.FerryException;
import dev.ferry.oci.ImageReference;
import dev.ferry.security.AccessPolicy;
import dev.ferry.security.Action;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Checks a request's signing fields before its job is accepted (so a bad one is a 400, never a failed job): the key
 * must be one Ferry holds, the identity a docker reference with a tag or digest, the destination a registry, and in
 * secured mode the caller must be allowed to {@link Action#SIGN} the destination repository.
 */
@ApplicationScoped
public class SigningRequests {
    private final SigningKeys keys;
    private final AccessPolicy access;

    public SigningRequests(SigningKeys keys, AccessPolicy access) {
        this.keys = keys;
        this.access = access;
    }

    /**
     * The signing a request asks for, checked; {@link SigningRequest#NONE} when it asks for none.
     *
     * @param destinations the registry repositories that will be signed (null: the destination is no registry)
     */
    public SigningRequest check(String signBy, String signBySigstorePrivateKey, String signIdentity, Boolean removeSignatures,
                                java.util.List<ImageReference> destinations) {
        boolean remove = Boolean.TRUE.equals(removeSignatures);
        if (signBy == null && signBySigstorePrivateKey == null) {
            if (signIdentity != null) {
                throw FerryException.invalidField("signIdentity", "needs signBy or signBySigstorePrivateKey");
            }
            return SigningRequest.carry(remove);
        }
        if (destinations == null) {
            throw FerryException.invalidField(signBy != null ? "signBy" : "signBySigstorePrivateKey",
                    "signatures can only be added at a docker:// destination");
        }
        if (signBy != null && (signBy.isBlank() || signBy.length() > 128)) {
            throw FerryException.invalidField("signBy", "must be a key fingerprint or key ID");
        }
        if (signBySigstorePrivateKey != null && !signBySigstorePrivateKey.matches("[A-Za-z0-9._-]{1,64}")) {
            throw FerryException.invalidField("signBySigstorePrivateKey",
                    "must be the name of a configured key (letters, digits, '.', '_' or '-'), never a path or key material");
        }
        if (signIdentity != null && SignedIdentity.exact(signIdentity) == null) {
            throw FerryException.invalidField("signIdentity", "must be a docker reference with a tag or a digest");
        }
        for (ImageReference d : destinations) {
            access.check(d, Action.SIGN);
        }
        if (signBy != null) {
            keys.gpgKey(signBy);
        }
        if (signBySigstorePrivateKey != null) {
            keys.requireSigstoreKey(signBySigstorePrivateKey);
        }
        return new SigningRequest(signBy, signBySigstorePrivateKey, signIdentity, remove);
    }
}
