package dev.ferry.signature;

/**
 * What a copy asks to sign with (skopeo copy's signing flags). Keys are named, never carried: Ferry holds them.
 *
 * @param signBy                   --sign-by: the fingerprint (or long key ID) of a GPG key in Ferry's keyring
 * @param signBySigstorePrivateKey like --sign-by-sigstore-private-key, but the NAME of a configured key
 *                                 ({@code ferry.signatures.sigstore-keys."NAME"}), never a path or key material
 * @param signIdentity             --sign-identity: the docker reference the signature vouches for; default the
 *                                 destination reference
 * @param removeSignatures         --remove-signatures: the source's signatures are not carried to the destination
 */
public record SigningRequest(String signBy, String signBySigstorePrivateKey, String signIdentity, boolean removeSignatures) {
    public static final SigningRequest NONE = new SigningRequest(null, null, null, false);

    /** No new signatures; the source's are carried unless {@code removeSignatures}. */
    public static SigningRequest carry(boolean removeSignatures) {
        return removeSignatures ? new SigningRequest(null, null, null, true) : NONE;
    }

    /** Whether no new signature is asked for. */
    public boolean none() {
        return signBy == null && signBySigstorePrivateKey == null;
    }
}
